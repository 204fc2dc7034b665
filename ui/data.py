"""The Data section: the demo pack, a pack folder from the command line, or your own files.

Uploads are read through :func:`uploaded`, the one place that talks to
``st.file_uploader``. **Test seam:** Streamlit's AppTest cannot upload files,
so when ``st.session_state[TEST_UPLOADS_KEY]`` holds ``{uploader key: [(file
name, bytes), ...]}`` those files stand in for what the uploader would return
(the uploader widget is still drawn). Only server code can set session state,
so a browser cannot use the seam.

Nothing here reads or joins data: :mod:`hotspots.uploads` does, through the
caches of :mod:`ui.cache`. Every problem with an upload is shown with
``st.error`` naming the file, and the page keeps showing the data without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from hotspots import pipeline, privacy
from hotspots._errors import ColumnMappingError, InputDataError
from hotspots.io import (
    CRIME_ID_RULES,
    HEADER_SEARCH_ROWS,
    LAYOUT_NAMES,
    STANDARD_NAMES,
    ColumnMap,
    mappings,
)
from hotspots.pipeline import policeassign
from hotspots.pipeline import uploads as uploads
from ui import auth, cache, exports

#: Session-state key of the test seam: ``{uploader key: [(file name, bytes), ...]}``.
TEST_UPLOADS_KEY = "_hs_test_uploads"
#: Session-state key of the last mapping used (its JSON text), remembered across reruns.
MAPPING_KEY = "_hs_mapping_json"
#: Session-state key of the ward names the user confirmed: ``{file id: {name: area code}}``.
WARD_NAMES_KEY = "_hs_ward_names"
#: Most ward names offered for confirmation at once (most rows first).
MAX_NAMES = 25
LEAVE_UNPLACED = ""
MAPPING_FILE_KEY = "_hs_mapping_file"
#: Environment variable naming a pack folder (the ``--pack`` argument wins).
PACK_ENV = "HOTSPOTS_PACK"
#: Environment variable naming the folder of packs offered in the Data section
#: (default: ``packs/`` in the project folder, where ``pack build --out packs/NAME`` writes).
PACKS_DIR_ENV = "HOTSPOTS_PACKS_DIR"
PACKS_DIR = Path(__file__).resolve().parents[1] / "packs"
NOT_MAPPED = "(not in this file)"

Kind = Literal["demo", "cli", "uploads", "folder"]
UPLOADER_KEYS = {"police_uk": "up_police_uk", "referrals": "up_referrals",
                 "mapping": "up_mapping", "boundary": "up_boundary", "mps": "up_mps"}
CRS_CHOICES: dict[str, str] = {
    "": "Refuse a file without a CRS (say which one it uses below)",
    "EPSG:27700": "British National Grid (EPSG:27700, metres)",
    "EPSG:4326": "Longitude / latitude (EPSG:4326, degrees)",
}
CRIME_MODES: dict[str, str] = {
    "add": "Add beside the pack's crime (own measures)",
    "replace": "Replace the pack's crime",
}
#: Session keys: the police.uk files the page last switched to, and what it said.
SWITCHED_KEY = "_hs_switched_to_upload"
SWITCH_NOTE_KEY = "_hs_switch_note"
#: Session key: the default of the custom period (set for a new police.uk upload).
PERIOD_DEFAULT_KEY = "_hs_period_default"
#: Session key: the period was just written to the slider's state (this run only).
PERIOD_SET_KEY = "_hs_period_set"
#: Months of the period chosen for a new police.uk upload (its latest).
UPLOAD_PERIOD_MONTHS = 12
_REC_NAMES = {"source": "Upload", "rows_in": "Rows read", "assigned": "Placed in an area",
              "unlocated": "No location", "outside": "Outside the study area",
              "rejected": "Rejected", "note": "How"}


@dataclass(frozen=True)
class DataChoice:
    """What the user chose to look at.

    Attributes
    ----------
    kind
        ``"demo"``, ``"cli"`` (the ``--pack`` folder), ``"folder"`` (a pack
        picked from ``packs/``) or ``"uploads"``.
    folder
        The base pack folder (``None`` = demo pack).
    """

    kind: Kind
    folder: str | None


def pack_folder(argv: list[str] | None = None) -> str | None:
    """Return the pack folder from ``--pack PATH`` (after ``--``), else ``HOTSPOTS_PACK``.

    ``streamlit run dashboard.py -- --pack PATH`` hands ``--pack PATH`` to
    the page in ``sys.argv``.

    Parameters
    ----------
    argv
        Arguments to read (default ``sys.argv[1:]``).

    Returns
    -------
    str or None
        ``None`` means the demo pack.
    """
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--pack" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--pack="):
            return arg.split("=", 1)[1] or None
    return os.environ.get(PACK_ENV) or None


def pack_folders(root: Path | str | None = None) -> dict[str, str]:
    """Return the pack folders under ``root`` (folder path -> its title), by name.

    A pack folder is a sub-folder with a ``pack.json``; its title is the
    ``title`` there (the folder name when it has none or cannot be read).

    Parameters
    ----------
    root
        Folder of packs (default ``HOTSPOTS_PACKS_DIR``, else :data:`PACKS_DIR`).

    Returns
    -------
    dict
        Empty when the folder does not exist.
    """
    base = Path(root if root is not None else os.environ.get(PACKS_DIR_ENV) or PACKS_DIR)
    if not base.is_dir():
        return {}
    out: dict[str, str] = {}
    for sub in sorted(base.iterdir(), key=lambda f: f.name.lower()):
        meta = sub / "pack.json"
        if not meta.is_file():
            continue
        try:
            title = json.loads(meta.read_text(encoding="utf-8")).get("title")
        except (OSError, ValueError, AttributeError):
            title = None
        out[str(sub)] = f"{sub.name}: {title}" if title else sub.name
    return out


def choose_source(cli_folder: str | None) -> DataChoice:
    """Draw the sidebar's Data choice and return it.

    The options: the ``--pack`` folder (first, the default, when given), the
    demo pack, every pack folder under ``packs/`` (:func:`pack_folders`), and
    your own files added to the ``--pack`` folder or the demo.
    """
    st.sidebar.header("Data")
    found = {f: t for f, t in pack_folders().items()
             if cli_folder is None or Path(f).resolve() != Path(cli_folder).resolve()}
    base = "the pack folder" if cli_folder else "the demo pack"
    labels = {**({"cli": f"Pack folder: {cli_folder}"} if cli_folder else {}),
              "demo": "Demo pack (London wards)",
              **{f"folder:{f}": f"Pack: {t}" for f, t in found.items()},
              "uploads": f"Your own files, added to {base}"}
    option = str(st.sidebar.radio(
        "Data to show", list(labels), format_func=labels.__getitem__, key="data_source",
        help="The demo pack's referrals are invented (synthetic): every view of them says so. "
             "Packs are the folders under packs/ (python -m hotspots pack build --area NAME "
             "--out packs/NAME). Your files are read on this computer and never leave it."))
    if option.startswith("folder:"):
        return DataChoice(kind="folder", folder=option.removeprefix("folder:"))
    kind: Kind = option  # type: ignore[assignment]
    return DataChoice(kind=kind, folder=cli_folder if kind in ("cli", "uploads") else None)


def base_pack(choice: DataChoice) -> tuple[str | None, pipeline.Pack]:
    """Return the base pack; a pack folder that cannot be opened falls back to the demo."""
    try:
        return choice.folder, cache.load_pack(choice.folder)
    except InputDataError as exc:
        if choice.folder is None:
            st.error(f"The data pack could not be opened.\n\n{exc}")
            st.stop()
        st.error(f"The data pack {choice.folder} could not be opened.\n\n{exc}\n\n"
                 "Showing the demo pack instead. Check the --pack folder and start again.")
    try:
        return None, cache.load_pack(None)
    except InputDataError as exc:
        st.error(f"The demo pack could not be opened either.\n\n{exc}")
        st.stop()
        raise  # pragma: no cover - st.stop() raises


# --------------------------------------------------------------------------- uploads


def uploaded(label: str, *, key: str, types: list[str], multiple: bool,
             help: str | None = None) -> list[uploads.Upload]:
    """Draw a file uploader and return its files as ``(name, bytes)``.

    The test seam (:data:`TEST_UPLOADS_KEY`) stands in for the uploader
    when it holds an entry for ``key``.
    """
    files: Any = st.file_uploader(label, type=types, accept_multiple_files=multiple, key=key,
                                  help=help)
    fake = st.session_state.get(TEST_UPLOADS_KEY, {}).get(key)
    if fake is not None:
        return [(str(name), bytes(data)) for name, data in fake]
    if not files:
        return []
    return [(f.name, f.getvalue()) for f in (files if isinstance(files, list) else [files])]


def upload_section() -> tuple[uploads.UploadSet, DeltaGenerator]:
    """Draw the uploaders and the column-mapping step; return the uploads and the section.

    Returns
    -------
    tuple
        The session's :class:`~hotspots.uploads.UploadSet` (a referral file
        only once its headers were read and its mapping is complete) and the
        expander to draw the outcome in.
    """
    section = st.expander("Your own files: read on this computer, never sent anywhere",
                          expanded=True)
    with section:
        st.caption("Files are read in this computer's memory (a boundary file briefly in a "
                   "temporary folder, deleted straight after). Nothing is uploaded to the "
                   "internet. The page always keeps working: a file that cannot be used is "
                   "left out and the reason shown.")
        left, right = st.columns(2, gap="medium")
        with left:
            police = uploaded("police.uk street-level crime: monthly CSVs or the archive zip",
                              key=UPLOADER_KEYS["police_uk"], types=["csv", "zip", "gz"],
                              multiple=True, help="From data.police.uk: "
                              "YYYY-MM-<force>-street.csv files, or the whole zip. A file "
                              "given twice is read once; the same crime in two files counts "
                              "once.")
            mode = st.radio("police.uk crime", list(CRIME_MODES), key="crime_mode",
                            format_func=CRIME_MODES.__getitem__, horizontal=True,
                            disabled=not police)
            once = st.checkbox("Count each Crime ID once", key="crime_id_once",
                               disabled=not police,
                               help="Default: " + CRIME_ID_RULES["as_published"] + ". Ticked: "
                               + CRIME_ID_RULES["once"] + ".")
            no_lookup = policeassign.lookup_file_missing()
            assign_by = st.radio(
                "Place police.uk rows by", list(policeassign.ASSIGN_RULES), key="police_assign_by",
                format_func=policeassign.ASSIGN_RULES.__getitem__, horizontal=True,
                disabled=not police or no_lookup is not None,
                help="Snap point: the crime's anonymised map point in the area's polygon (on "
                     "generalised boundaries a point near an edge can land in the next area). "
                     "LSOA code: the row's own LSOA through ONS's best-fit lookup (a whole "
                     "LSOA goes to one ward). Both are always compared below."
                     + (f" Not available: {no_lookup}." if no_lookup else ""))
            mps = uploaded("Metropolitan Police ward-level crime (the MPS ward file)",
                           key=UPLOADER_KEYS["mps"], types=["csv", "gz"], multiple=True,
                           help="'MPS Ward Level Crime (most recent 24 months).csv' from the "
                                "London Datastore. It replaces the pack's recorded crime; wards "
                                "not in the file show 'no data', never 0.")
        with right:
            boundary = uploaded("Boundary file (optional; default: the pack's areas)",
                                key=UPLOADER_KEYS["boundary"],
                                types=["gpkg", "geojson", "json", "zip"], multiple=False,
                                help="GeoPackage, GeoJSON, or a zipped shapefile "
                                     "(.shp, .shx, .dbf and .prj).")
            crs = st.selectbox("If the boundary file has no CRS", list(CRS_CHOICES),
                               format_func=CRS_CHOICES.__getitem__, key="assume_crs",
                               disabled=not boundary)
        referral, mapping = _referral_step()
    return uploads.UploadSet(
        police_uk=tuple(police), referral=referral, mapping=mapping,
        boundary=boundary[0] if boundary else None, assume_crs=crs or None,
        crime_mode=mode,  # type: ignore[arg-type]
        police_boroughs=_police_boroughs(police), mps=tuple(mps),
        crime_ids="once" if once else "as_published",
        assign_by="lsoa" if assign_by == "lsoa" and no_lookup is None else "point",
    ), section


def _police_key(police: list[uploads.Upload] | tuple[uploads.Upload, ...]) -> str:
    """Widget key of the coverage choice, new for every set of police.uk files."""
    h = hashlib.sha256()
    for name, data in police:
        h.update(name.encode() + hashlib.sha256(data).digest())
    return f"police_boroughs_{h.hexdigest()[:10]}"


def _police_boroughs(police: list[uploads.Upload]) -> tuple[str, ...] | None:
    """Return the boroughs the user says the police.uk files cover (None: the guess)."""
    key = _police_key(police)
    if not police or key not in st.session_state:
        return None
    chosen = tuple(sorted(st.session_state[key]))
    return None if chosen == st.session_state.get(f"{key}_guess") else chosen


def _referral_step() -> tuple[uploads.Upload | None, ColumnMap | None]:
    """Referral spreadsheet, then the column mapping; ``(None, None)`` until usable."""
    files = uploaded("Referral spreadsheet (CSV or XLSX): replaces the pack's referrals",
                     key=UPLOADER_KEYS["referrals"], types=["csv", "xlsx"], multiple=False,
                     help="One row per referral (date, category, a location) or counts per "
                          "ward and month. You say which column is which below.")
    if not files:
        return None, None
    name, data = files[0]
    row = st.number_input(
        "Header row (0: found automatically)", min_value=0, max_value=HEADER_SEARCH_ROWS,
        value=0, step=1, key=f"header_row_{_file_id(data)}",
        help="The row holding the column names. It is found below any title block; choose "
             "it here if the columns offered below are not the sheet's column names.")
    try:
        headers = cache.upload_headers(name, data, int(row) or None)
    except InputDataError as exc:
        st.error(f"{exc}\n\nThe page keeps showing the data without this file.")
        return None, None
    mapping = _mapping_step(name, data, headers)
    return ((name, data), mapping) if mapping is not None else (None, None)


def _file_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _starting_mapping(headers: list[str], data: bytes) -> tuple[ColumnMap | None, str]:
    """Return the mapping to pre-fill from: an uploaded JSON, the session's, or a saved one."""
    files = uploaded("Column mapping (JSON, optional)", key=UPLOADER_KEYS["mapping"],
                     types=["json"], multiple=False,
                     help="A mapping downloaded from this page before.")
    if files:
        try:
            return mappings.mapping_from_json(*files[0]), files[0][0]
        except InputDataError as exc:
            st.error(f"{exc}\n\nThe columns are guessed from the headers instead.")
    text = st.session_state.get(MAPPING_KEY)
    if text:
        try:
            mapping = mappings.mapping_from_json("this session's mapping", text.encode())
            same = st.session_state.get(MAPPING_FILE_KEY) == _file_id(data)
            return mapping, ("this file" if same else "session")
        except InputDataError:
            pass
    saved = mappings.remembered_mapping(headers, folder=_mappings_folder())
    return saved, ("computer" if saved else "")


def _mappings_folder() -> Path:
    """Return where this user's mappings are remembered: their own folder when signed in."""
    user = auth.current_user()
    return mappings.mappings_folder(auth.user_slug(user) if user else None)


def _mapping_step(name: str, data: bytes, headers: list[str]) -> ColumnMap | None:
    """Draw the mapping form (pre-filled) and return a valid mapping, or None."""
    start, origin = _starting_mapping(headers, data)
    fid = hashlib.sha256(data + (mappings.mapping_to_json(start) if start else "").encode()
                         ).hexdigest()[:10]
    layouts = list(LAYOUT_NAMES)
    layout = st.radio(
        "Layout of the spreadsheet", layouts, key=f"map_layout_{fid}", horizontal=True,
        index=layouts.index(start.layout if start else mappings.guess_layout(headers)),
        format_func={"records": "One row per referral",
                     "aggregate": "Counts per ward and month"}.__getitem__)
    guess = mappings.guess_mapping(headers, layout=layout, remembered=start)  # type: ignore[arg-type]
    st.markdown(f"**Which column of {name} holds what?** "
                + {"": "Pre-filled by guessing from the headers.",
                   "this file": "Your mapping for this file.",
                   "session": "Pre-filled from the mapping used earlier in this session.",
                   "computer": "Pre-filled from a mapping you remembered."}
                .get(origin, f"Pre-filled from {origin}."))
    options = [NOT_MAPPED, *headers]
    choice: dict[str, str] = {}
    with st.form(f"mapping_form_{fid}_{layout}", border=True):
        cols = st.columns(3)
        for i, std in enumerate(LAYOUT_NAMES[layout]):
            chosen = guess.get(std)
            choice[std] = cols[i % 3].selectbox(
                std, options, index=options.index(chosen) if chosen in options else 0,
                key=f"map_{std}_{fid}_{layout}", help=STANDARD_NAMES[std])
        st.form_submit_button("Use this mapping")
    columns = {k: v for k, v in choice.items() if v != NOT_MAPPED}
    try:
        mapping = ColumnMap(columns, layout=layout,  # type: ignore[arg-type]
                            ward_names=(_confirmed_names(data, start)
                                        if "ward_name" in columns else None))
    except ColumnMappingError as exc:
        st.error(f"{name}: the column mapping is not complete: {exc}\n\nChoose the columns "
                 "above and click 'Use this mapping'. Meanwhile the page shows the data "
                 "without this file.")
        return None
    text = mappings.mapping_to_json(mapping)
    st.session_state[MAPPING_KEY] = text
    st.session_state[MAPPING_FILE_KEY] = _file_id(data)
    _mapping_buttons(name, mapping, text)
    return mapping


def _confirmed_names(data: bytes, start: ColumnMap | None) -> dict[str, str]:
    """Return the ward names confirmed for this file (first: those of the starting mapping)."""
    store = st.session_state.setdefault(WARD_NAMES_KEY, {})
    fid = _file_id(data)
    if fid not in store:
        store[fid] = dict(start.ward_names) if start is not None else {}
    return dict(store[fid])


def _md_text(text: object) -> str:
    """Escape Markdown marks in text from a file (widget labels render Markdown)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~$])", r"\\\1", str(text))


def _set_ward_name(fid: str, name: str, key: str) -> None:
    """Remember (or forget) the ward the user confirmed for a name (a widget callback)."""
    store = st.session_state.setdefault(WARD_NAMES_KEY, {}).setdefault(fid, {})
    code = st.session_state.get(key) or LEAVE_UNPLACED
    if code == LEAVE_UNPLACED:
        store.pop(name, None)
    else:
        store[name] = code


def ward_names_step(pack: pipeline.Pack, upload_set: uploads.UploadSet) -> None:
    """Offer the closest wards for every ward name of the referral file that is not one ward.

    Nothing is matched by similarity: a name is placed only once the user
    picks its ward here (saved in the mapping's ``ward_names``: the downloaded
    mapping carries it to the next upload and to the command line).
    """
    names = list(pack.meta.uploads.ward_names) if pack.meta.uploads is not None else []
    if upload_set.referral is None or not names:
        return
    fid = _file_id(upload_set.referral[1])
    todo = [n for n in names if n.get("confirmed") is None]
    st.markdown(f"**Ward names to confirm** ({len(todo):,} not placed: not exactly one ward of "
                "the map). Pick the ward each one means, or leave it without a location. "
                "Nothing is matched unless you choose.")
    for entry in names[:MAX_NAMES]:
        name, rows = str(entry["name"]), int(entry["rows"])
        labels = {LEAVE_UNPLACED: "Leave without a location",
                  **{str(code): str(label) for code, label in entry.get("candidates") or []}}
        key = f"wardname_{fid}_{hashlib.sha256(name.encode()).hexdigest()[:10]}"
        current = entry.get("confirmed") or LEAVE_UNPLACED
        if current not in labels:
            labels[current] = current
        st.selectbox(
            f"'{_md_text(name)}' ({rows:,} row{'s' if rows != 1 else ''})", list(labels),
            index=list(labels).index(current), format_func=labels.__getitem__, key=key,
            on_change=_set_ward_name, args=(fid, name, key),
            help=_md_text(entry.get("reason") or "Confirmed by you."))
    if len(names) > MAX_NAMES:
        st.caption(f"{len(names) - MAX_NAMES:,} more names: correct them in the file, or in the "
                   "downloaded mapping's ward_names.")


def _mapping_buttons(name: str, mapping: ColumnMap, text: str) -> None:
    left, right = st.columns(2)
    left.download_button("Download this mapping (JSON)", text, key="mapping_download",
                         file_name=f"{Path(name).stem}_mapping.json", mime="application/json",
                         on_click="ignore")
    folder = _mappings_folder()
    signed_in = auth.current_user() is not None
    where = "for your sign-in on this server" if signed_in else f"in {folder}"
    if right.button("Remember for me" if signed_in else "Remember on this computer",
                    key="mapping_remember",
                    help=f"Saves the mapping (column names only, no data) {where}."):
        path = mappings.remember_mapping(mapping, name, folder=folder)
        saved = "Saved for your sign-in" if signed_in else f"Saved to {path}"
        right.success(f"{saved}. Files with the same headers will be pre-filled.")


# --------------------------------------------------------------------------- outcome


def current_pack(folder: str | None, upload_set: uploads.UploadSet | None,
                 section: DeltaGenerator | None) -> pipeline.Pack:
    """Return the pack to show; draw what happened to every upload in ``section``."""
    if upload_set is None or upload_set.is_empty:
        if section is not None:
            section.info("No files yet: the page shows the pack as it is.")
        return cache.load_pack(folder)
    outcome = cache.upload_outcome(folder, upload_set)
    if section is not None:
        with section:
            show_outcome(outcome, upload_set)
    return outcome.pack



def not_placed_label(n: int) -> str:
    """Label of the button that downloads why ``n`` rows were not placed.

    Examples
    --------
    >>> not_placed_label(1)
    'Download the reason the 1 row was not placed (CSV)'
    >>> not_placed_label(1200)
    'Download the reason for each of the 1,200 rows not placed (CSV)'
    """
    if n == 1:
        return "Download the reason the 1 row was not placed (CSV)"
    return f"Download the reason for each of the {n:,} rows not placed (CSV)"

def show_outcome(outcome: uploads.UploadOutcome, upload_set: uploads.UploadSet) -> None:
    """Draw failures, the reconciliation of every upload, notes and downloads."""
    for f in outcome.failures:
        st.error(f"{f.message}\n\nThe page keeps working without this file.")
    pack = outcome.pack
    rec = uploads.upload_reconciliation(pack, rematched=True)
    if len(rec):
        st.markdown("**Where every uploaded row went** (rows read = placed + no location + "
                    "outside the study area + rejected)")
        with st.container(key="upload_reconciliation_table"):
            st.dataframe(rec.rename(columns=_REC_NAMES), hide_index=True, width="stretch")
    assignment = pack.meta.uploads.police_assignment if pack.meta.uploads else None
    warned = set(assignment["notes"]) if assignment else set()
    for note in outcome.notes:
        if note not in warned:
            st.caption(note)
    if assignment:
        _police_assignment(assignment)
    ward_names_step(pack, upload_set)
    _coverage_choice(pack, _police_key(upload_set.police_uk))
    details = uploads.upload_details(pack)
    problems = _upload_problems(pack)
    left, right = st.columns(2)
    if len(details):
        left.download_button(
            not_placed_label(len(details)),
            privacy.csv_bytes(details), key="upload_rows_download",
            file_name="rows_not_placed.csv", mime="text/csv",
            **exports.download_args("rows not placed, uploads (CSV)", "rows_not_placed.csv",
                                    pack, None))
    if len(problems):
        with right.popover(f"Problems found in your files ({len(problems):,})"):
            with st.container(key="upload_problems_table"):
                st.dataframe(problems, hide_index=True)


def _police_assignment(info: dict[str, Any]) -> None:
    """Warn on generalised boundaries and show where each rule puts every police.uk row."""
    with st.container(key="police_assignment_warning"):
        for note in info["notes"]:
            st.warning(note, icon=":material/warning:" if "Generalised" in note else None)
    if info.get("comparison"):
        cmp = pd.DataFrame(info["comparison"]).rename(columns={
            "by_point": "By snap point", "by_lsoa": "By LSOA code", "rows": "Rows"})
        st.markdown("**Snap point or LSOA code: where every police.uk row goes by each rule** "
                    f"(counted by {info['rule_text']}; the rows add up to the rows read)")
        with st.container(key="police_assignment_table"):
            st.dataframe(cmp, hide_index=True, width="stretch")


def _coverage_choice(pack: pipeline.Pack, key: str) -> None:
    """Let the user correct which boroughs the police.uk files cover."""
    info = pack.meta.uploads
    if info is None or info.police_boroughs is None:
        return
    st.session_state[f"{key}_guess"] = tuple(info.police_boroughs_guess or ())
    names = sorted({str(b) for b in pack.areas["borough_name"].fillna("(no borough)")})
    default: list[str] | None = [b for b in info.police_boroughs if b in names]
    if key in st.session_state:
        st.session_state[key] = [b for b in st.session_state[key] if b in names]
        default = None
    st.multiselect(
        "Boroughs the police.uk files cover (their other areas show 'no data', never 0)",
        names, default=default, key=key,
        help="Guessed from where the points fall: a force's file also puts a few points just "
             "across its border. Correct it if you know the force area.")


def _upload_problems(pack: pipeline.Pack) -> pd.DataFrame:
    info = pack.meta.uploads
    files = (set(info.files) | set(info.detail_sources) | set(info.problem_files)
             if info is not None else set())  # members of zips, files skipped in them ...
    p = pack.problems
    return p[p["file"].astype(str).isin(files)].reset_index(drop=True) if len(p) else p
