"""A redis-server of the test's own, for fault tests: killed, restarted, filled.

The shared test Redis must never be killed (other runs use it), so a test that injects faults
starts its own server on a free port, in its own folder, and stops it at the end.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Self

import redis.asyncio as aioredis

from chatops import runtime
from chatops.config import Config
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from tests.fakes.chat import RecordingChat
from tests.fakes.server import free_port
from tests.fakes.wait import eventually


class RedisServer:
    """One redis-server process; `kill()` is SIGKILL (no shutdown save), `start()` restarts it
    on the same port and folder, so an append-only file brings the data back."""

    def __init__(self, folder: Path, *args: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    async def start(self, within: float = 10.0) -> None:
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - starts at once, never waited on here
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = aioredis.from_url(self.url)

        async def answers() -> bool:
            try:
                return bool(await client.ping())
            except (OSError, aioredis.ConnectionError, aioredis.BusyLoadingError):
                return False

        try:
            await eventually(answers, within, every=0.02, what="redis-server answering")
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()


async def assemble_on(
    url: str, config: Config, clock: Callable[[], datetime]
) -> tuple[Runtime, RecordingChat]:
    """The product as `chatops run` assembles it, on the Redis at `url`, chat recorded."""
    chat = RecordingChat()
    store = Store(aioredis.from_url(url, decode_responses=True))
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret"})
    rt = await runtime.start(settings, config, store=store, chat=chat, clock=clock)
    return rt, chat
