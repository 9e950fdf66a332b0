"""Shared pieces of the benchmarks: a Redis to use, free ports, child processes."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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
