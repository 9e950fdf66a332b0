"""What the privacy tests share: everything a Redis database holds, as text to search; a
thread where one person's comments surround another's; forgetting the first as the CLI does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis

from chatops.privacy import Erasure, Forgetter, Subject
from chatops.runtime import Runtime
from tests.fakes import mention_json

Ingest = Callable[..., Awaitable[None]]

THREAD = [
    mention_json("m-1", "post-1", "Var är min faktura?", name="Anna Berg"),
    mention_json("m-2", "post-1", "Samma, Storgatan 1", author="u-2", name="Bo Ek"),
    mention_json("m-3", "post-1", "Hallå? Ring 070-1234567", name="Anna Berg"),
]
"""Anna (u-1) writes, Bo joins (later comments are thread lines quoting them), Anna again."""
BO_REMOVES = mention_json("m-2", "post-1", "", author="u-2", name="Bo Ek", change="removed")


async def forget_anna(rt: Runtime, clock: Callable[[], datetime]) -> Erasure:
    """`chatops forget sandbox:u-1` in the process `rt` assembles."""
    forgetter = Forgetter(rt.wf, rt.store, rt.config, rt.chat, answers=rt.answers, clock=clock)
    return await forgetter.forget(Subject.parse("sandbox:u-1", []), by="dpo", reason="")


async def everything(redis: aioredis.Redis, skip: str = "") -> str:
    """Every key (but `skip`) and every value of the database, sorted, one per line: a name
    or a text that is anywhere in the store is found here, whatever the key's type."""
    out: list[str] = []
    async for key in redis.scan_iter(count=1000):
        if key == skip:
            continue
        out.append(str(key))
        kind = await redis.type(key)
        value: Any
        if kind == "string":
            value = await redis.get(key)
        elif kind == "list":
            value = await redis.lrange(key, 0, -1)
        elif kind == "hash":
            value = await redis.hgetall(key)
        elif kind == "set":
            value = sorted(await redis.smembers(key))
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1)
        elif kind == "stream":
            value = await redis.xrange(key)
        else:
            value = ""
        out.append(f"{key} = {value}")
    return "\n".join(sorted(out))
