"""Language of a mention, from what was written, among the languages the brand answers in.

Three steps, each only where the one before cannot decide:

1. **Script.** Letters are counted per script (Latin, Cyrillic, Han, …). Text written mostly in a
   script none of the configured languages uses is *unknown*: a Chinese message is never forced
   into Swedish, whatever a detector or a platform says.
2. **Foreign language in a familiar script.** A detector over all its languages tells French
   from Swedish. When it is confident the text is in none of the configured languages (nor their
   close kin, which it confuses: sv/no/da, hr/sr/bs), the text is *unknown*. Very short texts are
   never judged foreign: a word or two says too little.
3. **Which configured language.** A detector restricted to the configured languages of that
   script decides (a free detector confuses close languages; restricting it is what makes the
   answer useful for routing). A platform's hint (Viber's phone UI language, X's `lang`) only
   breaks ties: on a very short text, or when the detector is unsure, and only between languages
   the detector itself finds nearly as likely.

The model is loaded once, lazily; each candidate set gets its own restricted copy because
`set_languages` mutates an identifier.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from chatops.classify.spam import URL_RE

_MIN_LETTERS = 3
_MAX_CHARS = 2000  # the opening of a long post decides its language; keeps detection cheap
_SHORT_WORDS = 3
"""Fewer words than this is a "very short" text: a hint may decide, the text is never foreign."""
_SURE = 0.6
"""Below this probability (among the candidates) the detector is unsure: a hint may decide."""
_TIE = 0.4
"""A hinted language at least this fraction as likely as the best is a tie the hint breaks."""
_FOREIGN_TOP = 0.3
"""The free detector must give its best language at least this: below it is only guessing."""
_FOREIGN_MASS = 0.05
"""At most this much probability on the configured languages and their kin: a foreign text."""
_TAGS = re.compile(r"[@#]\w+")
_WORD = re.compile(r"[^\W\d_]+")
_ALIASES = {"nb": "no"}  # Bokmål: the model calls it "no"
_NO_LANGUAGE = frozenset({"", "und", "zxx", "mul", "mis"})

_KIN: tuple[frozenset[str], ...] = (
    frozenset({"sv", "no", "nn", "da"}),
    frozenset({"hr", "sr", "bs"}),
    frozenset({"de", "lb"}),
    frozenset({"en", "pcm"}),
    frozenset({"cs", "sk"}),
    frozenset({"ms", "id"}),
    frozenset({"ar", "ary", "arz"}),
    frozenset({"zh", "yue", "wuu"}),
    frozenset({"uz", "uzs"}),
)
"""Languages the detector confuses with each other and a speaker of one reads: a text in one
of them is no foreign text to a team answering in another."""

_LATIN = frozenset({"LATIN"})
_SCRIPTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("ru", "uk", "be", "bg", "mk", "kk", "ky", "mn", "tg", "tt", "ba"), frozenset({"CYRILLIC"})
    ),
    **dict.fromkeys(("sr", "uz", "crh"), frozenset({"LATIN", "CYRILLIC"})),
    **dict.fromkeys(("el", "grc"), frozenset({"GREEK"})),
    **dict.fromkeys(("ar", "ary", "arz", "fa", "ps", "ur", "ug", "sdh"), frozenset({"ARABIC"})),
    "ku": frozenset({"LATIN", "ARABIC"}),
    **dict.fromkeys(("he", "hbo", "yi"), frozenset({"HEBREW"})),
    **dict.fromkeys(("zh", "yue", "wuu"), frozenset({"HAN"})),
    "ja": frozenset({"HAN", "KANA"}),
    "ko": frozenset({"HANGUL", "HAN"}),
    **dict.fromkeys(("hi", "mr", "ne", "sa", "gom"), frozenset({"DEVANAGARI"})),
    **dict.fromkeys(("bn", "as"), frozenset({"BENGALI"})),
    "pa": frozenset({"GURMUKHI"}),
    "gu": frozenset({"GUJARATI"}),
    "or": frozenset({"ORIYA"}),
    "ta": frozenset({"TAMIL"}),
    "te": frozenset({"TELUGU"}),
    "kn": frozenset({"KANNADA"}),
    "ml": frozenset({"MALAYALAM"}),
    "si": frozenset({"SINHALA"}),
    "th": frozenset({"THAI"}),
    "lo": frozenset({"LAO"}),
    "km": frozenset({"KHMER"}),
    "my": frozenset({"MYANMAR"}),
    "dz": frozenset({"TIBETAN"}),
    "ka": frozenset({"GEORGIAN"}),
    "hy": frozenset({"ARMENIAN"}),
    "am": frozenset({"ETHIOPIC"}),
}
"""Scripts each language is written in; every other language of the model is written in Latin."""

_DENSE = frozenset({"HAN", "KANA", "HANGUL"})
"""Scripts where one character carries about a syllable or a word, so it weighs as three letters."""
_UNSPACED = frozenset({"HAN", "KANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"})
"""Scripts written without spaces between words: two characters count as a word."""
_SCRIPT_NAMES = {"CJK": "HAN", "HIRAGANA": "KANA", "KATAKANA": "KANA", "KATAKANA-HIRAGANA": "KANA"}


@dataclass(frozen=True, slots=True)
class Detected:
    """What the text says about its language.

    `language` is one of the configured languages (spelled as configured), or None. `unknown`
    is set when the text *is* written in a language, just none the brand answers in (another
    script, or a confident detector): the case is flagged and language rules do not route it.
    None without `unknown` means the text says nothing (an emoji, "ok", only a link).
    """

    language: str | None
    unknown: bool = False


_NOTHING = Detected(None)
_UNKNOWN = Detected(None, unknown=True)

_base_lock = threading.Lock()
_base: LanguageIdentifier | None = None


def _base_identifier() -> LanguageIdentifier:
    global _base
    with _base_lock:
        if _base is None:
            _base = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _base


def _normalize(code: str | None) -> str:
    """`sv-SE`, `en_US`, `SV` → `sv`; codes meaning "no language" (X's `und`, `qme`) → ``."""
    if not code:
        return ""
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    if primary in _NO_LANGUAGE or not primary.isalpha() or not 2 <= len(primary) <= 3:
        return ""
    if len(primary) == 3 and "qaa" <= primary <= "qtz":  # private use: X's qme, qht, qam …
        return ""
    return primary


def _model_code(code: str | None) -> str:
    norm = _normalize(code)
    return _ALIASES.get(norm, norm)


@functools.lru_cache(maxsize=64)
def _configured(allowed: tuple[str, ...]) -> dict[str, str]:
    """Model code → the code as configured, for the configured languages the model knows
    (every language of the model when nothing is configured)."""
    labels = set(_base_identifier().nb_classes)
    if not allowed:
        return {label: label for label in sorted(labels - _NO_LANGUAGE)}
    back: dict[str, str] = {}
    for code in allowed:
        model_code = _model_code(code)
        if model_code in labels:
            back.setdefault(model_code, code)
    return back


@functools.lru_cache(maxsize=64)
def _restricted(candidates: tuple[str, ...]) -> LanguageIdentifier:
    """An identifier limited to `candidates` (model codes, sorted)."""
    identifier = copy.copy(_base_identifier())
    identifier.set_languages(list(candidates))
    return identifier


@functools.lru_cache(maxsize=64)
def _kin(candidates: tuple[str, ...]) -> frozenset[str]:
    """The candidates, their close kin, and the model's "no language" label."""
    kin = set(candidates) | {"zxx"}
    for group in _KIN:
        if group & kin:
            kin |= group
    return frozenset(kin)


def _prose(text: str) -> str:
    """The text without links, @handles and #tags, which are not written in any language;
    NFKC so that full-width and "bold" letters count as the plain letters they show."""
    return _TAGS.sub(" ", URL_RE.sub(" ", unicodedata.normalize("NFKC", text)))


def _script(char: str) -> str:
    words = unicodedata.name(char, "").split(" ")
    head = words[1] if words[0] in ("FULLWIDTH", "HALFWIDTH") and len(words) > 1 else words[0]
    return _SCRIPT_NAMES.get(head, head)


def _scripts(text: str) -> Counter[str]:
    """Weighted letters per script (see `_DENSE`). Modifier letters (`ʼ` as an apostrophe) are
    punctuation in practice, not a script of their own."""
    weights: Counter[str] = Counter()
    for char in text:
        if char.isalpha() and unicodedata.category(char) != "Lm":
            script = _script(char)
            weights[script] += 3 if script in _DENSE else 1
    return weights


def _words(text: str) -> int:
    words = 0
    for token in _WORD.findall(text):
        unspaced = sum(1 for char in token if _script(char) in _UNSPACED)
        words += max(1, unspaced // 2) if unspaced else 1
    return words


def _writes(script: str, codes: Iterable[str]) -> tuple[str, ...]:
    """The languages among `codes` written in `script`, sorted."""
    return tuple(sorted(c for c in codes if script in _SCRIPTS.get(c, _LATIN)))


def _foreign(sample: str, candidates: tuple[str, ...]) -> bool:
    """The free detector is sure the text is in none of the candidates nor their kin."""
    ranked = _base_identifier().rank(sample)
    kin = _kin(candidates)
    mass = sum(p for lang, p in ranked if lang in kin)
    return bool(ranked[0][1] >= _FOREIGN_TOP and mass <= _FOREIGN_MASS)


def detect(text: str, allowed: Sequence[str] = (), hint: str | None = None) -> Detected:
    """The mention's language as one of `allowed` (any language the model knows if empty).

    `hint` is the platform's idea (a phone's UI language, X's guess); it only breaks ties.
    """
    allowed_t = tuple(allowed)
    configured = _configured(allowed_t)
    if not configured:
        return _NOTHING
    sample = _prose(text)[:_MAX_CHARS]
    hinted = _model_code(hint)
    scripts = _scripts(sample)
    if not scripts:
        return Detected(configured.get(hinted))
    script = scripts.most_common(1)[0][0]
    candidates = _writes(script, configured)
    if not candidates:
        return _UNKNOWN if allowed_t else _NOTHING
    if hinted not in candidates:
        hinted = ""
    if scripts.total() < _MIN_LETTERS:
        return Detected(configured.get(hinted))
    words = _words(sample)
    if allowed_t and words >= _SHORT_WORDS and _foreign(sample, candidates):
        return _UNKNOWN
    ranked = dict(_restricted(candidates).rank(sample))
    best = max(ranked, key=ranked.__getitem__)
    unsure = words < _SHORT_WORDS or ranked[best] < _SURE
    if hinted and unsure and ranked.get(hinted, 0.0) >= _TIE * ranked[best]:
        best = hinted
    language = configured[best]
    return Detected(None if language in _NO_LANGUAGE else language)


def detect_language(text: str, allowed: Sequence[str] = (), hint: str | None = None) -> str | None:
    """The mention's language as one of `allowed`, or None (see `detect`)."""
    return detect(text, allowed, hint).language
