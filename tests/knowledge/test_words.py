"""Retrieval beyond shared letters: chat noise stripped, words stemmed in their language, and
concepts that carry a customer's own words to the passage whose heading names the topic."""

from __future__ import annotations

import pytest

from chatops.drafting import LANGUAGES
from chatops.knowledge import Folder, KnowledgeIndex
from chatops.knowledge.concepts import CONCEPTS
from chatops.knowledge.words import Words, concepts, terms, words
from tests.knowledge.kb import write_kb


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeIndex:
    root = write_kb(tmp_path_factory.mktemp("kb"))
    folders = [
        Folder("kb/billing", root / "billing", "billing"),
        Folder("kb/common", root / "common"),
    ]
    return KnowledgeIndex.build(folders, LANGUAGES)


def test_chat_noise_is_not_words() -> None:
    text = "@acme_help sooo #annoyed https://t.co/x1 mail me@example.com 😡😡 nooo www.spam.club"
    assert words(text) == ["so", "annoyed", "mail", "no"]


def test_words_are_stemmed_in_their_language_and_folded() -> None:
    assert terms("Rücksendungen", "de") == terms("rucksendung", "de")
    assert terms("paketen", "sv") == terms("paketet", "sv") == ["paket"]
    assert terms("računa", "hr") == terms("racun", "hr")
    assert terms("посылки", "ru") == terms("посылка", "ru")
    assert terms("deliveries", None) == ["deliveries"]  # no language: folded, not stemmed


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("the handle came off and the glass is cracked", "damage"),
        ("the handle came off", "damage"),
        ("Die Lampe ist total kaputt", "damage"),
        ("Тарелка пришла разбитая", "damage"),
        ("I'm a reporter at a local paper", "press"),
        ("Jag ringer från redaktionen på tidningen", "press"),
        ("Novinar sam, trebam izjavu", "press"),
        ("pakken er en uge forsinket", "delivery"),
        ("Dere trakk pengene dobbelt", "charged"),
        ("the page just keeps timing out", "outage"),
        ("Сайт не грузится", "outage"),
    ],
)
def test_a_customers_own_words_name_the_concept(text: str, concept: str) -> None:
    assert concept in concepts(text)


def test_a_compound_word_holds_its_concept_but_a_short_beginning_only_starts_one() -> None:
    assert "press" in concepts("Pressestelle")
    assert "press" not in concepts("Express delivery")
    assert "damage" in concepts("Glasschaden: das Display ist zerbrochen")


def test_every_concept_is_named_in_every_language_answered() -> None:
    """A concept one language lacks would make retrieval worse in that language only."""
    for name, named in CONCEPTS.items():
        assert set(named) == set(LANGUAGES), name
        assert all(text.strip(" ,") for text in named.values()), name


@pytest.mark.parametrize(
    ("language", "query", "expected"),
    [
        ("sv", "lampskärmen var sprucken när jag öppnade kartongen", "faq-sv.md › Skadad vara"),
        ("de", "Das Regal wackelt und hat überall Kratzer", "faq-de.md › Beschädigte Ware"),
        ("ru", "Тарелка пришла с трещиной", "faq-ru.md › Повреждённый товар"),
        ("sv", "jag har väntat i två veckor, var är min beställning?", "faq-sv.md › Leveranstid"),
        ("de", "Paket seit zwei Wochen unterwegs, niemand antwortet", "faq-de.md › Lieferzeit"),
    ],
)
def test_a_query_without_the_passages_words_finds_it_by_concept(
    index: KnowledgeIndex, language: str, query: str, expected: str
) -> None:
    hits = index.search(query, department="social", language=language, k=1)
    assert [h.passage.source for h in hits] == [f"kb/common/{expected}"], query


def test_bm25_counts_a_rare_word_more_than_a_common_one() -> None:
    vectors = Words(
        ["the parcel is late", "the invoice", "the refund"], ["en", "en", "en"], ["", "", ""]
    )
    scores = vectors.scores("the parcel", "en")
    assert scores is not None
    assert scores.argmax() == 0
    assert 0 < scores[1] < scores[0] <= 1
    assert vectors.scores("zzz qqq", "en") is None
