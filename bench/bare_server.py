"""The ceiling for bench/ingest.py: an aiohttp endpoint that reads the body and answers JSON."""

from __future__ import annotations

import sys

import uvloop
from aiohttp import web


async def handle(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"accepted": 1, "duplicates": 0})


def main() -> None:
    app = web.Application()
    app.router.add_post("/webhooks/sandbox", handle)
    web.run_app(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
