"""One pass over an inbound mention: language, sensitivity, personal data, spam.

Department-based sensitivity is not decided here: the department is only known after routing,
which itself needs the language. The pipeline calls `sensitivity_reasons` (with the department)
after routing and merges the result, e.g. with `Classification.with_reasons`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chatops.classify.language import detect
from chatops.classify.pii import asks_for_pii, find_pii, pii_kinds
from chatops.classify.sensitivity import keyword_reasons, reach_reason
from chatops.classify.spam import is_spam, spam_signals


@dataclass(frozen=True, slots=True)
class Classification:
    """What the worker learned about a mention before routing it."""

    language: str | None
    sensitive_reasons: tuple[str, ...]
    pii: tuple[str, ...]
    asks_for_pii: bool
    spam_signals: tuple[str, ...]
    spam: bool
    high_reach: bool
    language_unknown: bool = False
    """Written in a language the brand does not answer in (`language` is then None)."""

    @property
    def sensitive(self) -> bool:
        """A reply needs comms approval."""
        return bool(self.sensitive_reasons)

    @property
    def flags(self) -> tuple[str, ...]:
        """Labels shown on the case, only those that hold, in a fixed order."""
        held = (
            ("sensitive", self.sensitive),
            ("high_reach", self.high_reach),
            ("personal_data", bool(self.pii) or self.asks_for_pii),
            ("possible_spam", self.spam),
            ("unknown_language", self.language_unknown),
        )
        return tuple(name for name, on in held if on)

    def with_reasons(self, reasons: Iterable[str]) -> Classification:
        """A copy with more sensitivity reasons (e.g. the department's), duplicates dropped."""
        merged = tuple(dict.fromkeys((*self.sensitive_reasons, *reasons)))
        return dataclasses.replace(self, sensitive_reasons=merged)


def classify(
    text: str,
    *,
    lang_hint: str | None = None,
    allowed_languages: Sequence[str] = (),
    author_followers: int | None = None,
    author_handle: str = "",
    sensitive_keywords: Sequence[str] = (),
    min_followers: int | None = None,
    pii_patterns: Sequence[str] = (),
    pii_allow: Sequence[str] = (),
) -> Classification:
    """Classify one mention. Sensitivity covers keywords and reach only (see module docstring).

    `pii_allow` are the brand's own contact details (`pii.allow`): quoting them is not sharing
    personal data.
    """
    reasons = keyword_reasons(text, sensitive_keywords)
    reach = reach_reason(author_followers, min_followers)
    if reach is not None:
        reasons.append(reach)
    signals = spam_signals(text, author_followers=author_followers, author_handle=author_handle)
    language = detect(text, allowed_languages, lang_hint)
    return Classification(
        language=language.language,
        sensitive_reasons=tuple(reasons),
        pii=tuple(pii_kinds(find_pii(text, pii_patterns, pii_allow))),
        asks_for_pii=asks_for_pii(text),
        spam_signals=tuple(signals),
        spam=is_spam(signals),
        high_reach=reach is not None,
        language_unknown=language.unknown,
    )
