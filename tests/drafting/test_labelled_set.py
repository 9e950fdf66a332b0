"""The labelled drafting set is well formed: big enough, in all seven languages, every label
one the product knows (intent, department, an indexed passage)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from chatops.drafting import LANGUAGES, Intent
from chatops.knowledge import KnowledgeIndex
from tests.drafting.labelled import BLIND, HELD_OUT, THIRD, Labelled, config, load

INTENTS = {i.label for i in Intent}
"""greeting, complaint, outage, question, praise, press, personal_data, spam"""


@pytest.fixture(scope="module")
def rows() -> list[Labelled]:
    return load()


def test_at_least_150_mentions_spread_over_all_seven_languages(rows: list[Labelled]) -> None:
    per_language = Counter(r.lang for r in rows)
    assert len(rows) >= 150
    assert set(per_language) == set(LANGUAGES)
    assert min(per_language.values()) >= 20, per_language


def test_ids_are_unique_and_texts_short(rows: list[Labelled]) -> None:
    assert len({r.id for r in rows}) == len(rows)
    assert len({r.text for r in rows}) == len(rows)
    assert all(r.text.strip() and len(r.text) <= 280 for r in rows)


def test_every_language_has_every_intent(rows: list[Labelled]) -> None:
    assert {r.intent for r in rows} == INTENTS
    for lang in LANGUAGES:
        assert {r.intent for r in rows if r.lang == lang} == INTENTS, lang


def test_departments_are_the_configs_and_passages_are_indexed(rows: list[Labelled]) -> None:
    cfg = config()
    assert {r.department for r in rows} <= {d.id for d in cfg.departments}
    index = KnowledgeIndex.build(cfg.knowledge_folders(), LANGUAGES)
    sources = {p.source: p for p in index.passages}
    wanted = [r for r in rows if r.passage is not None]
    assert len(wanted) >= 0.6 * len(rows)
    for r in wanted:
        passage = sources.get(r.passage)
        assert passage is not None, (r.id, r.passage)
        assert passage.department in (None, r.department), (r.id, r.passage)
    assert all(r.passage is None for r in rows if r.intent in ("spam", "praise", "greeting"))


@pytest.mark.parametrize("path", [*HELD_OUT, BLIND], ids=lambda p: p.name)
def test_the_held_out_sets_are_well_formed_and_new(path: Path) -> None:
    held, rows = load(path), load()
    assert {r.lang for r in held} == set(LANGUAGES)
    assert {r.intent for r in held} <= INTENTS
    written_alike = 3 if path == BLIND else 0  # by chance: see bench.drafting.model_without
    assert len({r.text for r in held} & {r.text for r in rows}) <= written_alike
    assert len({r.id for r in held} | {r.id for r in rows}) == len(held) + len(rows)
    cfg = config()
    sources = {p.source for p in KnowledgeIndex.build(cfg.knowledge_folders(), LANGUAGES).passages}
    assert {r.department for r in held} <= {d.id for d in cfg.departments}
    assert {r.passage for r in held if r.passage} <= sources


def test_heldout_3_is_balanced_over_languages_and_intents() -> None:
    """30 mentions per language, every intent at least twice in each, so a per-language or
    per-intent figure on it rests on more than one mention; the ids say which set they are."""
    held = load(THIRD)
    assert Counter(r.lang for r in held) == {lang: 30 for lang in LANGUAGES}
    for lang in LANGUAGES:
        per_intent = Counter(r.intent for r in held if r.lang == lang)
        assert set(per_intent) == INTENTS, lang
        assert min(per_intent.values()) >= 2, (lang, per_intent)
    assert all(r.id.startswith(f"{r.lang}-h3-") for r in held)
    assert len({r.text for r in held}) == len(held)
    assert all(r.text.strip() and len(r.text) <= 280 for r in held)
    assert all(r.passage is None for r in held if r.intent in ("spam", "praise", "greeting"))


def test_the_blind_set_is_balanced_and_new() -> None:
    """40 mentions per language in the same mix of intents, none of them in another set."""
    held = load(BLIND)
    mix = {
        "complaint": 10,
        "question": 9,
        "outage": 4,
        "praise": 4,
        "personal_data": 4,
        "spam": 3,
        "greeting": 3,
        "press": 3,
    }
    for lang in LANGUAGES:
        assert Counter(r.intent for r in held if r.lang == lang) == mix, lang
    assert all(r.id.startswith(f"{r.lang}-h4-") for r in held)
    others = {r.text for r in load()} | {r.text for path in HELD_OUT for r in load(path)}
    assert len({r.text for r in held}) == len(held)
    assert len(others & {r.text for r in held}) <= 3  # written alike by chance
    assert all(r.passage is None for r in held if r.intent in ("spam", "praise", "greeting"))
