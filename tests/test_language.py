"""Language detection restricted to the brand's languages."""

from __future__ import annotations

import pytest

from chatops.classify import detect_language

SEVEN = ("sv", "no", "da", "de", "hr", "ru", "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hej! Var är min faktura? Jag har väntat i två veckor nu.", "sv"),
        ("Tack för hjälpen, det fungerar nu.", "sv"),
        ("Hei! Hvor er fakturaen min? Jeg har ventet i to uker nå.", "no"),
        ("Hvorfor har dere ikke svart på e-posten min?", "no"),
        ("Hej! Hvor er min faktura? Jeg har ventet i to uger nu.", "da"),
        ("Tak for hjælpen, det virker nu.", "da"),
        ("Hallo! Wo bleibt meine Rechnung? Ich warte schon seit zwei Wochen.", "de"),
        ("Pozdrav! Gdje je moj račun? Čekam već dva tjedna.", "hr"),
        ("Hvala na pomoći, sada radi.", "hr"),
        ("Здравствуйте! Где мой счёт? Я жду уже две недели.", "ru"),
        ("Hi! Where is my invoice? I have been waiting for two weeks now.", "en"),
    ],
)
def test_real_sentences_among_seven(text: str, expected: str) -> None:
    assert detect_language(text, SEVEN) == expected


def test_restriction_is_what_separates_croatian_from_serbian() -> None:
    text = "Zašto mi niste odgovorili na poruku?"
    assert detect_language(text) == "sr"
    assert detect_language(text, SEVEN) == "hr"


@pytest.mark.parametrize("allowed", [("sv", "en"), ("en", "sv"), ["sv", "en"]])
def test_swedish_among_two(allowed: tuple[str, ...] | list[str]) -> None:
    assert detect_language("Min beställning har inte kommit, kan ni hjälpa mig?", allowed) == "sv"


def test_result_is_always_one_of_allowed() -> None:
    assert detect_language("Wo bleibt meine Rechnung? Ich warte schon lange.", ("sv", "en")) in {
        "sv",
        "en",
    }


def test_code_is_returned_as_configured() -> None:
    assert (
        detect_language("Hei! Hvor er fakturaen min? Jeg har ventet lenge.", ("sv", "nb")) == "nb"
    )


@pytest.mark.parametrize(
    ("text", "allowed", "hint", "expected"),
    [
        ("Where is my invoice? I have been waiting.", SEVEN, "sv", "sv"),
        ("Where is my invoice? I have been waiting.", SEVEN, "sv-SE", "sv"),
        ("Where is my invoice? I have been waiting.", SEVEN, "fr", "en"),
        ("Where is my invoice? I have been waiting.", SEVEN, "und", "en"),
        ("Where is my invoice? I have been waiting.", SEVEN, "qme", "en"),
        ("Where is my invoice? I have been waiting.", (), "fr", "fr"),
        ("Var är min faktura?", ("sv", "nb"), "no", "nb"),
    ],
)
def test_hint(text: str, allowed: tuple[str, ...], hint: str, expected: str) -> None:
    assert detect_language(text, allowed, hint) == expected


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("ok", None, None),
        ("👍👍👍", None, None),
        ("@acme #fail https://acme.se/x", None, None),
        ("!!! ??? 123", "sv", "sv"),
        ("ja", "de", None),
    ],
)
def test_short_text_gives_hint_or_none(text: str, hint: str | None, expected: str | None) -> None:
    assert detect_language(text, ("sv", "en"), hint) == expected


def test_handles_tags_and_links_do_not_decide() -> None:
    text = "@acme_support #customerservice https://example.com/help Var är min faktura?"
    assert detect_language(text, ("sv", "en")) == "sv"


def test_unknown_configured_languages_give_none() -> None:
    assert detect_language("Hello there, where is my parcel?", ("xx",)) is None
