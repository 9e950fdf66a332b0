"""Personal data in a text: e-mail, phone, card (Luhn), IBAN (mod-97) and order/booking numbers.

Found PII blocks publishing a public reply (the conversation moves to a private channel), so the
detectors prefer checksums and phone-number shapes over "any long number": a date, a price or a
year must not push a harmless reply into a DM. Detectors run from most to least specific and each
masks what it found, so one span is reported once.

The detectors look at the text's matching form (`normalise`: zero-width and look-alike
characters cannot split a card number) and report spans of the original text. Every step is
linear in the length of the text: each pattern's repetitions are either bounded or over
character classes that cannot overlap with what follows them, each candidate run is scanned
once, and found spans are merged in one sorted pass (a megabyte of IBAN-shaped text once took
over 20 s here; `python -m bench.pii` prints the figures).
"""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chatops.classify.normalise import Normalised, normalise, normalise_mapped
from chatops.classify.spam import URL_RE


@dataclass(frozen=True, slots=True)
class PiiHit:
    """One piece of personal data: its kind and where it is (`text[start:end]`)."""

    kind: str
    start: int
    end: int


_Span = tuple[int, int]
_MASK = "\x00"
_ANY_DIGIT = re.compile(r"\d")

# RFC 5321 limits: a local part of at most 64 characters, labels of at most 63.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,8}\.[^\W\d_]{2,24}"
)

# --- IBAN ------------------------------------------------------------------------------------
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
"""Full IBAN length per country; other country codes accept the generic 15–34."""

_IBAN_MIN, _IBAN_MAX = 15, 34
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}")
_IBAN_TOKEN = re.compile(r"[A-Za-z0-9]{1,35}")  # longer than any IBAN: the walk stops
_IBAN_GROUP = re.compile(r"[A-Z0-9]*\d[A-Za-z0-9]*|[A-Z]+")  # "WEST" or "0583", never "hello"


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: length for the country, then mod 97 of the rearranged number is 1."""
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return False
    expected = IBAN_LENGTHS.get(s[:2])
    if expected is not None and len(s) != expected:
        return False
    if expected is None and not _IBAN_MIN <= len(s) <= _IBAN_MAX:
        return False
    digits = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(digits) % 97 == 1


def _ibans(text: str) -> tuple[list[_Span], list[_Span]]:
    """Valid IBANs, and every IBAN-shaped span (valid or not) that card and phone must skip."""
    valid: list[_Span] = []
    shaped: list[_Span] = []
    last_end = 0
    for m in _IBAN_START.finditer(text):
        if m.start() < last_end:
            continue
        best, shape_end = _iban_at(text, m.start())
        if best is not None:
            valid.append((m.start(), best))
            last_end = best
        elif shape_end - m.start() >= _IBAN_MIN:
            shaped.append((m.start(), shape_end))
            last_end = shape_end
    return valid, shaped


def _iban_at(text: str, start: int) -> tuple[int | None, int]:
    """End of the longest valid IBAN at `start` (tokens split by single spaces) and of its shape."""
    country = text[start : start + 2].upper()
    exact = IBAN_LENGTHS.get(country)
    limit = exact or _IBAN_MAX
    compact, pos, best, shape_end = "", start, None, start
    while True:
        tok = _IBAN_TOKEN.match(text, pos)
        if tok is None:
            break
        compact += tok.group()
        pos = tok.end()
        if len(compact) > limit:
            break
        shape_end = pos
        if (exact is None or len(compact) == exact) and iban_valid(compact):
            best = pos
        nxt = _IBAN_TOKEN.match(text, pos + 1) if text[pos : pos + 1] in (" ", "\u00a0") else None
        if nxt is None or not _IBAN_GROUP.fullmatch(nxt.group()):
            break
        pos += 1
    return best, shape_end


# --- cards -----------------------------------------------------------------------------------
_DIGIT_RUN = re.compile(r"(?<!\w)\d+(?:[ \u00a0\-]\d+)*")
_CARD_MIN, _CARD_MAX = 13, 19


def luhn_valid(number: str) -> bool:
    """Luhn checksum over the digits of `number` (separators ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


def _card_shape(groups: Sequence[str]) -> bool:
    """How people write card numbers: one block, fours (last one shorter), or Amex 4-6-5."""
    lens = [len(g) for g in groups]
    if len(lens) == 1:
        return True
    if all(n == 4 for n in lens[:-1]) and 1 <= lens[-1] <= 4:
        return True
    return lens in ([4, 6, 5], [4, 6, 4])


def _cards(text: str) -> list[_Span]:
    """Luhn-valid card numbers; inside a longer run of digit groups, the longest valid window."""
    spans: list[_Span] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = list(re.finditer(r"\d+", run.group()))
        i = 0
        while i < len(groups):
            best = _card_window(groups, i)
            if best is None:
                i += 1
                continue
            spans.append((run.start() + groups[i].start(), run.start() + groups[best].end()))
            i = best + 1
    return spans


def _card_window(groups: Sequence[re.Match[str]], i: int) -> int | None:
    if len(groups[i].group()) != 4 and not _CARD_MIN <= len(groups[i].group()) <= _CARD_MAX:
        return None  # every card shape starts with a block of four or is a single block
    best, chunk = None, []
    for j in range(i, len(groups)):
        chunk.append(groups[j].group())
        digits = "".join(chunk)
        if len(digits) > _CARD_MAX:
            break
        if (
            len(digits) >= _CARD_MIN
            and _card_shape(chunk)
            and len(set(digits)) > 1
            and luhn_valid(digits)
        ):
            best = j
    return best


# --- phones ----------------------------------------------------------------------------------
_DATE = re.compile(
    r"(?<![\d.])(?:"
    r"(?:19|20)\d{2}[\-./](?:0?[1-9]|1[0-2])[\-./](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[\-./](?:0?[1-9]|1[0-2])[\-./](?:19|20)?\d{2}"
    r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)?\d{2}"
    r"|(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?!\d)"
    r")(?!\d)"
)
_TIME = re.compile(r"(?<!\d)(?<!\d[.:])(?:[01]?\d|2[0-3])[:.][0-5]\d(?:[:.][0-5]\d)?(?![.:]?\d)")
_AMOUNT = r"(?:\d{1,3}(?:[ \u00a0.,']\d{3}){1,4}|\d+)(?:[.,]\d{1,2}|[.,]-)?"
_CURRENCY = r"(?:kr|kn|sek|nok|dkk|eur|euro|euros|usd|gbp|chf|rub|руб|р\.|€|\$|£|₽|:-|,-)"
_PRICE = re.compile(
    rf"(?i)(?:[$€£₽]|(?<!\w)(?:kr|sek|nok|dkk|eur|usd|gbp|chf)\.?)\s?{_AMOUNT}"
    rf"|(?<![\d.,]){_AMOUNT}\s?{_CURRENCY}(?!\w)"
)
_PHONE = re.compile(
    r"(?<![\w#@/+])(?<!\d[.,:\-])"
    r"(?:\+[ ]?)?\(?\d+"
    r"(?:(?:\)[ \u00a0]?\(?|[ \u00a0./\-]\(?|\()\d+)*"
    r"\)?"
)
_PHONE_CONTEXT = re.compile(
    r"(?i)(?<!\w)(?:tel|tlf|phone|mob|ring|call|sms|whatsapp|viber|handy|anruf|nazov|"
    r"телеф|тел\b|моб|звон)"
)
_BARE_SHAPES = re.compile(r"\d{2}(?: \d{2}){3}|\d{3} \d{2} \d{3}|\d{3}-\d{3}-\d{4}")
_RU_NATIONAL = re.compile(r"8[ \-]?\(\d{3}\)|8[ \-]\d{3}[ \-]\d{3}")
_YEARS = re.compile(r"(?:(?:19|20)\d{2}[ \-]?)+")
_PHONE_MIN, _PHONE_MAX = 8, 15


def _phone_span(text: str, m: re.Match[str]) -> _Span | None:
    """The candidate's span with stray parentheses trimmed, if it is a phone number."""
    start, end = m.span()
    cand = m.group()
    if cand.endswith(")") and cand.count(")") > cand.count("("):
        cand, end = cand[:-1], end - 1
    if cand.startswith("(") and cand.count("(") > cand.count(")"):
        cand, start = cand[1:], start + 1
    after = text[end : end + 2]
    if after[:1].isalnum() or after[:1] == "_":
        return None
    if len(after) == 2 and after[0] in ".,:" and after[1].isdigit():
        return None  # a decimal, a price or a time goes on
    digits = re.sub(r"\D", "", cand)
    if _phone_shape(cand, digits, text[max(0, start - 30) : start]):
        return start, end
    return None


def _phone_shape(cand: str, digits: str, before: str) -> bool:
    """Does this look like a phone number as people write one?

    A leading `+`, `00`, trunk `0`, Russian `8 (9xx)` or an area code in parentheses is enough.
    A bare number is usually an amount, an id or a year, so it needs a phone-like grouping
    (`22 12 34 56`, `412 34 567`, `555-123-4567`) or a word like "tel"/"ring" just before it.
    """
    if cand.startswith("+"):
        return _PHONE_MIN <= len(digits) <= _PHONE_MAX
    if cand.startswith("00"):
        return digits[2:3] not in ("", "0") and _PHONE_MIN <= len(digits) - 2 <= _PHONE_MAX
    if cand.startswith(("0", "(0")):
        first = re.match(r"\(?(\d+)", cand)
        return first is not None and len(first.group(1)) >= 2 and 8 <= len(digits) <= 13
    if _RU_NATIONAL.match(cand):
        return len(digits) == 11
    if cand.startswith("("):
        return 8 <= len(digits) <= 12
    if re.search(r"[^\d \u00a0\-]", cand) or _YEARS.fullmatch(cand):
        return False
    if not 8 <= len(digits) <= 11:
        return False
    return bool(_BARE_SHAPES.fullmatch(cand) or _PHONE_CONTEXT.search(before))


def _phones(masked: str) -> list[_Span]:
    if not _PHONE.search(masked):
        return []  # dates, times and prices only matter around a candidate
    noise = [m.span() for rx in (_DATE, _TIME, _PRICE) for m in rx.finditer(masked)]
    masked = _mask(masked, noise)
    spans = (_phone_span(masked, m) for m in _PHONE.finditer(masked))
    return [s for s in spans if s is not None]


# --- order and booking numbers ---------------------------------------------------------------
_ORDER_WORDS = (
    # sv
    r"order(?:n|nummer|numret|nr)?", r"beställning(?:en|snummer|snumret|snr)?",
    r"bokning(?:en|snummer|snumret|snr)?",
    # no, da
    r"ordre(?:n|nummer|nummeret|nr)?", r"bestilling(?:en|snummer|snummeret|snr)?",
    r"booking(?:en|nummer|nummeret|nr|referanse|referencen?)?",
    r"reservasjon(?:en|snummer)?", r"reservation(?:en|snummer|snummeret)?",
    # de
    r"bestell(?:ung|nummer|-nr|nr)", r"auftrag(?:snummer|s-nr|snr)?",
    r"buchung(?:snummer|s-nr|snr)?", r"reservierung(?:snummer)?",
    # hr (also as typed without diacritics)
    r"narud[žz]b[aeiu]", r"rezervacij[aeiu]",
    # ru
    r"заказ(?:а|у|ом|е)?", r"брон(?:ь|и|ирование|ирования|ированию)",
    # en
    r"orders?", r"bookings?", r"reservations?", r"confirmation",
)  # fmt: skip
_ORDER_LINKS = (
    r"number|nummer|numret|nummeret|no\.?|nr\.?|num\.?|ref(?:erence|eranse)?\.?|id|code"
    r"|kod|kode|broj|номер|№|#|:|-"
)
_BUILTIN_ORDER = re.compile(
    rf"(?i)(?<!\w)(?:{'|'.join(_ORDER_WORDS)})(?!\w)"
    rf"(?:[ \t]{{0,3}}(?:{_ORDER_LINKS})){{0,3}}[ \t]{{0,3}}#?[ \t]{{0,2}}"
    r"(?P<code>[^\W_]{1,30}(?:-[^\W_]{1,30}){0,4})(?![\w\-])"
)
_ORDER_MIN_CHARS, _ORDER_MIN_DIGITS = 6, 2


def _orders(text: str) -> list[_Span]:
    """Built-in order and booking numbers in every language we answer in: the word, then a code.

    The code (letters and digits, maybe in hyphenated groups) needs six characters, two of them
    digits, and must not be a date: "order 5", "Bestellung 2025", "order status" and
    "order 2026-11-23" are not order numbers.
    """
    spans: list[_Span] = []
    for m in _BUILTIN_ORDER.finditer(text):
        code = m.group("code").replace("-", "")
        digits = sum(c.isdigit() for c in code)
        if len(code) < _ORDER_MIN_CHARS or digits < _ORDER_MIN_DIGITS:
            continue
        if _DATE.fullmatch(m.group("code")):
            continue
        spans.append(m.span())
    return spans


# --- the brand's own contact details ------------------------------------------------------------
# E.164 country codes are prefix-free: 1 and 7 are one digit, these two, all others three.
_CC_TWO = frozenset(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98".split()
)


def _country_code_length(digits: str) -> int:
    if digits[:1] in ("1", "7"):
        return 1
    return 2 if digits[:2] in _CC_TWO else 3


def _phone_key(text: str) -> tuple[bool, str]:
    """(international?, digits) of a phone number as written: `+46 (0)8-123` -> (True, 468123)."""
    compact = re.sub(r"[\s\u00a0./\-]", "", text).replace("(0)", "")
    digits = re.sub(r"\D", "", compact)
    if compact.startswith("+"):
        return True, digits
    if digits.startswith("00"):
        return True, digits[2:]
    return False, digits


@dataclass(frozen=True, slots=True)
class Allowed:
    """Contact details the brand publishes itself (`pii.allow`): not personal data in a reply.

    E-mail addresses compare case-insensitively; phone numbers by their digits, so spaces,
    dashes, `00` for `+` and a national `08-…` for an allowed `+46 8 …` all match; anything
    else (an IBAN for donations) by its letters and digits.
    """

    emails: frozenset[str] = frozenset()
    phones_international: frozenset[str] = frozenset()
    phones_national: frozenset[str] = frozenset()
    other: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str]) -> Allowed:
        emails, intl, national, other = set(), set(), set(), set()
        for entry in entries:
            entry = normalise(entry).strip()
            if "@" in entry:
                emails.add(entry.casefold())
                continue
            international, digits = _phone_key(entry)
            if international and digits:
                intl.add(digits)
                national.add("0" + digits[_country_code_length(digits) :])
            elif digits.startswith("0"):
                national.add(digits)
            other.add(_compact(entry))
        return cls(frozenset(emails), frozenset(intl), frozenset(national), frozenset(other))

    def __contains__(self, hit: tuple[str, str]) -> bool:
        kind, value = hit
        if kind == "email":
            return value.casefold() in self.emails
        if kind == "phone":
            international, digits = _phone_key(value)
            return digits in (self.phones_international if international else self.phones_national)
        return _compact(value) in self.other


def _compact(text: str) -> str:
    return "".join(c for c in text if c.isalnum()).casefold()


@functools.lru_cache(maxsize=32)
def _allowed(entries: tuple[str, ...]) -> Allowed:
    return Allowed.of(entries)


# --- plumbing --------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def _mask(text: str, spans: Iterable[_Span]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


class _Taken:
    """Found spans, kept sorted and disjoint: a batch is checked and merged in one pass.

    (Checking each new span against every earlier one was what made a text full of numbers
    quadratic.)
    """

    def __init__(self) -> None:
        self.spans: list[_Span] = []

    def add(self, batch: Iterable[_Span]) -> list[_Span]:
        """The spans of `batch` that overlap nothing found before (nor each other), added."""
        accepted: list[_Span] = []
        taken, i = self.spans, 0
        for start, end in sorted(span for span in batch if span[0] < span[1]):
            while i < len(taken) and taken[i][1] <= start:
                i += 1
            if i < len(taken) and taken[i][0] < end:
                continue
            if accepted and accepted[-1][1] > start:
                continue
            accepted.append((start, end))
        if accepted:
            self.spans = list(heapq.merge(taken, accepted))
        return accepted

    def free(self, spans: Iterable[_Span]) -> list[_Span]:
        """The spans (in start order) that overlap nothing found so far; nothing is added."""
        free: list[_Span] = []
        taken, i = self.spans, 0
        for start, end in sorted(spans):
            while i < len(taken) and taken[i][1] <= start:
                i += 1
            if not (i < len(taken) and taken[i][0] < end):
                free.append((start, end))
        return free


def find_pii(
    text: str, extra_patterns: Sequence[str] = (), allow: Sequence[str] = ()
) -> list[PiiHit]:
    """Every piece of personal data in `text`, sorted by position, never overlapping.

    Order and booking numbers are found in every language we answer in (kind `order`);
    `extra_patterns` are more regexes of that kind, and an invalid one raises `re.error`, which
    config validation is expected to catch first. `allow` lists the brand's own contact details
    (`pii.allow`), which are not reported.
    """
    norm = normalise_mapped(text)
    plain = norm.text
    found: list[tuple[str, _Span]] = []
    taken = _Taken()

    def keep(kind: str, spans: Iterable[_Span]) -> None:
        found.extend((kind, span) for span in taken.add(spans))

    keep("email", (m.span() for m in _EMAIL.finditer(plain)))
    if not _ANY_DIGIT.search(plain):
        return _hits(norm, found, allow)
    urls = taken.free(m.span() for m in URL_RE.finditer(plain))
    masked = _mask(plain, [*taken.spans, *urls])
    ibans, iban_shaped = _ibans(masked)
    keep("iban", ibans)
    masked = _mask(masked, iban_shaped)
    keep("card", _cards(_mask(masked, taken.spans)))
    keep("order", _orders(_mask(plain, taken.spans)))
    keep("order", (m.span() for rx in _compiled(tuple(extra_patterns)) for m in rx.finditer(plain)))
    keep("phone", _phones(_mask(masked, taken.spans)))
    return _hits(norm, found, allow)


def _hits(norm: Normalised, found: list[tuple[str, _Span]], allow: Sequence[str]) -> list[PiiHit]:
    """What was found in the matching form, on the original text, minus the allowed details."""
    allowed = _allowed(tuple(allow)) if allow else None
    hits = [
        PiiHit(kind, *norm.original_span(*span))
        for kind, span in found
        if allowed is None or (kind, norm.text[span[0] : span[1]]) not in allowed
    ]
    return sorted(hits, key=lambda h: h.start)


def pii_kinds(hits: Iterable[PiiHit]) -> list[str]:
    """The distinct kinds found, sorted: what a case records and a guard reports."""
    return sorted({h.kind for h in hits})


def redact(text: str, hits: Iterable[PiiHit]) -> str:
    """`text` with each hit replaced by `[kind]`, for logs that must not hold personal data."""
    out: list[str] = []
    pos = 0
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        start, end = max(hit.start, pos), min(hit.end, len(text))
        if start >= end:
            continue
        out.append(text[pos:start])
        out.append(f"[{hit.kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --- requests for personal data --------------------------------------------------------------
_ASKS = (
    # en
    r"order\s*(?:number|no\b|nr\b|id\b|ref|#)", r"booking\s*(?:number|ref|id\b|code)",
    r"reference\s+number", r"address\s*:",
    r"(?:your|my|our|home|delivery|shipping|billing|postal|street|new|correct|e-?mail)\s+address",
    r"(?:tele)?phone\s*(?:number|no\b|nr\b)",
    r"mobile\s+number", r"(?:credit|debit)\s*card", r"card\s*(?:number|details)", r"password",
    r"pin\s*code", r"social\s+security", r"personal\s+(?:number|id\b)", r"account\s+number",
    r"date\s+of\s+birth", r"passport", r"(?:your|my)\s+e-?mail", r"e-?mail\s*-?ad",
    # sv, no, da
    r"order\s*nummer", r"ordernr", r"ordrenummer", r"ordrenr", r"beställningsnummer",
    r"bestillingsnummer", r"bokningsnummer", r"bookingnummer", r"bookingreferanse", r"adres",
    r"telefonnummer", r"mobilnummer", r"kortnummer", r"kortuppgifter", r"kortoplysninger",
    r"lösenord", r"passord", r"adgangskode", r"kodeord", r"personnummer", r"fødselsnummer",
    r"cpr\b", r"cpr-nummer", r"e-?post\s*-?adress", r"mejladress", r"kontonummer",
    r"bankkort", r"betalkort", r"kreditt?kort", r"(?:din|min|ditt|mitt)\s+(?:mejl|e-?mail|e-?post)",
    # de
    r"bestellnummer", r"auftragsnummer", r"buchungsnummer", r"kundennummer", r"anschrift",
    r"handynummer", r"kartennummer", r"kreditkart", r"passwort", r"kennwort", r"iban\b",
    r"geburtsdatum", r"(?:ihre|deine|meine|ihrer|deiner|meiner)\s+e-?mail",
    # hr
    r"broj\w*\s+narudžb", r"broj\w*\s+rezervacij", r"broj\w*\s+telefona", r"broj\w*\s+mobitela",
    r"broj\w*\s+kartic", r"kartic", r"lozink", r"oib\b", r"broj\w*\s+računa",
    r"(?:vaš|tvoj|moj)\w*\s+e-?mail",
    # ru
    r"номер\w*\s+заказ", r"номер\w*\s+брон", r"адрес", r"номер\w*\s+телефон", r"телефон",
    r"номер\w*\s+карт", r"карт(?:а|у|ы|ой|е|очк)", r"парол", r"паспорт", r"электронн\w*\s+почт",
    r"(?:ваш|мой|твой)\w*\s+(?:e-?mail|почт)",
)  # fmt: skip
_ASKS_RE = re.compile(r"(?i)(?<!\w)(?:" + "|".join(_ASKS) + ")")


def asks_for_pii(text: str) -> bool:
    """Whether the text asks for or talks about personal data (order number, address, card …).

    Such a conversation belongs in a private channel even when no number is in the text yet.
    """
    return _ASKS_RE.search(normalise(text)) is not None
