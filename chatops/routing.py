"""Which department owns a mention: the first routing rule whose conditions all hold.

A pure function of the mention's fields and the rules, run for every mention, so each rule is
compiled once (and kept on the rule). Keywords match whole words or word prefixes (`Rechnung`
matches `Rechnungen`) in any script, ignoring case *and* accents: customers type `racun` for
`račun` and `счет` for `счёт`, and a missed route costs more than a slightly wider one.
Keywords are looked for in the text's matching form (`normalise`: no zero-width characters,
full-width letters made plain, look-alike letters folded in mixed-script words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chatops.classify.normalise import normalise
from chatops.config.models import Match, Rule


def fold(text: str) -> str:
    """Case- and accent-free matching form of `text` (`Счёт` → `счет`, `Straße` → `strasse`)."""
    decomposed = unicodedata.normalize("NFKD", normalise(text).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern finding any keyword at the start of a word, to search in `fold(text)`.

    `(?<!\\w)` rather than `\\b` so keywords starting with a symbol (`#acmefail`) work too.
    """
    folded = sorted({fold(keyword.strip()) for keyword in keywords if keyword.strip()}, key=len)
    if not folded:
        return None
    alternatives = "|".join(re.escape(keyword) for keyword in reversed(folded))
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def _language_matches(wanted: str, language: str | None) -> bool:
    """`de` matches `de`, `DE` and `de-AT`; a rule for `de-AT` does not match plain `de`."""
    if not language:
        return False
    language = language.strip().lower().replace("_", "-")
    return language == wanted or language.startswith(wanted + "-")


@dataclass(frozen=True, slots=True)
class _Matcher:
    keywords: re.Pattern[str] | None
    regex: re.Pattern[str] | None
    language: str | None
    platform: str | None
    account: str | None
    kind: str | None

    @classmethod
    def of(cls, match: Match) -> _Matcher:
        return cls(
            keywords=keyword_pattern(match.keywords),
            regex=re.compile(match.regex) if match.regex is not None else None,
            language=match.language,
            platform=match.platform,
            account=match.account,
            kind=match.kind,
        )


def _matcher(rule: Rule) -> _Matcher:
    matcher: _Matcher | None = rule._matcher
    if matcher is None:
        matcher = rule._matcher = _Matcher.of(rule.match)
    return matcher


def first_match(
    rules: Sequence[Rule],
    *,
    text: str,
    language: str | None,
    platform: str,
    account: str,
    kind: str,
) -> int | None:
    """Index of the first rule that matches, or None: tells staff *why* a case landed where."""
    folded: str | None = None
    for index, rule in enumerate(rules):
        matcher = _matcher(rule)
        if matcher.platform is not None and matcher.platform != platform:
            continue
        if matcher.account is not None and matcher.account != account:
            continue
        if matcher.kind is not None and matcher.kind != kind:
            continue
        if matcher.language is not None and not _language_matches(matcher.language, language):
            continue
        if matcher.keywords is not None:
            folded = fold(text) if folded is None else folded
            if not matcher.keywords.search(folded):
                continue
        if matcher.regex is not None and not matcher.regex.search(text):
            continue
        return index
    return None


def route(
    rules: Sequence[Rule],
    default: str,
    *,
    text: str,
    language: str | None,
    platform: str,
    account: str,
    kind: str,
) -> str:
    """The id of the department that owns the mention: first matching rule, else `default`."""
    index = first_match(
        rules, text=text, language=language, platform=platform, account=account, kind=kind
    )
    return default if index is None else rules[index].to
