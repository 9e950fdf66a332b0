"""`chatops run` as a real process, tried from the outside as a platform and as Slack would.

Only the contracts are used: env variables, the config file, HTTP endpoints, action ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.fakes import mention_json, signed
from tests.fakes.server import free_port
from tests.fakes.slack import FakeSlack, interaction_body, slack_headers
from tests.fakes.wait import eventually, until
from tests.slack.test_slack import SECRET, SLACK_CONFIG

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "slack"


@contextlib.asynccontextmanager
async def chatops_run(
    tmp_path: Path, redis_url: str, extra_env: dict[str, str], output: list[str] | None = None
) -> AsyncIterator[tuple[str, FakeSlack]]:
    """`chatops run` as a subprocess on the test Redis, talking to a local Slack; what it
    prints (stdout and stderr) is read as it comes, into `output` if given."""
    slack = FakeSlack(user_groups={"S0COMMS001": ["U0COMMS001"]})
    await slack.start()
    config = tmp_path / "chatops.yaml"
    config.write_text(SLACK_CONFIG)
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "CHATOPS_CONFIG": str(config),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "SANDBOX_SECRET": "test-secret",
        **extra_env,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatops",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    printed = output if output is not None else []

    async def read() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            printed.append(raw.decode(errors="replace").rstrip("\n"))

    reader = asyncio.create_task(read())
    try:
        async with httpx.AsyncClient() as client:

            async def ready() -> bool:
                assert proc.returncode is None, "chatops run exited"
                try:
                    return (await client.get(f"{base}/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=30, every=0.1, what="chatops run coming up")
        yield base, slack
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
        await asyncio.wait_for(reader, 10)
        await slack.stop()


@pytest.fixture
async def running(redis_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, FakeSlack]]:
    async with chatops_run(tmp_path, redis_url, {}) as started:
        yield started


async def test_from_webhook_to_slack_thread_and_a_click_back(
    running: tuple[str, FakeSlack],
) -> None:
    base, slack = running
    async with httpx.AsyncClient(base_url=base) as client:
        raw, headers = signed(mention_json("m-1", "post-1", "Var är min faktura för oktober?"))
        r = await client.post("/webhooks/sandbox", content=raw, headers=headers)
        assert r.status_code == 200 and r.json() == {"accepted": 1, "duplicates": 0}
        [message] = await until(lambda: slack.messages("C0BILLING1"))
        assert message["metadata"]["event_payload"] == {"case_id": "1001"}

        payload = json.loads((FIXTURES / "block_actions_claim.json").read_text())
        payload["actions"][0]["value"] = "1001"
        payload["container"]["message_ts"] = payload["message"]["ts"] = message["ts"]
        body = interaction_body(payload)
        r = await client.post("/slack/events", content=body, headers=slack_headers(body, SECRET))
        assert r.status_code == 200
        replies = await until(lambda: slack.thread("C0BILLING1", message["ts"]))
        assert "<@U0ANNA0001>" in replies[0]["text"]
        assert (await client.get("/readyz")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert 'chatops_cases{department="billing",state="claimed"} 1.0' in metrics


async def test_short_slas_escalate_end_to_end(redis_url: str, tmp_path: Path) -> None:
    """CHATOPS_TIME_SCALE=900: the 15-minute claim SLA is one second; the scheduler in
    `chatops run` pings the channel once per scan (a channel message listing the cases) and
    adds a line, with Claim and Snooze, to the case's thread."""
    async with chatops_run(tmp_path, redis_url, {"CHATOPS_TIME_SCALE": "900"}) as (base, slack):
        async with httpx.AsyncClient(base_url=base) as client:
            now = datetime.now(UTC).isoformat()
            raw, headers = signed(
                mention_json("m-1", "post-1", "Hej, när öppnar ni?", created_at=now)
            )
            assert (
                await client.post("/webhooks/sandbox", content=raw, headers=headers)
            ).status_code == 200
        [message] = await until(
            lambda: [m for m in slack.messages("C0SOCIAL01") if m.get("metadata")]
        )
        batch = await until(
            lambda: [m for m in slack.messages("C0SOCIAL01") if "<!here>" in m["text"]]
        )
        assert "#1001" in json.dumps(batch[0]["blocks"])
        replies = await until(
            lambda: [
                r for r in slack.thread("C0SOCIAL01", message["ts"]) if "unclaimed" in r["text"]
            ]
        )
        assert "<!here>" not in replies[0]["text"]
        actions = [
            e["action_id"]
            for b in replies[0].get("blocks") or []
            if b["type"] == "actions"
            for e in b["elements"]
        ]
        assert "case.snooze" in actions and "case.claim" in actions


OWN_LOGGERS = ("chatops", "escalation", "adapters")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ [A-Z]+ (\S+): ")


def foreign_lines(lines: list[str]) -> list[str]:
    """What a process printed that is not a log line of our own: a library's log line or
    chatter, a Python warning (`…: DeprecationWarning: …`), a traceback."""
    out = []
    for line in lines:
        found = LOG_LINE.match(line)
        if found is None or found.group(1).split(".")[0] not in OWN_LOGGERS:
            out.append(line)
    return out


async def test_a_normal_run_prints_nothing_but_its_own_log(redis_url: str, tmp_path: Path) -> None:
    """No deprecation warnings (authlib's httpx warning), no library chatter (Bolt's "`token`
    will be unused", APScheduler's "Adding job tentatively"): only chatops' own lines."""
    output: list[str] = []
    async with chatops_run(tmp_path, redis_url, {}, output) as (base, slack):
        async with httpx.AsyncClient(base_url=base) as client:
            raw, headers = signed(mention_json("m-1", "post-1", "Var är min faktura?"))
            assert (await client.post("/webhooks/sandbox", content=raw, headers=headers)).is_success
        await until(lambda: slack.messages("C0BILLING1"))
    assert any("stopping" in line for line in output), output
    assert foreign_lines(output) == []


def test_foreign_lines_are_found() -> None:
    lines = [
        "2026-11-30 05:27:57,930 INFO apscheduler.scheduler: Adding job tentatively",
        "/x/authlib/deprecate.py:9: AuthlibDeprecationWarning: use authlib.integrations",
        "2026-11-30 05:27:57,930 INFO chatops.worker: worker consuming",
        "2026-11-30 05:27:57,930 WARNING escalation.scheduler: late",
    ]
    assert foreign_lines(lines) == lines[:2]
