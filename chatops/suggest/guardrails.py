"""What a model's suggestion must pass before a person is shown it: pure checks of its text.

A failed check keeps the template draft and the thread says which one failed; a promise of
money passes but makes the case need approval (`PROMISE_REASON` among its approval reasons),
because a refund is the brand's decision, not a writer's. These checks come *on top of* every
rule a draft meets before publishing (personal data, sensitivity, approvals, repeated text),
which apply to a suggestion as to any draft.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from chatops.classify.language import detect
from chatops.classify.pii import find_pii
from chatops.classify.spam import URL_RE
from chatops.drafting import LANGUAGES

PROMISE_REASON = "promise:money"
"""The approval reason a suggestion promising money, a refund or compensation adds."""

_MONEY = re.compile(
    r"(?i)(?<!\w)(?:"
    # en
    r"refund\w*|reimburs\w*|compensat\w*|money back|voucher\w*|discount\w*|store credit"
    r"|credit (?:note|your account)|free of charge|goodwill (?:gesture|payment)"
    # sv
    r"|återbetal\w*|ersätt\w*|ersättning\w*|kompensation\w*|kompensera\w*|pengarna tillbaka"
    r"|rabatt\w*|presentkort\w*|tillgodo\w*|gottgör\w*|kostnadsfri\w*"
    # no, da
    r"|refusjon\w*|refunder\w*|tilbakebetal\w*|tilbagebetal\w*|kompensasjon\w*|erstatning\w*"
    r"|pengene tilba(?:ke|ge)|gavekort\w*|refusion\w*|godtgør\w*|kompensere\w*"
    # de
    r"|\w*erstatt\w*|entschädig\w*|gutschrift\w*|gutschein\w*|geld zurück|kulanz\w*"
    r"|kostenlos\w*|preisnachlass\w*"
    # hr
    r"|povrat\w* novca|vratit ćemo (?:vam )?novac|refundacij\w*|refundir\w*|naknad\w*"
    r"|kompenzacij\w*|popust\w*|vaučer\w*|poklon bon\w*|besplatn\w*"
    # ru
    r"|возврат\w*|верн[её]м (?:вам )?(?:деньги|средства)|компенсац\w*|компенсир\w*|возмещ\w*"
    r"|скидк\w*|промокод\w*|сертификат\w*|бесплатн\w*"
    r")(?!\w)"
)
_AMOUNT = re.compile(
    r"(?i)(?:[€$£₽]\s?\d|\d[\d\s.,]*\s?(?:kr|kn|sek|nok|dkk|eur|euro|euros|usd|gbp|rub|руб\w*"
    r"|€|\$|£|₽)(?!\w))"
)
_DIGITS = re.compile(r"\W+")
_PLACEHOLDER = re.compile(
    r"\[[^\[\]\n]{1,40}\]|\{\{?[^{}\n]{1,40}\}\}?|<[^<>\n]{1,40}>|_{3,}|X{3,}"
)


@dataclass(frozen=True)
class Verdict:
    """`problem`: why the suggestion is not shown ("" when it may be); `approval`: reasons
    it adds to the case's approval reasons when it is shown."""

    problem: str = ""
    approval: tuple[str, ...] = ()
    code: str = ""
    """Which check failed, for logs (`problem` may quote the suggestion)."""

    @property
    def ok(self) -> bool:
        return not self.problem


def check(
    text: str,
    *,
    language: str | None,
    languages: Sequence[str],
    customer_texts: Sequence[str],
    length: int,
    max_length: int | None,
    allowed_domains: Sequence[str],
    pii_patterns: Sequence[str] = (),
    pii_allow: Sequence[str] = (),
) -> Verdict:
    """Judge a suggestion for a customer writing in `language` (one of `languages`, those the
    brand answers in); `length` is the suggestion's length as the platform counts it."""
    checks: tuple[tuple[str, Callable[[], str]], ...] = (
        ("language", lambda: wrong_language(text, language, languages)),
        ("length", lambda: too_long(length, max_length)),
        ("personal_data", lambda: new_personal_data(text, customer_texts, pii_patterns, pii_allow)),
        ("link", lambda: foreign_link(text, allowed_domains)),
        ("placeholder", lambda: placeholder(text)),
    )
    for code, run in checks:
        problem = run()
        if problem:
            return Verdict(problem, code=code)
    return Verdict(approval=(PROMISE_REASON,) if promises_money(text) else ())


def wrong_language(text: str, language: str | None, languages: Sequence[str]) -> str:
    """A reply not in the customer's language (unknown customer language: not checked). It is
    told among the brand's languages and the seven drafted in, so that a Danish reply to a
    Swedish customer is caught even where no department answers in Danish."""
    if not language:
        return ""
    candidates = tuple(dict.fromkeys([*languages, *LANGUAGES, language]))
    found = detect(text, candidates).language
    if found == language:
        return ""
    return f"wrong language: {found or 'unknown'}, not {language}"


def too_long(length: int, max_length: int | None) -> str:
    if max_length is None or length <= max_length:
        return ""
    return f"too long: {length} of {max_length} characters"


def new_personal_data(
    text: str, customer_texts: Sequence[str], patterns: Sequence[str], allow: Sequence[str]
) -> str:
    """Personal data (e-mail, phone, card, IBAN, order number) the customer did not write:
    a model inventing or recalling someone's details must never reach a draft. The brand's
    own contacts (`pii.allow`) are not personal data."""
    given = {_key(t[h.start : h.end]) for t in customer_texts for h in find_pii(t, patterns, allow)}
    found = sorted(
        {
            h.kind
            for h in find_pii(text, patterns, allow)
            if _key(text[h.start : h.end]) not in given
        }
    )
    return f"personal data the customer did not give ({', '.join(found)})" if found else ""


def _key(found: str) -> str:
    """The same detail however it is spaced or cased ("+46 70-123 45 67", "+46701234567")."""
    return _DIGITS.sub("", found).casefold()


def links(text: str) -> list[str]:
    """The host of every link in `text` (lower case, without `www.`)."""
    hosts = []
    for match in URL_RE.finditer(text):
        raw = match.group()
        url = raw if "://" in raw else f"http://{raw}"
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        hosts.append(host)
    return hosts


def foreign_link(text: str, allowed_domains: Sequence[str]) -> str:
    """A link to a domain not in `drafting.allowed_domains` (subdomains of one are fine)."""
    allowed = [d.lower() for d in allowed_domains]
    bad = [h for h in links(text) if not any(h == d or h.endswith("." + d) for d in allowed)]
    if not bad:
        return ""
    return f"link to a domain not allowed ({', '.join(sorted(set(bad)))})"


def placeholder(text: str) -> str:
    """A gap the model left for someone to fill ("[order number]", "{name}", "<link>"): a
    draft that reads as finished must not hide one."""
    found = _PLACEHOLDER.search(text)
    return f"a placeholder left in ({found.group()})" if found else ""


def promises_money(text: str) -> bool:
    """Money, a refund, compensation, a discount or a voucher in any of the seven languages,
    or an amount of money: whether promised or not, a person with approval rights reads it."""
    return bool(_MONEY.search(text) or _AMOUNT.search(text))
