"""Spam signals, sensitivity reasons and the combined classification of a mention."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatops.classify import (
    Classification,
    classify,
    is_spam,
    sensitivity_reasons,
    spam_signals,
)

SEVEN = ("sv", "no", "da", "de", "hr", "ru", "en")
KEYWORDS = ("lawsuit", "GDPR", "journalist", "police", "injury", "суд", "data breach")


@pytest.mark.parametrize(
    ("text", "followers", "handle", "expected"),
    [
        (
            "Earn $500 a day from home! Click here bit.ly/x1",
            None,
            "",
            ["shortener", "giveaway"],
        ),
        (
            "FREE BITCOIN AIRDROP https://scam.example/a https://scam.example/b",
            None,
            "",
            ["links", "crypto"],
        ),
        ("Huge GIVEAWAY 🎁🎁🎁🎁🎁 dm me for details", None, "", ["giveaway", "repeated_chars"]),
        ("Contact WhatsApp +44 7700 900123 for crypto signals", None, "", ["crypto", "giveaway"]),
        ("Tjäna pengar snabbt, klicka här", None, "", ["giveaway"]),
        ("Заработок без вложений, нажмите здесь", None, "", ["giveaway"]),
        ("Nice post", 0, "user84739201", ["new_account"]),
        ("Nice post", 0, "@JohnSmi84739201", ["new_account"]),
        ("Nice post", 12, "user84739201", []),
        ("Nice post", 0, "anna_berg", []),
        ("Nice post", None, "user84739201", []),
        ("See https://t.co/abc and https://t.co/def", None, "", []),
        ("See https://acme.se/a and https://acme.se/b", None, "", ["links"]),
    ],
)
def test_spam_signals(text: str, followers: int | None, handle: str, expected: list[str]) -> None:
    assert spam_signals(text, author_followers=followers, author_handle=handle) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Earn $500 a day! Click h\u200bere bit\u200b.ly/x1", ["shortener", "giveaway"]),
        ("FREE BIT\u200dCOIN AIRDROP https://a.example/a https://a.example/b", ["links", "crypto"]),
        ("ｃｒｙｐｔｏ giveaway", ["crypto", "giveaway"]),
        ("free \u0456phone: bit.ly/x1", ["shortener", "giveaway"]),  # Cyrillic і
    ],
)
def test_spam_signals_see_through_invisible_and_look_alike_letters(
    text: str, expected: list[str]
) -> None:
    assert spam_signals(text) == expected
    assert is_spam(expected)


@pytest.mark.parametrize(
    "text",
    [
        "Earn $500 a day from home! Click here bit.ly/x1",
        "FREE BITCOIN AIRDROP https://scam.example/a https://scam.example/b",
        "Contact WhatsApp +44 7700 900123 for crypto signals",
    ],
)
def test_clear_spam(text: str) -> None:
    assert is_spam(spam_signals(text))


@pytest.mark.parametrize(
    "text",
    [
        "WHERE IS MY PACKAGE??? I HAVE BEEN WAITING FOR THREE WEEKS!!!!!!! WORST SERVICE EVER",
        "DM ME NOW, MY ORDER NEVER ARRIVED!!!!!! YOU ARE ALL USELESS",
        "VAR ÄR MINA PENGAR?!?!?! FAN TA ER, SKÄRP ER NU!!!!!!!!",
        "WO IST MEINE BESTELLUNG??????? VERDAMMT NOCHMAL!!!!!!",
        "ГДЕ МОЙ ЗАКАЗ?!!!!!! ЧЁРТ ВОЗЬМИ, СКОЛЬКО МОЖНО ЖДАТЬ",
        "Sooooooo angry right now!!!!!! This is the worst, f*** you",
        "LOOK AT THIS https://t.co/abc https://t.co/def IT ARRIVED BROKEN!!!!!",
    ],
)
def test_angry_customer_is_not_spam(text: str) -> None:
    signals = spam_signals(text, author_followers=0, author_handle="user84739201")
    assert not is_spam(signals)


def test_shouting_is_a_signal_but_not_spam_alone() -> None:
    signals = spam_signals("WHERE IS MY REFUND, I HAVE ASKED THREE TIMES ALREADY")
    assert signals == ["shouting"]
    assert not is_spam(signals)


@pytest.mark.parametrize(
    ("signals", "spam"),
    [
        ([], False),
        (["links"], False),
        (["crypto"], False),
        (["shouting", "repeated_chars", "new_account"], False),
        (["links", "shouting"], True),
        (["crypto", "new_account"], True),
        (["shortener", "giveaway"], True),
        (["links", "links"], False),
    ],
)
def test_is_spam_rule(signals: list[str], spam: bool) -> None:
    assert is_spam(signals) is spam


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We will file a lawsuit", ["keyword:lawsuit"]),
        ("Two LAWSUITS already", ["keyword:lawsuit"]),
        ("This breaks gdpr, I'm calling the POLICE", ["keyword:GDPR", "keyword:police"]),
        ("Обращусь в СУД", ["keyword:суд"]),
        ("Пойду в суды", ["keyword:суд"]),
        ("Another data   breach!", ["keyword:data breach"]),
        ("a policeman came", ["keyword:police"]),
        ("the nonlawsuit case", []),
        ("Крымсуд", []),
        ("All good, thanks", []),
        # what looks the same on screen matches the same
        ("We will file a law\u200bsuit", ["keyword:lawsuit"]),
        ("We will file a l\u0430wsuit", ["keyword:lawsuit"]),  # Cyrillic а
        ("We will file a \u217cawsuit", ["keyword:lawsuit"]),  # Roman numeral ⅼ
        ("\u202egdpr\u202c breach", ["keyword:GDPR"]),
        ("ＧＤＰＲ", ["keyword:GDPR"]),
        ("𝐥𝐚𝐰𝐬𝐮𝐢𝐭", ["keyword:lawsuit"]),
        ("pol\u00adice", ["keyword:police"]),
        ("l\u0337a\u0337w\u0337s\u0337u\u0337i\u0337t\u0337", ["keyword:lawsuit"]),
        ("data\u00a0breach", ["keyword:data breach"]),
        ("Обращусь в с\u200bуд", ["keyword:суд"]),
        ("Обращусь в cуд", ["keyword:суд"]),  # Latin c in a Russian word
        ("Пойду в суд", ["keyword:суд"]),
    ],
)
def test_keyword_reasons(text: str, expected: list[str]) -> None:
    reasons = sensitivity_reasons(
        text,
        keywords=KEYWORDS,
        author_followers=None,
        min_followers=None,
        department="social",
        approval_departments=("legal",),
    )
    assert reasons == expected


@pytest.mark.parametrize(
    ("followers", "min_followers", "department", "expected"),
    [
        (25000, 10000, "social", ["reach:25000"]),
        (10000, 10000, "social", ["reach:10000"]),
        (9999, 10000, "social", []),
        (None, 10000, "social", []),
        (25000, None, "social", []),
        (10, 10000, "legal", ["department:legal"]),
        (25000, 10000, "legal", ["reach:25000", "department:legal"]),
    ],
)
def test_reach_and_department_reasons(
    followers: int | None, min_followers: int | None, department: str, expected: list[str]
) -> None:
    reasons = sensitivity_reasons(
        "hello",
        keywords=KEYWORDS,
        author_followers=followers,
        min_followers=min_followers,
        department=department,
        approval_departments=("legal",),
    )
    assert reasons == expected


def run(text: str, **overrides: object) -> Classification:
    params: dict[str, object] = {
        "lang_hint": None,
        "allowed_languages": SEVEN,
        "author_followers": 120,
        "author_handle": "annab",
        "sensitive_keywords": KEYWORDS,
        "min_followers": 10000,
        "pii_patterns": (r"(?i)order\s*#?\d{6}",),
    }
    params.update(overrides)
    return classify(text, **params)  # type: ignore[arg-type]


def test_plain_question() -> None:
    c = run("Hej! Var är min faktura? Jag har väntat i två veckor nu.")
    assert c == Classification(
        language="sv",
        sensitive_reasons=(),
        pii=(),
        asks_for_pii=False,
        spam_signals=(),
        spam=False,
        high_reach=False,
    )
    assert not c.sensitive
    assert c.flags == ()


def test_sensitive_high_reach_with_personal_data() -> None:
    c = run(
        "I will file a lawsuit about order 123456, call me on +46 70 123 45 67",
        author_followers=25000,
    )
    assert c.language == "en"
    assert c.sensitive_reasons == ("keyword:lawsuit", "reach:25000")
    assert c.pii == ("order", "phone")
    assert c.high_reach and c.sensitive
    assert c.flags == ("sensitive", "high_reach", "personal_data")


def test_request_for_personal_data_is_flagged_without_any_number() -> None:
    c = run("Skicka ditt ordernummer i ett DM så hjälper vi dig")
    assert c.pii == ()
    assert c.asks_for_pii
    assert c.flags == ("personal_data",)


def test_spam_is_flagged() -> None:
    c = run(
        "Earn $500 a day from home! Click here bit.ly/x1",
        author_followers=0,
        author_handle="user84739201",
    )
    assert c.spam
    assert c.spam_signals == ("shortener", "giveaway", "new_account")
    assert c.flags == ("possible_spam",)


def test_department_is_not_classify_business() -> None:
    c = run("Hello", sensitive_keywords=(), min_followers=None)
    assert c.sensitive_reasons == ()
    merged = c.with_reasons(["department:legal", "department:legal"])
    assert merged.sensitive_reasons == ("department:legal",)
    assert merged.flags == ("sensitive",)
    assert c.sensitive_reasons == ()


def test_what_was_written_beats_the_hint_in_classify() -> None:
    assert run("Where is my invoice?", lang_hint="de").language == "en"
    assert run("Wo bleibt meine Rechnung? Ich warte schon lange.", lang_hint="en").language == "de"


def test_hint_breaks_a_tie_in_classify() -> None:
    assert run("Hej", lang_hint="sv").language == "sv"
    assert run("Hej", lang_hint="da").language == "da"


@pytest.mark.parametrize(
    "text",
    ["你好，我的订单在哪里？", "Bonjour, où est ma facture ? J'attends depuis deux semaines."],
)
def test_a_language_nobody_answers_in_is_flagged(text: str) -> None:
    c = run(text, lang_hint="sv")
    assert c.language is None and c.language_unknown
    assert c.flags == ("unknown_language",)


@pytest.mark.parametrize("text", ["👍👍👍", "ok", "https://acme.se/x"])
def test_text_without_language_is_not_flagged(text: str) -> None:
    c = run(text)
    assert c.language is None and not c.language_unknown
    assert "unknown_language" not in c.flags


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=400), followers=st.one_of(st.none(), st.integers(0, 10**7)))
def test_classify_never_raises(text: str, followers: int | None) -> None:
    c = run(text, author_followers=followers)
    assert c.language is None or c.language in SEVEN
    assert not (c.language_unknown and c.language is not None)
    assert set(c.flags) <= {
        "sensitive",
        "high_reach",
        "personal_data",
        "possible_spam",
        "unknown_language",
    }
    assert c.spam == is_spam(c.spam_signals)


def test_the_brands_own_contact_details_are_not_personal_data() -> None:
    text = "I mailed support@acme.se and called 08-123 45 67, no answer"
    assert classify(text).pii == ("email", "phone")
    allowed = classify(text, pii_allow=("support@acme.se", "+46 8 123 45 67"))
    assert allowed.pii == ()
    assert "personal_data" not in allowed.flags


def test_built_in_order_numbers_are_personal_data_in_classify() -> None:
    assert classify("Wo ist meine Bestellung 12345678?").pii == ("order",)
    assert classify("Где заказ 7654321?").pii == ("order",)
