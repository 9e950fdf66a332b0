"""Letters without their accents, as a phone keyboard without them types a word."""

from __future__ import annotations

import unicodedata

_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "dj", "ł": "l", "ё": "е"})


def fold(word: str) -> str:
    """`word` without accents ("račun" -> "racun", "Rückgabe" -> "Ruckgabe", "ø" -> "o")."""
    if word.isascii():
        return word
    plain = unicodedata.normalize("NFKD", word.translate(_FOLD).replace("й", "\0"))
    return "".join(c for c in plain if not unicodedata.combining(c)).replace("\0", "й")
