"""The national LSOA view: 35,672 LSOAs of England and Wales, their values and their geometry.

:func:`national_table` reads, from the national files (``../shared/data`` or a
sources TOML), one row per 2021 LSOA: name, local authority, region, police
force area, Census 2021 usual residents, and deprivation **per nation**: IoD
2025 for England (published on 2021 LSOAs), WIMD 2019 for Wales (on 2011 LSOAs:
each 2021 LSOA takes the value of the 2011 LSOA with its code, else the one
sharing most of its area, as ``pack build`` does). The two indices are never
pooled: each row names its index and the page draws one legend per nation.
With a store (``python -m hotspots store add``), police.uk counts per LSOA
(recorded crime and anti-social behaviour apart) for a period are added
(:func:`store_lsoa_counts`).

:func:`geometry_file` writes the LSOA polygons once as the compact binary of
:mod:`hotspots.maps.lsoageom` (coverage-simplified, quantised, delta-encoded),
in the user's cache folder (0700), named by its content hash.

:func:`map_values` makes what the page sends on each change: one class and one
display text per LSOA, with small counts suppressed for a sensitive measure
(neither the count nor a rate derived from it is sent).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from boundaries.places import Place, resolve_area
from hotspots import privacy, store
from hotspots.io.policeuk import ASB_CATEGORY
from hotspots.maps import classify as classify_mod
from hotspots.maps import lsoageom, palettes
from hotspots.pipeline import lsoas, packcache
from hotspots.pipeline.packbuild import NationalData, load_national

__all__ = ["DECILE_COLOURS", "DEPRIVATION", "GEOMETRY_QUANTUM", "GEOMETRY_TOLERANCE", "MapValues",
           "NationalView", "crime_and_asb", "geometry_file", "map_values", "national_table",
           "place_mask", "store_counts", "store_lsoa_counts"]

#: Coverage simplification tolerance (metres) of the national geometry file. Measured on
#: 3,000 LSOAs (Hausdorff distance from the published 20 m BGC boundary): median 10 m,
#: 99th percentile 56 m, largest 290 m; file 5.4 MB. At 100 m the file is 3.4 MB but the
#: median is 91 m and the largest 1.8 km (a narrow spur dropped), too coarse for a town.
GEOMETRY_TOLERANCE = 25.0
#: Grid step (metres) the geometry file's points are rounded to.
GEOMETRY_QUANTUM = 5.0
#: Index per nation (never mixed in one legend): code initial -> index key.
DEPRIVATION = lsoas.DEPRIVATION
_FORMAT = "hotspots-national-geometry-1"
#: Decile colours, decile 1 (most deprived) first: ColorBrewer RdYlBu, 10 classes
#: (colour-blind safe), so the most deprived are red and the least blue.
DECILE_COLOURS = ("#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090", "#e0f3f8",
                  "#abd9e9", "#74add1", "#4575b4", "#313695")
_DECILE_ENDS = {1: " most deprived 10 %", 10: " least deprived 10 %"}


@dataclass(frozen=True)
class NationalView:
    """The national LSOA table and where it came from.

    Attributes
    ----------
    table
        One row per 2021 LSOA, sorted by code (the geometry file's order):
        ``lsoa_code``, ``lsoa_name``, ``nation``, ``lad_code``, ``lad_name``
        (missing for an LSOA the lookup lacks), ``region_code``, ``pfa_code``,
        ``population``, ``dep_index`` (``"iod2025"`` or ``"wimd2019"``),
        ``dep_label`` (its label), ``dep_score``, ``dep_rank``, ``dep_decile``
        (1 = most deprived 10 % of the nation), ``dep_route``; with a store also
        ``crime`` and ``asb`` (counts, period).
    indices
        ``{index key: label with edition}``, e.g. ``"IoD 2025 (England)"``.
    notes
        How values were derived (routes of the Welsh 2011 -> 2021 bridge, the store).
    data
        The national lookups (places, for :func:`place_mask`).
    lsoas
        The same rows as :func:`hotspots.pipeline.lsoas.lsoa_table` names them
        (for :func:`hotspots.pipeline.national.layer_of`: the page's statistics).
    """

    table: pd.DataFrame
    indices: dict[str, str]
    notes: tuple[str, ...]
    data: NationalData
    lsoas: lsoas.LsoaTable


#: :func:`hotspots.pipeline.lsoas.lsoa_table`'s columns as :attr:`NationalView.table` names them.
_RENAME = {"area_code": "lsoa_code", "area_name": "lsoa_name", "borough_code": "lad_code",
           "borough_name": "lad_name", "dep_index": "dep_label", "dep_key": "dep_index"}


def national_table(sources: Path | str | None = None, *, data_root: Path | None = None
                   ) -> NationalView:
    """Return every 2021 LSOA of England and Wales with population and deprivation per nation.

    The rows are :func:`hotspots.pipeline.lsoas.lsoa_table`'s (the reader of
    ``store analyse`` too), renamed as :attr:`NationalView.table` documents.

    Parameters
    ----------
    sources
        A sources TOML (``None``: the defaults under ``../shared/data``).
    data_root
        Folder of the default paths.

    Returns
    -------
    NationalView

    Raises
    ------
    InputDataError
        A national file is missing or is not the expected one (named).
    """
    data = load_national(sources, data_root=data_root)
    read = lsoas.lsoa_table(data)
    table = read.table.rename(columns=_RENAME)
    return NationalView(table, dict(read.indices), read.notes, data, read)


def store_counts(store_path: Path | str, lsoa: gpd.GeoDataFrame,
                 months: tuple[str, str] | None = None, *,
                 forces: Sequence[str] | None = None,
                 categories: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Return the store's counts per 2021 LSOA, month and category, and the reconciliation line.

    Parameters
    ----------
    store_path
        A store made by ``python -m hotspots store add``.
    lsoa
        ``area_code`` (2021 LSOA) and geometry.
    months
        ``(first, last)`` ``YYYY-MM`` (``None``: every month in the store).
    forces, categories
        Only these forces' rows and crime types (``None``: all); the
        reconciliation is then of these rows only (:func:`hotspots.store.area_counts`).

    Returns
    -------
    counts : pandas.DataFrame
        ``area_code, month, category, count`` (:attr:`hotspots.store.StoreCounts.counts`).
    reconciliation : str
        ``rows in = assigned + without a location + outside every area + rejected``.
    """
    con = store.connect(store_path, read_only=True)
    try:
        got = store.area_counts(con, lsoa, months=months, forces=forces,
                                categories=categories)
    finally:
        con.close()
    r = got.reconciliation
    line = (f"{r.rows_in:,} rows in = {r.assigned:,} assigned + {r.unlocated:,} without a "
            f"location + {r.outside:,} outside every area + {r.rejected:,} rejected")
    return got.counts, line


def crime_and_asb(counts: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    """Return recorded crime (every category but ASB) and ASB per LSOA (0 where none).

    Examples
    --------
    >>> c = pd.DataFrame({"area_code": ["a", "a", "b"], "month": ["2024-01"] * 3,
    ...                   "category": ["Burglary", "Anti-social behaviour", "Drugs"],
    ...                   "count": [3, 4, 1]})
    >>> crime_and_asb(c, pd.Series(["a", "b", "c"])).to_numpy().tolist()
    [['a', 3, 4], ['b', 1, 0], ['c', 0, 0]]
    """
    is_asb = counts["category"].astype(str).str.casefold() == ASB_CATEGORY.casefold()
    by = (counts.assign(kind=np.where(is_asb, "asb", "crime"))
          .groupby(["area_code", "kind"], observed=True)["count"].sum().unstack(fill_value=0))
    out = pd.DataFrame({"lsoa_code": codes.astype(str).to_numpy()})
    for k in ("crime", "asb"):
        col = by[k] if k in by.columns else pd.Series(dtype="int64")
        col.index = col.index.astype(str)
        out[k] = out["lsoa_code"].map(col).fillna(0).astype("int64")
    return out


def store_lsoa_counts(store_path: Path | str, lsoa: gpd.GeoDataFrame,
                      months: tuple[str, str] | None = None) -> tuple[pd.DataFrame, str]:
    """Return police.uk counts per 2021 LSOA from a store, and the reconciliation line.

    Parameters
    ----------
    store_path, lsoa, months
        As :func:`store_counts`.

    Returns
    -------
    counts : pandas.DataFrame
        ``lsoa_code``, ``crime`` (every category but anti-social behaviour),
        ``asb``; LSOAs with no row have 0 (:func:`crime_and_asb`).
    reconciliation : str
        ``rows in = assigned + without a location + outside every area + rejected``.
    """
    counts, line = store_counts(store_path, lsoa, months)
    return crime_and_asb(counts, lsoa["area_code"]), line


def place_mask(view: NationalView, query: str | None) -> tuple[np.ndarray, Place | None]:
    """Return which LSOAs a force, region or other place covers (``None``: all).

    Parameters
    ----------
    view
        From :func:`national_table`.
    query
        A place name or code as ``pack build --area`` reads it (``"pfa:Dyfed-Powys"``,
        ``"North West"``, ``"E12000002"``); ``None`` or empty: England and Wales.

    Returns
    -------
    mask : numpy.ndarray of bool
        One per row of ``view.table``.
    place : Place or None

    Raises
    ------
    InputDataError
        No place or several places have that name (the closest are named).
    """
    if not query:
        return np.ones(len(view.table), dtype=bool), None
    place = resolve_area(query, view.data.catalogue)
    return view.table["lad_code"].isin(set(place.lads)).to_numpy(), place


# ----------------------------------------------------------------------------- geometry


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.lstat()
    if path.is_symlink() or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private folder of this user (mode 0700)")
    return path


def geometry_folder() -> Path:
    """Return the private cache folder (0700) holding national geometry files."""
    return _private_dir(packcache.cache_dir().parent / "national")


def geometry_file(path: Path | str, folder: Path | None = None, *,
                  tolerance: float = GEOMETRY_TOLERANCE, quantum: float = GEOMETRY_QUANTUM
                  ) -> Path:
    """Write (once) the national LSOA geometry file and return its path.

    Parameters
    ----------
    path
        The LSOA 2021 boundaries (``LSOA21CD``, ``LSOA21NM``, any CRS).
    folder
        Where to keep it (default :func:`geometry_folder`, made 0700).
    tolerance, quantum
        :func:`hotspots.maps.lsoageom.simplify_coverage` tolerance and grid step (metres).

    Returns
    -------
    pathlib.Path
        ``lsoa-<16 hex digits of the content's SHA-256>.bin``, features in
        ``LSOA21CD`` order. A pointer file named by the inputs (the layer's
        path, size and time, the parameters) finds it again without re-encoding.
    """
    src = Path(path)
    folder = _private_dir(folder) if folder is not None else geometry_folder()
    st = src.stat()
    key = hashlib.sha256(f"{_FORMAT}|{src.resolve()}|{st.st_size}|{st.st_mtime_ns}|"
                         f"{tolerance}|{quantum}".encode()).hexdigest()[:16]
    pointer = folder / f"input-{key}.txt"
    if pointer.is_file():
        found = folder / pointer.read_text(encoding="utf-8").strip()
        if found.is_file() and found.name.startswith("lsoa-"):
            return found
    raw = pyogrio.read_dataframe(src, columns=["LSOA21CD", "LSOA21NM"]).to_crs(27700)
    raw = raw.sort_values("LSOA21CD").drop_duplicates("LSOA21CD").reset_index(drop=True)
    geoms = lsoageom.simplify_coverage(raw.geometry.to_numpy(), tolerance)
    data = lsoageom.encode_polygons(raw["LSOA21CD"].astype(str).tolist(),
                                    raw["LSOA21NM"].astype(str).tolist(), geoms,
                                    quantum=quantum, tolerance=tolerance)
    out = folder / f"lsoa-{hashlib.sha256(data).hexdigest()[:16]}.bin"
    if not out.is_file():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".lsoa-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    pointer.write_text(out.name, encoding="utf-8")
    return out


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class MapValues:
    """What the page sends for one choice: a class and a text per LSOA, and the legend.

    Attributes
    ----------
    classes
        One byte per LSOA in the geometry file's order: 0..k-1 value classes,
        :data:`CLASS_ZERO`, :data:`CLASS_SUPPRESSED`, :data:`CLASS_NO_DATA`,
        :data:`CLASS_HIDDEN` (outside the place shown).
    texts
        The tooltip value per LSOA ("12", "<5", "no data", "" when hidden).
    colours
        Colour of each class code (``{code: "#rrggbb"}``).
    legends
        ``[(title, [(code, label), ...]), ...]``: one legend, or one per nation.
    names
        A statistic's class names (``{code: "Hot 95%"}``): the tooltip shows the
        name, then the text (``None``: the text alone).
    """

    classes: np.ndarray
    texts: list[str]
    colours: dict[int, str]
    legends: list[tuple[str, list[tuple[int, str]]]]
    names: dict[int, str] | None = None

    CLASS_ZERO = 250
    CLASS_SUPPRESSED = 251
    CLASS_NO_DATA = 252
    CLASS_HIDDEN = 255


def _class_codes(c: classify_mod.Classification) -> np.ndarray:
    idx = c.class_index.to_numpy()
    out = np.full(len(idx), MapValues.CLASS_NO_DATA, dtype=np.uint8)
    value = idx >= 0
    out[value] = idx[value]
    out[idx == classify_mod.ZERO_INDEX] = MapValues.CLASS_ZERO
    out[idx == classify_mod.MASKED_INDEX] = MapValues.CLASS_SUPPRESSED
    return out


def _decile_legend(deciles: pd.Series, rows: np.ndarray, classes: np.ndarray, texts: list[str]
                   ) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """Fill ``classes``/``texts`` at ``rows`` from deciles; return the legend and colours."""
    d = pd.to_numeric(deciles, errors="coerce").to_numpy()
    ok = np.isfinite(d) & (d >= 1) & (d <= 10)
    code = np.where(ok, np.nan_to_num(d) - 1, MapValues.CLASS_NO_DATA).astype(np.uint8)
    classes[rows] = code
    for i, v, good in zip(rows, d, ok, strict=True):
        texts[i] = str(int(v)) if good else "no data"  # the label says what it is
    items = [(j, f"{j + 1}{_DECILE_ENDS.get(j + 1, '')} ({int((code == j).sum()):,})")
             for j in range(10)]
    if (~ok).any():
        items.append((MapValues.CLASS_NO_DATA, f"No data ({int((~ok).sum()):,})"))
    return items, dict(enumerate(DECILE_COLOURS)) | {
        MapValues.CLASS_NO_DATA: classify_mod.NO_DATA_COLOUR}


def _legend(c: classify_mod.Classification, palette_name: str) -> tuple[
        list[tuple[int, str]], dict[int, str]]:
    colours = dict(enumerate(palettes.map_palette(palette_name, c.k))) if c.k else {}
    items: list[tuple[int, str]] = []
    if c.zero_label:
        items.append((MapValues.CLASS_ZERO, c.zero_label))
    if c.masked_label:
        items.append((MapValues.CLASS_SUPPRESSED, c.masked_label))
    items.extend(enumerate(c.class_labels))
    if c.no_data_label:
        items.append((MapValues.CLASS_NO_DATA, c.no_data_label))
    colours |= {MapValues.CLASS_ZERO: classify_mod.ZERO_COLOUR,
                MapValues.CLASS_SUPPRESSED: classify_mod.MASKED_COLOUR,
                MapValues.CLASS_NO_DATA: classify_mod.NO_DATA_COLOUR}
    return items, colours


def map_values(table: pd.DataFrame, mask: np.ndarray, *, measure: str, rate: bool = False,
               sensitive: bool = False, threshold: int = privacy.DEFAULT_THRESHOLD,
               scheme: str = "quantiles", k: int = 5, palette: str = "YlOrRd",
               index_labels: dict[str, str] | None = None) -> MapValues:
    """Class one measure for the LSOAs in ``mask`` (the rest are hidden).

    Parameters
    ----------
    table
        :attr:`NationalView.table` (with the ``measure`` column).
    mask
        LSOAs shown (:func:`place_mask`).
    measure
        ``"crime"``, ``"asb"``, ``"population"`` or ``"deprivation"``.
    rate
        Per 1,000 usual residents (counts only).
    sensitive
        Suppress counts from 1 to ``threshold - 1``: the count and its rate are
        replaced by ``"<threshold"`` / ``"suppressed"`` and drawn in the
        suppressed grey (:func:`hotspots.privacy.suppressed_mask`), as on the ward maps.
    threshold, scheme, k, palette
        As on the ward maps.
    index_labels
        Deprivation: ``{index key: label}`` (one legend per nation).

    Returns
    -------
    MapValues

    Examples
    --------
    >>> t = pd.DataFrame({"crime": [0, 3, 12, 40], "population": [1000.0] * 4})
    >>> v = map_values(t, np.ones(4, bool), measure="crime", sensitive=True, k=2)
    >>> v.texts
    ['0', '<5', '12', '40']
    >>> [int(x) for x in v.classes]
    [250, 251, 0, 1]
    """
    n = len(table)
    classes = np.full(n, MapValues.CLASS_HIDDEN, dtype=np.uint8)
    texts = [""] * n
    shown = np.flatnonzero(mask)
    sub = table.iloc[shown]
    legends: list[tuple[str, list[tuple[int, str]]]] = []
    colours: dict[int, str] = {}
    if measure == "deprivation":
        for key, label in (index_labels or {}).items():
            pos = np.flatnonzero((sub["dep_index"] == key).to_numpy())
            if not len(pos):
                continue
            items, colours = _decile_legend(sub["dep_decile"].iloc[pos], shown[pos],
                                            classes, texts)
            legends.append((f"{label} decile", items))
        return MapValues(classes, texts, colours, legends)
    counts = pd.to_numeric(sub[measure], errors="coerce").reset_index(drop=True)
    hidden = (privacy.suppressed_mask(counts, threshold=threshold) if sensitive
              else pd.Series(False, index=counts.index))
    if rate and measure != "population":
        pop = pd.to_numeric(sub["population"], errors="coerce").reset_index(drop=True)
        values = (counts / pop * 1000).where(pop > 0)
        shown_text = privacy.display_values(values, hidden, threshold=threshold)
    else:
        values = counts
        shown_text = privacy.display_counts(counts, threshold=threshold, sensitive=sensitive)
    # only classes and texts are sent: a suppressed count is its grey class and "<t"
    c = classify_mod.classify(values, scheme=scheme, k=k, integer=not rate,
                              masked=hidden if sensitive else None,
                              masked_label=f"Fewer than {threshold} (suppressed)",
                              zero_class=True)
    items, colours = _legend(c, palette)
    classes[shown] = _class_codes(c)
    for i, t in zip(shown, shown_text, strict=True):
        texts[i] = t
    legends.append(("", items))
    return MapValues(classes, texts, colours, legends)
