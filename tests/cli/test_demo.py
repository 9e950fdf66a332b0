"""`chatops demo` as a person runs it: a real process, its printed URL and `curl` line used
from the outside, the scheduler's escalation, snooze end and digest seen on its output."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from adapters.sandbox import sign
from chatops.demo import YOUR_MENTION, curl_line, demo_env
from tests.cli.test_run_process import foreign_lines
from tests.fakes.wait import until

OWN_SECRET = "a-secret-of-my-own-7f3a"


@dataclass
class Demo:
    proc: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)

    @property
    def out(self) -> str:
        return "\n".join(self.lines)

    def first(self, pattern: str) -> re.Match[str] | None:
        return re.search(pattern, self.out, re.MULTILINE)

    async def type(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{line}\n" for line in lines).encode())
        await self.proc.stdin.drain()


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    """`chatops demo` at 300× (the claim SLA is 3 s, a 30-minute snooze 6 s, the digest
    comes after 8 s), its standard input open for typing."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SANDBOX_API_URL")}
    env.update(CHATOPS_TIME_SCALE="300", SANDBOX_SECRET=OWN_SECRET, COLUMNS="200")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatops",
        "demo",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Demo(proc)

    async def read() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            running.lines.append(raw.decode().rstrip("\n"))

    reader = asyncio.create_task(read())
    try:
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        reader.cancel()


async def test_the_demo_shows_the_whole_product_within_a_minute(demo: Demo) -> None:
    curl = await until(lambda: demo.first(r"^curl .*$"), within=60)
    snoozed = await until(lambda: demo.first(r"^(#\d+) \[\S+\] 💤 \S+ snoozed the reminders"))
    number = snoozed.group(1)

    # escalation: the unclaimed cases are chased, in one message per department
    await until(lambda: demo.first(r"^\[billing\] 🚨 @here \d+ cases? in Billing"), within=30)
    # the snooze ends: the case's reminder, held back, comes after the others
    ended = await until(lambda: demo.first(rf"^{number} \[\S+\] 🚨"), within=30)
    assert ended.start() > snoozed.start()
    assert demo.first(r"^#\d+ \[billing\] 🚨").start() < ended.start()  # type: ignore[union-attr]
    # the morning digest, brought forward
    await until(lambda: demo.first(r"^\[billing\] \d+ unanswered cases? in Billing"), within=30)

    # the printed curl line, as a shell would run it, is accepted by the demo's own webhook
    words = shlex.split(curl.group(0))
    url = words[2]
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    body = words[words.index("--data-binary") + 1].encode()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/webhooks/sandbox", url)
    assert demo.first(rf"^web: {re.escape(url.removesuffix('/webhooks/sandbox'))} ")
    async with httpx.AsyncClient() as client:
        r = await client.post(url, content=body, headers=headers)
        assert r.status_code == 200 and r.json() == {"accepted": 1, "duplicates": 0}
        bad = {**headers, "X-Sandbox-Signature": sign("sandbox", body)}
        assert (await client.post(url, content=body, headers=bad)).status_code == 401
    await until(lambda: demo.first(r"📥 New comment from You \(@you\)"))

    # the samples' small storm: its summary printed when it opened, members listed in batches
    opened = await until(
        lambda: demo.first(r"^\[social storm (\d+)\] 🌀 @here Storm in Social team: \d+ mentions")
    )
    storm_id = f"social:{opened.group(1)}"
    assert demo.first(r"^\[social storm \d+\] ➕ \d+ more \(members? 1"), "members in a batch"
    assert demo.first(r"^\s+#\d+ Maja Ek \(@majaek\) \(Sandbox\): Appen är nere"), "as listed"
    assert not demo.first(r"^\[billing\] .*Storm"), "a storm is its own department's only"
    heads = len(re.findall(r"Storm in Social team: ", demo.out))
    await demo.type("storm", f"storm {storm_id}", "storm social:999")
    await until(lambda: demo.first(rf"^🌀 {storm_id} · Social team: \d+ mentions from \d+ people"))
    await until(lambda: len(re.findall(r"Storm in Social team: ", demo.out)) > heads)
    await until(lambda: demo.first(r"^\[social storm \d+\] ➕ \d+ more \(members? \d+–8\)$"))
    await until(lambda: demo.first(r"^No storm social:999: type storm for the open ones\.$"))
    assert demo.first(r"^\s+Most written:"), "the summary's figures come with it"

    # a publish prints the text the platform received
    await demo.type("claim 1001", "draft 1001 Hej Anna! We're on it: #1 priority", "publish 1001")
    await until(lambda: demo.first(r"📤 Sandbox received a reply to m-\S+, publicly:"))
    await until(lambda: demo.first(r"│ Hej Anna! We're on it: #1 priority$"))

    # publish to all: a holding statement, then an approver who did not write it sends it
    said = f"storm {storm_id} >> We know the app is down and are working on it."
    await demo.type(said, "as comms", f"storm {storm_id} publish")
    await until(lambda: demo.first(rf"^storm {storm_id}: publishing to all$"))
    await until(lambda: len(re.findall(r"📤 Sandbox received a reply", demo.out)) >= 3)

    assert demo.proc.stdin is not None
    demo.proc.stdin.close()
    assert await asyncio.wait_for(demo.proc.wait(), 30) == 0
    assert demo.proc.stderr is not None
    stderr = (await demo.proc.stderr.read()).decode()
    assert OWN_SECRET not in demo.out + stderr, "a secret of the user's own is never printed"
    assert foreign_lines(stderr.splitlines()) == [], "no library chatter, warning or traceback"


def test_the_demo_prints_only_a_secret_of_its_own() -> None:
    env, own = demo_env({}, "http://127.0.0.1:9/")
    assert own and len(env["SANDBOX_SECRET"]) == 32 and env["CHATOPS_TIME_SCALE"] == "60"
    assert env["SANDBOX_API_URL"] == "http://127.0.0.1:9/"
    assert demo_env({}, None)[0]["SANDBOX_SECRET"] != env["SANDBOX_SECRET"], "fresh each run"
    mine = {"SANDBOX_SECRET": "s3", "CHATOPS_TIME_SCALE": "1", "SANDBOX_API_URL": "http://x"}
    env, own = demo_env(mine, "http://127.0.0.1:9/")
    assert not own and env == mine


def test_the_curl_line_signs_the_exact_bytes_it_sends() -> None:
    words = shlex.split(curl_line("http://127.0.0.1:3000", "k"))
    body = words[words.index("--data-binary") + 1].encode()
    assert f"X-Sandbox-Signature: {sign('k', body)}" in words
    assert json.loads(body) == YOUR_MENTION
