"""Past answers ("Similar"): what 5,000 recorded answers cost a process, and what finding a new
case's similar ones adds to its creation (target: well under 5 ms).

Writes closed cases in the seven languages (the knowledge benchmark's questions and FAQ answers,
per product line, with customers' names and small variations) and records their replies into
Redis as publishing does (a reference to the case), then prints:
- recording one answer (XADD and trim);
- a process's start: reading every answer from Redis, the cases they refer to, and fitting the
  index (and the reading alone: the streams and the cases, and deriving the answers);
- a refresh when nothing was published (the round trip each new case makes first), and one
  that takes in an answer another process just published;
- p50/p99/max of the search a new case makes, wall time and the thread's CPU time;
- both together: what "Similar" adds to a case's creation.

Flushes CHATOPS_BENCH_REDIS_URL (default database 14 of the local server; never REDIS_URL).

Usage: python -m bench.answers [--answers 5000] [--searches 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from bench._common import BENCH_REDIS_URL
from bench.knowledge import PRODUCTS, TOPICS, percentile, print_timings
from chatops.domain import Author, Case, Mention, State
from chatops.knowledge.answers import Answer, AnswerLog, PastAnswers, answer_of
from chatops.store import Store

NAMES = ["Anna", "Erik", "Jens", "Tom", "Sara", "Lisa", "Ivan", "Marko", "Ole", "Mette"]
GREETING = {"sv": "Hej", "no": "Hei", "da": "Hej", "de": "Hallo", "hr": "Bok", "ru": "Привет"}


def published(
    count: int, now: datetime, rng: random.Random, first: int = 0
) -> list[tuple[Answer, Case, Mention]]:
    """`count` closed cases, each with the customer's question and the reply published, and
    the answer each records."""
    pool = [
        (language, head, body, question)
        for language, topics in TOPICS.items()
        for head, body, question in topics
    ]
    found = []
    for n in range(first, first + count):
        language, _, body, question = rng.choice(pool)
        product = rng.choice(PRODUCTS)
        name = rng.choice(NAMES)
        hello = GREETING.get(language, "Hi")
        at = now - timedelta(minutes=count - n)
        asked = Mention(
            platform="sandbox",
            account="acme",
            external_id=f"m-{n}",
            conversation_id=f"post-{n}",
            author=Author(id=f"u-{n}", name=f"{name} Berg", handle=f"{name.lower()}{n}"),
            text=f"{question.format(p=product)} {rng.choice(['?', '!!', ', tack', ''])}",
            created_at=at,
        )
        case = Case(
            id=str(1000 + n),
            state=State.CLOSED,
            department=rng.choice(["billing", "social"]),
            platform="sandbox",
            account="acme",
            conversation_id=asked.conversation_id,
            created_at=at,
            updated_at=at,
            opened_at=at,
            language=language,
            mention_keys=[asked.key],
            answered_keys=[asked.key],
            reply_to=asked.key,
            draft=f"{hello} {name}! {body.format(p=product)}",
            published=[{"id": f"r-{n}", "url": "", "mention": asked.key, "at": at.isoformat()}],
        )
        found.append((answer_of(case, asked, f"U0{n % 40:08d}", 1), case, asked))
    return found


async def write(store: Store, cases: list[tuple[Answer, Case, Mention]]) -> None:
    for start in range(0, len(cases), 500):
        chunk = cases[start : start + 500]
        saved = await store.cases.save_many([(c, 0, None, m) for _, c, m in chunk])
        assert all(saved), "the benchmark's cases are new"


async def run(count: int, searches: int) -> None:
    redis = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await redis.flushdb()
    now = datetime.now(UTC)
    rng = random.Random(7)
    store = Store(redis)
    log = AnswerLog(redis, store.cases.stored)
    oldest = now - timedelta(days=180)
    recorded = []
    cases = published(count, now, rng)
    await write(store, cases)
    for answer, _, _ in cases:
        started = time.perf_counter()
        await log.add(answer, oldest)
        recorded.append((time.perf_counter() - started) * 1000)
    print(f"record one answer (XADD + trim): p50 {percentile(recorded, 0.5):.2f} ms")

    process = PastAnswers(log, ["billing", "social"])
    started = time.perf_counter()
    await process.refresh()
    print(
        f"start: read and index {len(process.index.answers)} answers "
        f"(scikit-learn's import included): {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    started = time.perf_counter()
    read = await log.since({"billing": "", "social": ""})
    print(
        f"  of which reading {len(read)} answers (the streams, their cases in one round trip, "
        f"deriving them): {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    started = time.perf_counter()
    await process.refresh()
    idle = (time.perf_counter() - started) * 1000
    print(f"refresh, nothing new (a round trip): {idle:.2f} ms")
    other = PastAnswers(log, ["billing", "social"])
    await other.refresh()
    [new] = published(1, now, rng, first=count)
    await write(store, [new])
    await other.record(new[0])
    started = time.perf_counter()
    await process.refresh()
    print(f"refresh taking in one new answer: {(time.perf_counter() - started) * 1000:.2f} ms")

    queries = [
        (language, question.format(p=rng.choice(PRODUCTS)))
        for language, topics in TOPICS.items()
        for _, _, question in topics
    ]
    wall: list[float] = []
    cpu: list[float] = []
    total: list[float] = []
    shown = 0
    for _ in range(searches):
        language, query = rng.choice(queries)
        department = rng.choice(["billing", "social"])
        begun = time.perf_counter()
        await process.refresh()
        started, started_cpu = time.perf_counter(), time.thread_time()
        found = process.similar(query, department, language, 3)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        total.append((time.perf_counter() - begun) * 1000)
        shown += bool(found) and found[0].answer.language == language
    print(f"search ({searches} questions in 7 languages, a department, k=3):")
    print_timings(wall, cpu)
    print(
        f"added to a case's creation (refresh + search; target < 5 ms): "
        f"p50 {percentile(total, 0.5):.2f} ms, p99 {percentile(total, 0.99):.2f} ms"
    )
    print(f"best match in the question's language: {shown / searches:.1%}")
    await redis.flushdb()
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--searches", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(run(args.answers, args.searches))


if __name__ == "__main__":
    main()
