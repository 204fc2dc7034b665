"""Peak memory of the page's upload path: a 2-million-row police.uk CSV, and a zip bomb.

Run by hand (never in the test suite), from the project folder:

    .venv/bin/python -m bench.upload_memory                   # both parts
    .venv/bin/python -m bench.upload_memory --part rows --rows 2000000
    .venv/bin/python -m bench.upload_memory --part bomb

(rows) A police.uk street CSV of ``--rows`` rows (default 2,000,000) is written to a
    temporary folder from the real City of London and Welsh street files in
    ``../shared/data`` (their rows repeated in turn, each copy with a new 64-hex Crime
    ID so that no crime repeats). A fresh process loads the demo pack, reads the file's
    bytes (as the page's uploader holds them) and calls
    ``hotspots.pipeline.uploads.build_upload_pack``, exactly as the page does. It
    prints the peak resident memory (``resource.getrusage``, ru_maxrss) after loading
    the pack, after reading the bytes and at the end, the seconds taken and the
    reconciliation (which must add up to the rows written). Target: peak under 2 GB.
(bomb) A 1 MB zip holding 1 GiB of zeros as ``2020-01/2020-01-x-street.csv`` is
    uploaded as police.uk and as a boundary zip, in a fresh process each. Prints the
    message and the peak resident memory. Target: refused, peak under 1.5 GB.

Every part runs in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SOURCES = [DATA / "police_uk_city_of_london_2017-12_to_2020-11",
           DATA / "police_uk_wales_2024-01_to_2024-04"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_rows(path: Path, n_rows: int) -> int:
    """Write a police.uk street CSV of ``n_rows`` rows from the real files; return bytes."""
    header = None
    body: list[bytes] = []
    for folder in SOURCES:
        for f in sorted(folder.rglob("*-street.csv")):
            lines = f.read_bytes().splitlines()
            header = header or lines[0]
            body.extend(line for line in lines[1:] if line.strip())
    written = 0
    with path.open("wb") as out:
        out.write(header + b"\n")
        copy = 0
        while written < n_rows:
            for line in body:
                if written >= n_rows:
                    break
                cid, rest = line.split(b",", 1)
                if cid:  # a new id per copy; anti-social behaviour keeps its blank id
                    cid = hashlib.sha256(cid + b"%d" % copy).hexdigest().encode()
                out.write(cid + b"," + rest + b"\n")
                written += 1
            copy += 1
    return path.stat().st_size


def _child_rows(path: str) -> None:
    sys.path.insert(0, str(ROOT))
    from hotspots import pipeline
    from hotspots.pipeline import uploads

    t0 = time.perf_counter()
    base = pipeline.load_pack()
    _ = base.areas
    after_pack = _peak_mb()
    data = Path(path).read_bytes()
    after_bytes = _peak_mb()
    outcome = uploads.build_upload_pack(
        base, uploads.UploadSet(police_uk=((Path(path).name, data),)))
    seconds = time.perf_counter() - t0
    rec = uploads.upload_reconciliation(outcome.pack)
    print(json.dumps({
        "peak_mb_after_pack": round(after_pack), "peak_mb_after_bytes": round(after_bytes),
        "peak_mb": round(_peak_mb()), "seconds": round(seconds, 1),
        "failures": [f.message[:300] for f in outcome.failures],
        "reconciliation": rec.drop(columns=["note"], errors="ignore").to_dict("records"),
    }))


def make_bomb(path: Path, gib: float = 1.0) -> int:
    """Write a zip holding ``gib`` GiB of zeros as one street CSV; return its size."""
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("2020-01/2020-01-x-street.csv", "w", force_zip64=True) as member:
            for _ in range(int(gib * 1024)):
                member.write(chunk)
    return path.stat().st_size


def _child_bomb(path: str, kind: str) -> None:
    sys.path.insert(0, str(ROOT))
    from hotspots import pipeline
    from hotspots.pipeline import uploads

    base = pipeline.load_pack()
    data = Path(path).read_bytes()
    before = _peak_mb()
    t0 = time.perf_counter()
    upload = ("bomb.zip", data)
    us = (uploads.UploadSet(police_uk=(upload,)) if kind == "police_uk"
          else uploads.UploadSet(boundary=upload))
    outcome = uploads.build_upload_pack(base, us)
    print(json.dumps({"kind": kind, "peak_mb_before": round(before), "peak_mb": round(_peak_mb()),
                      "seconds": round(time.perf_counter() - t0, 2),
                      "failures": [f.message for f in outcome.failures]}))


def _run(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.upload_memory", *args], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=["rows", "bomb", "all"], default="all")
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kind, path = a.child
        _child_rows(path) if kind == "rows" else _child_bomb(path, kind)
        return 0
    with tempfile.TemporaryDirectory(prefix="hotspots-bench-") as tmp:
        if a.part in ("rows", "all"):
            csv = Path(tmp) / "2020-01-big-street.csv"
            size = write_rows(csv, a.rows)
            print(f"police.uk CSV: {a.rows:,} rows, {size / 1e6:,.0f} MB")
            r = _run("--child", "rows", str(csv))
            print(json.dumps(r, indent=1))
            got = sum(x["rows_in"] for x in r["reconciliation"])
            print(f"rows in reconciled: {got:,} of {a.rows:,}; peak RSS {r['peak_mb']:,} MB "
                  f"(after the pack {r['peak_mb_after_pack']:,} MB, after the bytes "
                  f"{r['peak_mb_after_bytes']:,} MB); {r['seconds']} s; target < 2,000 MB")
            csv.unlink()
        if a.part in ("bomb", "all"):
            bomb = Path(tmp) / "bomb.zip"
            size = make_bomb(bomb)
            print(f"zip bomb: {size / 1e6:.2f} MB holding 1 GiB of zeros")
            for kind in ("police_uk", "boundary"):
                r = _run("--child", kind, str(bomb))
                print(json.dumps(r, indent=1))
                print(f"{kind}: peak RSS {r['peak_mb']:,} MB (before the upload "
                      f"{r['peak_mb_before']:,} MB); target < 1,500 MB")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
