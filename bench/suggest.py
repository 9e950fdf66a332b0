"""What a model suggestion adds per case, with a local chat-completions server (issue 14 item 6).

For every mention of the labelled set (tests/data/drafting) it does what a worker does for a
suggestion, after the case is already in chat: retrieve the passages, build the prompt, ask the
model over HTTP (the real `ChatModel` and `httpx`), clean the answer and run the guardrails.
Prints p50/p99 wall milliseconds of the whole and of the HTTP round trip alone, and how many
answers the guardrails turned away, by check.

The default server is a local one answering at once (the tests' chat-completions server, its
answer the mention's own words: in the customer's language, but a spam link is still turned
away), so the figures are what chatops itself
adds; `--base-url` (and `--model`) measure a real local model server instead, e.g. Ollama
(`http://localhost:11434/v1`), llama.cpp or vLLM, where the model's own thinking dominates.
None of this is on the mention → thread path: the case is posted before a suggestion is asked.

Usage: python -m bench.suggest [--rounds 5] [--base-url URL --model NAME [--timeout 60]]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Sequence

import httpx

from chatops.classify import detect_language
from chatops.config import Config
from chatops.config.models import Llm
from chatops.drafting import LANGUAGES
from chatops.knowledge import KnowledgeIndex
from chatops.routing import route
from chatops.suggest import guardrails, prompt
from chatops.suggest.llm import ChatModel
from chatops.suggest.suggester import clean
from tests.drafting.labelled import Labelled, config, load
from tests.fakes.openai import FakeOpenAI

X_LIMIT = 280


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def request_for(row: Labelled, cfg: Config, index: KnowledgeIndex) -> prompt.Request:
    """What the suggester gives the model for this mention (a public reply on X)."""
    language = detect_language(row.text, LANGUAGES)
    r = cfg.routing
    department = route(
        r.rules,
        r.default,
        text=row.text,
        language=language,
        platform="x",
        account="acme",
        kind="mention",
    )
    hits = index.search(row.text, department=department, language=language, k=3)
    return prompt.Request(
        brand=cfg.brand or "Acme",
        language=language,
        customer="Anna",
        conversation=[prompt.Turn("Anna", row.text)],
        platform="X",
        platform_id="x",
        max_length=X_LIMIT,
        tone=cfg.drafting.tone_of(department),
        passages=[prompt.Source(h.passage.heading, h.passage.text) for h in hits],
        allowed_domains=cfg.drafting.allowed_domains,
    )


async def one(
    row: Labelled, cfg: Config, index: KnowledgeIndex, model: ChatModel
) -> tuple[float, float, str]:
    """(whole ms, HTTP ms, the guardrail that failed or "") of one suggestion."""
    started = time.perf_counter()
    request = request_for(row, cfg, index)
    messages = prompt.messages(request)
    asked = time.perf_counter()
    completion = await model.complete(messages)
    answered = time.perf_counter()
    text = clean(completion.text)
    verdict = guardrails.check(
        text,
        language=request.language,
        languages=LANGUAGES,
        customer_texts=[row.text],
        length=len(text),
        max_length=None,
        allowed_domains=request.allowed_domains,
    )
    done = time.perf_counter()
    return (done - started) * 1000, (answered - asked) * 1000, verdict.code


async def measure(
    rows: Sequence[Labelled],
    cfg: Config,
    index: KnowledgeIndex,
    rounds: int,
    base_url: str | None = None,
    model_name: str = "gpt-4o-mini",
    timeout_s: float = 60.0,
) -> list[str]:
    """The printed lines: with the built-in instant server, or the one at `base_url`."""
    local = None if base_url else FakeOpenAI(api_key=None, model=model_name)
    if local is not None:
        await local.start()
    url = base_url or (local.url if local is not None else "")
    llm = Llm.model_validate({"base_url": url, "model": model_name, "timeout": timeout_s})
    whole: list[float] = []
    http_ms: list[float] = []
    failed: Counter[str] = Counter()
    try:
        async with httpx.AsyncClient() as http:
            model = ChatModel(http, llm, None)
            for _ in range(rounds):
                for row in rows:
                    if local is not None:
                        local.reply(row.text)
                    total, wire, code = await one(row, cfg, index, model)
                    whole.append(total)
                    http_ms.append(wire)
                    if code:
                        failed[code] += 1
    finally:
        if local is not None:
            await local.stop()
    w50, w99 = _percentiles(whole)
    h50, h99 = _percentiles(http_ms)
    where = base_url or "a local server answering at once"
    return [
        f"with a model server ({where}, model {model_name}), {len(whole)} suggestions:",
        f"  whole suggestion (retrieval, prompt, HTTP, guardrails): p50 {w50:.2f} ms, "
        f"p99 {w99:.2f} ms",
        f"  of which the HTTP round trip: p50 {h50:.2f} ms, p99 {h99:.2f} ms",
        f"  guardrails passed: {len(whole) - failed.total()}/{len(whole)}"
        + (f" (turned away: {turned})" if (turned := _counts(failed)) else ""),
        "  none of it delays the case's message: it is posted first, the suggestion follows",
    ]


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{code} {n}" for code, n in counter.most_common())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the labelled set")
    parser.add_argument("--base-url", help="a real model server, e.g. http://localhost:11434/v1")
    parser.add_argument("--model", default="gpt-4o-mini", help="the model it serves")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per suggestion")
    args = parser.parse_args()
    rows = load()
    cfg = config()
    index = KnowledgeIndex.build(cfg.knowledge_folders(), LANGUAGES)
    lines = asyncio.run(
        measure(rows, cfg, index, args.rounds, args.base_url, args.model, args.timeout)
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
