"""Run a corpus case through the command line and through the page's upload function.

:func:`run_cli` calls ``hotspots.cli.main(["check", ...])`` in this process (the
command line's own argument parsing, reading and printing) and reads back the
``reconciliation.csv`` it writes; :func:`run_page` calls
:func:`hotspots.pipeline.uploads.build_upload_pack` with the files' bytes, as the page
does. Both return the reconciliation summed over the case's files and every word the
user is shown (CLI output; page failures, notes, problems and per-row reasons).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hotspots import cli
from hotspots.io import ColumnMap
from hotspots.pipeline import Pack, uploads
from tests.corpus.build import Case

REC = ["rows_in", "assigned", "unlocated", "outside", "rejected"]


@dataclass(frozen=True)
class Outcome:
    """What one path made of a case's files."""

    counts: tuple[int, int, int, int, int] | None  # None: refused (nothing read)
    text: str
    code: int = 0  # the command line's exit code


def _sum(rec: pd.DataFrame) -> tuple[int, int, int, int, int] | None:
    if rec.empty:
        return None
    return tuple(int(rec[c].sum()) for c in REC)  # type: ignore[return-value]


def cli_args(case: Case, folder: Path, out: Path) -> list[str]:
    """The ``check`` command line for a case."""
    areas = folder / case.areas if case.areas else Path(__file__).resolve().parents[2] / \
        "data" / "demo" / "wards.geojson"
    args = ["check", "--areas", str(areas), "--out", str(out)]
    for p in case.police:
        args += ["--police-uk", str(folder / p)]
    for p in case.mps:
        args += ["--mps", str(folder / p)]
    if case.referrals:
        args += ["--referrals", str(folder / case.referrals), "--mapping",
                 str(folder / "mapping.json")]
    if case.crime_ids == "once":
        args.append("--crime-id-once")
    return args


def run_cli(case: Case, folder: Path) -> Outcome:
    out = folder / "cli-out"
    buf_out, buf_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
        code = cli.main(cli_args(case, folder, out))
    text = buf_out.getvalue() + buf_err.getvalue()
    rec_path = out / "reconciliation.csv"
    counts = _sum(pd.read_csv(rec_path)) if code == 0 and rec_path.is_file() else None
    if code == 0 and rec_path.is_file():
        text += "\n" + (out / "unassigned_rows.csv").read_text(encoding="utf-8")
    return Outcome(counts, text, code)


def upload_set(case: Case, folder: Path) -> uploads.UploadSet:
    """The page's uploads for a case (a folder goes up as the zip the builder made of it)."""
    def files(given: tuple[str, ...], page: tuple[tuple[str, str], ...] | None
              ) -> tuple[tuple[str, bytes], ...]:
        pairs = page if page is not None else tuple((Path(p).name, p) for p in given)
        return tuple((name, (folder / p).read_bytes()) for name, p in pairs)

    referral = mapping = None
    if case.referrals:
        referral = (Path(case.referrals).name, (folder / case.referrals).read_bytes())
        mapping = ColumnMap(case.mapping or {}, layout=case.layout)  # type: ignore[arg-type]
    boundary = (Path(case.areas).name, (folder / case.areas).read_bytes()) if case.areas \
        else None
    return uploads.UploadSet(
        police_uk=files(case.police, case.page_police), mps=files(case.mps, case.page_mps),
        referral=referral, mapping=mapping, boundary=boundary,
        crime_ids=case.crime_ids)  # type: ignore[arg-type]


def run_page(case: Case, folder: Path, base: Pack) -> Outcome:
    outcome = uploads.build_upload_pack(base, upload_set(case, folder))
    pack = outcome.pack
    parts = [f.message for f in outcome.failures] + list(outcome.notes)
    if pack is not base:
        rec = uploads.upload_reconciliation(pack)
        parts += [str(n) for n in rec["note"]]
        files = set(pack.meta.uploads.problem_files if pack.meta.uploads else ())
        probs = pack.problems[pack.problems["file"].astype(str).isin(files)]
        parts += [f"{r.file}: {r.what}. {r.fix}" for r in probs.itertuples()]
        parts += uploads.upload_details(pack)["reason"].astype(str).tolist()
        counts = _sum(rec)
    else:
        counts = None
    return Outcome(counts, "\n".join(parts))
