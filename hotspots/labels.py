"""Text as people read it: measure labels and street names, each made in one place.

Two sources write their names in ways a board should not read:

* the Metropolitan Police ward file writes offence groups and types in capitals
  (``"NFIB FRAUD"``, ``"RES BURGLARY OF A HOME"``): :func:`measure_label` turns
  them into title case with acronyms kept in capitals, small words in lower case
  (except the first) and the file's few abbreviations spelt out
  (``"NFIB Fraud"``, ``"Residential Burglary of a Home"``). Text that already
  has lower-case letters (police.uk crime types, a partner's referral
  categories) is the source's own capitalisation and is kept as it is.
* police.uk title-cases its street names letter by letter after every
  apostrophe and hyphen (``"Alderman'S Walk"``, ``"Allt-Y-Graban Road"``,
  ``"Mcinroy Close"``): :func:`street_name` mends those patterns and changes
  nothing else (only the case of letters, never a letter itself).

Floor module: standard library only, imported by any layer.

Examples
--------
>>> measure_label("VIOLENCE AGAINST THE PERSON")
'Violence Against the Person'
>>> street_name("On or near St Andrew'S Hill")
"On or near St Andrew's Hill"
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "ACRONYMS", "SMALL_WORDS", "SYNTHETIC_BADGE", "measure_label",
           "street_name"]

#: Badge drawn on maps (and beside them) of invented referral data (web and print maps).
SYNTHETIC_BADGE = "SYNTHETIC referrals — not real data"

#: Words kept in capitals in a label (besides words without a vowel, e.g. ``"NRM"``).
ACRONYMS: frozenset[str] = frozenset({
    "ABH", "ASB", "ATM", "CCE", "CCTV", "CSE", "CSP", "DV", "GBH", "IMD", "LSOA", "MPS",
    "NFIB", "NRM", "UK", "VAWG",
})

#: Abbreviations of the MPS ward file, spelt out in a label.
ABBREVIATIONS: dict[str, str] = {
    "AGG": "Aggravated", "MISC": "Miscellaneous", "RES": "Residential",
    "UNAUTH": "Unauthorised", "VEH": "Vehicle",
}

#: Words written in lower case inside a title (never as its first word).
SMALL_WORDS: frozenset[str] = frozenset({
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on",
    "or", "per", "the", "to", "via", "with", "without",
})

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_VOWELS = re.compile(r"[AEIOUY]", re.IGNORECASE)


def _label_word(word: str, first: bool) -> str:
    """Title-case one capitalised word (letters only), as :func:`measure_label` does."""
    if word in ABBREVIATIONS:
        return ABBREVIATIONS[word]
    if word in ACRONYMS or (len(word) > 1 and not _VOWELS.search(word)):
        return word
    lower = word.lower()
    if not first and lower in SMALL_WORDS:
        return lower
    return lower[:1].upper() + lower[1:]


def measure_label(text: str) -> str:
    """Return a measure's name as a label: the source's own case, or title case from capitals.

    Parameters
    ----------
    text
        An offence group or type, or a referral category, as the source writes it.

    Returns
    -------
    str
        ``text`` unchanged when it has a lower-case letter (the source chose
        its capitals); otherwise title case: :data:`ACRONYMS` and words without
        a vowel stay in capitals, :data:`ABBREVIATIONS` are spelt out and
        :data:`SMALL_WORDS` are lower case except as the first word.

    Examples
    --------
    >>> measure_label("NFIB FRAUD"), measure_label("RES BURGLARY OF A HOME")
    ('NFIB Fraud', 'Residential Burglary of a Home')
    >>> measure_label("THEFT OR UNAUTH TAKING OF A MOTOR VEH")
    'Theft or Unauthorised Taking of a Motor Vehicle'
    >>> measure_label("Child criminal exploitation (CCE)")
    'Child criminal exploitation (CCE)'
    """
    text = " ".join(str(text).split())
    if any(ch.islower() for ch in text):
        return text
    words = list(_WORD.finditer(text))
    out, end = [], 0
    for i, m in enumerate(words):
        out += [text[end:m.start()], _label_word(m.group(), first=i == 0)]
        end = m.end()
    return "".join([*out, text[end:]])


#: police.uk's prefix of every location.
STREET_PREFIX = "On or near "
#: Lower case inside a street name: English and Welsh particles (``y``, ``yr``, ``yn``).
_STREET_SMALL = frozenset({"and", "at", "by", "in", "of", "on", "the", "under", "upon", "y",
                           "yr", "yn"})
#: Lower case between hyphens only (``Ashby-de-la-Zouch``, ``Chapel-en-le-Frith``).
_HYPHEN_SMALL = _STREET_SMALL | {"de", "du", "en", "la", "le", "sur"}
#: Letters before an apostrophe that keep the next letter a capital (O'Leary, D'Arcy).
_NAME_PREFIXES = frozenset({"O", "D"})


def _street_part(part: str, inner: bool) -> str:
    """Mend one hyphen-free piece of a street name (``inner``: between two others)."""
    if "'" in part:
        head, _, tail = part.partition("'")
        if head not in _NAME_PREFIXES:
            return f"{_street_part(head, False)}'{tail.lower()}"
        return part
    if inner and part.lower() in _HYPHEN_SMALL:
        return part.lower()
    if len(part) > 2 and part[:2] == "Mc" and part[2].isalpha():
        return "Mc" + part[2].upper() + part[3:]
    return part


def street_name(location: str) -> str:
    """Return a police.uk location with its title-casing mended.

    police.uk capitalises every letter after an apostrophe or a hyphen. Here,
    after an apostrophe the rest of the word is lower case (``Alderman's``,
    ``Ty'n``, ``Adwy'r``) except after a lone ``O`` or ``D`` (``O'Leary``,
    ``D'Arcy``); ``Mc`` names get their capital back (``McInroy``); particles
    between hyphens are lower case (``Allt-y-Graban``, ``Stratford-upon-Avon``);
    and small words inside a name are lower case (``Prince of Wales Drive``,
    ``Bron yr Allt``): never a first or last word or piece (``Bron-y-De``).
    Only letter case changes.

    Parameters
    ----------
    location
        A police.uk ``Location`` (``"On or near Alderman'S Walk"``) or a street name.

    Returns
    -------
    str

    Examples
    --------
    >>> street_name("On or near Alderman'S Walk")
    "On or near Alderman's Walk"
    >>> street_name("Ty'N-Y-Coed Lane"), street_name("Mcinroy Close")
    ("Ty'n-y-Coed Lane", 'McInroy Close')
    >>> street_name("Heads Of The Valleys Road"), street_name("O'Leary Drive")
    ('Heads of the Valleys Road', "O'Leary Drive")
    """
    text = str(location)
    prefix = STREET_PREFIX if text.startswith(STREET_PREFIX) else ""
    words = text[len(prefix):].split(" ")
    out = []
    for i, word in enumerate(words):
        inner = 0 < i < len(words) - 1
        if inner and word.lower() in _STREET_SMALL:
            out.append(word.lower())
            continue
        parts = word.split("-")
        out.append("-".join(_street_part(p, inner=0 < j < len(parts) - 1)
                            for j, p in enumerate(parts)))
    return prefix + " ".join(out)
