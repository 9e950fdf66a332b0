"""The knowledge index: passages from Markdown and plain text, found in each language by what a
customer writes, scoped to a department, re-indexed when a file changes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from chatops.drafting import LANGUAGES
from chatops.knowledge import Folder, Knowledge, KnowledgeIndex
from chatops.knowledge.index import OTHER_DEPARTMENT, PASSAGE_CHARS, markdown_pieces, text_pieces
from tests.knowledge.kb import write_kb


@pytest.fixture(scope="module")
def kb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kb(tmp_path_factory.mktemp("kb"))


def folders(root: Path) -> list[Folder]:
    return [
        Folder("kb/billing", root / "billing", "billing"),
        Folder("kb/common", root / "common"),
    ]


@pytest.fixture(scope="module")
def index(kb_root: Path) -> KnowledgeIndex:
    return KnowledgeIndex.build(folders(kb_root), LANGUAGES)


# -- what is indexed ---------------------------------------------------------------------------


def test_markdown_is_split_at_headings_and_text_at_paragraphs(index: KnowledgeIndex) -> None:
    sources = {p.source: p.language for p in index.passages}
    assert sources["kb/common/faq-sv.md › Leveranstid"] == "sv"
    assert sources["kb/common/faq-de.md › Rücksendung und Widerruf"] == "de"
    assert sources["kb/common/faq-ru.md › Повреждённый товар"] == "ru"
    # plain text: a paragraph's short first line names it
    assert sources["kb/common/faq-hr.txt › Koliko traje dostava?"] == "hr"
    # one file in three languages: each passage keeps its own
    assert sources["kb/billing/faktura.md › Betala faktura"] == "sv"
    assert sources["kb/billing/faktura.md › Invoice payment"] == "en"
    assert sources["kb/billing/faktura.md › Rechnung bezahlen"] == "de"
    # a heading with nothing under it but a subheading is no passage
    assert not any(source.endswith("› Vanliga frågor") for source in sources)


def test_other_files_hidden_files_and_bad_text_are_left_out(tmp_path: Path) -> None:
    root = write_kb(tmp_path)
    (root / "common" / "latin1.txt").write_bytes("Öppettider måndag-fredag".encode("latin-1"))
    built = KnowledgeIndex.build(folders(root), LANGUAGES)
    files = {(f.folder, f.file): f for state in built.folders for f in state.files}
    assert ("kb/billing", "notes.bin") not in files  # not Markdown or text
    assert ("kb/billing", ".draft.md") not in files  # an editor's hidden file
    assert files[("kb/common", "latin1.txt")].skipped == "not UTF-8 text"
    assert files[("kb/common", "faq-sv.md")].passages == 4
    assert files[("kb/billing", "faktura.md")].languages == ("de", "en", "sv")
    assert not any("Hidden" in p.text or p.heading == "Hidden" for p in built.passages)


def test_code_fences_and_hashtags_are_not_headings() -> None:
    text = "# Title\nIntro line.\n```\n# not a heading\n```\n#hashtag stays text\n## Next\nBody\n"
    pieces = markdown_pieces(text)
    assert [heading for heading, _ in pieces] == ["Title", "Next"]
    assert "# not a heading" in pieces[0][1] and "#hashtag stays text" in pieces[0][1]


def test_long_sections_become_several_passages_under_one_heading() -> None:
    paragraph = "Leveransen tar normalt två till fyra arbetsdagar inom Sverige. " * 8
    pieces = markdown_pieces("## Leverans\n" + "\n\n".join([paragraph] * 4))
    assert len(pieces) > 1
    assert {heading for heading, _ in pieces} == {"Leverans"}
    assert all(len(body) <= PASSAGE_CHARS for _, body in pieces)
    assert "".join(body for _, body in pieces).count("arbetsdagar") == 32  # nothing lost


def test_plain_text_without_titles_is_named_by_paragraph() -> None:
    pieces = text_pieces("Öppet alla dagar.\n\nRing oss på 08-123 45 67 om något är fel.\n")
    assert pieces == [
        ("¶1", "Öppet alla dagar."),
        ("¶2", "Ring oss på 08-123 45 67 om något är fel."),
    ]


# -- finding the right passage in each language ------------------------------------------------


@pytest.mark.parametrize(
    ("language", "query", "expected"),
    [
        ("sv", "Hur lång tid tar leveransen till Göteborg?", "faq-sv.md › Leveranstid"),
        ("sv", "när får jag pengarna tillbaka för min retur", "faq-sv.md › Returer och ångerrätt"),
        ("sv", "varan var trasig när paketet kom", "faq-sv.md › Skadad vara"),
        ("de", "Wann kommt meine Lieferung an?", "faq-de.md › Lieferzeit"),
        (
            "de",
            "Wie kann ich die Jacke zurückschicken und bekomme mein Geld erstattet?",
            "faq-de.md › Rücksendung und Widerruf",
        ),
        ("de", "Die Ware ist beschädigt angekommen", "faq-de.md › Beschädigte Ware"),
        ("ru", "Сколько дней идёт доставка?", "faq-ru.md › Сроки доставки"),
        ("ru", "Как вернуть деньги за заказ?", "faq-ru.md › Возврат товара"),
        ("ru", "Посылка пришла повреждённая", "faq-ru.md › Повреждённый товар"),
        ("hr", "Kada stiže moja narudžba? Dostava kasni", "faq-hr.txt › Koliko traje dostava?"),
        (
            "hr",
            "kako da vratim jaknu i dobijem novac natrag",
            "faq-hr.txt › Kako vratiti proizvod?",
        ),
        ("hr", "paket je stigao ostecen", "faq-hr.txt › Oštećen proizvod"),  # typed without č/ć
        ("en", "I want a refund", "faq-en.md › Returns and refunds"),
    ],
)
def test_a_customer_question_finds_its_passage(
    index: KnowledgeIndex, language: str, query: str, expected: str
) -> None:
    hits = index.search(query, department="social", language=language, k=3)
    assert hits, query
    assert hits[0].passage.source == f"kb/common/{expected}"
    assert hits[0].passage.language == language
    assert hits[0].score > 0.15
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_letters_typed_without_accents_match_as_well(index: KnowledgeIndex) -> None:
    """Phones often lose č, ć, š, ü: "ostecen" finds "oštećen" as well as the word itself."""
    typed = index.search("paket je stigao ostecen", language="hr", k=1)
    written = index.search("paket je stigao oštećen", language="hr", k=1)
    assert typed[0].passage == written[0].passage
    assert typed[0].score == pytest.approx(written[0].score, rel=0.1)


def test_the_customers_language_ranks_first(index: KnowledgeIndex) -> None:
    """The invoice section exists in sv, en and de: the query's language decides."""
    query = "faktura invoice Rechnung"
    for language, heading in [
        ("sv", "Betala faktura"),
        ("en", "Invoice payment"),
        ("de", "Rechnung bezahlen"),
    ]:
        hits = index.search(query, department="billing", language=language, k=3)
        assert hits[0].passage.heading == heading, language


def test_nothing_in_common_is_no_hit(index: KnowledgeIndex) -> None:
    assert index.search("", department="billing") == []
    assert index.search("🙂🙂", department="billing") == []
    assert index.search("zzzz qqqq xxxx", department="billing") == []


# -- departments -------------------------------------------------------------------------------


def test_a_department_gets_its_own_folders_and_the_common_ones(index: KnowledgeIndex) -> None:
    query = "Hur betalar jag fakturan?"
    billing = index.search(query, department="billing", language="sv", k=5)
    assert billing[0].passage.source == "kb/billing/faktura.md › Betala faktura"
    assert any(h.passage.folder == "kb/common" for h in billing)  # common folders too
    common_only = index.search(query, language="sv", k=5)
    social = index.search(query, department="social", language="sv", k=5)
    assert [h.passage for h in common_only] == [h.passage for h in social]
    everywhere = index.search(query, language="sv", k=5, every_department=True)
    assert everywhere[0].passage.source == "kb/billing/faktura.md › Betala faktura"


def test_another_departments_passage_counts_half(index: KnowledgeIndex) -> None:
    """A misrouted case still finds the passage that answers it, behind an equal one of its
    own department's or the common folders."""
    query = "Hur betalar jag fakturan?"
    own = {h.passage.source: h.score for h in index.search(query, department="billing", k=5)}
    social = {h.passage.source: h.score for h in index.search(query, department="social", k=5)}
    invoice = "kb/billing/faktura.md › Betala faktura"
    assert social[invoice] == pytest.approx(OTHER_DEPARTMENT * own[invoice])
    tech = index.search(query, department="tech", language="sv", k=5)
    assert invoice in [h.passage.source for h in tech]
    for source, score in social.items():
        if source.startswith("kb/common/"):
            assert score == pytest.approx(own[source])  # common folders: full weight for all


# -- re-indexing -------------------------------------------------------------------------------


async def test_a_changed_file_is_reindexed_on_the_next_tick(tmp_path: Path) -> None:
    root = write_kb(tmp_path)
    kb = Knowledge(folders(root), LANGUAGES)
    assert await kb.tick() is True and kb.builds == 1
    assert await kb.tick() is False and kb.builds == 1  # nothing changed: nothing rebuilt
    query = "Kan jag hämta paketet själv i butiken?"
    assert not any("Hämta i butik" in h.passage.source for h in kb.index.search(query, k=5))

    faq = root / "common" / "faq-sv.md"
    faq.write_text(
        faq.read_text(encoding="utf-8")
        + "\n## Hämta i butik\nDu kan hämta paketet själv i vår butik i Göteborg.\n",
        encoding="utf-8",
    )
    assert await kb.tick() is True and kb.builds == 2
    hits = kb.index.search(query, language="sv", k=1)
    assert hits[0].passage.source == "kb/common/faq-sv.md › Hämta i butik"

    (root / "common" / "faq-de.md").unlink()
    assert await kb.tick() is True
    assert not any(p.file == "faq-de.md" for p in kb.index.passages)


async def test_an_edit_that_keeps_the_size_is_seen(tmp_path: Path) -> None:
    root = write_kb(tmp_path)
    kb = Knowledge(folders(root), LANGUAGES)
    await kb.tick()
    faq = root / "common" / "faq-en.md"
    before = faq.stat()
    faq.write_text(faq.read_text(encoding="utf-8").replace("30 days", "60 days"), "utf-8")
    os.utime(faq, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))  # a later save
    assert faq.stat().st_size == before.st_size
    assert await kb.tick() is True
    assert any("60 days" in p.text for p in kb.index.passages)


async def test_a_folder_that_appears_later_is_indexed(tmp_path: Path) -> None:
    kb = Knowledge([Folder("kb/later", tmp_path / "later", "billing")], LANGUAGES)
    await kb.tick()
    assert kb.index.folders[0].missing and kb.index.passages == ()
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "faq.md").write_text("## Faktura\nBetala inom 30 dagar.\n", "utf-8")
    assert await kb.tick() is True
    assert not kb.index.folders[0].missing
    assert [p.source for p in kb.index.passages] == ["kb/later/faq.md › Faktura"]


async def test_the_watch_reindexes_between_pauses_until_stopped(tmp_path: Path) -> None:
    """`run` checks after each pause (a test's pause stands in for time) and stops on `stop`."""
    root = write_kb(tmp_path)
    kb = Knowledge(folders(root), LANGUAGES)
    await kb.tick()
    stop = asyncio.Event()
    pauses: list[float] = []

    async def pause(stopping: asyncio.Event, every: float) -> None:
        pauses.append(every)
        if len(pauses) == 1:  # the first wait: someone edits the FAQ meanwhile
            (root / "common" / "faq-en.md").write_text(
                "## Opening hours\nWe answer on weekdays from 8 to 17.\n", encoding="utf-8"
            )
        elif len(pauses) == 3:
            stopping.set()

    await asyncio.wait_for(kb.run(stop, every=7.0, pause=pause), 30)
    assert pauses == [7.0, 7.0, 7.0]
    assert kb.builds == 2  # once for the edit, not again for the unchanged second check
    hits = kb.index.search("When do you answer, opening hours?", language="en", k=1)
    assert hits[0].passage.source == "kb/common/faq-en.md › Opening hours"


async def test_no_knowledge_configured_costs_nothing() -> None:
    kb = Knowledge([], LANGUAGES)
    assert await kb.tick() is False and kb.builds == 0
    await asyncio.wait_for(kb.run(asyncio.Event()), 1)  # returns at once: nothing to watch
    assert kb.index.search("anything", every_department=True) == []
