"""A pack's metadata as a typed value: :class:`PackMeta`, read from and written to ``pack.json``.

Every key a pack's ``pack.json`` may hold is one attribute of :class:`PackMeta`,
typed and documented (the attribute has the key's name). ``None`` means *the
key is not in pack.json*: readers decide what an absent value means (e.g. the
boundary vintage is "not stated"), as they did with ``dict.get``.

:meth:`PackMeta.from_json` reads the parsed JSON object and
:meth:`PackMeta.to_json` gives it back: the same keys in the same order with
the same values (keys it does not know are kept in :attr:`PackMeta.extra`), so
``json.dumps(PackMeta.from_json(d).to_json()) == json.dumps(d)``. The demo
builder (:mod:`data.build_demo`) writes its ``pack.json`` this way.

The object is frozen: a pack with uploads gets a new one through
:func:`dataclasses.replace` (:mod:`hotspots.pipeline.uploads`); its mappings are
copies and are never changed after construction.

Nested values have their own small types: :class:`PointsReconciliation`
(``points_reconciliation``), :class:`CrimeSource` (each of ``crime_sources``)
and :class:`UploadsInfo` (``uploads``, only in packs built from uploads).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hotspots._errors import InputDataError

__all__ = ["CrimeSource", "PackMeta", "PointsReconciliation", "UploadsInfo"]


# --------------------------------------------------------------------------- checks


def _fail(where: str, key: str, what: str, value: object) -> InputDataError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return InputDataError(f"{where}: '{key}' must be {what}, not {shown}.")


def _str(where: str, key: str, v: object) -> str:
    if not isinstance(v, str):
        raise _fail(where, key, "text", v)
    return v


def _bool(where: str, key: str, v: object) -> bool:
    if not isinstance(v, bool):
        raise _fail(where, key, "true or false", v)
    return v


def _int(where: str, key: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail(where, key, "a whole number", v)
    return v


def _strs(where: str, key: str, v: object) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _fail(where, key, "a list of text", v)
    return tuple(v)


def _text_map(where: str, key: str, v: object) -> dict[str, str]:
    if not isinstance(v, Mapping) or not all(isinstance(x, str) for x in v.values()):
        raise _fail(where, key, "an object of text values", v)
    return dict(v)


def _object(where: str, key: str, v: object) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise _fail(where, key, "an object", v)
    return v


def _keys(where: str, key: str, v: Mapping[str, Any], required: Sequence[str],
          optional: Sequence[str] = ()) -> None:
    missing = [k for k in required if k not in v]
    unknown = [k for k in v if k not in (*required, *optional)]
    if missing or unknown:
        raise _fail(where, key, f"an object with {', '.join(repr(k) for k in required)}"
                    + (f" (and optionally {', '.join(repr(k) for k in optional)})"
                       if optional else ""), dict(v))


# --------------------------------------------------------------------------- nested values


@dataclass(frozen=True)
class PointsReconciliation:
    """How a pack's police.uk points were read (``points_reconciliation`` in pack.json).

    Attributes
    ----------
    rows_read
        Rows in the police.uk files (``rows_read``).
    rows_kept
        Rows the reader kept: the pack's points (``rows_kept``).
    rows_rejected
        Rows dropped, by reason kind, e.g. ``{"duplicate Crime ID": 252}``
        (``rows_rejected``; an old pack may give only a total as a number).
    rows_without_location
        Kept rows without coordinates (``rows_without_location``).
    """

    rows_read: int
    rows_kept: int
    rows_rejected: Mapping[str, int] | int
    rows_without_location: int

    @classmethod
    def from_json(cls, v: object, where: str = "pack.json",
                  key: str = "points_reconciliation") -> PointsReconciliation:
        """Read the JSON object (see the attributes); raise :class:`InputDataError` if malformed."""
        obj = _object(where, key, v)
        names = ("rows_read", "rows_kept", "rows_rejected", "rows_without_location")
        _keys(where, key, obj, names)
        rej = obj["rows_rejected"]
        if isinstance(rej, Mapping):
            rejected: Mapping[str, int] | int = {
                _str(where, f"{key}.rows_rejected", k): _int(where, f"{key}.rows_rejected", n)
                for k, n in rej.items()}
        else:
            rejected = _int(where, f"{key}.rows_rejected", rej)
        return cls(rows_read=_int(where, f"{key}.rows_read", obj["rows_read"]),
                   rows_kept=_int(where, f"{key}.rows_kept", obj["rows_kept"]),
                   rows_rejected=rejected,
                   rows_without_location=_int(where, f"{key}.rows_without_location",
                                              obj["rows_without_location"]))

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object, keys in the order the builders write them."""
        rej = dict(self.rows_rejected) if isinstance(self.rows_rejected, Mapping) else (
            self.rows_rejected)
        return {"rows_read": self.rows_read, "rows_kept": self.rows_kept,
                "rows_rejected": rej, "rows_without_location": self.rows_without_location}

    @property
    def rejected(self) -> dict[str, int]:
        """Rows dropped by reason, reasons with no row left out (``{}`` when none).

        An old pack's total (a number) is one reason, ``"rejected when read"``.
        """
        if isinstance(self.rows_rejected, Mapping):
            return {str(k): int(n) for k, n in self.rows_rejected.items() if int(n)}
        return {"rejected when read": int(self.rows_rejected)} if self.rows_rejected else {}


@dataclass(frozen=True)
class CrimeSource:
    """One crime source of a pack with several (an entry of ``crime_sources``).

    Attributes
    ----------
    key
        Source key: ``"pack"`` (the pack's own crime) or ``"police_uk"`` (uploads).
    label
        What the page calls it, e.g. ``"police.uk uploads"``.
    coverage
        Area codes the source covers, sorted (other areas show "no data").
    prefix
        Offence-group prefix of the source's crime (``"police.uk: "``), or ``None``.
    """

    key: str
    label: str
    coverage: tuple[str, ...]
    prefix: str | None = None

    @classmethod
    def from_json(cls, v: object, where: str = "pack.json",
                  key: str = "crime_sources") -> CrimeSource:
        """Read one entry; raise :class:`InputDataError` if malformed."""
        obj = _object(where, key, v)
        _keys(where, key, obj, ("key", "label", "coverage"), ("prefix",))
        prefix = obj.get("prefix")
        return cls(key=_str(where, f"{key}.key", obj["key"]),
                   label=_str(where, f"{key}.label", obj["label"]),
                   coverage=_strs(where, f"{key}.coverage", obj["coverage"]),
                   prefix=None if prefix is None else _str(where, f"{key}.prefix", prefix))

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object (``prefix`` only when set)."""
        out: dict[str, Any] = {"key": self.key, "label": self.label}
        if self.prefix is not None:
            out["prefix"] = self.prefix
        out["coverage"] = list(self.coverage)
        return out


@dataclass(frozen=True)
class UploadsInfo:
    """What the uploads changed in a pack built from them (``uploads``; never on disk).

    Written by :func:`hotspots.pipeline.uploads.pack_with_uploads`.

    Attributes
    ----------
    base_synthetic
        The base pack's referrals were synthetic (an uploaded referral file replaced them).
    rematched
        Reconciliation sources of the pack's own rows re-matched to uploaded
        boundaries (``None``: no boundary upload re-matched any).
    police_boroughs
        Boroughs the police.uk files are taken to cover (``None``: no police.uk upload).
    police_boroughs_guess
        Boroughs guessed from where the points fall.
    police_coverage_rule
        How the covered boroughs were chosen, in words.
    police_forces
        Force name in the files -> the borough it stands for (``None`` if none).
    files
        Names of the uploaded files used.
    sources
        Reconciliation sources of the uploads.
    notes
        Plain-words notes on what the uploads changed.
    detail_sources
        Per-row detail sources (files, or members of an uploaded zip), sorted.
    ward_names
        Ward names of an uploaded referral file that are not exactly one ward,
        or that the user confirmed (:func:`hotspots.areas.names.name_check`
        rows: ``name``, ``rows``, ``confirmed``, ``reason``, ``candidates``).
    problem_files
        Every file the uploads' problems name (the uploads, members of their
        zips, files skipped inside them), sorted: the page lists these problems.
    crime_ids
        How Crime IDs repeated within a police.uk file were counted
        (``"as_published"`` or ``"once"``; ``None``: no police.uk upload).
    police_assignment
        How police.uk rows were placed and what the other rule would have done
        (:meth:`hotspots.pipeline.policeassign.PoliceAssignment.to_json`).
    """

    base_synthetic: bool = False
    rematched: tuple[str, ...] | None = None
    police_boroughs: tuple[str, ...] | None = None
    police_boroughs_guess: tuple[str, ...] | None = None
    police_coverage_rule: str | None = None
    police_forces: Mapping[str, str | None] | None = None
    files: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    detail_sources: tuple[str, ...] = ()
    ward_names: tuple[Mapping[str, Any], ...] = ()
    problem_files: tuple[str, ...] = ()
    crime_ids: str | None = None
    police_assignment: Mapping[str, Any] | None = None

    @classmethod
    def from_json(cls, v: object, where: str = "pack.json", key: str = "uploads") -> UploadsInfo:
        """Read the JSON object that :meth:`to_json` writes."""
        obj = _object(where, key, v)
        names = [f.name for f in dataclasses.fields(cls)]
        _keys(where, key, obj, (), names)

        def opt(name: str, read: Callable[[str, str, object], Any]) -> Any:
            return None if obj.get(name) is None else read(where, f"{key}.{name}", obj[name])

        forces = opt("police_forces", _object)
        if forces is not None:
            forces = {_str(where, f"{key}.police_forces", k): (
                None if f is None else _str(where, f"{key}.police_forces", f))
                for k, f in forces.items()}
        return cls(base_synthetic=bool(opt("base_synthetic", _bool)),
                   rematched=opt("rematched", _strs),
                   police_boroughs=opt("police_boroughs", _strs),
                   police_boroughs_guess=opt("police_boroughs_guess", _strs),
                   police_coverage_rule=opt("police_coverage_rule", _str),
                   police_forces=forces,
                   files=opt("files", _strs) or (), sources=opt("sources", _strs) or (),
                   notes=opt("notes", _strs) or (),
                   detail_sources=opt("detail_sources", _strs) or (),
                   ward_names=tuple(_object(where, f"{key}.ward_names", x)
                                    for x in (obj.get("ward_names") or ())),
                   problem_files=opt("problem_files", _strs) or (),
                   crime_ids=opt("crime_ids", _str),
                   police_assignment=opt("police_assignment", _object))

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object: optional entries only when set, the others always."""
        out: dict[str, Any] = {"base_synthetic": self.base_synthetic}
        if self.rematched is not None:
            out["rematched"] = list(self.rematched)
        for name in ("police_boroughs", "police_boroughs_guess"):
            if (v := getattr(self, name)) is not None:
                out[name] = list(v)
        if self.police_coverage_rule is not None:
            out["police_coverage_rule"] = self.police_coverage_rule
        if self.police_forces is not None:
            out["police_forces"] = dict(self.police_forces)
        out.update(files=list(self.files), sources=list(self.sources), notes=list(self.notes),
                   detail_sources=list(self.detail_sources))
        if self.ward_names:
            out["ward_names"] = [dict(x) for x in self.ward_names]
        if self.problem_files:
            out["problem_files"] = list(self.problem_files)
        if self.crime_ids is not None:
            out["crime_ids"] = self.crime_ids
        if self.police_assignment is not None:
            out["police_assignment"] = dict(self.police_assignment)
        return out


# --------------------------------------------------------------------------- the pack's


def _text_maps(where: str, key: str, v: object) -> dict[str, dict[str, str]]:
    obj = _object(where, key, v)
    return {str(k): _text_map(where, f"{key}.{k}", x) for k, x in obj.items()}


def _crime_sources(where: str, key: str, v: object) -> tuple[CrimeSource, ...]:
    if not isinstance(v, list):
        raise _fail(where, key, "a list of objects", v)
    return tuple(CrimeSource.from_json(x, where, key) for x in v)


#: pack.json key -> (reader of its JSON value, writer back to JSON).
_JSON: dict[str, tuple[Callable[[str, str, object], Any], Callable[[Any], Any]]] = {}
for _name in ("title", "marking", "imd_reference", "vintage", "area_layer", "crime_source",
              "crime_note", "crime_coverage_note", "population_source", "imd_source",
              "synthetic_label", "referrals_file", "referrals_mapping", "points_file",
              "points_source", "points_note", "attribution", "imd_label",
              "reconciliation_file", "months_incomplete_rule"):
    _JSON[_name] = (_str, str)
for _name in ("crime_months", "points_boroughs", "crime_coverage_areas", "months_incomplete"):
    _JSON[_name] = (_strs, list)
for _name in ("area", "deprivation"):
    _JSON[_name] = (lambda w, k, v: copy.deepcopy(dict(_object(w, k, v))),
                    lambda v: copy.deepcopy(dict(v)))
_JSON["placement"] = (_text_map, dict)
_JSON["files"] = (_text_map, dict)
_JSON["inputs"] = (_text_maps, lambda v: {k: dict(x) for k, x in v.items()})
_JSON["synthetic_referrals"] = (_bool, bool)
_JSON["seed"] = (_int, int)
_JSON["points_reconciliation"] = (lambda w, k, v: PointsReconciliation.from_json(v, w, k),
                                  lambda v: v.to_json())
_JSON["uploads"] = (lambda w, k, v: UploadsInfo.from_json(v, w, k), lambda v: v.to_json())
_JSON["crime_sources"] = (_crime_sources, lambda v: [s.to_json() for s in v])


@dataclass(frozen=True)
class PackMeta:
    """A pack's metadata: one attribute per ``pack.json`` key (``None``: not in the file).

    Attributes
    ----------
    title
        Name of the pack, shown above the maps (``title``).
    marking
        Protective marking, e.g. ``"OFFICIAL"`` (``marking``; the page's
        ``HOTSPOTS_MARKING`` overrides it).
    imd_reference
        What the IMD ranks and deciles are relative to, in words (``imd_reference``).
    vintage
        The boundary set, in words (``vintage``).
    area_layer
        File name of the area layer in the pack folder (``area_layer``;
        absent: ``wards.geojson``).
    crime_source
        Where the recorded crime is from, in words (``crime_source``).
    crime_months
        First and last month of the crime file, ``YYYY-MM`` (``crime_months``).
    crime_note
        Note on the crime rows, printed with the reconciliation (``crime_note``).
    crime_coverage_note
        Which areas the crime source does not cover, and how they show (``crime_coverage_note``).
    placement
        Measure family (``crime``, ``referrals``, ``police_uk``) -> how its
        records are placed in areas, in words (``placement``).
    population_source
        Where the population (rate denominators) is from (``population_source``).
    imd_source
        Where the deprivation scores are from (``imd_source``).
    synthetic_referrals
        The referrals are invented (``synthetic_referrals``): every view says so.
    synthetic_label
        The label synthetic referrals carry, e.g. ``"SYNTHETIC"`` (``synthetic_label``).
    referrals_file
        Referral file in the pack folder, or the uploaded file's name (``referrals_file``).
    referrals_mapping
        Column mapping of the referral file, in the pack folder (``referrals_mapping``).
    points_file
        Street-level points file in the pack folder (``points_file``).
    points_source
        Where the street-level points are from, in words (``points_source``).
    points_boroughs
        Boroughs the points cover: the patrol study area (``points_boroughs``).
    points_note
        Caveat printed with the points, e.g. police.uk's snap points (``points_note``).
    points_reconciliation
        How the points were read (``points_reconciliation``).
    seed
        Seed of the pack's random draws and of the patrol permutations (``seed``).
    attribution
        Copyright and licence lines printed under every map (``attribution``).
    inputs
        Input name -> ``{"path", "sha256"}`` of the files the pack was built from (``inputs``).
    files
        File name -> SHA-256 of every file of the pack (``files``).
    uploads
        What uploads changed (``uploads``; only in packs built from uploads).
    crime_sources
        The crime sources when uploaded police.uk crime sits beside the
        pack's own (``crime_sources``; ``None``: one source).
    area
        The place a built pack covers (``area``: ``kind``, ``code``, ``name``,
        ``local_authorities`` code -> name, ``note``; packs from ``pack build``).
    imd_label
        Short label of the deprivation index for legends, e.g. ``"IoD 2025 (England)"``
        (``imd_label``).
    deprivation
        The deprivation index and how it was rolled up (``deprivation``: ``index``,
        ``label``, ``nation``, ``edition``, ``population_base``, ``summary``,
        ``reference``, ``n_reference_wards``, the score / rank / decile / share rules,
        ``lsoa_routes``, ``caveat``, ``licence``; see
        :mod:`hotspots.pipeline.packdeprivation`).
    reconciliation_file
        The pack's per-source reconciliation CSV (``reconciliation_file``): rows in =
        assigned + unlocated + outside + rejected for every source it was built from.
    crime_coverage_areas
        Area codes the crime source covers (``crime_coverage_areas``; absent: the
        areas with crime rows).
    months_incomplete
        Months flagged as incomplete for a force of the crime source
        (``months_incomplete``), by :attr:`months_incomplete_rule`.
    months_incomplete_rule
        The rule that flags them, in words (``months_incomplete_rule``).
    extra
        Keys this class does not know (and known keys whose value is
        ``null``), with their values: kept so that nothing is lost.
    key_order
        The keys in the order pack.json had them (:meth:`to_json` keeps it).
    """

    title: str | None = None
    marking: str | None = None
    imd_reference: str | None = None
    vintage: str | None = None
    area_layer: str | None = None
    crime_source: str | None = None
    crime_months: tuple[str, ...] | None = None
    crime_note: str | None = None
    crime_coverage_note: str | None = None
    placement: Mapping[str, str] | None = None
    population_source: str | None = None
    imd_source: str | None = None
    synthetic_referrals: bool | None = None
    synthetic_label: str | None = None
    referrals_file: str | None = None
    referrals_mapping: str | None = None
    points_file: str | None = None
    points_source: str | None = None
    points_boroughs: tuple[str, ...] | None = None
    points_note: str | None = None
    points_reconciliation: PointsReconciliation | None = None
    seed: int | None = None
    attribution: str | None = None
    inputs: Mapping[str, Mapping[str, str]] | None = None
    files: Mapping[str, str] | None = None
    uploads: UploadsInfo | None = None
    crime_sources: tuple[CrimeSource, ...] | None = None
    area: Mapping[str, Any] | None = None
    imd_label: str | None = None
    deprivation: Mapping[str, Any] | None = None
    reconciliation_file: str | None = None
    crime_coverage_areas: tuple[str, ...] | None = None
    months_incomplete: tuple[str, ...] | None = None
    months_incomplete_rule: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    key_order: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "pack.json") -> PackMeta:
        """Read a parsed ``pack.json`` object.

        Parameters
        ----------
        data
            The JSON object (``json.loads`` of the file).
        where
            Names the file in error messages.

        Returns
        -------
        PackMeta

        Raises
        ------
        InputDataError
            When ``data`` is not an object, or a known key has a value of the
            wrong kind (the message names the file and the key).

        Examples
        --------
        >>> meta = PackMeta.from_json({"title": "Mine", "seed": 7, "colour": "teal"})
        >>> meta.title, meta.seed, meta.vintage, meta.extra
        ('Mine', 7, None, {'colour': 'teal'})
        >>> meta.to_json()
        {'title': 'Mine', 'seed': 7, 'colour': 'teal'}
        """
        if not isinstance(data, Mapping):
            raise InputDataError(f"{where}: must hold a JSON object, not {type(data).__name__}.")
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in _JSON and value is not None:
                known[key] = _JSON[key][0](where, key, value)
            else:
                extra[key] = copy.deepcopy(value)
        return cls(**known, extra=extra, key_order=tuple(data))

    def to_json(self) -> dict[str, Any]:
        """Return the ``pack.json`` object: :meth:`from_json` read backwards.

        Keys read from a file come back in their order; keys set since (e.g.
        by uploads) follow in the order of the attributes, then new extras.
        """
        out: dict[str, Any] = {}
        for key in (*self.key_order, *_FIELDS, *self.extra):
            if key in out:
                continue
            value = getattr(self, key) if key in _JSON else None
            if value is not None:
                out[key] = _JSON[key][1](value)
            elif key in self.extra and (key in self.key_order or key not in _JSON):
                out[key] = self.extra[key]
        return out

    @property
    def points_rejected(self) -> dict[str, int]:
        """Rows dropped when the points were read, by reason (``{}`` when none recorded)."""
        return {} if self.points_reconciliation is None else self.points_reconciliation.rejected

    def replace(self, **changes: Any) -> PackMeta:
        """Return a copy with some attributes changed (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)


#: The pack.json keys PackMeta knows, in the order of its attributes.
_FIELDS = tuple(f.name for f in dataclasses.fields(PackMeta) if f.name in _JSON)
