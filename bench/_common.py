"""Shared pieces of the benchmarks: a Redis to use, free ports, child processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

BENCH_REDIS_URL = os.environ.get("CHATOPS_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14"
"""Flushed by the benchmarks: never REDIS_URL, which holds a user's data."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@contextlib.contextmanager
def child(args: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_port(port)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python <args>` with its stderr appended to `log`. A pipe nobody reads fills up and then
    blocks a child that logs a lot (an outage does), and a file can be read afterwards."""
    with log.open("ab") as fh:
        return subprocess.Popen(
            [sys.executable, *args], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=fh
        )


def stop(proc: subprocess.Popen[bytes], within: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it is still there after `within` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


SANDBOX_SECRET = "bench"
"""The sandbox platform's webhook secret in every bench's `chatops run`."""


def run_env(config: Path, port: int, slack_url: str, **more: str) -> dict[str, str]:
    """The environment of a `chatops run` on the bench Redis against a local Slack."""
    return {
        "REDIS_URL": BENCH_REDIS_URL,
        "PORT": str(port),
        "CHATOPS_CONFIG": str(config),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack_url,
        "SANDBOX_SECRET": SANDBOX_SECRET,
        **more,
    }


async def ready(client: httpx.AsyncClient, proc: subprocess.Popen[bytes]) -> None:
    """Waits for `/healthz` without blocking the loop: a local Slack in it answers the child's
    start-up calls (auth.test)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("chatops run exited")
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError("chatops run did not come up")


def config_file(text: str) -> Path:
    """`text` as chatops.yaml in a new temporary folder (a child's log goes beside it)."""
    folder = Path(tempfile.mkdtemp(prefix="chatops-bench-"))
    (folder / "chatops.yaml").write_text(text)
    return folder / "chatops.yaml"


@contextlib.asynccontextmanager
async def chatops_run(config: Path, slack_url: str, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """`chatops run` as a child process on the bench Redis against a local Slack, up (its
    /healthz answers) for the block; yields a client of its web server, and stops it after."""
    port = free_port()
    args = ["-m", "chatops", "--log-level", "WARNING", "run"]
    proc = spawn(args, run_env(config, port, slack_url, **env), config.parent / "run.log")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await ready(client, proc)
            yield client
    finally:
        stop(proc)
