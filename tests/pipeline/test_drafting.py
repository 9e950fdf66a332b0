"""Reply drafts: every language and intent renders a short, personal, varied plain-text reply."""

import re
from importlib.resources import files
from pathlib import Path

import pytest

from chatops.drafting import (
    FALLBACK,
    LANGUAGES,
    NO_DRAFT,
    Drafter,
    Intent,
    choose_intent,
    first_name,
    variant_for,
)

NAME_20 = "Maximiliana-Josefine"
BRAND_20 = "Nordisk Kaffebolaget"
AGENT_20 = "Ann-Charlotte Ekberg"
VARIANTS = range(3)
TEMPLATED = [i for i in Intent if i not in NO_DRAFT]
CASES = [(lang, intent) for lang in LANGUAGES for intent in TEMPLATED]


@pytest.fixture(scope="module")
def drafter() -> Drafter:
    return Drafter()


def test_name_brand_and_agent_fixtures_are_twenty_characters() -> None:
    assert len(NAME_20) == len(BRAND_20) == len(AGENT_20) == 20


def test_every_language_and_intent_has_its_own_template_file() -> None:
    replies = files("templates") / "replies"
    missing = [
        f"{lang}/{intent.value}.j2"
        for lang, intent in CASES
        if not (replies / lang / f"{intent.value}.j2").is_file()
    ]
    assert missing == []


def test_available_languages_are_exactly_the_supported_ones(drafter: Drafter) -> None:
    assert drafter.available_languages() == sorted(LANGUAGES)
    assert FALLBACK in LANGUAGES


@pytest.mark.parametrize(("lang", "intent"), CASES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_renders_clean_short_personal_text(
    drafter: Drafter, lang: str, intent: Intent, variant: int
) -> None:
    text = drafter.draft(
        language=lang,
        intent=intent,
        author_name=f"{NAME_20} Berg",
        brand=BRAND_20,
        agent=AGENT_20,
        variant=variant,
    )
    assert text
    assert NAME_20 in text
    assert BRAND_20 in text and AGENT_20 in text
    for bad in ("{{", "}}", "{%", "%}", "None", "  ", "\n", "<", ">"):
        assert bad not in text, (bad, text)
    assert text == text.strip()
    assert len(text) <= 280, (len(text), text)


@pytest.mark.parametrize(("lang", "intent"), CASES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_empty_name_leaves_no_dangling_punctuation(
    drafter: Drafter, lang: str, intent: Intent, variant: int
) -> None:
    for author in ("", "🌸✨", "@shop_fan_88"):
        text = drafter.draft(language=lang, intent=intent, author_name=author, variant=variant)
        assert text and not text[0].isspace() and text[0] not in ",.!?"
        assert not re.search(r"\s[,.!?:;]", text), text
        assert not re.search(r",\s*[,.!?]", text), text
        assert "  " not in text and "None" not in text


@pytest.mark.parametrize(("lang", "intent"), CASES)
def test_signature_is_optional(drafter: Drafter, lang: str, intent: Intent) -> None:
    bare = drafter.draft(language=lang, intent=intent, author_name="Anna")
    agent_only = drafter.draft(language=lang, intent=intent, author_name="Anna", agent="Ola")
    brand_only = drafter.draft(language=lang, intent=intent, author_name="Anna", brand="Acme")
    assert "Ola" not in bare and "Acme" not in bare
    assert agent_only.startswith(bare) and "Ola" in agent_only
    assert brand_only.startswith(bare) and "Acme" in brand_only


@pytest.mark.parametrize("lang", LANGUAGES)
def test_languages_differ_from_the_fallback(drafter: Drafter, lang: str) -> None:
    if lang == FALLBACK:
        pytest.skip("the fallback itself")
    for intent in TEMPLATED:
        ours = drafter.draft(language=lang, intent=intent, author_name="Anna")
        english = drafter.draft(language=FALLBACK, intent=intent, author_name="Anna")
        assert ours != english


@pytest.mark.parametrize("language", ["fr", "zz", None, "", "../en", "sv/../../x"])
def test_unknown_language_falls_back_to_english(drafter: Drafter, language: str | None) -> None:
    for intent in TEMPLATED:
        got = drafter.draft(language=language, intent=intent, author_name="Jean", variant=1)
        want = drafter.draft(language=FALLBACK, intent=intent, author_name="Jean", variant=1)
        assert got == want


@pytest.mark.parametrize(("given", "same_as"), [("sv-SE", "sv"), ("nb", "no"), ("DE_at", "de")])
def test_regional_and_alias_codes_use_the_language(
    drafter: Drafter, given: str, same_as: str
) -> None:
    got = drafter.draft(language=given, intent=Intent.THANKS, author_name="Kim")
    assert got == drafter.draft(language=same_as, intent=Intent.THANKS, author_name="Kim")


@pytest.mark.parametrize(("lang", "intent"), CASES)
def test_variant_changes_text_deterministically(
    drafter: Drafter, lang: str, intent: Intent
) -> None:
    def render(variant: int) -> str:
        return drafter.draft(language=lang, intent=intent, author_name="Anna", variant=variant)

    texts = [render(v) for v in VARIANTS]
    assert len(set(texts)) == len(texts)
    assert [render(v) for v in VARIANTS] == texts
    assert render(len(texts)) == texts[0]
    assert Drafter().draft(language=lang, intent=intent, author_name="Anna", variant=1) == texts[1]


def test_variant_for_is_stable() -> None:
    assert variant_for("case-1042") == variant_for("case-1042") == 1011838499
    assert variant_for("case-1042") != variant_for("case-1043")


DEFAULT_CHANNELS = {
    "sv": "privat meddelande",
    "no": "privat melding",
    "da": "privat besked",
    "de": "Direktnachricht",
    "hr": "privatnu poruku",
    "ru": "личные сообщения",
    "en": "private message",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_move_to_private_names_the_private_channel(
    drafter: Drafter, lang: str, variant: int
) -> None:
    def render(channel: str | None) -> str:
        return drafter.draft(
            language=lang,
            intent=Intent.MOVE_TO_PRIVATE,
            author_name="Anna",
            private_channel=channel,
            variant=variant,
        )

    assert DEFAULT_CHANNELS[lang] in render(None)
    assert DEFAULT_CHANNELS[lang] in render("")
    given = render("  DM ")
    assert " DM" in given and DEFAULT_CHANNELS[lang] not in given


def test_custom_templates_dir_and_strict_variables(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "greeting.j2").write_text("Hi {{ first_name }}!\n\n  {{ brand }}\n")
    (tmp_path / "en" / "thanks.j2").write_text("Thanks {{ nickname }}")
    drafter = Drafter(tmp_path)
    assert drafter.available_languages() == ["en"]
    got = drafter.draft(language="sv", intent=Intent.GREETING, author_name="Bo", brand="Acme")
    assert got == "Hi Bo! Acme"
    with pytest.raises(Exception, match="nickname"):
        drafter.draft(language="en", intent=Intent.THANKS, author_name="Bo")


@pytest.mark.parametrize(
    ("text", "asks", "has", "hint", "expected"),
    [
        ("send me your order number", True, False, None, Intent.MOVE_TO_PRIVATE),
        ("send me your order number", False, False, None, Intent.MOVE_TO_PRIVATE),
        ("Mitt ordernummer är 123456, var är paketet?", False, False, None, Intent.MOVE_TO_PRIVATE),
        ("Ring mig på 070-123 45 67", False, True, None, Intent.MOVE_TO_PRIVATE),
        ("Wo ist meine Bestellung? Bestellnummer 4711", False, False, None, Intent.MOVE_TO_PRIVATE),
        ("Kakav je status, broj narudžbe 5521?", False, False, None, Intent.MOVE_TO_PRIVATE),
        ("Вот номер заказа: 12345", False, False, None, Intent.MOVE_TO_PRIVATE),
        ("WHERE IS MY PACKAGE??? WORST SERVICE EVER", False, False, None, Intent.APOLOGY),
        ("WHY HAS NOBODY ANSWERED ME YET", False, False, None, Intent.APOLOGY),
        ("Leveransen är sen igen och varan var trasig", False, False, None, Intent.APOLOGY),
        ("Pakken er forsinket, og ingen svarer", False, False, None, Intent.APOLOGY),
        ("Appen virker ikke efter opdateringen", False, False, None, Intent.OUTAGE),
        ("Drucker kaputt, dazu Verspätung!", False, False, None, Intent.APOLOGY),
        ("Aplikacija ne radi već tri dana", False, False, None, Intent.OUTAGE),
        ("Заказ задерживается, сайт не работает", False, False, None, Intent.OUTAGE),
        ("Thanks, but my order still not here", False, False, None, Intent.APOLOGY),
        ("Hmm, ok then", False, False, "negative", Intent.APOLOGY),
        ("Tack för snabb hjälp, ni är bäst!", False, False, None, Intent.THANKS),
        ("Tusen takk for god service", False, False, None, Intent.THANKS),
        ("Tusind tak!", False, False, None, Intent.THANKS),
        ("Danke für die schnelle Lieferung", False, False, None, Intent.THANKS),
        ("Hvala na brzoj dostavi", False, False, None, Intent.THANKS),
        ("Спасибо за помощь!", False, False, None, Intent.THANKS),
        ("I LOVE THE NEW STORE", False, False, None, Intent.THANKS),
        ("Nice one", False, False, "positive", Intent.THANKS),
        ("When do you open on Sunday?", False, False, None, Intent.LOOKING_INTO_IT),
        ("Hej, när öppnar butiken i Malmö", False, False, None, Intent.LOOKING_INTO_IT),
        ("Hvor kan jeg hente pakken", False, False, None, Intent.LOOKING_INTO_IT),
        ("Wann kommt die neue Kollektion", False, False, None, Intent.LOOKING_INTO_IT),
        ("Imate li ovo u plavoj boji", False, False, None, Intent.LOOKING_INTO_IT),
        ("Где ближайший магазин", False, False, None, Intent.LOOKING_INTO_IT),
        ("Hej!", False, False, None, Intent.GREETING),
        ("Det var en gång en butik", False, False, None, Intent.GREETING),
        ("@acme", False, False, None, Intent.GREETING),
        ("", False, False, None, Intent.GREETING),
    ],
)
def test_choose_intent(
    text: str, asks: bool, has: bool, hint: str | None, expected: Intent
) -> None:
    assert choose_intent(text, asks_for_pii=asks, has_pii=has, sentiment_hint=hint) is expected


def test_pii_flags_win_over_everything() -> None:
    text = "WORST SERVICE EVER, thanks for nothing?"
    assert choose_intent(text, asks_for_pii=False, has_pii=True) is Intent.MOVE_TO_PRIVATE
    assert choose_intent(text, asks_for_pii=True, has_pii=False) is Intent.MOVE_TO_PRIVATE
    assert choose_intent(text, asks_for_pii=False, has_pii=False) is Intent.APOLOGY


def test_short_words_do_not_fire_inside_longer_ones() -> None:
    # "fel" in "felicitations", "sen" in "sender", "late" in "chocolate", "tak" in "taket".
    for text in ("Felicitations to the sender", "Chocolate cake", "Taket i butiken"):
        assert choose_intent(text, asks_for_pii=False, has_pii=False) is Intent.GREETING


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [
        ("Anna Berg", "Anna"),
        ("  Anna-Karin   Svensson ", "Anna-Karin"),
        ("anna berg", "Anna"),
        ("ANNA BERG", ""),  # shouting
        ("McKenzie Smith", "McKenzie"),
        ("O'Neil", "O'Neil"),
        ("🌸 Åsa Öberg 🌸", "Åsa"),
        ("✨Jürgen✨", "Jürgen"),
        ("@annab", ""),
        ("@annab Anna", "Anna"),
        ("Anna (@annab)", "Anna"),
        ("#teamacme Ivan", "Ivan"),
        ("Dr. Ivana Horvat", "Ivana"),
        ("J. Smith", "Smith"),
        ("Анна Иванова", "Анна"),
        ("user123456", ""),
        ("🔥🔥🔥", ""),
        ("", ""),
        ("   ", ""),
        ("Ab" * 13, ""),
    ],
)
def test_first_name(display_name: str, expected: str) -> None:
    assert first_name(display_name) == expected


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [
        ("Idiots", ""),
        ("IDIOTS", ""),
        ("Crypto", ""),
        ("Crypto King", ""),
        ("Scammers Inc", ""),
        ("ANNA", ""),  # shouting
        ("Лохотрон", ""),
        ("Идиоты", ""),
        ("Acme Support", ""),  # a brand word
        ("Acme", ""),  # our own brand
        ("Facebook User", ""),
        ("acme.se", ""),
        ("www.example.com", ""),
        ("https://example.com", ""),
        ("shop_fan_88", ""),
        ("Anna Maria Berg Svensson", ""),  # more than three words
        ("\u0406diots", ""),  # a Cyrillic І does not disguise an insult
        ("Anna\u200b", "Anna"),  # invisible characters do not matter
        ("Ｊｕｌｉａ", "Julia"),  # full-width letters are letters
        ("Anna!", ""),
        ("Anna & Bo", ""),
        ("<b>Anna</b>", ""),
        ("{{ brand }}", ""),
        ("Zoë D'Arcy-Smith", "Zoë"),
        ("Ivan Petrović", "Ivan"),
        ("Jürgen", "Jürgen"),
        ("Ølstrøm", "Ølstrøm"),
        ("Mr. Bean", "Bean"),
        ("Nazir Ahmed", "Nazir"),  # a name that merely starts like a banned word
        ("Nazis", ""),
        ("Vollidiot", ""),
    ],
)
def test_only_a_name_that_looks_like_one_is_used(display_name: str, expected: str) -> None:
    assert first_name(display_name, brand="Acme Retail") == expected


@pytest.mark.parametrize(("lang", "intent"), CASES)
def test_an_insult_as_display_name_gets_a_neutral_greeting(
    drafter: Drafter, lang: str, intent: Intent
) -> None:
    neutral = drafter.draft(language=lang, intent=intent, author_name="", brand="Acme", variant=1)
    for author in ("Idiots", "Crypto", "SCAM BANK", "acme.se", "Acme Fans", "@idiot_99"):
        text = drafter.draft(
            language=lang, intent=intent, author_name=author, brand="Acme", variant=1
        )
        assert text == neutral, (author, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mitt order\u200bnummer är 123456", Intent.MOVE_TO_PRIVATE),
        ("ｍｙ ａｄｄｒｅｓｓ is wrong", Intent.MOVE_TO_PRIVATE),
        ("The vase is br\u043eken", Intent.APOLOGY),  # Cyrillic о
        ("Tha\u200bnks a lot", Intent.THANKS),
    ],
)
def test_intent_sees_through_invisible_and_look_alike_letters(text: str, expected: Intent) -> None:
    assert choose_intent(text, asks_for_pii=False, has_pii=False) is expected
