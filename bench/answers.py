"""Past answers ("Similar"): what 5,000 recorded answers cost a process, and what finding a new
case's similar ones adds to its creation (target: well under 5 ms).

Records answers in the seven languages (the knowledge benchmark's questions and FAQ answers,
per product line, with customers' names and small variations) into Redis as publishing does,
then prints:
- recording one answer (XADD and trim);
- a process's start: reading every answer from Redis and fitting the index;
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
from chatops.knowledge.answers import Answer, AnswerLog, PastAnswers

NAMES = ["Anna", "Erik", "Jens", "Tom", "Sara", "Lisa", "Ivan", "Marko", "Ole", "Mette"]
GREETING = {"sv": "Hej", "no": "Hei", "da": "Hej", "de": "Hallo", "hr": "Bok", "ru": "Привет"}


def answers(count: int, now: datetime, rng: random.Random) -> list[Answer]:
    pool = [
        (language, head, body, question)
        for language, topics in TOPICS.items()
        for head, body, question in topics
    ]
    found = []
    for n in range(count):
        language, _, body, question = rng.choice(pool)
        product = rng.choice(PRODUCTS)
        name = rng.choice(NAMES)
        hello = GREETING.get(language, "Hi")
        found.append(
            Answer(
                case_id=str(1000 + n),
                text=f"{hello} {name}! {body.format(p=product)}",
                question=f"{question.format(p=product)} {rng.choice(['?', '!!', ', tack', ''])}",
                language=language,
                department=rng.choice(["billing", "social"]),
                by=f"U0{n % 40:08d}",
                at=now - timedelta(minutes=count - n),
                customer=name,
            )
        )
    return found


async def run(count: int, searches: int) -> None:
    redis = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await redis.flushdb()
    now = datetime.now(UTC)
    rng = random.Random(7)
    log = AnswerLog(redis)
    oldest = now - timedelta(days=180)
    recorded = []
    for answer in answers(count, now, rng):
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
    await process.refresh()
    idle = (time.perf_counter() - started) * 1000
    print(f"refresh, nothing new (a round trip): {idle:.2f} ms")
    other = PastAnswers(log, ["billing", "social"])
    await other.refresh()
    [new] = answers(1, now, rng)
    await other.record(new)
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
