"""The customer's name only when it looks like one, and wordings whose tone fits the intent in
all seven languages: spam gets no draft, the press and personal data no cheerful hello."""

from __future__ import annotations

import re

import pytest

from chatops.drafting import CALM, LANGUAGES, NO_DRAFT, Drafter, Intent, first_name

VARIANTS = range(3)


@pytest.fixture(scope="module")
def drafter() -> Drafter:
    return Drafter()


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [
        ("Grrr", ""),  # no vowel: a mood
        ("Xkcd Fan", ""),
        ("Annnna", ""),  # a letter stretched
        ("Jooohn Smith", ""),
        ("Nordic Trading AB", ""),  # a company
        ("Bergström GmbH", ""),
        ("Mom", ""),
        ("Krypto Queen", ""),
        ("Betrüger", ""),
        ("Forex Signals", ""),
        ("Anna92", ""),  # a handle with digits
        ("ANNA BERG", ""),  # all caps
        ("😡😡", ""),
        ("Yves Martin", "Yves"),  # y is a vowel
        ("Øystein", "Øystein"),
        ("Юлия Смирнова", "Юлия"),
        ("Ivana Horvat", "Ivana"),
        ("Anna-Lena", "Anna-Lena"),
        ("Aaron Berg", "Aaron"),  # two letters alike are a name's own
        ("Mia", "Mia"),
    ],
)
def test_the_name_rule(display_name: str, expected: str) -> None:
    assert first_name(display_name, brand="Acme") == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_spam_gets_no_draft_and_no_template(drafter: Drafter, lang: str) -> None:
    assert drafter.draft(language=lang, intent=Intent.SPAM, author_name="Anna") == ""
    assert Intent.SPAM in NO_DRAFT and Intent.SPAM not in drafter.intents(lang)


PRAISING = re.compile(
    r"great to hear|good question|bra fråga|roligt|godt spørsmål|hyggelig|godt spørgsmål"
    r"|dejligt|gute frage|schön|dobro pitanje|drago nam|хороший вопрос|рады",
    re.IGNORECASE,
)
"""What the greeting and question templates said, and a complaint or a reporter got."""
CHEERFUL = re.compile(f"!|{PRAISING.pattern}", re.IGNORECASE)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("intent", sorted(CALM))
@pytest.mark.parametrize("variant", VARIANTS)
def test_complaints_outages_press_and_personal_data_are_answered_calmly(
    drafter: Drafter, lang: str, intent: Intent, variant: int
) -> None:
    for name in ("Anna", ""):
        text = drafter.draft(language=lang, intent=intent, author_name=name, variant=variant)
        assert text and not CHEERFUL.search(text), (lang, intent, text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_question_is_not_praised_as_a_good_one(drafter: Drafter, lang: str) -> None:
    for variant in VARIANTS:
        text = drafter.draft(
            language=lang, intent=Intent.QUESTION, author_name="Anna", variant=variant
        )
        assert not PRAISING.search(text), text


PRESS_OFFICE = {
    "sv": "pressavdelning",
    "no": "pressekontor",
    "da": "presseafdeling",
    "de": "Pressestelle",
    "hr": "odnose s javnošću",
    "ru": "пресс-служб",
    "en": "press office",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_the_press_is_referred_to_the_press_office(
    drafter: Drafter, lang: str, variant: int
) -> None:
    text = drafter.draft(language=lang, intent=Intent.PRESS, author_name="Anna", variant=variant)
    assert PRESS_OFFICE[lang] in text
    if lang == "de":
        assert "Ihre" in text and not re.search(r"\b(?:du|dir|dich|dein\w*)\b", text)  # Sie


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_unusable_name_gives_the_same_calm_text_as_none(drafter: Drafter, lang: str) -> None:
    for intent in sorted(CALM):
        plain = drafter.draft(language=lang, intent=intent, author_name="", variant=1)
        for author in ("Idiots", "Crypto", "Grrr", "Nordic Trading AB"):
            got = drafter.draft(language=lang, intent=intent, author_name=author, variant=1)
            assert got == plain, (author, got)
