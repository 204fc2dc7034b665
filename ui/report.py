"""The page's board-pack export: one button to the PDF, and a zip of everything.

Call it with one line from the page::

    report.render_export(pack, opts, stats_params, marking=marking)

Everything the analyst chose on the page reaches the pack
(:func:`page_config`): measure, period, count or rate (smoothed or not),
boroughs, the measure map's classes and palette, the statistics settings and
the suppression threshold. It builds with :func:`hotspots.report.build_report`
(the same function as ``python -m hotspots report``) into a temporary folder,
then offers the PDF and a zip of the PDF, PNG maps, CSV/XLSX tables, the config
that rebuilds it and the manifest for download. Nothing is sent anywhere; the
files exist only in this session's memory once the temporary folder is gone.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from hotspots import pipeline, report
from hotspots._errors import InputDataError, hide_folder
from hotspots.maps.palettes import PALETTES
from hotspots.pipeline import analysis as analysis
from hotspots.pipeline import wording
from hotspots.report.config import COMPARISONS
from ui import errors, exports
from ui.sidebar import PageOptions

__all__ = ["BUTTON", "CONFIG_KEY", "BuiltPack", "build_pack_bytes", "default_comparison",
           "page_config", "render_export"]

BUTTON = "Build board pack (PDF)"
#: Session key of the config the button builds (the page's choices, kept each run), for
#: the default widget-key prefix ``"hs_report"``.
CONFIG_KEY = "hs_report_config"
#: The Trends tab's comparison (its radio's key) -> the board pack's.
_TRENDS_COMPARISON = {"change": "previous_period", "ytd": "same_period_last_year"}


def default_comparison(opts: PageOptions, trends_choice: str | None = None) -> str:
    """Return the board-pack comparison of what the page shows.

    Year to date is compared with the same months a year before; otherwise the
    Trends tab's choice, by default the previous period of the same length.
    """
    if opts.previous is not None:
        return "same_period_last_year"
    return _TRENDS_COMPARISON.get(str(trends_choice), "previous_period")


def page_config(pack: pipeline.Pack, opts: PageOptions, stats_params: analysis.StatsParams, *,
                title: str = "Community safety board pack", marking: str = "OFFICIAL",
                threshold: int | None = None,
                comparison: str = "previous_period") -> report.ReportConfig:
    """Return the board-pack config of the page's selection: every choice on the page.

    Parameters
    ----------
    pack
        The pack the page shows.
    opts
        The sidebar's choices: measure, period, rate (count, per 1,000, smoothed),
        boroughs, suppression threshold, classes and palette of the measure map.
    stats_params
        The page's submitted statistics settings.
    title, marking
        Printed on every page.
    threshold
        Suppression threshold of the pack (default, and at least, the page's).
    comparison
        A key of :data:`hotspots.report.config.COMPARISONS`.

    Returns
    -------
    hotspots.report.ReportConfig
        The print palette is the page's when it prints (ColorBrewer), else
        YlOrRd (viridis is a screen palette here).
    """
    s = opts.selection
    return report.ReportConfig(
        title=title, marking=marking, pack=pack.folder, measures=(s.measure,),
        month_from=s.month_from, month_to=s.month_to, rate=s.rate,
        map_classes=report.MapClasses(
            scheme=opts.scheme, k=opts.k, bins=opts.bins if opts.scheme == "user_defined"
            else None, palette=opts.palette if opts.palette in PALETTES else "YlOrRd",
            from_zero=opts.from_zero),
        boroughs=tuple(s.boroughs), statistics=stats_params,
        suppress_below=max(int(threshold or 0), int(s.suppress_below)),
        comparison=comparison)  # type: ignore[arg-type]


@dataclass(frozen=True)
class BuiltPack:
    """A built pack held for download (small: PDF and zip bytes)."""

    pdf_name: str
    pdf: bytes
    zip_name: str
    zip: bytes
    n_pages_hint: str
    findings: tuple[str, ...]


def _zip(folder: Path, files: tuple[Path, ...]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p in sorted(files, key=lambda f: f.name):
            info = zipfile.ZipInfo(p.name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, p.read_bytes())
    return buf.getvalue()


def build_pack_bytes(pack: pipeline.Pack, cfg: report.ReportConfig) -> BuiltPack:
    """Build a pack in a temporary folder and return its PDF and a zip of every file.

    Parameters
    ----------
    pack
        The pack the page shows.
    cfg
        The board-pack config (its ``output`` is replaced by a temporary folder).

    Returns
    -------
    BuiltPack
    """
    with tempfile.TemporaryDirectory(prefix="board-pack-") as tmp:
        try:
            out = report.build_report(cfg.with_output(Path(tmp)), pack=pack,
                                      command="page: " + BUTTON)
        except InputDataError as e:  # the message, without the server's temporary folder
            raise InputDataError(hide_folder(str(e), tmp)) from None
        except ValueError as e:
            raise ValueError(hide_folder(str(e), tmp)) from None
        pdf = out.pdf.read_bytes() if out.pdf is not None else b""
        stem = report.safe_name(cfg.title)
        return BuiltPack(
            pdf_name=out.pdf.name if out.pdf is not None else f"{stem}.pdf", pdf=pdf,
            zip_name=f"{stem}.zip", zip=_zip(out.folder, out.files),
            n_pages_hint=f"{len(out.files)} files",
            findings=tuple(f.text for f in out.findings))


def render_export(pack: pipeline.Pack, opts: PageOptions,
                  stats_params: analysis.StatsParams, *, marking: str = "OFFICIAL",
                  title: str = "Community safety board pack", key: str = "hs_report") -> None:
    """Draw the board-pack export: marking, threshold, comparison, build button and downloads.

    Parameters
    ----------
    pack
        The pack the page shows.
    opts
        The page's choices (:class:`ui.sidebar.PageOptions`): all of them reach
        the pack (:func:`page_config`); the selection's threshold is the
        default (and the floor) of the threshold input.
    stats_params
        The page's submitted statistics settings.
    marking
        Default protective marking (the page's).
    title
        Default pack title.
    key
        Prefix of every widget key.
    """
    selection = opts.selection
    st.subheader("Board pack")
    st.caption("A4 landscape PDF with the maps, tables, key findings and method card for the "
               "selection above (measure, period, "
               f"{pipeline.RATE_WORDS[selection.rate]}, "
               f"{wording.authority_word(pack.meta, plural=True)}, map classes and statistics "
               "settings), plus 300 dpi PNG maps, CSV/XLSX tables, the config that rebuilds it "
               "and a run manifest. Built on this computer; nothing is sent anywhere.")
    c1, c2, c3, c4 = st.columns([3, 3, 2, 3])
    title_in = c1.text_input("Title", value=title, key=f"{key}_title", max_chars=120)
    marking_in = c2.text_input("Protective marking", value=marking, key=f"{key}_marking",
                               max_chars=60, help="Printed at the top and bottom of every page.")
    page_threshold = int(selection.suppress_below)
    threshold = c3.number_input("Suppress counts below", min_value=page_threshold,
                                max_value=max(100, page_threshold),
                                value=page_threshold, step=1,
                                key=f"{key}_threshold:{page_threshold}",
                                help="Referral counts from 1 to this minus 1 are hidden. "
                                     "Starts at the page's threshold (sidebar, Privacy) "
                                     "and cannot go below it: a pack is never less "
                                     "protective than the page.")
    threshold = max(int(threshold), page_threshold)
    keys = list(COMPARISONS)
    shown = default_comparison(opts, st.session_state.get("hs_compare"))
    comparison = c4.selectbox("Compare with", keys, index=keys.index(shown),
                              key=f"{key}_comparison:{shown}",
                              format_func=COMPARISONS.__getitem__,
                              help="Starts at the comparison the page shows (the Trends tab, "
                                   "or year to date).")
    cfg = page_config(pack, opts, stats_params, title=title_in.strip() or title,
                      marking=(marking_in.strip() or "OFFICIAL").upper(), threshold=threshold,
                      comparison=str(comparison))
    st.session_state[f"{key}_config"] = cfg  # what the button builds (tests read it)
    _build_and_offer(pack, cfg, key, dataclasses.replace(selection,
                                                         suppress_below=cfg.suppress_below))


def _build_and_offer(pack: pipeline.Pack, cfg: report.ReportConfig, key: str,
                     shown: pipeline.Selection | None) -> None:
    """Draw the build button; once built, the PDF and zip downloads and the findings."""
    state = f"{key}_built"
    if st.button(BUTTON, key=f"{key}_build", type="primary"):
        try:
            with st.spinner("Building the board pack..."):
                st.session_state[state] = build_pack_bytes(pack, cfg)
        except (InputDataError, ValueError) as e:
            st.session_state.pop(state, None)
            st.error(f"The board pack cannot be built for this selection: {e}")
        except Exception as e:  # noqa: BLE001 - never a traceback: a reference to the log
            st.session_state.pop(state, None)
            errors.show_unexpected("Building the board pack", e)
    built: BuiltPack | None = st.session_state.get(state)
    if built is None:
        return
    st.success(f"Board pack ready ({built.n_pages_hint}).")
    d1, d2 = st.columns(2)
    d1.download_button("Download the PDF", data=built.pdf, file_name=built.pdf_name,
                       mime="application/pdf", key=f"{key}_pdf",
                       **exports.download_args("board pack (PDF)", built.pdf_name, pack, shown))
    d2.download_button("Download everything (zip)", data=built.zip, file_name=built.zip_name,
                       mime="application/zip", key=f"{key}_zip",
                       **exports.download_args("board pack (zip: PDF, PNG maps, CSV/XLSX)",
                                               built.zip_name, pack, shown))
    with st.expander("Key findings in the pack"):
        st.markdown("\n".join(f"- {_md(t)}" for t in built.findings))


def render_profile_export(pack: pipeline.Pack, boroughs: tuple[str, ...] = (), *,
                          marking: str = "OFFICIAL",
                          title: str = "Deprivation and population profile",
                          key: str = "hs_report") -> None:
    """Draw the board-pack export of a pack without crime or referrals (an area profile).

    The pack has deprivation and population pages only, and says there is no crime
    data (:mod:`hotspots.report.profile`).

    Parameters
    ----------
    pack
        The pack the page shows.
    boroughs
        Authorities to keep (all when empty).
    marking, title
        Defaults of the marking and title inputs.
    key
        Prefix of every widget key.
    """
    st.subheader("Board pack")
    st.caption("A4 landscape PDF of this pack's deprivation and population by ward and by "
               "local authority, with findings and a method card (no crime pages: the pack "
               "has no crime data), plus 300 dpi PNG maps, CSV/XLSX tables, the config that "
               "rebuilds it and a run manifest. Built on this computer; nothing is sent "
               "anywhere.")
    c1, c2 = st.columns(2)
    title_in = c1.text_input("Title", value=title, key=f"{key}_title", max_chars=120)
    marking_in = c2.text_input("Protective marking", value=marking, key=f"{key}_marking",
                               max_chars=60, help="Printed at the top and bottom of every page.")
    cfg = report.ReportConfig(title=title_in.strip() or title,
                              marking=(marking_in.strip() or "OFFICIAL").upper(),
                              pack=pack.folder, boroughs=tuple(boroughs))
    st.session_state[f"{key}_config"] = cfg
    _build_and_offer(pack, cfg, key, None)


def _md(text: str) -> str:
    """Escape Markdown marks (findings contain names from the data)."""
    out = text
    for ch in "\\`*_{}[]<>()#+-.!|~$":
        out = out.replace(ch, "\\" + ch)
    return out
