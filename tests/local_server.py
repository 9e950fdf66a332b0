"""The life cycle every local stand-in for a platform's API shares: serve on 127.0.0.1 on a
free port, give its origin, stop cleanly; subclasses only add their routes."""

from __future__ import annotations

from typing import Self

from aiohttp import web
from aiohttp.test_utils import TestServer


class LocalServer:
    _server: TestServer | None = None

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

    async def start(self) -> str:
        app = web.Application()
        self.add_routes(app)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
