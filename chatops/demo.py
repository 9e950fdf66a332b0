"""`chatops demo`: the whole product on a laptop, no accounts.

An embedded store, the sandbox platform fed with built-in sample mentions over real signed
HTTP webhooks to our own web server, a worker, the scheduler on a demo time scale (an
escalation, a snooze ending and a digest within the first minute), published replies received
by a local sandbox server and printed, and the console backend with a command line.

Time runs `DEMO_TIME_SCALE` times faster for the SLAs and snoozes (CHATOPS_TIME_SCALE, unless
it is set); the sandbox secret is generated for this run (SANDBOX_SECRET, unless it is set),
so the ready `curl` line it prints is the only way in and the printed secret is worthless
after the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import shlex
import time
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import httpx
from aiohttp import web
from rich.console import Console

from adapters.sandbox import SandboxEnv, sign
from chatops import runtime
from chatops.chat.actions import Action
from chatops.chat.commands import run_action
from chatops.config import Config, load_config, load_config_text
from chatops.console import ConsoleBackend, departments, home
from chatops.console.render import joined, safe
from chatops.console.repl import Repl
from chatops.domain import utcnow
from chatops.processes import make_worker, serving
from chatops.settings import Settings
from chatops.store import Store, connect
from escalation.scheduler import Clock

WAIT_FOR_INGEST_S = 30.0
SECRET = SandboxEnv.name_of("secret")
REPLIES = SandboxEnv.name_of("api_url")
DEMO_TIME_SCALE = 60.0
"""One SLA minute a second: the 15-minute claim SLA passes 15 s after the samples arrive."""
DIGEST_SOON = timedelta(minutes=40)
"""Demo time after the start when every department's digest goes out (40 s at the default
scale): after the first escalation and the snooze's end, within the first minute."""
SNOOZED_SAMPLE = "m-1003"
"""The sample whose case a colleague snoozes for 30 minutes at the start, so the snooze and
its end (the reminder it held back) show by themselves."""
SNOOZED_BY = "support-de-lead"
YOUR_MENTION = {
    "id": "m-yours-1",
    "conversation_id": "post-yours",
    "kind": "comment",
    "account": "acme",
    "author": {"id": "u-yours", "name": "You", "handle": "you"},
    "text": "Hi! My invoice for November shows the wrong amount, can you check it?",
}
"""The sample body of the printed `curl` line (no quote a shell would mind)."""


def demo_config(path: Path | None = None) -> Config:
    if path is not None:
        return load_config(path)
    text = resources.files("chatops").joinpath("demo.yaml").read_text(encoding="utf-8")
    return load_config_text(text, source="demo.yaml")


def sample_mentions(spacing: timedelta = timedelta(milliseconds=50)) -> list[dict[str, Any]]:
    """The built-in samples, written `spacing` apart up to now: their SLAs start with the
    demo, so the escalations come while you watch instead of all at once."""
    raw = resources.files("chatops").joinpath("demo_mentions.jsonl").read_text(encoding="utf-8")
    items = [json.loads(line) for line in raw.splitlines() if line.strip()]
    start = utcnow() - spacing * len(items)
    for i, item in enumerate(items):
        item.setdefault("created_at", (start + spacing * i).isoformat())
    return items


def demo_env(env: Mapping[str, str], replies_url: str | None) -> tuple[dict[str, str], bool]:
    """The environment of the demo: `env` plus its time scale, a fresh sandbox secret and
    the local replies server, each only where `env` does not set its own. Also whether the
    secret is the demo's own (only that one may be printed)."""
    out = dict(env)
    out.setdefault(Settings.name_of("time_scale"), f"{DEMO_TIME_SCALE:g}")
    own_secret = not env.get(SECRET, "").strip()
    if own_secret:
        out[SECRET] = secrets.token_hex(16)
    if replies_url is not None and not env.get(REPLIES, "").strip():
        out[REPLIES] = replies_url
    return out, own_secret


def curl_line(base_url: str, secret: str, item: Mapping[str, Any] = YOUR_MENTION) -> str:
    """A ready command that sends `item` as a platform would: signed over the exact bytes."""
    body = json.dumps(item, separators=(",", ":"))
    return " ".join(
        [
            "curl -s",
            f"{base_url}/webhooks/sandbox",
            "-H 'Content-Type: application/json'",
            shlex.quote(f"X-Sandbox-Signature: {sign(secret, body.encode())}").join(["-H ", ""]),
            "--data-binary",
            shlex.quote(body),
        ]
    )


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


@contextlib.asynccontextmanager
async def sandbox_replies(console: Console) -> AsyncIterator[str]:
    """The sandbox platform's reply endpoint (`POST {url}/replies`, DESIGN §4.5) on a free
    local port: each reply a publish sends is printed as the platform received it."""
    numbers = itertools.count(1)

    async def replies(request: web.Request) -> web.Response:
        reply = await request.json()
        print_reply(console, reply)
        return web.json_response({"id": f"sandbox-reply-{next(numbers)}"})

    app = web.Application()
    app.router.add_post("/replies", replies)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def print_reply(console: Console, reply: Mapping[str, Any]) -> None:
    how = "privately" if reply.get("private") else "publicly"
    head = f"📤 Sandbox received a reply to {reply.get('in_reply_to', '?')}, {how}:"
    text = str(reply.get("text", "")).splitlines() or [""]
    console.print(
        joined(safe(head, "bold green"), safe("".join(f"\n    │ {line}" for line in text)))
    )


def print_intro(
    console: Console,
    base_url: str,
    secret: str,
    own_secret: bool,
    settings: Settings,
    config: Config,
) -> None:
    """Where the demo listens, how to send your own mention, and how fast time runs."""
    console.print(safe(f"web: {base_url}  (/healthz, /metrics, /webhooks/sandbox)", "bold"))
    console.print(safe("send your own mention:", "bold"))
    console.print(safe(curl_line(base_url, secret)), soft_wrap=True)
    if own_secret:
        console.print(
            safe(
                f"(signed with this run's {SECRET}={secret}: sign another body with "
                f'printf %s "$BODY" | openssl dgst -sha256 -hmac {secret})',
                "dim",
            ),
            soft_wrap=True,
        )
    scale = settings.time_scale
    claim = config.default_department.sla.claim.total_seconds() / scale
    console.print(
        safe(
            f"time runs {scale:g}× faster for SLAs and snoozes: unclaimed cases are chased "
            f"after {claim:.0f} s, the morning digest comes after "
            f"{DIGEST_SOON.total_seconds() / scale:.0f} s",
            "dim",
        )
    )


async def run_demo(
    env: Mapping[str, str],
    *,
    config_path: Path | None = None,
    stdin: TextIO,
    console: Console | None = None,
    port: int = 0,
) -> None:
    """The demo until the command line ends. `env`: the process environment (the demo adds
    its own defaults, `demo_env`)."""
    console = console or Console(highlight=False)
    config = demo_config(config_path)
    async with sandbox_replies(console) as replies_url:
        environ, own_secret = demo_env(env, replies_url)
        settings = Settings.from_env(environ)
        store = Store(connect(None))
        chat = ConsoleBackend(
            console, departments(config), storms=store.storms, publishing=store.publishing
        )
        rt = await runtime.start(settings, config, store=store, chat=chat)
        stop = asyncio.Event()
        try:
            async with serving(rt, "127.0.0.1", port) as bound:
                base_url = f"http://127.0.0.1:{bound}"
                worker = asyncio.create_task(make_worker(rt).run(stop))
                knowledge = asyncio.create_task(rt.knowledge.run(stop))
                items = sample_mentions()
                console.rule(f"chatops demo · {len(items)} sample mentions arrive")
                secret = settings.platform_env(SandboxEnv).secret
                await feed(base_url, secret, items)
                await wait_ingested(store, [f"sandbox:{item['id']}" for item in items])
                snoozed = await store.indexes.case_for_mention(f"sandbox:{SNOOZED_SAMPLE}")
                if snoozed is not None:
                    await run_action(rt.wf, Action.SNOOZE, snoozed, SNOOZED_BY, "30m")
                clock = Clock(
                    rt.wf,
                    chat,
                    store,
                    config,
                    rt.adapters,
                    time_scale=settings.time_scale,
                    metrics=rt.metrics,
                    digest_soon=DIGEST_SOON / settings.time_scale,
                )
                scheduler = asyncio.create_task(clock.run(stop))
                console.rule("your turn: type help (you are 'agent'; the approver is 'comms')")
                print_intro(console, base_url, secret, own_secret, settings, config)
                try:
                    await Repl(
                        rt.wf,
                        rt.store.audit,
                        console,
                        clock=rt.clock,
                        departments=chat.departments,
                        homes=lambda user: home.build(rt, user),
                        storms=chat.storms,
                        publish_all=rt.pipeline.publish_all if rt.pipeline else None,
                    ).run(stdin)
                finally:
                    stop.set()
                    await worker
                    await scheduler
                    await knowledge
        finally:
            await rt.close()
