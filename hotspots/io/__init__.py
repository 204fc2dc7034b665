"""Path or bytes in, a read result out: the dashboard's input readers.

Three kinds of input are read into plain pandas frames with a
:class:`~hotspots._validate.ReadResult` (kept rows, rejected rows, a report of
every problem, and the number of rows read):

* police.uk street-level crime CSVs (:func:`read_police_uk`, in
  :mod:`~hotspots.io.policeuk`): one monthly file, a folder of ``YYYY-MM/``
  folders, or the police.uk archive zip (the rules on repeated crimes are in
  :mod:`~hotspots.io.policerepeats`, also applied by the store between batches
  with :func:`cross_file_repeats`);
* the Metropolitan Police ward x offence x month table
  (:func:`read_met_ward_crime`, :mod:`~hotspots.io.metward`), reshaped long;
* a partner's referral spreadsheet, CSV or XLSX (:func:`read_referrals`,
  :mod:`~hotspots.io.referrals`), described by a :class:`ColumnMap`
  (:mod:`~hotspots.io.columns`) from the user's headers to standard names.

One grid parser, :mod:`~hotspots.io.sheets`, reads every referral sheet's
cells, strictly (a broken CSV is refused with its line): both for
:func:`read_referrals` and for the upload page's :func:`read_headers`.
:mod:`~hotspots.io.mappings` guesses a mapping from the headers' spelling and
keeps mappings on this computer. :mod:`~hotspots.io.common` holds the helpers
every reader shares.

Readers never stop at the first problem. Rows that cannot be used go to
``rejected`` with a ``reason``; rows that can be used but are worth checking
(no coordinates, an odd code) are kept and reported. Only problems that make
the whole input unusable (missing columns, an empty file) raise an
:class:`~hotspots._errors.InputDataError` subclass. Row numbers are spreadsheet
rows: the header is row 1 (or the row it was found on), data starts below it.

Layer 1: imports only the floor (``hotspots._errors``, ``hotspots._validate``)
and itself. It must never import ``areas``, ``stats``, ``boundaries``,
``patrol``, ``maps``, ``pipeline``, ``report``, ``cli`` or ``ui``. Other
packages use the names below (``from hotspots import io``), never a module's
``_private`` helpers.
"""

from hotspots.io.columns import (
    LAYOUT_NAMES,
    STANDARD_NAMES,
    ColumnMap,
    Layout,
    load_mapping,
    save_mapping,
    standardise_area_name,
)
from hotspots.io.common import PathLike, Source
from hotspots.io.mappings import (
    SYNONYMS,
    guess_layout,
    guess_mapping,
    mapping_from_json,
    mapping_to_json,
    mappings_folder,
    normalise_header,
    remember_mapping,
    remembered_mapping,
    safe_file_name,
    saved_mappings,
)
from hotspots.io.metward import MET_COLUMNS, MET_FRAME_COLUMNS, read_met_ward_crime
from hotspots.io.policefiles import Member, input_members
from hotspots.io.policerepeats import cross_file_repeats
from hotspots.io.policeuk import (
    ASB_CATEGORY,
    CRIME_ID_RULES,
    POLICE_COLUMNS,
    POLICE_FRAME_COLUMNS,
    CrimeIdRule,
    Members,
    PoliceRead,
    read_police_inputs,
    read_police_uk,
)
from hotspots.io.referrals import read_referrals
from hotspots.io.safezip import SafeZip, UnsafeArchiveError, gunzip_bounded
from hotspots.io.sheets import HEADER_SEARCH_ROWS, read_headers

__all__ = [
    "ASB_CATEGORY",
    "CRIME_ID_RULES",
    "HEADER_SEARCH_ROWS",
    "LAYOUT_NAMES",
    "MET_COLUMNS",
    "MET_FRAME_COLUMNS",
    "POLICE_COLUMNS",
    "POLICE_FRAME_COLUMNS",
    "STANDARD_NAMES",
    "SYNONYMS",
    "ColumnMap",
    "CrimeIdRule",
    "Layout",
    "Member",
    "Members",
    "PathLike",
    "PoliceRead",
    "SafeZip",
    "Source",
    "UnsafeArchiveError",
    "gunzip_bounded",
    "cross_file_repeats",
    "guess_layout",
    "guess_mapping",
    "input_members",
    "load_mapping",
    "mapping_from_json",
    "mapping_to_json",
    "mappings_folder",
    "normalise_header",
    "read_headers",
    "read_met_ward_crime",
    "read_police_inputs",
    "read_police_uk",
    "read_referrals",
    "remember_mapping",
    "remembered_mapping",
    "safe_file_name",
    "save_mapping",
    "saved_mappings",
    "standardise_area_name",
]
