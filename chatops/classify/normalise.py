"""The form of a text that keyword, spam and personal-data checks look at.

Customers (and attackers) write `law\\u200bsuit`, `ＧＤＰＲ`, `4111\\u20601111…` or `lаwsuit`
with a Cyrillic `а`: all look like the plain word on screen, none matches a plain pattern. The
checks therefore run on a matching form: NFKC (full-width and styled letters become plain ones),
invisible characters removed (zero-width, bidi controls, soft hyphen, variation selectors, tag
characters, C0/C1 controls except white space) and so are combining marks NFKC could not
compose into a letter (strike-through and "Zalgo" stacks), and, inside a word that mixes Latin with
Cyrillic or Greek letters, the look-alike letters folded into the word's main script. A word
written in one script is left alone, so Russian text still matches Russian keywords.

The matching form is never shown or stored: display and storage keep the customer's text.
`normalise_mapped` also returns where each character came from, so that spans found in the
matching form (personal data to redact) can be mapped back onto the original text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

_INVISIBLE_RANGES = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls, except \t \n \r
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u061c"  # Arabic letter mark
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers, rendered blank
    "\u17b4\u17b5"  # Khmer inherent vowels, invisible
    "\u180b-\u180f"  # Mongolian variation selectors and vowel separator
    "\u200b-\u200f"  # zero-width space, non-joiner, joiner, LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, bidi isolates, deprecated formats
    "\u2800"  # braille blank
    "\ufe00-\ufe0f"  # variation selectors
    "\ufeff"  # zero-width no-break space (BOM)
    "\ufff0-\ufff8"  # unassigned specials
    "\U0001d173-\U0001d17a"  # musical formatting
    "\U000e0000-\U000e0fff"  # tag characters and variation selectors supplement
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_RANGES}]")
_MARK_RANGES = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
"""The generic combining marks (Latin, Cyrillic, symbols): what is left of them after NFKC
composed the accents it could is decoration (`l̷a̷w̷s̷u̷i̷t̷`, `4̶1̶1̶1̶`), not part of a word."""
_HIDDEN = re.compile(f"[{_INVISIBLE_RANGES}{_MARK_RANGES}]")
_NEEDS_WORK = re.compile("[^\t\n\r\x20-\x7e]")
"""Anything outside printable ASCII: plain ASCII text is already in matching form."""

# Cyrillic and Greek letters that look like Latin ones, and the reverse for Cyrillic words.
_TO_LATIN = str.maketrans(
    "аеорсухіјѕԁһԛԝӏАВЕКМНОРСТХІЈЅԌ"  # Cyrillic
    "αεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",  # Greek
    "aeopcyxijsdhqwlABEKMHOPCTXIJSGaeikvoptuxABEZHIKMNOPTYX",
)
_TO_CYRILLIC = str.maketrans("aeopcyxABEKMHOPCTX", "аеорсухАВЕКМНОРСТХ")
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u052f]")
_GREEK = re.compile(r"[\u0370-\u03ff]")


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text in matching form, and how to find where each of its characters came from."""

    text: str
    deleted_before: tuple[int, ...] = ()
    """For each removed character, in order: the matching-form index it was removed before."""
    starts: tuple[int, ...] | None = None
    """Original start of each character, when NFKC changed lengths (else None)."""
    ends: tuple[int, ...] | None = None

    def original_index(self, index: int) -> int:
        """Where character `index` of the matching form starts in the original text."""
        if self.starts is not None:
            return self.starts[index]
        return index + bisect.bisect_right(self.deleted_before, index)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `text[start:end]` (not empty) came from."""
        if self.ends is not None:
            return self.original_index(start), self.ends[end - 1]
        return self.original_index(start), self.original_index(end - 1) + 1


def normalise(text: str) -> str:
    """`text` in matching form (see the module docstring)."""
    if not _NEEDS_WORK.search(text):
        return text
    visible = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return fold_lookalikes(_HIDDEN.sub("", visible))


def normalise_mapped(text: str) -> Normalised:
    """`text` in matching form, mappable back to the original; linear in the length.

    Removing invisible characters is the common change and costs one regex pass; only a text
    whose NFKC form differs (ligatures, full-width forms, decomposed accents) is mapped
    character by character.
    """
    if not _NEEDS_WORK.search(text):
        return Normalised(text)
    if unicodedata.is_normalized("NFKC", _INVISIBLE.sub("", text)):
        deleted = tuple(m.start() - i for i, m in enumerate(_HIDDEN.finditer(text)))
        return Normalised(fold_lookalikes(_HIDDEN.sub("", text)), deleted)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done: dict[str, str] = {}  # a letter with its marks -> its matching form
    pos, n = 0, len(text)
    while pos < n:
        end = pos + 1
        while end < n and unicodedata.combining(text[end]):
            end += 1
        group = text[pos:end]
        piece = done.get(group)
        if piece is None:
            piece = done[group] = _HIDDEN.sub("", unicodedata.normalize("NFKC", group))
        if len(piece) == 1:
            out.append(piece)
            starts.append(pos)
            ends.append(end)
        elif piece:
            out.append(piece)
            starts.extend([pos] * len(piece))
            ends.extend([end] * len(piece))
        pos = end
    return Normalised(fold_lookalikes("".join(out)), (), tuple(starts), tuple(ends))


def fold_lookalikes(text: str) -> str:
    """Fold look-alike letters inside words that mix Latin with Cyrillic or Greek.

    The word's main script wins: `lаwsuit` (one Cyrillic letter) becomes Latin `lawsuit`,
    `зaказ` (one Latin letter) becomes Cyrillic `заказ`. Each letter maps to one letter, so
    offsets do not move.
    """
    if not _LATIN.search(text) or not (_CYRILLIC.search(text) or _GREEK.search(text)):
        return text
    return _WORD.sub(_fold_word, text)


def _fold_word(m: re.Match[str]) -> str:
    word = m.group()
    latin = len(_LATIN.findall(word))
    cyrillic = len(_CYRILLIC.findall(word))
    greek = len(_GREEK.findall(word))
    if not latin or not (cyrillic or greek):
        return word
    if cyrillic > latin and not greek:
        return word.translate(_TO_CYRILLIC)
    return word.translate(_TO_LATIN)
