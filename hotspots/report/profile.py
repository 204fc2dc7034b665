"""Board-pack pages for a pack with no crime and no referrals: deprivation and population.

A pack built for a place without police.uk files (``pack build --area Manchester``)
still has each ward's population and its nation's deprivation index. Its board
pack (:func:`hotspots.report.build_report`) is then an area profile:

* a deprivation page: the index's average score by ward beside every ward
  ranked by score (rank and decile among the nation's wards, population);
* a population page: usual residents by ward beside one row per local
  authority (wards, residents, the population-weighted score and the share of
  residents in the nation's 10% / 20% most deprived LSOAs);
* findings read from those tables' rows, and a method card of the index, the
  population base and the reconciliation of the sources the pages use.

There are no crime pages: :data:`NO_CRIME_LINE` says so on the title page, the
findings page and the method card, and no crime figure is ever printed as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspots import pipeline
from hotspots.maps import printmaps as staticmaps
from hotspots.pipeline import wording
from hotspots.report.config import ReportConfig
from hotspots.report.figures import MAP_PANEL_IN, _index_subtitle
from hotspots.report.findings import Finding
from hotspots.report.pdf import MapTablePage
from hotspots.report.tables import Table

__all__ = ["NO_CRIME_LINE", "PROFILE_CAVEAT", "AreaProfile", "area_profile", "profile_method_rows"]

#: Printed wherever a crime page would be.
NO_CRIME_LINE = ("No crime data: this pack was built without police.uk files, so the board "
                 "pack shows deprivation and population only. There are no crime maps, "
                 "tables or counts (never zeros); build the pack with --police-uk FILES for "
                 "them.")

#: The profile's caveat (with the config's own).
PROFILE_CAVEAT = ("A deprivation score describes an area, not every person in it: many "
                  "deprived people live outside the most deprived areas and the reverse.")


@dataclass(frozen=True)
class AreaProfile:
    """The pages, tables and findings of a pack without measures.

    Attributes
    ----------
    pages
        The deprivation page (when the pack has an index) and the population page.
    tables
        ``deprivation_wards`` and ``population_authorities`` (:class:`Table`), as
        printed and exported.
    findings
        Sentences read from the tables' rows.
    """

    pages: tuple[MapTablePage, ...]
    tables: dict[str, Table]
    findings: tuple[Finding, ...]


def _table(name: str, title: str, frame: pd.DataFrame, key: str,
           notes: tuple[str, ...] = ()) -> Table:
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    return Table(name, title, frame, mask, key, notes)


def _ward_frame(pack: pipeline.Pack, cfg: ReportConfig) -> pd.DataFrame:
    """Pack wards (the config's authorities only) with population and the index columns."""
    areas = pack.areas
    if cfg.boroughs:
        areas = areas[areas["borough_name"].isin(cfg.boroughs)]
    imd_cols = [c for c in ("imd_score", "imd_rank", "imd_decile", "imd_share_10pct",
                            "imd_share_20pct") if c in pack.imd]
    t = areas.merge(pack.population[["area_code", "population"]], on="area_code", how="left")
    return t.merge(pack.imd[["area_code", *imd_cols]], on="area_code", how="left")


def _authority_rows(t: pd.DataFrame, authority: str, index: str) -> pd.DataFrame:
    """One row per authority and a total: wards, residents, weighted score and shares."""
    def summary(g: pd.DataFrame) -> dict[str, object]:
        pop = g["population"].astype("float64")
        row: dict[str, object] = {"Wards": len(g), "Residents": int(pop.sum()) if
                                  pop.notna().any() else np.nan}
        if "imd_score" in g:
            ok = pop.notna() & g["imd_score"].notna()
            row[f"{index} score (population-weighted)"] = (
                round(float((g["imd_score"][ok] * pop[ok]).sum() / pop[ok].sum()), 2)
                if pop[ok].sum() > 0 else np.nan)
        for col, label in (("imd_share_10pct", "10%"), ("imd_share_20pct", "20%")):
            if col in g:
                ok = pop.notna() & g[col].notna()
                row[f"% residents in most deprived {label} LSOAs"] = (
                    round(float(100 * (g[col][ok] * pop[ok]).sum() / pop[ok].sum()), 1)
                    if pop[ok].sum() > 0 else np.nan)
        return row

    rows = [{authority: name, **summary(g)} for name, g in t.groupby("borough_name", sort=True)]
    if len(rows) > 1:
        rows.append({authority: "Total", **summary(t)})
    return pd.DataFrame(rows)


def area_profile(pack: pipeline.Pack, cfg: ReportConfig) -> AreaProfile:
    """Build the deprivation and population pages of a pack without measures.

    Parameters
    ----------
    pack
        A pack with no crime and no referrals (``areas``, ``population``, ``imd``).
    cfg
        The board-pack config (its ``boroughs`` narrow the wards; its title,
        marking and formats are used by the caller).

    Returns
    -------
    AreaProfile
    """
    w = wording.words(pack.meta)
    idx, auth = w.index, w.authority
    t = _ward_frame(pack, cfg)
    attribution = staticmaps.ATTRIBUTION_DEFAULT  # the title page has the pack's in full
    pages: list[MapTablePage] = []
    tables: dict[str, Table] = {}
    findings: list[Finding] = []
    has_index = "imd_score" in t and t["imd_score"].notna().sum() >= 3
    if has_index:
        ranked = t.sort_values(["imd_score", "area_name"], ascending=[False, True],
                               na_position="last").reset_index(drop=True)
        frame = pd.DataFrame({
            "Rank here": ranked["imd_score"].rank(ascending=False, method="min"),
            "Ward": ranked["area_name"], auth: ranked["borough_name"],
            "Population": ranked["population"],
            f"{idx} score": ranked["imd_score"].round(2),
            f"Rank in {w.nation} (1 = most deprived)": ranked.get("imd_rank"),
            f"{idx} decile": ranked.get("imd_decile"),
        }).astype({"Rank here": "Int64", "Population": "Int64"})
        for c in (f"Rank in {w.nation} (1 = most deprived)", f"{idx} decile"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("Int64")
        note = (f"{_index_subtitle(pack.meta)}. Rank and decile among {w.nation}'s wards "
                f"({pack.meta.imd_reference or 'the nation'}); 'Rank here' among the "
                f"{len(frame)} wards of this pack.")
        tables["deprivation_wards"] = _table(
            "deprivation_wards", f"Wards by {idx} score", frame, "Ward", (note,))
        fig = staticmaps.class_map(
            t, "imd_score", title=f"Deprivation: {idx} average score by ward",
            legend_title=f"{idx} score (higher = more deprived)", scheme="quantiles", k=5,
            palette="Blues", attribution=attribution, subtitle=_index_subtitle(pack.meta),
            note=wording.index_notice(pack.meta) or None,
            integer=False, borough_labels=True, legend="below", figsize=MAP_PANEL_IN)
        pages.append(MapTablePage(f"Deprivation: {idx} score by ward", fig, frame,
                                  name="deprivation_wards", notes=(note,)))
        top = frame.iloc[0]
        dec = top[f"{idx} decile"]
        findings.append(Finding(
            f"{top['Ward']} ({top[auth]}) has the highest {idx} average score of the "
            f"{len(frame)} wards ({top[f'{idx} score']:.2f}"
            + (f"; decile {int(dec)} of {w.nation}'s wards" if pd.notna(dec) else "") + ").",
            "deprivation_wards", str(top["Ward"]),
            ("Ward", f"{idx} score", f"{idx} decile")))
    by_la = _authority_rows(t, auth, idx)
    pop_note = f"Population: {pack.meta.population_source or 'source not stated'}."
    tables["population_authorities"] = _table(
        "population_authorities", f"Residents and deprivation by {auth.lower()}", by_la, auth,
        (pop_note,))
    fig = staticmaps.class_map(
        t, "population", title="Population: usual residents by ward",
        legend_title="Usual residents", scheme="quantiles", k=5, palette="Purples",
        attribution=attribution, subtitle=pop_note.removeprefix("Population: ").rstrip("."),
        integer=True, borough_labels=True, legend="below", figsize=MAP_PANEL_IN)
    pages.append(MapTablePage(f"Population and deprivation by {auth.lower()}", fig, by_la,
                              name="population_authorities", notes=(pop_note,)))
    total = by_la.iloc[-1]
    share = "% residents in most deprived 10% LSOAs"
    if share in by_la and pd.notna(total[share]) and pd.notna(total["Residents"]):
        findings.append(Finding(
            f"{total['Residents']:,.0f} residents in {total['Wards']} wards; "
            f"{total[share]:.1f}% live in {w.nation}'s 10% most deprived LSOAs ({idx}).",
            "population_authorities", str(total[auth]), ("Residents", "Wards", share)))
    return AreaProfile(tuple(pages), tables, tuple(findings))


def profile_method_rows(pack: pipeline.Pack, dep_text: str) -> list[tuple[str, str]]:
    """Return the method card of an area profile: boundaries, index, population, sources.

    Parameters
    ----------
    pack
        The pack.
    dep_text
        The deprivation index's rules (:func:`hotspots.report.method` words).
    """
    rec = pack.reconciliations
    shown = rec[~rec["source"].astype(str).str.startswith(("Recorded crime", "Referrals"))]
    return [
        ("Crime", NO_CRIME_LINE),
        ("Boundary set", pack.meta.vintage or "not stated"),
        ("Deprivation", dep_text),
        ("Population", pack.meta.population_source or "not stated"),
        ("Map classes", "Quantiles, 5 classes (ColorBrewer Blues for deprivation, Purples for "
                        "population); grey = no data (never zero)."),
        ("Reconciliation", " ".join(
            f"{r['source']}: {int(r['rows_in']):,} rows = {int(r['assigned']):,} assigned + "
            f"{int(r['unlocated']):,} without a location + {int(r['outside']):,} outside + "
            f"{int(r['rejected']):,} rejected." for _, r in shown.iterrows())),
        ("Reproduce", "python -m hotspots report --config <this config>; manifest.json lists "
                      "every input's SHA-256, every parameter and the package versions."),
    ]
