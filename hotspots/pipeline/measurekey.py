"""What a measure key names, as a value: :class:`Measure`.

The page, the command line (``--measure``) and the board-pack config name a
measure with a short key string::

    crime:all                                   all recorded crime
    crime:major:BURGLARY                        one offence group
    crime:minor:BURGLARY|BURGLARY - RESIDENTIAL one offence type within its group
    crime:source:police_uk                      all crime of one source (uploads beside a pack)
    asb:all                                     police.uk anti-social behaviour
    referrals:all                               all referrals
    referrals:category:County Lines             one referral category

Crime built from uploaded police.uk files has the offence group
``"police.uk: <Crime type>"`` (:data:`POLICE_UK_PREFIX`), so
``crime:major:police.uk: Burglary`` is the police.uk burglaries.

police.uk publishes anti-social behaviour (ASB) incidents beside crime; they are not
recorded crime, so they are a family of their own (``asb:all``) and never part of a
``crime:`` measure (their rows are told apart by :func:`hotspots.pipeline.table.is_asb`).

:meth:`Measure.parse` reads a key once and says what is wrong with a bad one;
:attr:`Measure.key` writes it back (``Measure.parse(k).key == k`` for every key
:func:`hotspots.pipeline.measure_options` offers). Code asks the value
(``m.is_referrals``, ``m.group``, ``m.is_police_uk``) instead of slicing strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hotspots.labels import measure_label

__all__ = ["ASB_KEY", "FAMILIES", "PACK_KEY", "POLICE_UK_KEY", "POLICE_UK_PREFIX",
           "SOURCE_KEY_PREFIX", "Family", "Measure"]

Family = Literal["crime", "asb", "referrals"]
#: The measure families, in the order the picker shows them.
FAMILIES: tuple[Family, ...] = ("crime", "asb", "referrals")
#: The key of police.uk anti-social behaviour (its own family, never in ``crime:``).
ASB_KEY = "asb:all"
#: Offence-group prefix of crime measures built from uploaded police.uk files.
POLICE_UK_PREFIX = "police.uk: "
#: Measure keys ``crime:source:<key>`` select all crime of one source.
SOURCE_KEY_PREFIX = "crime:source:"
#: Source key of uploaded police.uk crime (``crime:source:police_uk``).
POLICE_UK_KEY = "police_uk"
#: Source key of the pack's own crime (``crime:source:pack``).
PACK_KEY = "pack"


@dataclass(frozen=True)
class Measure:
    """One measure: a family narrowed to a source, an offence group and type, or a category.

    Attributes
    ----------
    family
        ``"crime"`` (recorded crime), ``"asb"`` (police.uk anti-social
        behaviour: one measure, nothing narrows it) or ``"referrals"``.
    source
        Crime only: a crime source key (``"pack"``, ``"police_uk"``) for all
        crime of that source (``crime:source:<source>``), else ``None``.
    group
        Crime only: the offence group (the ``major`` column), else ``None``.
    type
        Crime only: the offence type within ``group`` (the ``minor`` column), else ``None``.
    category
        Referrals only: the referral category, else ``None``.

    At most one of ``source``, ``group`` and ``category`` is set, ``type`` only
    with ``group``; none set means the whole family (``crime:all``, ``referrals:all``).
    """

    family: Family = "crime"
    source: str | None = None
    group: str | None = None
    type: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"Unknown measure family {self.family!r}: one of {FAMILIES}.")
        if self.family == "crime" and self.category is not None:
            raise ValueError("A crime measure has no referral category.")
        if self.family == "referrals" and (self.source, self.group, self.type) != (None,) * 3:
            raise ValueError("A referral measure has only a category.")
        if self.family == "asb" and (self.source, self.group, self.type,
                                     self.category) != (None,) * 4:
            raise ValueError("Anti-social behaviour is one measure ('asb:all'): nothing narrows "
                             "it.")
        if self.source is not None and self.group is not None:
            raise ValueError("A crime measure names a source or an offence group, not both.")
        if self.type is not None and self.group is None:
            raise ValueError("An offence type needs its offence group.")

    @classmethod
    def parse(cls, key: str) -> Measure:
        """Read a measure key (see the module docstring for the forms).

        Parameters
        ----------
        key
            E.g. ``"crime:major:BURGLARY"``.

        Returns
        -------
        Measure

        Raises
        ------
        ValueError
            For a key of no known form; the message names the key and says
            where the keys are listed.

        Examples
        --------
        >>> m = Measure.parse("crime:minor:BURGLARY|BURGLARY - RESIDENTIAL")
        >>> m.group, m.type, m.is_crime
        ('BURGLARY', 'BURGLARY - RESIDENTIAL', True)
        >>> Measure.parse("crime:major:police.uk: Robbery").police_uk_type
        'Robbery'
        >>> Measure("referrals", category="County Lines").key
        'referrals:category:County Lines'
        >>> Measure.parse("asb:all").is_asb, Measure("asb").key
        (True, 'asb:all')
        """
        family, _, rest = key.partition(":")
        if family == "crime":
            if rest == "all":
                return cls("crime")
            kind, sep, what = rest.partition(":")
            if sep and kind == "major":
                return cls("crime", group=what)
            if sep and kind == "minor" and "|" in what:
                group, _, type_ = what.partition("|")
                return cls("crime", group=group, type=type_)
            if sep and kind == "source":
                return cls("crime", source=what)
            raise ValueError(f"Unknown crime measure {key!r}; see measure_options().")
        if family == "asb":
            if rest == "all":
                return cls("asb")
            raise ValueError(f"Unknown measure {key!r}: anti-social behaviour is {ASB_KEY!r}.")
        if family == "referrals":
            if rest == "all":
                return cls("referrals")
            kind, sep, what = rest.partition(":")
            if sep and kind == "category":
                return cls("referrals", category=what)
            raise ValueError(f"Unknown referral measure {key!r}; see measure_options().")
        raise ValueError(f"Unknown measure {key!r}: it must start with 'crime:' or "
                         f"'referrals:', or be {ASB_KEY!r}.")

    @property
    def key(self) -> str:
        """The key string (``Measure.parse(m.key) == m``)."""
        if self.category is not None:
            return f"referrals:category:{self.category}"
        if self.source is not None:
            return f"{SOURCE_KEY_PREFIX}{self.source}"
        if self.type is not None:
            return f"crime:minor:{self.group}|{self.type}"
        if self.group is not None:
            return f"crime:major:{self.group}"
        return f"{self.family}:all"

    def __str__(self) -> str:
        return self.key

    @property
    def is_crime(self) -> bool:
        """True for a recorded-crime measure."""
        return self.family == "crime"

    @property
    def is_asb(self) -> bool:
        """True for police.uk anti-social behaviour (``asb:all``)."""
        return self.family == "asb"

    @property
    def is_referrals(self) -> bool:
        """True for a referral measure (sensitive: small counts are suppressed)."""
        return self.family == "referrals"

    @property
    def is_all(self) -> bool:
        """True for the whole family (``crime:all``, ``referrals:all``)."""
        return (self.source, self.group, self.category) == (None, None, None)

    @property
    def is_police_uk(self) -> bool:
        """True for a measure of uploaded police.uk files (its source, a police.uk group, ASB).

        Anti-social behaviour comes only from police.uk: beside a pack's own crime
        it is counted on the police.uk uploads.
        """
        return self.is_asb or self.source == POLICE_UK_KEY or (
            self.group is not None and self.group.startswith(POLICE_UK_PREFIX))

    @property
    def police_uk_type(self) -> str | None:
        """The police.uk crime type of a police.uk offence group (``"Burglary"``), else ``None``."""
        if self.group is None or not self.group.startswith(POLICE_UK_PREFIX):
            return None
        return self.group[len(POLICE_UK_PREFIX):]

    @property
    def source_wording(self) -> str | None:
        """The source's own words for a crime group and type, when the label changes them.

        Labels spell out the MPS file's abbreviations and title-case its capitals
        (:func:`hotspots.labels.measure_label`); the page shows the source's
        wording beside the label, so it can still be matched to the file.

        Examples
        --------
        >>> Measure.parse("crime:minor:BURGLARY|RES BURGLARY OF A HOME").source_wording
        'BURGLARY: RES BURGLARY OF A HOME'
        >>> Measure.parse("crime:major:Burglary").source_wording is None
        True
        """
        words = [w for w in (self.group, self.type) if w is not None]
        if not words or all(measure_label(w) == w for w in words):
            return None
        return ": ".join(words)
