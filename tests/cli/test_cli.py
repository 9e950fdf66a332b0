"""The `chatops` command as a user runs it: real processes, exit codes, output."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chatops import stats
from chatops.demo import sample_mentions
from tests.conftest import TEST_CONFIG, System
from tests.fakes import mention_json

COMMANDS = [
    "run",
    "web",
    "worker",
    "scheduler",
    "demo",
    "check-config",
    "replay",
    "stats",
    "digest",
    "slack-manifest",
    "teams-manifest",
    "knowledge",
    "forget",
    "export",
]


def chatops(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "chatops", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = chatops(command, "--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    assert chatops("frobnicate").returncode == 2


def test_check_config_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "chatops.yaml"
    bad.write_text(
        "chat: {backend: console}\n"
        "departments:\n"
        "  - {id: social, name: Social, channel: '#s', sla: {claim: 15x}}\n"
        "  - {id: social, name: Again, channel: '#t'}\n"
        "routing:\n"
        "  rules:\n"
        "    - {match: {keywords: [faktura]}, to: billng}\n"
        "  default: social\n"
        "platforms:\n"
        "  facebook: {pages: [{id: '1', token_env: FB_TOKEN_NOT_SET}]}\n"
    )
    result = chatops("check-config", str(bad))
    assert result.returncode == 1
    out = result.stdout
    assert "chatops.yaml:3: departments[0].sla.claim: bad duration '15x'" in out
    assert "duplicate" in out and "social" in out
    assert "chatops.yaml:7: routing.rules[0].to: unknown department 'billng'" in out
    assert "FB_TOKEN_NOT_SET" in out
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0  # one line of reason


def test_check_config_on_a_good_file(tmp_path: Path) -> None:
    good = tmp_path / "chatops.yaml"
    good.write_text(TEST_CONFIG)
    result = chatops("check-config", str(good), env={"SANDBOX_SECRET": "test-secret"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "chatops.yaml"
    bad.write_text("departments:\n  - id: social\n    name: [unclosed\n")
    result = chatops("check-config", str(bad))
    assert result.returncode == 1
    assert "chatops.yaml:" in result.stdout


def test_a_missing_config_is_a_one_line_error() -> None:
    result = chatops("run", env={"CHATOPS_CONFIG": "/nonexistent/chatops.yaml"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot read" in result.stderr


async def test_replay_ingests_good_lines_and_names_bad_ones(tmp_path: Path, system: System) -> None:
    backlog = tmp_path / "backlog.jsonl"
    lines = [json.dumps(mention_json(f"m-{i}", f"post-{i}", f"fråga {i}?")) for i in range(5)]
    lines.insert(2, "{this is not json")
    lines.insert(4, json.dumps({"id": "x"}))
    backlog.write_text("\n".join(lines) + "\n")
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    env = {"REDIS_URL": system.redis_url, "CHATOPS_CONFIG": str(config)}
    result = await asyncio.to_thread(chatops, "replay", str(backlog), env=env)
    assert result.returncode == 1  # bad input was skipped: say so
    assert "line 3: body is not JSON" in result.stderr
    assert "line 5:" in result.stderr and "conversation_id" in result.stderr
    assert "5 accepted, 0 duplicates, 2 bad lines skipped" in result.stdout
    assert await system.drain() == 5
    again = await asyncio.to_thread(chatops, "replay", str(backlog), env=env)
    assert "0 accepted, 5 duplicates" in again.stdout


def test_demo_runs_on_a_fresh_machine_and_ends_at_end_of_input() -> None:
    script = (
        "\n".join(
            [
                "list",
                "claim 1001",
                "as bob",
                "claim 1001",
                "as agent",
                "draft 1001 Hej Anna och Olle! Fakturan finns under Mina sidor.",
                "publish 1001",
                "publish 1007",
                "approve 1007",
                "as comms",
                "approve 1007",
                "nonsense",
                "claim",
                "reroute 1002 nowhere",
                "dismiss 1009 spam",
                "show 1001",
            ]
        )
        + "\n"
    )
    result = chatops("demo", stdin=script, timeout=120)
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in out + result.stderr
    assert f"{len(sample_mentions())} sample mentions" in out
    assert "Open cases" in out
    assert "claim #1001: already claimed by agent" in out
    assert "Reply published publicly by agent" in out
    assert "approve #1007: only approvers can do this" in out
    assert "Approved by comms" in out
    assert "unknown command 'nonsense'" in out
    assert "usage: claim N" in out
    assert "unknown department 'nowhere'" in out
    assert "comms dismissed the case: spam." in out
    assert "History" in out
    assert "data is lost" in result.stderr or "lost when it exits" in result.stderr


async def test_stats_from_the_audit_log(system: System) -> None:
    await system.ingest(
        mention_json("m-1", "post-1", "Var är fakturan?"),
        mention_json("m-2", "post-2", "Hej, när öppnar ni?", author="u-2"),
        mention_json("m-3", "post-3", "bitcoin airdrop bit.ly/a https://b.invalid", author="u-3"),
    )
    c1 = (await system.case_of("post-1")).id
    c3 = (await system.case_of("post-3")).id
    system.clock.advance(minutes=42)
    await system.wf.edit(c1, "anna", "Hej Anna! Fakturan finns under Mina sidor.")
    await system.wf.publish(c1, "anna")
    await system.wf.dismiss(c3, "anna", "spam")
    since = system.clock.now.replace(year=2020)
    rows = await stats.load(system.rt.store, since)
    by = {(r.department, r.platform): r for r in rows}
    billing, social = by[("billing", "sandbox")], by[("social", "sandbox")]
    assert (billing.cases, billing.answered, billing.rate) == (1, 1, 1.0)
    assert billing.median is not None and billing.median.total_seconds() == 42 * 60 + 3600
    assert (social.cases, social.answered, social.rate) == (1, 0, 0.0)  # spam not counted
    result = await asyncio.to_thread(
        chatops, "stats", "--since", "100000d", env={"REDIS_URL": system.redis_url}
    )
    assert result.returncode == 0, result.stderr
    assert "billing" in result.stdout and "100%" in result.stdout
    assert chatops("stats", "--since", "soon").returncode == 1


async def test_digest_now_from_the_command_line(tmp_path: Path, system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    env = {"REDIS_URL": system.redis_url, "CHATOPS_CONFIG": str(config)}
    result = await asyncio.to_thread(chatops, "digest", env=env)
    assert result.returncode == 0, result.stderr
    assert "billing: 1 unanswered case(s)" in result.stdout
    assert "social: nothing open" in result.stdout
    assert "#1001" in result.stdout  # the console backend prints the digest table
    bad = await asyncio.to_thread(chatops, "digest", "--department", "nowhere", env=env)
    assert bad.returncode == 1 and "unknown department 'nowhere'" in bad.stderr


def test_teams_manifest_writes_the_app_package(tmp_path: Path) -> None:
    import zipfile

    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    out = tmp_path / "app.zip"
    env = {"CHATOPS_CONFIG": str(config), "MicrosoftAppId": "00000000-0000-0000-0000-00000000b07"}
    result = chatops(
        "teams-manifest", "--out", str(out), "--url", "https://bot.acme.example", env=env
    )
    assert result.returncode == 0, result.stderr
    names = set(zipfile.ZipFile(out).namelist())
    assert names == {"manifest.json", "color.png", "outline.png"}
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["bots"][0]["botId"] == env["MicrosoftAppId"]
    missing = chatops("teams-manifest", "--out", str(out), env={"CHATOPS_CONFIG": str(config)})
    assert missing.returncode == 1 and "MicrosoftAppId" in missing.stderr


async def test_check_config_names_teams_channels_the_bot_is_not_in(
    tmp_path: Path, system: System
) -> None:
    from chatops import keys

    config = tmp_path / "chatops.yaml"
    config.write_text(
        "chat: {backend: teams}\n"
        "departments:\n"
        "  - {id: social, name: Social, channel: '19:abc@thread.tacv2'}\n"
        "  - {id: billing, name: Billing, channel: '19:def@thread.tacv2'}\n"
        "routing: {default: social}\n"
    )
    await system.rt.store.redis.hset(keys.TEAMS_REFERENCES, "19:abc@thread.tacv2", "{}")
    env = {
        "REDIS_URL": system.redis_url,
        "MicrosoftAppId": "00000000-0000-0000-0000-000000000b07",
        "MicrosoftAppPassword": "p",
    }
    result = await asyncio.to_thread(chatops, "check-config", str(config), env=env)
    assert result.returncode == 1
    assert "19:def@thread.tacv2" in result.stdout and "19:abc" not in result.stdout


# -- mistakes: each one line on stderr, exit 1, nothing left running -------------------------


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The reason `result` failed, asserting it is the documented single line (log records
    written before it, such as start-up warnings, are not part of it)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [
        line for line in result.stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)
    ]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chatops: ")
    return lines[0]


LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING) ")


def sandbox_config(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    return {"CHATOPS_CONFIG": str(config), "SANDBOX_SECRET": "test-secret"}


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("role", ["run", "web", "worker", "scheduler"])
def test_a_role_without_slack_tokens_names_them(tmp_path: Path, role: str) -> None:
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG.replace("chat: {backend: console}", "chat: {backend: slack}"))
    env = {"CHATOPS_CONFIG": str(config), "SANDBOX_SECRET": "test-secret"}
    line = one_line_error(chatops(role, env=env))
    assert "SLACK_BOT_TOKEN" in line and "SLACK_SIGNING_SECRET" in line


@pytest.mark.parametrize("role", ["run", "web", "worker", "scheduler"])
def test_a_role_that_cannot_reach_redis_stops_with_one_line(tmp_path: Path, role: str) -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port()}/3"
    result = chatops(role, env={**sandbox_config(tmp_path), "REDIS_URL": url}, timeout=60)
    line = one_line_error(result)
    assert "cannot reach Redis at redis://127.0.0.1:" in line
    assert "hunter2" not in result.stderr + result.stdout  # the password is never shown


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        env = {**sandbox_config(tmp_path), "PORT": port}
        line = one_line_error(chatops("web", env=env, timeout=60))
    assert f"port {port} is already in use" in line


@pytest.mark.parametrize("command", ["digest", "stats"])
def test_reading_shared_state_without_redis_is_refused(tmp_path: Path, command: str) -> None:
    """No false all-clear: without REDIS_URL there is only this process's empty store."""
    line = one_line_error(chatops(command, env=sandbox_config(tmp_path)))
    assert f"`{command}` reads the cases of a running chatops: set REDIS_URL" in line


def test_replay_dead_without_redis_is_refused(tmp_path: Path) -> None:
    line = one_line_error(chatops("replay", "--dead", env=sandbox_config(tmp_path)))
    assert "REDIS_URL" in line


def test_demo_with_a_missing_config_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = chatops("demo", "--config", str(missing))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{missing}: cannot read the file" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("chatops: 1 problem(s)")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://bot.acme.example", "must start with https://"),
        ("bot.acme.example", "must start with https://"),
        ("https://", "names no host"),
        ("https://bot.acme.example/?x=1", "must not have a query"),
        ("https://user:pw@bot.acme.example", "must not hold a user name or password"),
    ],
)
@pytest.mark.parametrize("command", ["slack-manifest", "teams-manifest"])
def test_manifest_urls_are_checked(tmp_path: Path, command: str, url: str, reason: str) -> None:
    env = {**sandbox_config(tmp_path), "MicrosoftAppId": "00000000-0000-0000-0000-00000000b07"}
    line = one_line_error(chatops(command, "--url", url, env=env))
    assert reason in line
    assert not (tmp_path / "chatops-teams.zip").exists()


def test_startup_failures_are_worded_without_passwords() -> None:
    from redis.exceptions import AuthenticationError
    from redis.exceptions import ConnectionError as RedisConnectionError

    from chatops.cli import startup_failure

    env = {"REDIS_URL": "rediss://admin:s3cret@cache.acme.example:6380/2", "PORT": "8080"}
    refused = startup_failure(RedisConnectionError("Error 111 connecting"), env)
    assert refused == (
        "cannot reach Redis at rediss://cache.acme.example:6380/2: Error 111 connecting"
    )
    auth = startup_failure(AuthenticationError("invalid password"), env)
    assert auth is not None and "refused the credentials" in auth and "s3cret" not in auth
    try:
        raise OSError(98, "address already in use")
    except OSError as exc:
        assert startup_failure(exc, env) == (
            "port 8080 is already in use: stop what holds it, or set PORT to another"
        )
    assert startup_failure(ValueError("a bug"), env) is None  # bugs keep their traceback
