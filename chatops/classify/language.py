"""Language of a mention, restricted to the languages the brand actually answers in.

A free detector confuses close languages (sv/no/da, hr/bs/sr); restricting it to the configured
set is what makes the answer useful for routing. The model is loaded once, lazily; each distinct
`allowed` tuple gets its own restricted copy because `set_languages` mutates an identifier.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

from chatops.classify.spam import URL_RE

_MIN_LETTERS = 3
_MAX_CHARS = 2000  # the opening of a long post decides its language; keeps detection cheap
_TAGS = re.compile(r"[@#]\w+")
_ALIASES = {"nb": "no"}  # Bokmål: the model calls it "no"
_NO_LANGUAGE = frozenset({"", "und", "zxx", "mul", "mis"})

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


@functools.lru_cache(maxsize=64)
def _restricted(allowed: tuple[str, ...]) -> tuple[LanguageIdentifier | None, dict[str, str]]:
    """Identifier limited to `allowed`, and model code → the code as configured."""
    base = _base_identifier()
    labels = set(base.labels)
    back: dict[str, str] = {}
    for code in allowed:
        model_code = _ALIASES.get(_normalize(code), _normalize(code))
        if model_code in labels:
            back.setdefault(model_code, code)
    if not back:
        return None, back
    identifier = copy.copy(base)
    identifier.set_languages(sorted(back))
    return identifier, back


def _accepted_hint(hint: str | None, allowed: tuple[str, ...]) -> str | None:
    """The platform's language, spelled as configured, if we answer in it."""
    code = _normalize(hint)
    if not code:
        return None
    if not allowed:
        return code
    for configured in allowed:
        norm = _normalize(configured)
        if norm == code or _ALIASES.get(norm, norm) == _ALIASES.get(code, code):
            return configured
    return None


def _prose(text: str) -> str:
    """The text without links, @handles and #tags, which are not written in any language."""
    return _TAGS.sub(" ", URL_RE.sub(" ", text))


def detect_language(text: str, allowed: Sequence[str] = (), hint: str | None = None) -> str | None:
    """The mention's language as one of `allowed` (any language if empty), or None if unknowable.

    A platform's `hint` wins when it is allowed; the code returned is spelled as in `allowed`.
    """
    allowed_t = tuple(allowed)
    accepted = _accepted_hint(hint, allowed_t)
    if accepted is not None:
        return accepted
    body = _prose(text)
    if sum(c.isalpha() for c in body) < _MIN_LETTERS:
        return None
    sample = body[:_MAX_CHARS]
    if not allowed_t:
        lang = _base_identifier().classify(sample)[0]
        return None if lang in _NO_LANGUAGE else lang
    identifier, back = _restricted(allowed_t)
    if identifier is None:
        return None
    return back[identifier.classify(sample)[0]]
