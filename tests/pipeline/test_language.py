"""Language detection restricted to the brand's languages."""

from __future__ import annotations

import pytest

from chatops.classify import detect_language
from chatops.classify.language import Detected, detect

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


def test_result_is_one_of_allowed_or_none() -> None:
    """German when only Swedish and English are answered: unknown, not forced into either."""
    assert detect_language("Wo bleibt meine Rechnung? Ich warte schon lange.", ("sv", "en")) is None


def test_code_is_returned_as_configured() -> None:
    assert (
        detect_language("Hei! Hvor er fakturaen min? Jeg har ventet lenge.", ("sv", "nb")) == "nb"
    )


@pytest.mark.parametrize(
    ("text", "allowed", "hint", "expected"),
    [
        ("Hej", SEVEN, "sv", "sv"),
        ("Hej", SEVEN, "sv-SE", "sv"),
        ("Hej", SEVEN, "da", "da"),
        ("Hei", SEVEN, "no", "no"),
        ("Hei", ("sv", "nb"), "no", "nb"),
        ("Tusen takk!", SEVEN, "nb", "no"),
        ("Mange tak!", SEVEN, "da", "da"),
        ("Merci", (), "fr", "fr"),
        ("Where is my invoice? I have been waiting.", SEVEN, "fr", "en"),
        ("Where is my invoice? I have been waiting.", SEVEN, "und", "en"),
        ("Where is my invoice? I have been waiting.", SEVEN, "qme", "en"),
    ],
)
def test_hint_breaks_ties_on_very_short_texts(
    text: str, allowed: tuple[str, ...], hint: str, expected: str
) -> None:
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
    assert detect("Hello there, where is my parcel?", ("xx",)) == Detected(None, unknown=False)


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("Hallo! Wo bleibt meine Rechnung? Ich warte schon seit zwei Wochen.", "en", "de"),
        ("Ich habe meine Bestellung immer noch nicht bekommen.", "en", "de"),
        ("Where is my invoice? I have been waiting.", "sv", "en"),
        ("Where is my invoice? I have been waiting.", "de", "en"),
        ("Hej! Var är min faktura? Jag har väntat i två veckor nu.", "da", "sv"),
        ("Hej! Var är min faktura? Jag har väntat i två veckor nu.", "no", "sv"),
        ("Hei! Hvor er fakturaen min? Jeg har ventet i to uker nå.", "sv", "no"),
        ("Tak for hjælpen, det virker nu.", "no", "da"),
        ("Pozdrav! Gdje je moj račun? Čekam već dva tjedna.", "ru", "hr"),
        ("Thank you so much!!", "sv", "en"),
    ],
)
def test_what_was_written_beats_the_hint(text: str, hint: str, expected: str) -> None:
    """A phone set to English does not make a German message English (issue 10)."""
    assert detect_language(text, SEVEN, hint) == expected


@pytest.mark.parametrize(
    "text",
    [
        "你好，我的订单在哪里？我已经等了两个星期了。",
        "谢谢",
        "我的iPhone坏了",
        "こんにちは、請求書はどこですか？",
        "안녕하세요, 제 청구서는 어디에 있나요?",
        "مرحبا، أين فاتورتي؟ أنا أنتظر منذ أسبوعين.",
        "שלום, איפה החשבונית שלי?",
        "Γεια σας, πού είναι το τιμολόγιό μου;",
        "สวัสดีครับ ใบแจ้งหนี้ของฉันอยู่ที่ไหน",
        "नमस्ते, मेरा बिल कहाँ है?",
    ],
)
@pytest.mark.parametrize("hint", [None, "sv", "en", "zh"])
def test_a_script_no_configured_language_uses_is_unknown(text: str, hint: str | None) -> None:
    """Whatever the detector or the platform says: a Chinese message is never Swedish."""
    assert detect(text, SEVEN, hint) == Detected(None, unknown=True)


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("Where is my invoice? I have been waiting.", ("ru",)),
        ("Здравствуйте! Где мой счёт? Я жду уже две недели.", ("sv", "en")),
        ("ok thanks", ("ru",)),
    ],
)
def test_latin_and_cyrillic_are_told_apart(text: str, allowed: tuple[str, ...]) -> None:
    assert detect(text, allowed) == Detected(None, unknown=True)


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, où est ma facture ? J'attends depuis deux semaines.",
        "Hola, ¿dónde está mi factura? Llevo dos semanas esperando.",
        "Dzień dobry, gdzie jest moja faktura? Czekam od dwóch tygodni.",
        "Hei, missä laskuni on? Olen odottanut kaksi viikkoa.",
        "Ciao, dov'è la mia fattura? Aspetto da due settimane.",
        "Hallo, waar is mijn factuur? Ik wacht al twee weken.",
        "Olá, onde está minha fatura? Estou esperando há duas semanas.",
        "Merhaba, faturam nerede? İki haftadır bekliyorum.",
        "Merci pour votre aide",
        "Привіт, де моє замовлення? Чекаю вже два тижні.",
        "Здравейте, къде е поръчката ми? Чакам от две седмици.",
    ],
)
def test_a_foreign_language_in_a_familiar_script_is_unknown(text: str) -> None:
    assert detect(text, SEVEN, "en") == Detected(None, unknown=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("funkar inte appen idag??", "sv"),
        ("hallå??? någon där", "sv"),
        ("var ar min faktura jag har vantat lange", "sv"),
        ("appen krasjer hele tiden", "no"),
        ("takk for rask hjelp", "no"),
        ("tak for hurtig hjælp", "da"),
        ("Jeg er meget skuffet over Acme", "da"),
        ("warum antwortet ihr nicht", "de"),
        ("mein Konto ist gesperrt", "de"),
        ("zašto ne odgovarate", "hr"),
        ("Hvala na pomoći, sada radi.", "hr"),
        ("почему вы не отвечаете", "ru"),
        ("Привет, где мой заказ?", "ru"),
        ("can u call me pls", "en"),
        ("still waiting on my refund smh", "en"),
        ("Hej, my order hasn't arrived yet", "en"),
        ("iPhone 15 Pro Max", "en"),
        ("wifi down again in Göteborg", "en"),
    ],
)
def test_informal_text_in_a_configured_language_is_not_unknown(text: str, expected: str) -> None:
    assert detect(text, SEVEN) == Detected(expected)


def test_close_kin_of_a_configured_language_is_read_by_it() -> None:
    """A Danish message to a brand answering in Swedish: the Swedish team reads it."""
    assert detect("Hej! Hvor er min faktura? Jeg har ventet i to uger nu.", ("sv", "en")) == (
        Detected("sv")
    )


@pytest.mark.parametrize("text", ["ʼʼʼ", "ʼʼ 12", "ˮʼʻ"])
def test_modifier_letters_are_no_script(text: str) -> None:
    assert detect(text, SEVEN) == Detected(None)


def test_an_apostrophe_letter_does_not_make_text_foreign() -> None:
    assert detect("Пишу вам вʼяте разʼяснення: де моє замовлення?", ("uk", "ru")) == (
        Detected("uk")
    )


def test_hint_in_another_script_is_ignored() -> None:
    assert detect("ok", SEVEN, "ru") == Detected(None)


def test_a_configured_non_latin_language_is_detected() -> None:
    assert detect_language("你好，我的订单在哪里？", ("zh", "en")) == "zh"
    assert detect_language("Where is my order?", ("zh", "en")) == "en"


def test_full_width_letters_count_as_latin() -> None:
    text = "Ｗｈｅｒｅ ｉｓ ｍｙ ｉｎｖｏｉｃｅ? I have been waiting."
    assert detect(text, SEVEN) == Detected("en")
