"""Drafting measured on the labelled set (issue 14 item 6): intent and routing accuracy, recall
of the right knowledge passage, and what retrieval adds to each case.

Reads tests/data/drafting (labelled.jsonl, its routing config chatops.yaml and the knowledge
base kb/), then for every mention does what the pipeline does for a new case: `classify`, the
draft's intent (`drafting.intent_of`), the department (`routing.route`), and the knowledge
search a draft draws on (the routed department's folders and the common ones, the customer's
language first). Prints:
- intent accuracy (target >= 85 %), per language and per intent, with the commonest confusions;
- routing accuracy;
- recall@3 of the labelled passage (target >= 80 %) over the mentions that have one, and
  recall@1;
each for the labelled set (labelled.jsonl, 192 mentions: written before the classifier was
changed, then the word lists were improved on it, so its figures are in-sample), for
heldout-1.jsonl (written after; its misses then widened the lists), for heldout-2.jsonl
(written after that, never tuned on) and for heldout-3.jsonl (210 mentions written blind and
measured once blind, intent 80.5 % and recall@3 77.4 %; since then a development set and in the
intent model's training examples, so none of its figures is unseen);
- the intent model's leave-one-set-out accuracy: the four sets are in the model's training
  examples, so each is also measured by a model trained without it;
- the same figures for heldout-4.jsonl (280 mentions written blind while the model, the rules
  and the retrieval were improved on the other sets, measured once after they were frozen: the
  honest estimate; `--show-misses` does not list its misses, so nobody tunes on them);
- latency per case, p50/p99 over `--rounds` passes: the template path (classify, intent, route,
  render; target < 5 ms CPU) and what retrieval adds (target < 5 ms), wall and thread CPU time,
  and what training the intent model costs once per process;
- latency with a local model server (bench.suggest: retrieval, prompt, HTTP, guardrails).

Usage: python -m bench.drafting [--rounds 20] [--show-misses]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable

from bench.suggest import measure as suggestions
from chatops.classify import classify
from chatops.classify.intents import IntentModel, default_model, load_examples
from chatops.config import Config
from chatops.drafting import LANGUAGES, Drafter, Intent, intent_of
from chatops.knowledge import KnowledgeIndex
from chatops.routing import route
from tests.drafting.labelled import BLIND, HELD_OUT, Labelled, config, load

INTENT_TARGET = 0.85
RECALL_TARGET = 0.80
LATENCY_TARGET_MS = 5.0


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


class Case:
    """One labelled mention through the template path; `search` is the retrieval it adds."""

    def __init__(
        self,
        cfg: Config,
        index: KnowledgeIndex,
        drafter: Drafter,
        model: IntentModel | None = None,
    ) -> None:
        self.cfg = cfg
        self.model = model
        self.index = index
        self.drafter = drafter
        langs = {lang for d in cfg.departments for lang in d.languages}
        self.languages = tuple(sorted(langs)) or LANGUAGES

    def template_path(self, row: Labelled) -> tuple[Intent, str, str | None, str]:
        a = self.cfg.approval
        cls = classify(
            row.text,
            allowed_languages=self.languages,
            sensitive_keywords=a.sensitive_keywords,
            min_followers=a.min_followers,
            pii_patterns=self.cfg.pii.patterns,
            pii_allow=self.cfg.pii.allow,
        )
        intent = intent_of(row.text, cls, model=self.model)
        r = self.cfg.routing
        department = route(
            r.rules,
            r.default,
            text=row.text,
            language=cls.language,
            platform="sandbox",
            account="acme",
            kind="comment",
        )
        draft = self.drafter.draft(
            language=cls.language, intent=intent, author_name="Anna Berg", variant=1
        )
        return intent, department, cls.language, draft

    def search(self, row: Labelled, department: str, language: str | None) -> list[str]:
        hits = self.index.search(row.text, department=department, language=language, k=3)
        return [h.passage.source for h in hits]


def _timed(fn: Callable[..., object], *args: object) -> tuple[float, float]:
    """(wall, this thread's CPU) milliseconds of one call."""
    wall, cpu = time.perf_counter(), time.thread_time()
    fn(*args)
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def accuracy(title: str, rows: list[Labelled], bench: Case, show_misses: bool) -> None:
    """Intent and routing accuracy and passage recall on `rows`, printed under `title`."""
    intents_ok = routed_ok = 0
    per_language: Counter[tuple[str, bool]] = Counter()
    per_intent: Counter[tuple[str, bool]] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    at1 = at3 = with_passage = 0
    misses: list[str] = []
    for row in rows:
        intent, department, language, _ = bench.template_path(row)
        found = bench.search(row, department, language)
        right = intent.label == row.intent
        intents_ok += right
        routed_ok += department == row.department
        per_language[(row.lang, right)] += 1
        per_intent[(row.intent, right)] += 1
        if not right:
            confusions[(row.intent, intent.label)] += 1
            misses.append(f"  intent {row.id}: {row.intent} -> {intent.label}: {row.text}")
        if department != row.department:
            misses.append(f"  route  {row.id}: {row.department} -> {department}: {row.text}")
        if row.passage is not None:
            with_passage += 1
            at1 += found[:1] == [row.passage]
            at3 += row.passage in found
            if row.passage not in found:
                misses.append(f"  recall {row.id}: {row.passage} not in {found}: {row.text}")

    def share(good: int, total: int) -> str:
        return f"{good}/{total} = {good / total:.1%}" if total else "n/a"

    intent_rate = intents_ok / len(rows)
    recall = at3 / with_passage if with_passage else 0.0
    print(
        f"\n{title}\nintent accuracy: {share(intents_ok, len(rows))} "
        f"(target >= {INTENT_TARGET:.0%}: {'met' if intent_rate >= INTENT_TARGET else 'MISSED'})"
    )
    for lang in sorted({r.lang for r in rows}):
        good, bad = per_language[(lang, True)], per_language[(lang, False)]
        print(f"  {lang}: {share(good, good + bad)}")
    for label in sorted({r.intent for r in rows}):
        good, bad = per_intent[(label, True)], per_intent[(label, False)]
        print(f"  {label:<14} {share(good, good + bad)}")
    if confusions:
        common = ", ".join(f"{a}->{b} x{n}" for (a, b), n in confusions.most_common(6))
        print(f"  commonest confusions: {common}")
    print(f"routing accuracy: {share(routed_ok, len(rows))}")
    print(
        f"passage recall@3: {share(at3, with_passage)} "
        f"(target >= {RECALL_TARGET:.0%}: {'met' if recall >= RECALL_TARGET else 'MISSED'}); "
        f"recall@1: {share(at1, with_passage)}; "
        f"{len(rows) - with_passage} mentions have no passage to find (spam, praise, hellos)"
    )
    if show_misses:
        print("\n".join(["misses:", *misses]))


def model_without(rows: list[Labelled]) -> IntentModel:
    """The intent model trained on the packaged examples less any text of `rows`: a set is
    measured on mentions the model never saw, even where one was also written, word for word
    and by chance, in another set or the examples (four of heldout-4's were)."""
    texts = {r.text for r in rows}
    return IntentModel([e for e in load_examples() if e.text not in texts])


def leave_one_set_out(sets: dict[str, list[Labelled]], bench: Case) -> None:
    """Intent accuracy on each set by a model trained on the packaged examples without it."""
    print("\nintent accuracy, leave-one-set-out (a model trained without the set measured):")
    for name, rows in sets.items():
        unseen = Case(bench.cfg, bench.index, bench.drafter, model_without(rows))
        good = sum(unseen.template_path(r)[0].label == r.intent for r in rows)
        rate = good / len(rows)
        verdict = "met" if rate >= INTENT_TARGET else "MISSED"
        print(f"  {name}: {good}/{len(rows)} = {rate:.1%} ({verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the set")
    parser.add_argument("--show-misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args()

    rows = load()
    cfg = config()
    index = KnowledgeIndex.build(cfg.knowledge_folders(), LANGUAGES)
    bench = Case(cfg, index, Drafter())
    wall, cpu = _timed(default_model)
    print(
        f"labelled set: {len(rows)} mentions in {len({r.lang for r in rows})} languages; "
        f"knowledge: {len(index.passages)} passages; intent model: {default_model().size} "
        f"examples, trained once per process in {wall:.0f} ms wall, {cpu:.0f} ms CPU"
    )

    accuracy(
        "labelled set (in the intent model's training examples)", rows, bench, args.show_misses
    )
    first, second, third = (load(path) for path in HELD_OUT)
    accuracy(
        f"held-out 1 ({len(first)} mentions; in the intent model's training examples)",
        first,
        bench,
        args.show_misses,
    )
    accuracy(
        f"held-out 2 ({len(second)} mentions; in the intent model's training examples)",
        second,
        bench,
        args.show_misses,
    )
    accuracy(
        f"heldout-3 ({len(third)} mentions written blind, measured blind once at 80.5 % and "
        "77.4 %; since then a development set and in the intent model's training examples)",
        third,
        bench,
        args.show_misses,
    )
    leave_one_set_out(
        {"labelled": rows, "heldout-1": first, "heldout-2": second, "heldout-3": third}, bench
    )
    blind = load(BLIND)
    accuracy(
        f"heldout-4 (blind) ({len(blind)} mentions written without reading the classifier, the "
        "retrieval or the other sets, measured once after all of them were frozen: the estimate "
        "for unseen mentions; the model trained without its texts)",
        blind,
        Case(cfg, index, bench.drafter, model_without(blind)),
        show_misses=False,
    )

    template_ms: list[float] = []
    template_cpu: list[float] = []
    search_ms: list[float] = []
    search_cpu: list[float] = []
    total_ms: list[float] = []
    prepared = [(row, bench.template_path(row)) for row in rows]
    for _ in range(args.rounds):
        for row, (_, department, language, _) in prepared:
            drafted, drafted_cpu = _timed(bench.template_path, row)
            template_cpu.append(drafted_cpu)
            wall, cpu = _timed(bench.search, row, department, language)
            template_ms.append(drafted)
            search_ms.append(wall)
            search_cpu.append(cpu)
            total_ms.append(drafted + wall)
    t50, t99 = _percentiles(template_ms)
    u50, u99 = _percentiles(template_cpu)
    s50, s99 = _percentiles(search_ms)
    c50, c99 = _percentiles(search_cpu)
    a50, a99 = _percentiles(total_ms)

    def verdict(ms: float) -> str:
        return "met" if ms < LATENCY_TARGET_MS else "MISSED"

    print(
        f"\nlatency per case over {args.rounds} passes ({len(search_ms)} cases), target for "
        f"what retrieval adds < {LATENCY_TARGET_MS:.0f} ms:\n"
        f"  template draft (classify, intent, route, render): p50 {t50:.2f} ms, p99 {t99:.2f} ms\n"
        f"  template draft, this thread's CPU: p50 {u50:.2f} ms, p99 {u99:.2f} ms "
        f"({verdict(u99)})\n"
        f"  added by retrieval (top 3 passages), wall: p50 {s50:.2f} ms, p99 {s99:.2f} ms "
        f"({verdict(s99)})\n"
        f"  added by retrieval, this thread's CPU: p50 {c50:.2f} ms, p99 {c99:.2f} ms "
        f"({verdict(c99)}; a wall tail far above the CPU's is waiting for a busy core)\n"
        f"  template draft with retrieval: p50 {a50:.2f} ms, p99 {a99:.2f} ms"
    )
    print("\n".join(asyncio.run(suggestions(rows, cfg, index, rounds=1))))


if __name__ == "__main__":
    main()
