"""What a suggestion must pass before a person is shown it: pure checks, tables of texts."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.drafting import LANGUAGES
from chatops.suggest.guardrails import PROMISE_REASON, check, links, promises_money

CUSTOMER = "Hej, var är mitt paket? Jag beställde för en vecka sedan."


def judged(text: str, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "language": "sv",
        "languages": LANGUAGES,
        "customer_texts": [CUSTOMER],
        "length": len(text),
        "max_length": None,
        "allowed_domains": ["acme.se"],
    }
    args.update(kw)
    return check(text, **args)


def test_a_reply_in_the_customers_language_passes() -> None:
    verdict = judged("Hej! Tack för att du hör av dig, vi kollar var ditt paket är och återkommer.")
    assert verdict.ok and verdict.approval == ()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("sv", "Hallo! Danke für Ihre Nachricht, wir prüfen gerade, wo Ihr Paket ist."),
        ("de", "Hi! Thanks for reaching out, we are checking where your parcel is right now."),
        ("ru", "Hej! Tack för att du hör av dig, vi kollar var ditt paket är och återkommer."),
        ("hr", "Здравствуйте! Спасибо за сообщение, мы проверяем, где ваша посылка."),
    ],
)
def test_a_reply_in_another_language_is_not_shown(language: str, text: str) -> None:
    verdict = judged(text, language=language)
    assert not verdict.ok and verdict.code == "language"
    assert verdict.problem.startswith("wrong language")


def test_a_close_language_is_caught_even_where_no_department_answers_in_it() -> None:
    danish = "Hej Anna! Tak fordi du skrev til os. Vi kigger på sagen og vender tilbage hurtigst."
    verdict = judged(danish, languages=["sv", "en"])
    assert verdict.problem == "wrong language: da, not sv"


def test_a_reply_longer_than_the_platform_allows_is_not_shown() -> None:
    verdict = judged("Hej! Vi kollar på det direkt och återkommer.", length=281, max_length=280)
    assert verdict.code == "length" and verdict.problem == "too long: 281 of 280 characters"
    assert judged("Hej! Vi kollar på det direkt.", length=280, max_length=280).ok


def test_personal_data_the_customer_did_not_give_is_not_shown() -> None:
    text = "Hej! Vi har skickat en bekräftelse till anna.berg@example.com, kolla gärna där."
    verdict = judged(text)
    assert verdict.code == "personal_data" and "email" in verdict.problem


def test_personal_data_the_customer_gave_may_be_repeated() -> None:
    customer = "Min order 123456 har inte kommit, mejla mig på anna.berg@example.com"
    text = "Hej! Vi kollar order 123456 och mejlar dig på Anna.Berg@example.com idag."
    assert judged(text, customer_texts=[customer]).ok


def test_the_brands_own_contacts_are_not_personal_data() -> None:
    text = "Hej! Mejla gärna support@acme.se så hjälper vi dig vidare med paketet."
    assert not judged(text).ok
    assert judged(text, pii_allow=["support@acme.se"]).ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Hej! Läs mer om leveranser på https://www.acme.se/leverans så ser du tiderna.", True),
        ("Hej! Läs mer om leveranser på https://hjalp.acme.se/leverans så ser du tiderna.", True),
        ("Hej! Läs mer om leveranser på acme.se/leverans så ser du tiderna, tack.", True),
        ("Hej! Läs mer om leveranser på https://acme.se.evil.com/x så ser du tiderna.", False),
        ("Hej! Läs mer om leveranser på https://postnord.se/spara så ser du tiderna.", False),
        ("Hej! Läs mer om leveranser på https://notacme.se/x så ser du tiderna, tack.", False),
    ],
)
def test_links_only_to_allowed_domains(text: str, ok: bool) -> None:
    verdict = judged(text)
    assert verdict.ok is ok
    if not ok:
        assert verdict.code == "link" and "not allowed" in verdict.problem


@pytest.mark.parametrize(
    "text",
    [
        "Hej [Namn]! Vi kollar ditt paket och återkommer så snart vi kan.",
        "Hej {first_name}! Vi kollar ditt paket och återkommer så snart vi kan.",
        "Hej Anna! Läs mer på <länk> om hur leveranser fungerar hos oss.",
        "Hej Anna! Ditt ordernummer är ______ och vi kollar det direkt.",
        "Hej Anna! Ring oss på XXX så hjälper vi dig med paketet direkt.",
    ],
)
def test_a_placeholder_left_in_is_not_shown(text: str) -> None:
    verdict = judged(text)
    assert verdict.code == "placeholder" and verdict.problem.startswith("a placeholder left in")


def test_without_allowed_domains_no_link_passes() -> None:
    text = "Hej! Läs mer om leveranser på https://www.acme.se/leverans så ser du tiderna."
    assert judged(text, allowed_domains=[]).code == "link"


def test_the_hosts_of_links_are_found_with_or_without_a_scheme() -> None:
    assert links("see www.Acme.se/a and https://help.acme.se/b?c=d or x.com/y") == [
        "acme.se",
        "help.acme.se",
        "x.com",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "We will refund your order today.",
        "You'll get your money back within 5 days.",
        "Vi återbetalar hela beloppet.",
        "Du får en ersättning på 200 kr.",
        "Vi refunderer beløpet i morgen.",
        "Du får pengene tilbage inden fredag.",
        "Wir erstatten Ihnen den Betrag.",
        "Sie erhalten eine Gutschrift über 20 €.",
        "Vratit ćemo vam novac do petka.",
        "Dobit ćete naknadu za kašnjenje.",
        "Мы вернём вам деньги завтра.",
        "Вы получите компенсацию.",
        "Here is a 20% discount code for your next order.",
    ],
)
def test_a_promise_of_money_passes_but_needs_approval(text: str) -> None:
    assert promises_money(text)
    verdict = judged(text, language=None)
    assert verdict.ok and verdict.approval == (PROMISE_REASON,)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for waiting, we are looking into your delivery.",
        "Tack för att du väntar, vi kollar din leverans.",
        "Danke für Ihre Geduld, wir prüfen die Lieferung.",
        "Спасибо, мы проверяем вашу доставку.",
    ],
)
def test_an_ordinary_answer_needs_no_approval(text: str) -> None:
    assert not promises_money(text)
