"""The page's board-pack export: one button to the PDF, and a zip of everything.

Call it with one line from the page::

    report.render_export(pack, opts.selection, stats_params, marking=marking)

It builds with :func:`hotspots.report.build_report` (the same function as
``python -m hotspots report``) into a temporary folder, then offers the PDF and
a zip of the PDF, PNG maps, CSV/XLSX tables and manifest for download. Nothing
is sent anywhere; the files exist only in this session's memory once the
temporary folder is gone.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from hotspots import pipeline, report
from hotspots._errors import InputDataError
from hotspots.pipeline import analysis as analysis

__all__ = ["BuiltPack", "build_pack_bytes", "render_export"]

BUTTON = "Build board pack (PDF)"


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
        out = report.build_report(cfg.with_output(Path(tmp)), pack=pack,
                                  command="page: " + BUTTON)
        pdf = out.pdf.read_bytes() if out.pdf is not None else b""
        stem = report.safe_name(cfg.title)
        return BuiltPack(
            pdf_name=out.pdf.name if out.pdf is not None else f"{stem}.pdf", pdf=pdf,
            zip_name=f"{stem}.zip", zip=_zip(out.folder, out.files),
            n_pages_hint=f"{len(out.files)} files",
            findings=tuple(f.text for f in out.findings))


def render_export(pack: pipeline.Pack, selection: pipeline.Selection,
                  stats_params: analysis.StatsParams, *, marking: str = "OFFICIAL",
                  title: str = "Community safety board pack", key: str = "hs_report",
                  from_zero: bool = True) -> None:
    """Draw the board-pack export: marking, threshold, build button and downloads.

    Parameters
    ----------
    pack
        The pack the page shows.
    selection
        The page's selection (measure, period, boroughs); its threshold is the
        default of the threshold input.
    stats_params
        The page's submitted statistics settings.
    marking
        Default protective marking (the page's).
    title
        Default pack title.
    key
        Prefix of every widget key.
    from_zero
        The page's "first class from 0" choice, used for the pack's count map.
    """
    st.subheader("Board pack")
    st.caption("A4 landscape PDF with the maps, tables, key findings and method card for the "
               "measure and period above, plus 300 dpi PNG maps, CSV/XLSX tables and a run "
               "manifest. Built on this computer; nothing is sent anywhere.")
    c1, c2, c3 = st.columns([3, 3, 2])
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
    state = f"{key}_built"
    if st.button(BUTTON, key=f"{key}_build", type="primary"):
        cfg = report.ReportConfig(
            title=title_in.strip() or title, marking=(marking_in.strip() or "OFFICIAL").upper(),
            pack=pack.folder, measures=(selection.measure,), month_from=selection.month_from,
            month_to=selection.month_to, boroughs=tuple(selection.boroughs),
            statistics=stats_params, suppress_below=int(threshold), from_zero=from_zero)
        try:
            with st.spinner("Building the board pack..."):
                st.session_state[state] = build_pack_bytes(pack, cfg)
        except (InputDataError, ValueError) as e:
            st.session_state.pop(state, None)
            st.error(f"The board pack cannot be built for this selection: {e}")
    built: BuiltPack | None = st.session_state.get(state)
    if built is None:
        return
    st.success(f"Board pack ready ({built.n_pages_hint}).")
    d1, d2 = st.columns(2)
    d1.download_button("Download the PDF", data=built.pdf, file_name=built.pdf_name,
                       mime="application/pdf", key=f"{key}_pdf")
    d2.download_button("Download everything (zip)", data=built.zip, file_name=built.zip_name,
                       mime="application/zip", key=f"{key}_zip")
    with st.expander("Key findings in the pack"):
        st.markdown("\n".join(f"- {_md(t)}" for t in built.findings))


def _md(text: str) -> str:
    """Escape Markdown marks (findings contain names from the data)."""
    out = text
    for ch in "\\`*_{}[]<>()#+-.!|~$":
        out = out.replace(ch, "\\" + ch)
    return out
