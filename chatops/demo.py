"""`chatops demo`: the whole product on a laptop, no accounts.

An embedded store, the sandbox platform fed with built-in sample mentions over real signed
HTTP webhooks to our own web server, a worker, and the console backend with a command line.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import httpx
from rich.console import Console

from adapters.sandbox import SandboxEnv, sign
from chatops import runtime
from chatops.config import Config, load_config, load_config_text
from chatops.console import ConsoleBackend, departments
from chatops.console.repl import Repl
from chatops.domain import utcnow
from chatops.processes import make_worker, serving
from chatops.settings import Settings
from chatops.store import Store, connect

WAIT_FOR_INGEST_S = 30.0


def demo_config(path: Path | None = None) -> Config:
    if path is not None:
        return load_config(path)
    text = resources.files("chatops").joinpath("demo.yaml").read_text(encoding="utf-8")
    return load_config_text(text, source="demo.yaml")


def sample_mentions() -> list[dict[str, Any]]:
    """The built-in samples, timestamped in the recent past so ages look real."""
    raw = resources.files("chatops").joinpath("demo_mentions.jsonl").read_text(encoding="utf-8")
    items = [json.loads(line) for line in raw.splitlines() if line.strip()]
    start = utcnow() - timedelta(minutes=5 * len(items))
    for i, item in enumerate(items):
        item.setdefault("created_at", (start + timedelta(minutes=5 * i)).isoformat())
    return items


async def feed(base_url: str, secret: str, items: list[dict[str, Any]]) -> None:
    """Deliver each sample as its own signed webhook, as a platform would."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        for item in items:
            body = json.dumps(item).encode()
            r = await client.post(
                "/webhooks/sandbox",
                content=body,
                headers={
                    "X-Sandbox-Signature": sign(secret, body),
                    "Content-Type": "application/json",
                },
            )
            r.raise_for_status()


async def wait_ingested(store: Store, mention_keys: list[str]) -> None:
    """Poll (bounded) until the worker has recorded every sample in a case."""
    deadline = time.monotonic() + WAIT_FOR_INGEST_S
    waiting = list(mention_keys)
    while time.monotonic() < deadline:
        waiting = [k for k in waiting if await store.indexes.case_for_mention(k) is None]
        if not waiting:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the demo's sample mentions were not processed in time")


async def run_demo(
    settings: Settings,
    *,
    config_path: Path | None = None,
    stdin: TextIO,
    console: Console | None = None,
    port: int = 0,
) -> None:
    console = console or Console(highlight=False)
    config = demo_config(config_path)
    store = Store(connect(None))
    rt = await runtime.start(
        settings, config, store=store, chat=ConsoleBackend(console, departments(config))
    )
    stop = asyncio.Event()
    try:
        async with serving(rt, "127.0.0.1", port) as bound:
            worker = asyncio.create_task(make_worker(rt).run(stop))
            items = sample_mentions()
            console.rule(f"chatops demo · {len(items)} sample mentions arrive")
            secret = settings.platform_env(SandboxEnv).secret
            await feed(f"http://127.0.0.1:{bound}", secret, items)
            await wait_ingested(store, [f"sandbox:{item['id']}" for item in items])
            console.rule("your turn: type help (you are 'agent'; the approver is 'comms')")
            await Repl(
                rt.wf, rt.store.audit, console, clock=rt.clock, departments=departments(config)
            ).run(stdin)
            stop.set()
            await worker
    finally:
        await rt.close()
