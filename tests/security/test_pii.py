"""Personal data detection: checksums for cards and IBANs, phone shapes, and what is not PII."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatops.classify import (
    PiiHit,
    asks_for_pii,
    find_pii,
    iban_valid,
    luhn_valid,
    pii_kinds,
    redact,
)
from chatops.config import ConfigError, load_config_text

ORDER = r"(?i)order\s*#?\d{6}"


def found(text: str, patterns: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(h.kind, text[h.start : h.end]) for h in find_pii(text, patterns)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kort 4111 1111 1111 1111 tack", [("card", "4111 1111 1111 1111")]),
        ("4111-1111-1111-1111", [("card", "4111-1111-1111-1111")]),
        ("4111111111111111", [("card", "4111111111111111")]),
        ("amex 3782 822463 10005", [("card", "3782 822463 10005")]),
        ("kort 4111 1111 1111 1112", []),
        ("4111111111111112", []),
        ("0000 0000 0000 0000", []),
    ],
)
def test_cards_only_when_luhn_valid(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN SE45 5000 0000 0583 9825 7466 tack", [("iban", "SE45 5000 0000 0583 9825 7466")]),
        ("DE89 3704 0044 0532 0130 00", [("iban", "DE89 3704 0044 0532 0130 00")]),
        ("HR1210010051863000160.", [("iban", "HR1210010051863000160")]),
        ("GB82 WEST 1234 5698 7654 32", [("iban", "GB82 WEST 1234 5698 7654 32")]),
        ("NO93 8601 1117 947", [("iban", "NO93 8601 1117 947")]),
        ("DK50 0040 0440 1162 43", [("iban", "DK50 0040 0440 1162 43")]),
        ("FI21 1234 5600 0007 85", [("iban", "FI21 1234 5600 0007 85")]),
        ("FR14 2004 1010 0505 0001 3M02 606", [("iban", "FR14 2004 1010 0505 0001 3M02 606")]),
        ("NL91 ABNA 0417 1643 00", [("iban", "NL91 ABNA 0417 1643 00")]),
        ("ES91 2100 0418 4502 0005 1332", [("iban", "ES91 2100 0418 4502 0005 1332")]),
        ("IT60 X054 2811 1010 0000 0123 456", [("iban", "IT60 X054 2811 1010 0000 0123 456")]),
        ("se45 5000 0000 0583 9825 7466", [("iban", "se45 5000 0000 0583 9825 7466")]),
        ("IBAN SE45 5000 0000 0583 9825 7467", []),
        ("DE89 3704 0044 0532 0130 01", []),
        ("HR1210010051863000161", []),
        ("SE45 5000 0000 0583 9825 746", []),
    ],
)
def test_ibans_only_when_mod97_valid(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("SE4550000000058398257466", True),
        ("SE4550000000058398257467", False),
        ("SE455000000005839825746", False),
        ("XK051212012345678906", True),
        ("ZZ00123456789012345", False),
    ],
)
def test_iban_valid(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111 1111 1111 1111", True), ("4111 1111 1111 1112", False), ("79927398713", True)],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("ring mig på +46 70 123 45 67", "+46 70 123 45 67"),
        ("+46701234567", "+46701234567"),
        ("0046 70 123 45 67", "0046 70 123 45 67"),
        ("070-123 45 67", "070-123 45 67"),
        ("mitt nummer 0701234567!", "0701234567"),
        ("+385 91 234 5678", "+385 91 234 5678"),
        ("+7 (912) 345-67-89", "+7 (912) 345-67-89"),
        ("звоните 8 (912) 345-67-89", "8 (912) 345-67-89"),
        ("+46 (0)70 123 45 67", "+46 (0)70 123 45 67"),
        ("Tel.070 123 45 67", "070 123 45 67"),
        ("ring meg på 412 34 567", "412 34 567"),
        ("tlf 22 12 34 56", "22 12 34 56"),
        ("call me at 555-123-4567", "555-123-4567"),
        ("(555) 123-4567", "(555) 123-4567"),
        ("Handy: 0170/1234567", "0170/1234567"),
        ("den 2026-11-23 nås jag på 070-123 45 67", "070-123 45 67"),
    ],
)
def test_phones(text: str, phone: str) -> None:
    assert found(text) == [("phone", phone)]


@pytest.mark.parametrize(
    "text",
    [
        "Leverans 2026-11-23",
        "den 23.11.2026",
        "am 23.11. um 10.00",
        "11/23/2026",
        "Den 2026-11-23 kl 10:00",
        "öppet kl. 08.00-10.00",
        "tel 10.00-12.00",
        "10:00:00",
        "Det kostar 99 kr",
        "1 299,00 kr",
        "1 299,00",
        "Pris: 1.299,00 €",
        "€ 12 345 678",
        "12 345 678 kr",
        "betala 12345678 kr",
        "99:-",
        "år 2025 och 2026",
        "1999-2005",
        "2025 2026",
        "12345",
        "1234567890123",
        "pi is 3.14159265358979",
        "0.000123456789",
        "https://x.com/acme/status/1234567890123456789",
        "https://acme.se/track?id=46701234567",
        "#12345678",
        "@user70123456789",
    ],
)
def test_not_pii(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail anna.berg@example.se", [("email", "anna.berg@example.se")]),
        ("anna.berg+acme@mail.example.co.uk.", [("email", "anna.berg+acme@mail.example.co.uk")]),
        ("åsa@exempel.se", [("email", "åsa@exempel.se")]),
        ("0701234567@sms.example.com", [("email", "0701234567@sms.example.com")]),
        ("not an email: anna@ or @acme", []),
    ],
)
def test_emails(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is order #123456?", [("order", "order #123456")]),
        ("ORDER 654321 is late", [("order", "ORDER 654321")]),
        ("order 12345 is late", []),
    ],
)
def test_order_patterns(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text, (ORDER,)) == expected


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("Var är ordernummer 12345678?", "ordernummer 12345678"),
        ("Min beställning 4711-0815 har inte kommit", "beställning 4711-0815"),
        ("Bokning ABC123 ändrad", "Bokning ABC123"),
        ("Hvor er ordre nr. 123456?", "ordre nr. 123456"),
        ("bestillingsnummer 99887766", "bestillingsnummer 99887766"),
        ("Min bestilling 5544332211 er forsinket", "bestilling 5544332211"),
        ("Wo ist meine Bestellnummer: 12345678", "Bestellnummer: 12345678"),
        ("Bestellung Nr. 4711-0815", "Bestellung Nr. 4711-0815"),
        ("Auftragsnummer 20261123A", "Auftragsnummer 20261123A"),
        ("Buchungsnummer XY12Z9", "Buchungsnummer XY12Z9"),
        ("Koji je status, broj narudžbe 552155?", "narudžbe 552155"),
        ("narudzba 12-34-56 kasni", "narudzba 12-34-56"),
        ("rezervacija AB12CD", "rezervacija AB12CD"),
        ("Где номер заказа 1234567?", "заказа 1234567"),
        ("заказ № 7654321", "заказ № 7654321"),
        ("бронирование AB12CD", "бронирование AB12CD"),
        ("Where is order #123456?", "order #123456"),
        ("booking ref: K9XQ27", "booking ref: K9XQ27"),
        ("reservation number 88776655", "reservation number 88776655"),
    ],
)
def test_built_in_order_and_booking_numbers_in_every_language(text: str, order: str) -> None:
    assert found(text) == [("order", order)]


@pytest.mark.parametrize(
    "text",
    [
        "order 12345",  # too short
        "Bestellung 2025",
        "order 2026-11-23",  # a date
        "booking number please",
        "order status ABCDEF",
        "I ordered 200000 units",  # the verb
        "заказ на завтра",
    ],
)
def test_order_words_without_an_order_number(text: str) -> None:
    assert found(text) == []


# --- matching form: what looks the same on screen is found the same ------------------------


@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("kort 4111\u200b1111\u200b1111\u200b1111", "card", "4111\u200b1111\u200b1111\u200b1111"),
        ("kort 4111 1111\u2060 1111 1111 tack", "card", "4111 1111\u2060 1111 1111"),
        ("ring +46\u00ad70\u200c123 45 67", "phone", "+46\u00ad70\u200c123 45 67"),
        ("ring ＋４６ ７０ １２３ ４５ ６７", "phone", "＋４６ ７０ １２３ ４５ ６７"),
        ("anna\u200b@example.se", "email", "anna\u200b@example.se"),
        ("ａｎｎａ＠ｅｘａｍｐｌｅ．ｓｅ!", "email", "ａｎｎａ＠ｅｘａｍｐｌｅ．ｓｅ"),
        ("\u202eSE45 5000 0000 0583 9825 7466", "iban", "SE45 5000 0000 0583 9825 7466"),
        ("ordernummer 1234\u200d5678", "order", "ordernummer 1234\u200d5678"),
        (
            "kort 4\u03361\u03361\u03361\u0336 1111 1111 1111",
            "card",
            "4\u03361\u03361\u03361\u0336 1111 1111 1111",
        ),
    ],
)
def test_invisible_and_styled_characters_do_not_hide_personal_data(
    text: str, kind: str, span: str
) -> None:
    assert found(text) == [(kind, span)]


def test_spans_are_in_the_original_text_so_redaction_keeps_the_rest() -> None:
    text = "\u200bHej\u200b! ring ０７０-１２３ ４５ ６７ eller ﬁle@example.se tack"
    assert redact(text, find_pii(text)) == "\u200bHej\u200b! ring [phone] eller [email] tack"


# --- the brand's own contact details -------------------------------------------------------
ALLOW = ("support@acme.se", "+46 8 123 45 67", "SE45 5000 0000 0583 9825 7466")


@pytest.mark.parametrize(
    "text",
    [
        "Mejla Support@Acme.se eller ring +46 8 123 45 67",
        "ring 08-123 45 67",
        "ring 0046 8 123 45 67",
        "ring +46 (0)8 123 45 67",
        "ring +46-8-1234567",
        "ring +46\u200b8 123 45 67",
        "swish till SE4550000000058398257466",
    ],
)
def test_allowed_brand_contacts_are_not_personal_data(text: str) -> None:
    assert found(text) != [] and find_pii(text, (), ALLOW) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("support@acme.se.evil.example", "email"),
        ("anna@acme.se", "email"),
        ("ring +45 8 123 45 67", "phone"),  # the same digits in Denmark
        ("ring +46 8 123 45 68", "phone"),
        ("ring 08-123 45 68", "phone"),
        ("order 123456", "order"),
    ],
)
def test_anything_else_stays_personal_data(text: str, kind: str) -> None:
    assert pii_kinds(find_pii(text, (), ALLOW)) == [kind]


# --- linear time: adversarial shapes finish (bench/pii.py prints the figures) ---------------


@pytest.mark.parametrize(
    ("unit", "kind"),
    [
        ("SE45 5000 0000 0583 9825 7466 ", "iban"),
        ("DE89 3704 0044 0532 0130 01 ", None),
        ("4111 1111 1111 1111 ", "card"),
        ("+46701234567 ", "phone"),
        ("1 ", None),
        ("a.", None),
        ("a@", None),
        ("4\u200b", None),
    ],
)
def test_long_adversarial_text_is_scanned_in_one_pass(unit: str, kind: str | None) -> None:
    text = unit * (200_000 // len(unit))
    hits = find_pii(text)
    assert {h.kind for h in hits} == ({kind} if kind else set())
    if kind:
        assert len(hits) == text.count(unit.split()[0][:6])


def test_several_kinds_in_order_without_overlap() -> None:
    text = (
        "Kort 4111-1111-1111-1111, IBAN SE45 5000 0000 0583 9825 7466, "
        "ring +46701234567 eller maila a@b.se om order 123456"
    )
    hits = find_pii(text, (ORDER,))
    assert [h.kind for h in hits] == ["card", "iban", "phone", "email", "order"]
    assert pii_kinds(hits) == ["card", "email", "iban", "order", "phone"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(hits))


def test_redact() -> None:
    text = "Ring 070-123 45 67 eller skriv till anna@example.se"
    assert redact(text, find_pii(text)) == "Ring [phone] eller skriv till [email]"


def test_redact_tolerates_overlapping_and_out_of_range_hits() -> None:
    hits = [PiiHit("phone", 0, 4), PiiHit("card", 2, 6), PiiHit("email", 8, 99)]
    assert redact("0123456789", hits) == "[phone][card]67[email]"


def test_pii_kinds_sorted_unique() -> None:
    hits = [PiiHit("phone", 0, 1), PiiHit("email", 2, 3), PiiHit("phone", 4, 5)]
    assert pii_kinds(hits) == ["email", "phone"]


@pytest.mark.parametrize(
    "text",
    [
        "Please send me your order number",
        "What is your booking reference?",
        "DM us your email address",
        "my address: Storgatan 1",
        "Skicka ditt ordernummer i ett DM",
        "Vad är ditt personnummer?",
        "Send oss ordrenummeret ditt",
        "Hva er passordet?",
        "Send os dit ordrenummer",
        "Bitte schicken Sie uns Ihre Bestellnummer",
        "Ich habe mein Passwort vergessen",
        "Pošaljite nam broj narudžbe",
        "Koja je vaša adresa?",
        "Моя карта заблокирована",
        "Напишите номер заказа",
    ],
)
def test_asks_for_pii(text: str) -> None:
    assert asks_for_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, it works now!",
        "Please address this issue quickly",
        "Tack för snabbt svar",
        "Danke für die schnelle Hilfe",
        "Hvala na pomoći",
        "Спасибо за помощь",
    ],
)
def test_does_not_ask_for_pii(text: str) -> None:
    assert not asks_for_pii(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_find_pii_never_raises_and_stays_in_bounds(text: str) -> None:
    hits = find_pii(text, (ORDER,))
    previous_end = 0
    for hit in hits:
        assert previous_end <= hit.start < hit.end <= len(text)
        previous_end = hit.end
    redact(text, hits)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 +-()./:,€krSEat@x", max_size=80))
def test_find_pii_on_number_soup(text: str) -> None:
    for hit in find_pii(text):
        assert 0 <= hit.start < hit.end <= len(text)


# --- pii.allow in the config ---------------------------------------------------------------
CONFIG_HEAD = (
    "chat: {backend: console}\n"
    "departments: [{id: social, channel: '#social'}]\n"
    "routing: {default: social}\n"
)


def test_pii_allow_is_read_from_the_config() -> None:
    config = load_config_text(
        CONFIG_HEAD + "pii: {allow: ['support@acme.se', '+46 8 123 45 67']}\n"
    )
    assert config.pii.allow == ["support@acme.se", "+46 8 123 45 67"]
    assert load_config_text(CONFIG_HEAD).pii.allow == []
    text = "Mejla support@acme.se eller ring 08-123 45 67"
    assert find_pii(text, config.pii.patterns, config.pii.allow) == []


@pytest.mark.parametrize("entry", ["support@acme", "acme.se", "call us", "12345"])
def test_pii_allow_entries_must_be_contact_details(entry: str) -> None:
    with pytest.raises(ConfigError, match=r"pii\.allow\[0\]: .* is not one e-mail address"):
        load_config_text(CONFIG_HEAD + f"pii: {{allow: ['{entry}']}}\n")


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet="0123456789 +-@.ab\u200b\u2060\u00ad\uff10\uff14\ufb01\u0301\u0430", max_size=80
    )
)
def test_spans_stay_on_the_original_text_whatever_is_spliced_in(text: str) -> None:
    hits = find_pii(text, (ORDER,))
    previous_end = 0
    for hit in hits:
        assert previous_end <= hit.start < hit.end <= len(text)
        previous_end = hit.end
