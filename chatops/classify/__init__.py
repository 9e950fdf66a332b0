"""Classification of inbound mentions: language, personal data, spam, sensitivity."""

from chatops.classify.classifier import Classification, classify
from chatops.classify.language import detect_language
from chatops.classify.normalise import normalise
from chatops.classify.pii import (
    IBAN_LENGTHS,
    PiiHit,
    asks_for_pii,
    find_pii,
    iban_valid,
    luhn_valid,
    pii_kinds,
    redact,
)
from chatops.classify.sensitivity import keyword_reasons, reach_reason, sensitivity_reasons
from chatops.classify.spam import CONTENT_SIGNALS, URL_RE, is_spam, promotes, spam_signals

__all__ = [
    "CONTENT_SIGNALS",
    "IBAN_LENGTHS",
    "URL_RE",
    "Classification",
    "PiiHit",
    "asks_for_pii",
    "classify",
    "detect_language",
    "find_pii",
    "iban_valid",
    "is_spam",
    "keyword_reasons",
    "luhn_valid",
    "normalise",
    "pii_kinds",
    "promotes",
    "reach_reason",
    "redact",
    "sensitivity_reasons",
    "spam_signals",
]
