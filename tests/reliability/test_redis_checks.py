"""Redis as a system of record: durability warnings and wipe detection."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis

from chatops import keys
from chatops.redis_checks import claim_epoch, durability, durability_warnings, wiped
from tests.fakes.redis import RedisServer

SAFE_MEMORY = {"maxmemory_policy": "noeviction"}


@pytest.mark.parametrize(
    ("persistence", "memory", "save", "expected"),
    [
        ({"aof_enabled": 1}, SAFE_MEMORY, "", []),
        ({"aof_enabled": 0}, SAFE_MEMORY, "3600 1 300 100", []),
        ({"aof_enabled": 0}, SAFE_MEMORY, "", ["keeps nothing on disk"]),
        ({"aof_enabled": 0}, SAFE_MEMORY, None, []),  # CONFIG disabled: cannot tell
        ({"aof_enabled": 1}, {"maxmemory_policy": "allkeys-lru"}, "", ["allkeys-lru"]),
        ({"aof_enabled": 0}, {"maxmemory_policy": "volatile-ttl"}, "", ["volatile-ttl", "disk"]),
    ],
)
def test_durability_warnings(
    persistence: dict[str, int], memory: dict[str, str], save: str | None, expected: list[str]
) -> None:
    warnings = durability_warnings(persistence, memory, save)
    assert len(warnings) == len(expected)
    for warning, fragment in zip(warnings, expected, strict=True):
        assert fragment in warning


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--appendonly", "no", "--maxmemory-policy", "allkeys-lru"), ["allkeys-lru", "disk"]),
        (("--appendonly", "yes", "--maxmemory-policy", "noeviction"), []),
    ],
)
async def test_a_real_server_is_judged_by_what_it_reports(
    tmp_path: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    server = RedisServer(tmp_path, *args)
    await server.start()
    client = aioredis.from_url(server.url, decode_responses=True)
    try:
        found = await durability(client)
    finally:
        await client.aclose()
        server.stop()
    assert len(found) == len(expected)
    for warning, fragment in zip(found, expected, strict=True):
        assert fragment in warning


async def test_the_epoch_is_kept_across_starts_and_its_loss_is_seen(
    redis: aioredis.Redis,
) -> None:
    first = await claim_epoch(redis)
    assert first and await claim_epoch(redis) == first  # a second process sees the same
    assert not await wiped(redis, first)
    await redis.flushdb()
    assert await wiped(redis, first)
    assert await claim_epoch(redis) != first
    await redis.delete(keys.EPOCH)
