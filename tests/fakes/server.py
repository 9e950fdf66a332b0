"""The life cycle every local stand-in for a platform's API shares: serve on 127.0.0.1 on a
free port, give its origin, let go of requests it holds, stop cleanly; subclasses only add
their routes."""

from __future__ import annotations

import asyncio
import socket
from typing import Self

from aiohttp import web
from aiohttp.test_utils import TestServer


def free_port() -> int:
    """A port nothing listens on now, for a process the test starts (`chatops run`, Redis)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    client_max_size = 1024**2
    """The largest request body the server reads (aiohttp's default)."""
    _server: TestServer | None = None
    _released: asyncio.Event | None = None

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The base URL our client is pointed at (subclasses add their path)."""
        return self.origin

    @property
    def origin(self) -> str:
        if self._server is None or self._server.port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._server.port}"

    async def hold(self) -> None:
        """Never answer, as a platform that hangs: the request waits until `stop()`."""
        if self._released is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        await self._released.wait()

    async def start(self) -> str:
        app = web.Application(client_max_size=self.client_max_size)
        self.add_routes(app)
        self._released = asyncio.Event()
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self.url

    async def stop(self) -> None:
        if self._released is not None:
            self._released.set()
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
