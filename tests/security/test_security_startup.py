"""Fail closed (issue 9, items 1 and 11): `chatops run` and its roles as real processes refuse to
start without a secret the configured chat backend or a platform needs, with one line naming it;
`check-config` lists the same; a DEBUG run keeps customers' text out of its logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chatops import runtime
from chatops.config import load_config_text
from chatops.demo import sample_mentions
from chatops.settings import ENV_NAMES, Settings
from tests.fakes import mention_json, signed
from tests.fakes.server import free_port
from tests.fakes.slack import FakeSlack
from tests.fakes.wait import eventually, until
from tests.slack.test_slack import SECRET, SLACK_CONFIG

FULL_CONFIG = """\
chat: {backend: slack}
platforms:
  facebook: {pages: [{id: "1122334455", token_env: FB_PAGE_TOKEN_SE}]}
  instagram: {accounts: [{id: "17841400000000000", token_env: IG_TOKEN_SE}]}
  x: {accounts: [{id: "2244994945", handle: acme}]}
  viber: {}
  sandbox: {}
departments: [{id: social, name: Social, channel: C0SOCIAL01}]
routing: {default: social}
"""

FULL_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-test",
    "SLACK_SIGNING_SECRET": "signing-secret",
    "FACEBOOK_APP_SECRET": "meta-app-secret",
    "FACEBOOK_VERIFY_TOKEN": "meta-verify-token",
    "FB_PAGE_TOKEN_SE": "page-token",
    "IG_TOKEN_SE": "instagram-token",
    "X_CONSUMER_SECRET": "x-consumer-secret",
    "X_BEARER_TOKEN": "x-bearer",
    "X_ACCESS_TOKEN": "x-user-token",
    "VIBER_AUTH_TOKEN": "viber-token",
    "SANDBOX_SECRET": "sandbox-secret-of-our-own",
}
"""Everything FULL_CONFIG needs; each test takes one away."""


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def clean_env(**env: str) -> dict[str, str]:
    """The test runner's environment without any variable the product reads, plus `env`."""
    ours = set(ENV_NAMES) | set(FULL_ENV) | {"CHATOPS_LOG_CUSTOMER_TEXT"}
    return {k: v for k, v in os.environ.items() if k not in ours} | env


async def chatops(*args: str, env: dict[str, str], stdin: str = "", within: float = 60) -> Result:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatops",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), within)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"chatops {' '.join(args)} did not exit: it started") from None
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "chatops.yaml"
    path.write_text(FULL_CONFIG)
    return path


def without(name: str, how: str, config: Path) -> dict[str, str]:
    env = {**FULL_ENV, "CHATOPS_CONFIG": str(config)}
    if how == "unset":
        del env[name]
    else:
        env[name] = "" if how == "empty" else "  "
    return clean_env(**env)


def assert_refused_naming(result: Result, name: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert not [other for other in FULL_ENV if other != name and f"{other} " in lines[0]]


async def test_the_complete_environment_checks_clean(config: Path) -> None:
    result = await chatops("check-config", env=clean_env(**FULL_ENV, CHATOPS_CONFIG=str(config)))
    assert result.returncode == 0, result.stdout + result.stderr


async def test_run_refuses_to_start_without_each_secret(config: Path) -> None:
    ways = ("unset", "empty", "blank")  # an empty or blank value counts as unset
    cases = [(name, ways[i % len(ways)]) for i, name in enumerate(FULL_ENV)]
    room = asyncio.Semaphore(4)  # a few processes at a time: each gets its time on 2 CPUs

    async def run_without(name: str, how: str) -> Result:
        async with room:
            return await chatops("run", env=without(name, how, config))

    results = await asyncio.gather(*(run_without(name, how) for name, how in cases))
    for (name, _how), result in zip(cases, results, strict=True):
        assert_refused_naming(result, name)


@pytest.mark.parametrize("role", ["web", "worker", "scheduler"])
async def test_every_role_refuses_to_start_without_a_secret(role: str, config: Path) -> None:
    env = without("SLACK_SIGNING_SECRET", "empty", config) | {"REDIS_URL": "redis://127.0.0.1:1"}
    assert_refused_naming(await chatops(role, env=env), "SLACK_SIGNING_SECRET")


async def test_check_config_lists_every_missing_secret(config: Path) -> None:
    for env in ({}, {name: "" for name in FULL_ENV}):
        result = await chatops("check-config", env=clean_env(**env, CHATOPS_CONFIG=str(config)))
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        for name in FULL_ENV:
            assert name in result.stdout, name
        assert "platforms.facebook.pages[0].token_env" in result.stdout
        for value in FULL_ENV.values():
            assert value not in result.stdout + result.stderr


async def test_socket_mode_needs_the_app_token_instead_of_the_signing_secret(
    config: Path,
) -> None:
    env = without("SLACK_SIGNING_SECRET", "unset", config)
    assert (await chatops("check-config", env=env)).returncode == 1
    result = await chatops("check-config", env=env | {"SLACK_APP_TOKEN": "xapp-1"})
    assert result.returncode == 0, result.stdout


async def test_the_sandbox_default_secret_is_for_the_demo_only(config: Path) -> None:
    sandbox_only = config.with_name("sandbox.yaml")
    sandbox_only.write_text(
        "platforms: {sandbox: {}}\n"
        "departments: [{id: social, name: Social, channel: '#social'}]\n"
        "routing: {default: social}\n"
    )
    env = clean_env(CHATOPS_CONFIG=str(sandbox_only))
    for given in ({}, {"SANDBOX_SECRET": "sandbox"}):
        result = await chatops("run", env=env | given)
        assert_refused_naming(result, "SANDBOX_SECRET")
        assert "public default" in result.stderr
        checked = await chatops("check-config", env=env | given)
        assert checked.returncode == 1 and "SANDBOX_SECRET" in checked.stdout

    demo = await chatops("demo", env=clean_env(), stdin="list\n", within=120)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert f"{len(sample_mentions())} sample mentions" in demo.stdout


@pytest.mark.parametrize(
    ("platforms", "env", "missing"),
    [
        ("x: {accounts: [{id: '1', webhook: true, token_env: X_OWN}]}", {"X_OWN": "t"}, []),
        ("x: {accounts: [{id: '1', webhook: true, token_env: X_OWN}]}", {}, ["X_OWN"]),
        ("x: {accounts: [{id: '1', webhook: true}]}", {}, ["X_ACCESS_TOKEN"]),
        ("x: {accounts: [{id: '1'}]}", {"X_ACCESS_TOKEN": "t"}, ["X_BEARER_TOKEN"]),
        (
            "x: {accounts: [{id: '1', webhook: true}]}",
            {"X_ACCESS_TOKEN": "t", "X_ACCESS_TOKEN_SECRET": "s"},
            ["X_CONSUMER_KEY"],
        ),
        ("viber: {accounts: [{id: '5', token_env: VIBER_BOT}]}", {}, ["VIBER_BOT"]),
        ("viber: {}", {"VIBER_AUTH_TOKEN": "t"}, []),
        ("sandbox: {}", {"SANDBOX_SECRET": "own"}, []),
    ],
)
def test_what_each_platform_needs(platforms: str, env: dict[str, str], missing: list[str]) -> None:
    config = load_config_text(
        f"platforms: {{{platforms}}}\n"
        "departments: [{id: social, name: Social, channel: '#social'}]\n"
        "routing: {default: social}\n"
    )
    settings = Settings.from_env({"X_CONSUMER_SECRET": "c", **env})
    named = [line.split()[0] for line in runtime.required_env(settings, config)]
    assert named == missing


# -- customers' text stays out of the logs -----------------------------------------------------


async def debug_run_output(tmp_path: Path, text: str, **extra: str) -> str:
    """`chatops --log-level DEBUG run` with Slack: one mention in, its case message out; all
    the process wrote."""
    slack = FakeSlack(user_groups={"S0COMMS001": ["U0COMMS001"]})
    await slack.start()
    config = tmp_path / "chatops.yaml"
    config.write_text(SLACK_CONFIG)
    port = free_port()
    env = clean_env(
        PORT=str(port),
        CHATOPS_CONFIG=str(config),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        SANDBOX_SECRET="test-secret",
        **extra,
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatops",
        "--log-level",
        "DEBUG",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    output = asyncio.create_task(proc.stdout.read())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            raw, headers = signed(mention_json("m-1", "post-1", text))

            async def delivered() -> httpx.Response | None:
                assert proc.returncode is None, "chatops run exited"
                try:
                    return await client.post("/webhooks/sandbox", content=raw, headers=headers)
                except httpx.TransportError:
                    return None

            r = await eventually(delivered, within=30, every=0.1, what="chatops run coming up")
            assert r.status_code == 200
            await until(lambda: slack.messages("C0BILLING1"), within=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
        await slack.stop()
    return (await output).decode()


async def test_a_debug_run_does_not_log_what_customers_wrote(tmp_path: Path) -> None:
    text = "Zebra4471 faktura wrong twice, call me"
    logged = await debug_run_output(tmp_path, text)
    assert "DEBUG" in logged  # it did run at DEBUG
    assert "Zebra4471" not in logged


async def test_logging_customer_text_is_an_explicit_choice(tmp_path: Path) -> None:
    """The same run with CHATOPS_LOG_CUSTOMER_TEXT=on: the libraries' body logs show the text
    (so the test above would see a leak)."""
    logged = await debug_run_output(
        tmp_path, "Zebra4471 faktura wrong twice, call me", CHATOPS_LOG_CUSTOMER_TEXT="on"
    )
    assert "Zebra4471" in logged
