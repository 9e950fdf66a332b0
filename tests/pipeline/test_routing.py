"""Routing: first match wins, conditions AND together, keywords in any script and case."""

from __future__ import annotations

import pytest

from chatops.config import Rule, load_config_text
from chatops.routing import first_match, fold, keyword_pattern, route

RULES_YAML = """\
departments:
  - {id: social, channel: c}
  - {id: billing, channel: c}
  - {id: support-de, channel: c}
  - {id: viber-vip, channel: c}
  - {id: orders, channel: c}
  - {id: dm-team, channel: c}
routing:
  rules:
    - {match: {keywords: [faktura, invoice, refund, Rechnung, račun, счёт, "#acmefail"]}, to: billing}
    - {match: {platform: viber, account: "42"}, to: viber-vip}
    - {match: {language: de}, to: support-de}
    - {match: {regex: "(?i)order\\\\s*#?\\\\d{6}"}, to: orders}
    - {match: {kind: dm, platform: facebook, keywords: [help]}, to: dm-team}
  default: social
"""  # noqa: E501

CONFIG = load_config_text(RULES_YAML)
RULES = CONFIG.routing.rules


def routed(
    text: str,
    language: str | None = "en",
    platform: str = "sandbox",
    account: str = "acme",
    kind: str = "comment",
) -> str:
    return route(
        RULES,
        CONFIG.routing.default,
        text=text,
        language=language,
        platform=platform,
        account=account,
        kind=kind,
    )


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Var är min faktura?", "sv", "billing"),
        ("FAKTURAN har inte kommit", "sv", "billing"),
        ("Wo bleiben meine Rechnungen?", "de", "billing"),  # keywords come before language
        ("Ich habe eine Frage", "de", "support-de"),
        ("Ich habe eine Frage", "DE-at", "support-de"),
        ("Ich habe eine Frage", "en", "social"),
        ("Gdje je moj Račun?", "hr", "billing"),
        ("gdje je moj racun", "hr", "billing"),  # typed without diacritics
        ("Где мой Счёт?", "ru", "billing"),
        ("Пришёл неверный счета", "ru", "billing"),
        ("где мой счет", "ru", "billing"),  # е for ё, as most people type it
        ("Please REFUND me", "en", "billing"),
        ("refunded yet?", "en", "billing"),
        ("this is #AcmeFail again", "en", "billing"),
        ("nonrefundable ticket", "en", "social"),  # keywords start at a word boundary
        ("unfaktura", "sv", "social"),
        ("Where is order #123456?", "en", "orders"),
        ("Where is order 12345?", "en", "social"),
        ("hello", None, "social"),
        ("", None, "social"),
    ],
)
def test_text_and_language(text: str, language: str | None, expected: str) -> None:
    assert routed(text, language) == expected


@pytest.mark.parametrize(
    ("platform", "account", "kind", "text", "expected"),
    [
        ("viber", "42", "dm", "hi", "viber-vip"),
        ("viber", "43", "dm", "hi", "social"),  # AND: the account must match too
        ("sandbox", "42", "dm", "hi", "social"),  # ...and the platform
        ("viber", "42", "dm", "where is my invoice", "billing"),  # first match wins
        ("facebook", "p1", "dm", "help please", "dm-team"),
        ("facebook", "p1", "comment", "help please", "social"),
        ("instagram", "p1", "dm", "help please", "social"),
        ("facebook", "p1", "dm", "hello", "social"),
    ],
)
def test_platform_account_kind_are_anded(
    platform: str, account: str, kind: str, text: str, expected: str
) -> None:
    assert routed(text, "en", platform, account, kind) == expected


def test_first_match_tells_which_rule_decided() -> None:
    assert (
        first_match(RULES, text="faktura", language="de", platform="viber", account="42", kind="dm")
        == 0
    )
    assert (
        first_match(RULES, text="hej", language="sv", platform="x", account="1", kind="mention")
        is None
    )


def test_no_rules_means_default() -> None:
    assert (
        route([], "social", text="faktura", language="sv", platform="x", account="1", kind="dm")
        == "social"
    )


def test_rules_built_in_code_route_too_and_compile_once() -> None:
    rule = Rule.model_validate({"match": {"keywords": ["Straße"]}, "to": "logistics"})
    kwargs = {"language": "de", "platform": "sandbox", "account": "a", "kind": "comment"}

    assert route([rule], "social", text="Welche STRASSE?", **kwargs) == "logistics"
    compiled = rule._matcher
    assert compiled is not None
    assert route([rule], "social", text="Hallo", **kwargs) == "social"
    assert rule._matcher is compiled


def test_fold_and_keyword_pattern() -> None:
    assert fold("Счёт Račun STRASSE Åter") == "счет racun strasse ater"
    assert keyword_pattern([]) is None
    assert keyword_pattern(["  "]) is None
    pattern = keyword_pattern(["bill", "billing"])
    assert pattern is not None
    assert pattern.search(fold("Billing question"))
    assert not pattern.search(fold("rebill"))


@pytest.mark.parametrize(
    "text",
    [
        "My fak\u200btura is wrong",
        "My ｆａｋｔｕｒａ is wrong",
        "My f\u0430ktura is wrong",  # Cyrillic а in a Latin word
        "Где мой с\u200bчёт?",
        "Где мой cчёт?",  # Latin c in a Russian word
        "\u202erefund\u202c please",
    ],
)
def test_keywords_see_through_invisible_and_look_alike_letters(text: str) -> None:
    assert routed(text, language="sv") == "billing"
