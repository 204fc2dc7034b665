"""Column mappings: guess which header holds each standard name, and remember mappings.

A partner's referral sheet names its columns its own way ("Ref No", "Date of
referral", "Ward of residence"). :func:`guess_mapping` pre-fills the mapping
step from the headers' spelling (and from a mapping used before);
:func:`remember_mapping` saves a mapping as the small JSON of
:func:`hotspots.io.save_mapping`, on request, under
``$XDG_CONFIG_HOME/hotspots/mappings/``.

Owns: header synonyms, the guess, mapping JSON in and out, the saved-mapping
folder. Never imports areas, stats, boundaries, maps or pipeline.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from hotspots._errors import InputDataError, UploadError, hide_folder
from hotspots.io.columns import LAYOUT_NAMES, ColumnMap, Layout, load_mapping, save_mapping

__all__ = [
    "SYNONYMS",
    "guess_layout",
    "guess_mapping",
    "mapping_from_json",
    "mapping_to_json",
    "mappings_folder",
    "normalise_header",
    "remember_mapping",
    "remembered_mapping",
    "safe_file_name",
    "saved_mappings",
]


_MAPPINGS_ENV = "XDG_CONFIG_HOME"


def normalise_header(text: object) -> str:
    """Return a header casefolded, punctuation as spaces, single-spaced."""
    s = str(text).replace("\ufeff", " ").casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


#: Header spellings for each standard name, best first (compared after :func:`normalise_header`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "referral_id": ("referral id", "referral ref", "referral reference", "referral number",
                    "referral no", "ref no", "reference", "case id", "case ref",
                    "case reference", "case number", "record id", "urn", "ref", "id"),
    "date": ("date of referral", "referral date", "date referred", "date received",
             "received date", "date", "incident date", "date of incident", "offence date",
             "event date", "created"),
    "category": ("referral type", "category", "type", "referral category",
                 "category of referral", "crime type", "offence type", "offence",
                 "concern type", "concern", "exploitation type", "reason for referral",
                 "reason"),
    "ward_code": ("ward code", "ward gss code", "ward gss", "wardcode", "ward cd", "gss code"),
    "ward_name": ("ward name", "ward", "wardname", "ward nm", "ward of residence",
                  "residential ward", "home ward"),
    "borough": ("borough", "borough name", "local authority", "local authority name",
                "la name", "la", "lad name", "lad", "council", "district",
                "borough of residence", "responsible borough", "responsible authority"),
    "lsoa_code": ("lsoa code", "lsoa", "lsoa11cd", "lsoa21cd", "lsoa 2011 code",
                  "lsoa 2021 code"),
    "lon": ("longitude", "lon", "long", "lng"),
    "lat": ("latitude", "lat"),
    "easting": ("easting", "eastings", "grid easting", "bng easting", "x coordinate", "x"),
    "northing": ("northing", "northings", "grid northing", "bng northing", "y coordinate",
                 "y"),
    "period": ("month", "period", "year month", "yearmonth", "month year", "reporting month"),
    "count": ("count", "number of referrals", "no of referrals", "referrals", "number",
              "total", "cases", "n"),
}
#: A header holding one of these words is never guessed for the standard name.
_EXCLUDE: dict[str, tuple[str, ...]] = {
    "date": ("birth", "dob", "closed", "closure", "end", "discharge", "ended"),
    "ward_name": ("code", "cd"), "borough": ("code", "cd"), "category": ("date",),
    "referral_id": ("date",), "count": ("date",), "period": ("date of birth",),
}
_PATTERNS: dict[str, str] = {"ward_code": r"wd\d\dcd", "ward_name": r"wd\d\dnm",
                             "borough": r"lad\d\dnm", "lsoa_code": r"lsoa\d\dcd"}
_SHORT = 3  # synonyms this short (id, la, n, x, y) only match a whole header


def _score(std: str, header: str) -> int:
    """Return how well a normalised header fits a standard name (0 = not at all)."""
    tokens = set(header.split())
    if any(word in tokens or (" " in word and word in header)
           for word in _EXCLUDE.get(std, ())):
        return 0
    pattern = _PATTERNS.get(std)
    if pattern and re.fullmatch(pattern, header.replace(" ", "")):
        return 95
    best = 0
    for i, syn in enumerate(SYNONYMS[std]):
        if header == syn:
            return 100 - i
        words = syn.split()
        if len(syn) > _SHORT and set(words) <= tokens:
            best = max(best, 50 - i - (len(tokens) - len(words)))
    return max(best, 0)


def guess_mapping(
    headers: Sequence[str],
    *,
    layout: Layout = "records",
    remembered: ColumnMap | Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Guess which header holds each standard name, from its spelling.

    Parameters
    ----------
    headers
        The uploaded file's headers, in file order.
    layout
        ``"records"`` or ``"aggregate"``: only that layout's standard names
        (:data:`hotspots.io.LAYOUT_NAMES`) are guessed.
    remembered
        A mapping used before (a :class:`~hotspots.io.ColumnMap` or a dict):
        each of its headers that this file has wins over any guess.

    Returns
    -------
    dict
        ``{standard name: header}`` for the names guessed (each header used
        at most once), in the layout's canonical order.

    Examples
    --------
    >>> guess_mapping(["Ref No", "DOB", "Date of referral", "Referral type", "Ward",
    ...                "Ward Code", "Borough"])  # doctest: +NORMALIZE_WHITESPACE
    {'referral_id': 'Ref No', 'date': 'Date of referral', 'category': 'Referral type',
     'ward_code': 'Ward Code', 'ward_name': 'Ward', 'borough': 'Borough'}
    """
    names = LAYOUT_NAMES.get(layout)
    if names is None:
        raise ValueError(f"layout must be one of {sorted(LAYOUT_NAMES)}; got {layout!r}")
    clean = [str(h) for h in headers if str(h).strip()]
    by_norm: dict[str, str] = {}
    for h in clean:
        by_norm.setdefault(normalise_header(h), h)
    chosen: dict[str, str] = {}
    old = remembered.columns if isinstance(remembered, ColumnMap) else dict(remembered or {})
    for std, header in old.items():
        found = by_norm.get(normalise_header(header))
        if std in names and found is not None and found not in chosen.values():
            chosen[std] = found
    scored = sorted(
        ((-_score(std, n), order, std, h) for order, (n, h) in enumerate(by_norm.items())
         for std in names if std not in chosen),
    )
    for neg, _, std, h in scored:
        if neg < 0 and std not in chosen and h not in chosen.values():
            chosen[std] = h
    return {std: chosen[std] for std in names if std in chosen}


def guess_layout(headers: Sequence[str]) -> Layout:
    """Return ``"aggregate"`` when the headers look like counts per ward and month.

    Examples
    --------
    >>> guess_layout(["Ward", "Month", "Number of referrals"])
    'aggregate'
    >>> guess_layout(["Ward", "Date of referral", "Type"])
    'records'
    """
    rec = guess_mapping(headers, layout="records")
    agg = guess_mapping(headers, layout="aggregate")
    if "period" in agg and "count" in agg and "date" not in rec:
        return "aggregate"
    return "records"


def mapping_to_json(mapping: ColumnMap) -> str:
    """Return the mapping as the JSON text :func:`hotspots.io.save_mapping` writes."""
    with tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        return save_mapping(mapping, Path(tmp) / "mapping.json").read_text(encoding="utf-8")


def mapping_from_json(name: str, data: bytes) -> ColumnMap:
    """Read an uploaded mapping JSON (as written by :func:`hotspots.io.save_mapping`).

    Raises
    ------
    UploadError
        Not JSON, or not a valid mapping; the message names the file.
    """
    with tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        path = Path(tmp) / safe_file_name(name, ".json")
        path.write_bytes(data)
        try:
            return load_mapping(path)
        except InputDataError as exc:
            text = hide_folder(str(exc), tmp).replace(path.name, name)
            raise UploadError("referrals", name, text) from exc


def mappings_folder(user: str | None = None) -> Path:
    """Return ``$XDG_CONFIG_HOME/hotspots/mappings`` (default ``~/.config/...``).

    Parameters
    ----------
    user
        A signed-in user's folder-safe name (a team server): their own
        ``users/<user>`` folder under it, which no other user's page reads.
        ``None`` on a laptop (the computer's one folder).

    Examples
    --------
    >>> mappings_folder("ab12").parts[-3:]
    ('mappings', 'users', 'ab12')
    """
    base = os.environ.get(_MAPPINGS_ENV) or str(Path.home() / ".config")
    folder = Path(base) / "hotspots" / "mappings"
    if user is None:
        return folder
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", user):
        raise ValueError(f"not a folder-safe user name: {user!r}")
    return folder / "users" / user


def remember_mapping(mapping: ColumnMap, name: str, *, folder: Path | None = None) -> Path:
    """Save a mapping on this computer as ``<folder>/<name>.json`` (overwritten).

    Parameters
    ----------
    mapping
        The mapping.
    name
        A name for it, usually the referral file's name (made file-safe).
    folder
        Where to save (default :func:`mappings_folder`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = folder or mappings_folder()
    out.mkdir(parents=True, exist_ok=True)
    return save_mapping(mapping, out / safe_file_name(Path(name).stem, ".json"))


def saved_mappings(*, folder: Path | None = None) -> list[tuple[Path, ColumnMap]]:
    """Return the mappings saved on this computer, newest first (unreadable ones skipped)."""
    where = folder or mappings_folder()
    if not where.is_dir():
        return []
    out = []
    for path in sorted(where.glob("*.json"), key=lambda p: (-p.stat().st_mtime, p.name)):
        try:
            out.append((path, load_mapping(path)))
        except InputDataError:
            continue
    return out


def remembered_mapping(
    headers: Sequence[str], *, folder: Path | None = None
) -> ColumnMap | None:
    """Return the newest saved mapping whose every header is in ``headers``, if any."""
    have = {normalise_header(h) for h in headers}
    for _, mapping in saved_mappings(folder=folder):
        if all(normalise_header(h) in have for h in mapping.columns.values()):
            return mapping
    return None


def safe_file_name(name: str, suffix: str) -> str:
    """Return a file-system-safe file name ending in ``suffix``.

    Examples
    --------
    >>> safe_file_name("../my referrals (1).csv", ".json")
    'my_referrals_1_.csv.json'
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
    return stem if stem.lower().endswith(suffix) else stem + suffix
