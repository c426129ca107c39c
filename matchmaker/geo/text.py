"""Two ways of tidying place text, kept apart on purpose.

``normalise_query`` is gentle (case and spacing only): it is the cache key and
what a geocoder is asked, so "Park  Slope" and "park slope" share one answer.
``fold`` is aggressive (accents, dots, hyphens gone): it is how the offline
gazetteer compares names, so "São Paulo", "Sao Paulo" and "SAO-PAULO" meet.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_COMMA = re.compile(r"\s*,\s*")
# The Latin accents that NFKD splits off ("é" -> "e" + U+0301); other scripts stay as they are.
_ACCENTS = re.compile("[\u0300-\u036f]")
# Dots and apostrophes vanish ("St. John's" -> "st johns"); dashes and slashes part words.
_FOLD_TABLE = str.maketrans({**dict.fromkeys(".'’`ʻ"), **dict.fromkeys("-‐–—_/", " ")})


def normalise_query(text: str) -> str:
    """Lower-case, one space between words, ", " between parts; no leading/trailing junk."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _SPACE_BEFORE_COMMA.sub(", ", _SPACES.sub(" ", text))
    return text.strip(" ,")


def fold(name: str) -> str:
    """The comparison form of a place name: no accents, dots, apostrophes or hyphens."""
    name = name.casefold()
    if not name.isascii():
        name = _ACCENTS.sub("", unicodedata.normalize("NFKD", name))
    return " ".join(name.translate(_FOLD_TABLE).split())
