"""Board-pack configuration: a TOML file read into a validated, frozen :class:`ReportConfig`.

Every key is checked at once: unknown keys, wrong types and values outside
their allowed set are collected and raised together as one
:class:`ReportConfigError` that names the file and each key
(``statistics.permutations must be an integer, got 'many'``). Relative paths
in the file are resolved against the folder of the file, so a config
reproduces the same pack wherever it is run from. ``report.example.toml``
at the project root documents every key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from hotspots._errors import InputDataError
from hotspots.maps.classify import SCHEMES
from hotspots.maps.palettes import PALETTES
from hotspots.patrol import MEASURES as PATROL_MEASURES
from hotspots.patrol import METHODS as PATROL_METHODS
from hotspots.patrol import PatrolParams
from hotspots.periods import DEFAULT_LATEST_MONTHS, YEAR_STARTS, check_month
from hotspots.pipeline.analysis import StatsParams
from hotspots.pipeline.table import RATE_LABELS, RateKind
from hotspots.privacy import DEFAULT_THRESHOLD

__all__ = [
    "COMPARISONS",
    "FORMATS",
    "MapClasses",
    "PatrolSettings",
    "ReportConfig",
    "ReportConfigError",
    "config_from_mapping",
    "load_config",
]

Comparison = Literal["same_period_last_year", "previous_period", "none"]

#: Comparison key -> words printed in the pack.
COMPARISONS: dict[str, str] = {
    "same_period_last_year": "the same period last year",
    "previous_period": "the previous period of the same length",
    "none": "no comparison",
}

#: Output formats a pack can be written in.
FORMATS: tuple[str, ...] = ("pdf", "png", "csv", "xlsx")

_WEIGHTS = ("queen", "rook", "knn", "distance")
_CORRECTIONS = ("fdr", "bonferroni", "none")
_FILE_KEYS = ("areas", "layer", "police_uk", "mps", "referrals", "mapping", "population", "imd")


class ReportConfigError(InputDataError):
    """The board-pack configuration cannot be used as written."""


@dataclass(frozen=True)
class PatrolSettings:
    """The board pack's patrol-cell pages (the ``[patrol]`` table of the config).

    Attributes
    ----------
    enabled
        ``True`` / ``False``; ``None`` (the default) = when the pack has
        street-level points whose study area is in the pack's boroughs.
    params
        Settings of :func:`hotspots.patrol.analysis.analyse_patrol` (grid,
        selection, Gi* permutations and seed, backtest, list period).
    boroughs
        Study-area boroughs; empty = the pack's ``meta.points_boroughs``.
    """

    enabled: bool | None = None
    params: PatrolParams = field(default_factory=PatrolParams)
    boroughs: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapClasses:
    """How the measure map is classed and coloured (the ``[map]`` table of the config).

    The page's choices (sidebar, Map): a scheme of
    :data:`hotspots.maps.classify.SCHEMES`, the number of classes, the class upper
    bounds for ``"user_defined"``, a print palette of
    :data:`hotspots.maps.palettes.PALETTES`, and whether the first class of a
    count is printed from 0 (``"0 to 4"``, not from the smallest count ``"2 to
    4"``; ``first_class_from_zero``, on by default as on the page: the classes
    then cover every count). Wards with 0 are always their own white class.
    """

    scheme: str = "quantiles"
    k: int = 5
    bins: tuple[float, ...] | None = None
    palette: str = "YlOrRd"
    from_zero: bool = True

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"map scheme {self.scheme!r}: use one of {sorted(SCHEMES)}.")
        if self.scheme == "user_defined" and not self.bins:
            raise ValueError("map scheme 'user_defined' needs the class upper bounds (bins).")
        if self.palette not in PALETTES:
            raise ValueError(f"map palette {self.palette!r}: print palettes are "
                             f"{sorted(PALETTES)}.")
        if self.bins is not None:
            object.__setattr__(self, "bins", tuple(float(b) for b in self.bins))


@dataclass(frozen=True)
class ReportConfig:
    """Everything that decides a board pack (the same config gives the same pack).

    Attributes
    ----------
    title, author, organisation
        Printed on the title page.
    marking
        Protective marking on every page and export (e.g. ``"OFFICIAL"``,
        ``"OFFICIAL-SENSITIVE"``); upper-cased.
    pack
        Pack folder (``None`` = the bundled demo pack unless ``files`` is set).
    files
        Individual input files (``areas`` required), as the CLI's ``--areas``,
        ``--police-uk`` ...; empty when a pack folder is used.
    measures
        Measure keys, e.g. ``("crime:all", "referrals:all")``.
    month_from, month_to
        Period bounds ``YYYY-MM`` (``None`` = latest months of the data).
    latest_months
        Length of the period when ``month_from`` is not given.
    comparison
        Key of :data:`COMPARISONS`.
    rate
        What a ward's value is, as on the page: ``"count"``, ``"per_1000"``
        residents or ``"eb_per_1000"`` (smoothed by global empirical Bayes).
        The maps, ranks, top wards and findings follow it.
    map_classes
        Classes and palette of the measure map (:class:`MapClasses`).
    boroughs
        Limit the pack to these boroughs (empty = every area).
    statistics
        Hotspot statistics (weights, permutations, seed, correction, alpha,
        year start, "wards with at least" for the deprivation headline).
    suppress_below
        Referral counts from 1 to ``suppress_below - 1`` are suppressed.
    top_wards
        Rows in the top-wards table.
    caveats
        Extra caveats printed on the findings page and the method card
        (e.g. a change in recording practice).
    output
        Output folder.
    formats
        Subset of :data:`FORMATS`.
    source
        The TOML file the config was read from (``None`` when built in code).
    patrol
        The patrol-cell pages (:class:`PatrolSettings`).
    """

    title: str = "Community safety board pack"
    author: str = ""
    organisation: str = ""
    marking: str = "OFFICIAL"
    pack: Path | None = None
    files: tuple[tuple[str, str], ...] = ()
    measures: tuple[str, ...] = ("crime:all",)
    month_from: str | None = None
    month_to: str | None = None
    latest_months: int = DEFAULT_LATEST_MONTHS
    comparison: Comparison = "same_period_last_year"
    rate: RateKind = "count"
    map_classes: MapClasses = field(default_factory=MapClasses)
    boroughs: tuple[str, ...] = ()
    statistics: StatsParams = field(default_factory=StatsParams)
    suppress_below: int = DEFAULT_THRESHOLD
    top_wards: int = 15
    caveats: tuple[str, ...] = ()
    output: Path = Path("board-pack")
    formats: tuple[str, ...] = FORMATS
    source: Path | None = None
    patrol: PatrolSettings = field(default_factory=PatrolSettings)

    @property
    def file_inputs(self) -> dict[str, str]:
        """The individual input files as a dict (empty for a pack folder)."""
        return dict(self.files)

    def with_output(self, output: Path) -> ReportConfig:
        """Return a copy writing to ``output``."""
        return replace(self, output=Path(output))


# --------------------------------------------------------------------------- checks

Check = Callable[[Any], str | None]


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) else "must be a string"


def _is_int(lo: int, hi: int | None = None) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int):
            return "must be a whole number"
        if v < lo or (hi is not None and v > hi):
            return f"must be between {lo} and {hi}" if hi is not None else f"must be >= {lo}"
        return None
    return check


def _is_float(lo: float, hi: float) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return "must be a number"
        return None if lo < float(v) < hi else f"must be between {lo:g} and {hi:g} (exclusive)"
    return check


def _is_positive(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return "must be a number"
    return None if float(v) > 0 else "must be above 0"


def _one_of(options: tuple[str, ...] | Mapping[str, Any]) -> Check:
    allowed = tuple(options)

    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return f"must be one of {list(allowed)}"
        return None if v in allowed else f"must be one of {list(allowed)}"
    return check


def _list_of_str(allowed: tuple[str, ...] | None = None, *, non_empty: bool = False) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return "must be a list of strings, e.g. [\"a\", \"b\"]"
        if non_empty and not v:
            return "must list at least one value"
        if allowed is not None:
            bad = [x for x in v if x not in allowed]
            if bad:
                return f"has {bad}: use values from {list(allowed)}"
        return None
    return check


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _cell_size(v: Any) -> str | None:
    if v == "auto":
        return None
    return _is_positive(v) and "must be a number of metres above 0 (e.g. 150) or 'auto'"


def _share(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return "must be a number"
    return None if 0 < float(v) <= 1 else "must be above 0 and at most 1 (0.05 = 5% of the area)"


def _month(v: Any) -> str | None:
    if not isinstance(v, str):
        return "must be a month string 'YYYY-MM'"
    try:
        check_month(v)
    except (ValueError, TypeError):
        return "must be a month 'YYYY-MM', e.g. '2025-04'"
    return None


def _bins(v: Any) -> str | None:
    if not isinstance(v, list) or not v or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in v):
        return "must be a list of numbers, e.g. [5, 10, 20, 50]"
    if any(b <= a for a, b in zip(v, v[1:], strict=False)):
        return "must be in ascending order, each bound larger than the one before"
    return None


def _measure(v: Any) -> str | None:
    err = _list_of_str(non_empty=True)(v)
    if err:
        return err
    bad = [m for m in v if not m.startswith(("crime:", "referrals:")) and m != "asb:all"]
    return (f"has {bad}: keys start with 'crime:' or 'referrals:', or are 'asb:all' (list "
            "them with 'python -m hotspots measures')") if bad else None


#: Section -> key -> check. "" is the top level.
SCHEMA: dict[str, dict[str, Check]] = {
    "": {
        "title": _is_str, "author": _is_str, "organisation": _is_str, "marking": _is_str,
        "measures": _measure, "boroughs": _list_of_str(), "output": _is_str,
        "formats": _list_of_str(FORMATS, non_empty=True), "top_wards": _is_int(1, 100),
        "caveats": _list_of_str(), "rate": _one_of(RATE_LABELS),
    },
    "map": {"scheme": _one_of(SCHEMES), "classes": _is_int(3, 9), "bins": _bins,
            "palette": _one_of(PALETTES), "first_class_from_zero": _is_bool},
    "data": {"pack": _is_str, **{k: _is_str for k in _FILE_KEYS}},
    "period": {"from": _month, "to": _month, "latest_months": _is_int(1, 120),
               "comparison": _one_of(COMPARISONS)},
    "statistics": {
        "weights": _one_of(_WEIGHTS), "k": _is_int(1, 50), "threshold": _is_positive,
        "permutations": _is_int(99, 99_999), "seed": _is_int(0), "correction": _one_of(
            _CORRECTIONS), "alpha": _is_float(0.0, 0.5), "year_start": _one_of(YEAR_STARTS),
        "min_count": _is_int(1),
    },
    "disclosure": {"threshold": _is_int(1, 100)},
    "patrol": {
        "enabled": _is_bool, "boroughs": _list_of_str(), "cell_size": _cell_size,
        "shape": _one_of(("square", "hex")), "area_share": _share, "top_n": _is_int(1, 1000),
        "method": _one_of(("best", *PATROL_METHODS)), "permutations": _is_int(99, 99_999),
        "seed": _is_int(0), "alpha": _is_float(0.0, 0.5), "train_months": _is_int(1, 24),
        "from": _month, "to": _month, "crime_types": _list_of_str(),
        "measure": _one_of(PATROL_MEASURES), "gi_inference": _one_of(("normal", "permutation")),
    },
}


def _problems(data: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        if key in SCHEMA and key != "":
            if not isinstance(value, dict):
                out.append(f"[{key}] must be a table (a '[{key}]' section)")
                continue
            for sub, v in value.items():
                check = SCHEMA[key].get(sub)
                if check is None:
                    out.append(f"unknown key '{key}.{sub}' (known: {sorted(SCHEMA[key])})")
                elif (err := check(v)) is not None:
                    out.append(f"'{key}.{sub}' {err}, got {v!r}")
        elif key in SCHEMA[""]:
            if (err := SCHEMA[""][key](value)) is not None:
                out.append(f"'{key}' {err}, got {value!r}")
        else:
            known = sorted([*SCHEMA[""], *(f"[{s}]" for s in SCHEMA if s)])
            out.append(f"unknown key '{key}' (known: {known})")
    return out


def _cross_problems(data: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    d = data.get("data", {}) if isinstance(data.get("data"), dict) else {}
    files = [k for k in _FILE_KEYS if k in d]
    if "pack" in d and files:
        out.append(f"'data.pack' and file keys {files} are both given: use a pack folder or "
                   "files, not both")
    if files and "areas" not in d:
        out.append("file inputs need 'data.areas' (the boundary file)")
    if "referrals" in d and "mapping" not in d:
        out.append("'data.referrals' needs 'data.mapping' (the column mapping JSON)")
    p = data.get("period", {}) if isinstance(data.get("period"), dict) else {}
    if isinstance(p.get("from"), str) and isinstance(p.get("to"), str) and p["from"] > p["to"]:
        out.append(f"'period.from' ({p['from']}) is after 'period.to' ({p['to']})")
    s = data.get("statistics", {}) if isinstance(data.get("statistics"), dict) else {}
    if s.get("weights") == "distance" and "threshold" not in s:
        out.append("'statistics.weights' = 'distance' needs 'statistics.threshold' (metres)")
    m = data.get("map", {}) if isinstance(data.get("map"), dict) else {}
    if m.get("scheme") == "user_defined" and "bins" not in m:
        out.append("'map.scheme' = 'user_defined' needs 'map.bins' (class upper bounds)")
    t = data.get("patrol", {}) if isinstance(data.get("patrol"), dict) else {}
    if "area_share" in t and "top_n" in t:
        out.append("'patrol.area_share' and 'patrol.top_n' are both given: choose a share of "
                   "the area or a number of cells, not both")
    if isinstance(t.get("from"), str) and isinstance(t.get("to"), str) and t["from"] > t["to"]:
        out.append(f"'patrol.from' ({t['from']}) is after 'patrol.to' ({t['to']})")
    return out


def _patrol_settings(t: Mapping[str, Any]) -> PatrolSettings:
    """Build the patrol settings from a validated ``[patrol]`` table."""
    keys = {"cell_size": "cell_size", "shape": "shape", "permutations": "permutations",
            "seed": "seed", "alpha": "alpha", "train_months": "train_months",
            "from": "month_from", "to": "month_to", "measure": "measure",
            "gi_inference": "gi_inference"}
    kw: dict[str, Any] = {new: t[old] for old, new in keys.items() if old in t}
    if "top_n" in t:
        kw.update(top_n=t["top_n"], area_share=None)
    elif "area_share" in t:
        kw["area_share"] = float(t["area_share"])
    if t.get("method", "best") != "best":
        kw["method"] = t["method"]
    if "crime_types" in t:
        kw["crime_types"] = tuple(t["crime_types"])
    return PatrolSettings(enabled=t.get("enabled"), params=PatrolParams(**kw),
                          boroughs=tuple(t.get("boroughs", ())))


def _path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def config_from_mapping(data: Mapping[str, Any], *, base: Path | None = None,
                        source: Path | None = None) -> ReportConfig:
    """Validate a parsed TOML mapping and return the config.

    Parameters
    ----------
    data
        Parsed TOML (see ``report.example.toml`` for every key).
    base
        Folder that relative paths are resolved against (default: the
        current folder).
    source
        The file the mapping came from (named in errors).

    Returns
    -------
    ReportConfig

    Raises
    ------
    ReportConfigError
        Naming the file and every bad or unknown key at once.
    """
    where = str(source) if source is not None else "report config"
    problems = _problems(data)
    problems += _cross_problems(data) if not problems else []
    if problems:
        raise ReportConfigError(
            f"{where}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)
            + "\nSee report.example.toml for every key, its type and its default.")
    try:
        patrol = _patrol_settings(data.get("patrol", {}))
    except ValueError as e:
        raise ReportConfigError(f"{where}: [patrol]: {e} See report.example.toml.") from None
    base = Path(base) if base is not None else Path.cwd()
    d, p, m = data.get("data", {}), data.get("period", {}), data.get("map", {})
    s, disc = data.get("statistics", {}), data.get("disclosure", {})
    stats = StatsParams(**s)  # the page's and the command line's defaults where not given
    files = tuple((k, str(_path(base, d[k])) if k != "layer" else d[k])
                  for k in _FILE_KEYS if k in d)
    return ReportConfig(
        title=data.get("title", ReportConfig.title),
        author=data.get("author", ""),
        organisation=data.get("organisation", ""),
        marking=(data.get("marking") or "OFFICIAL").strip().upper(),
        pack=_path(base, d["pack"]) if "pack" in d else None,
        files=files,
        measures=tuple(data.get("measures", ReportConfig.measures)),
        month_from=p.get("from"),
        month_to=p.get("to"),
        latest_months=p.get("latest_months", DEFAULT_LATEST_MONTHS),
        comparison=p.get("comparison", "same_period_last_year"),
        rate=data.get("rate", "count"),
        map_classes=MapClasses(scheme=m.get("scheme", "quantiles"), k=m.get("classes", 5),
                               bins=tuple(m["bins"]) if "bins" in m else None,
                               palette=m.get("palette", "YlOrRd"),
                               from_zero=m.get("first_class_from_zero", True)),
        boroughs=tuple(data.get("boroughs", ())),
        statistics=stats,
        suppress_below=disc.get("threshold", DEFAULT_THRESHOLD),
        top_wards=data.get("top_wards", 15),
        caveats=tuple(data.get("caveats", ())),
        output=_path(base, data.get("output", "board-pack")),
        formats=tuple(data.get("formats", FORMATS)),
        source=source,
        patrol=patrol,
    )


def load_config(path: Path | str) -> ReportConfig:
    """Read and validate a board-pack TOML file.

    Parameters
    ----------
    path
        The TOML file. Relative paths inside it are resolved against its folder.

    Returns
    -------
    ReportConfig

    Raises
    ------
    ReportConfigError
        When the file is missing, is not valid TOML, or has unknown keys,
        wrong types or values outside the allowed set (all named at once).
    """
    path = Path(path)
    if not path.is_file():
        raise ReportConfigError(f"{path}: config file not found. Copy report.example.toml "
                                "and edit it.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ReportConfigError(f"{path}: not valid TOML ({e}). Check quotes and brackets "
                                "against report.example.toml.") from None
    except UnicodeDecodeError:
        raise ReportConfigError(f"{path}: not UTF-8 text; save it as UTF-8.") from None
    return config_from_mapping(data, base=path.resolve().parent, source=path)
