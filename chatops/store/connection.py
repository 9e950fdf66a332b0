"""The one Redis client of a process: a URL, a Sentinel service, or an embedded server."""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

from chatops.sentinel import SCHEME as SENTINEL_SCHEME
from chatops.sentinel import SentinelTarget, parse_sentinel_url

log = logging.getLogger(__name__)


def connect(url: str | None) -> aioredis.Redis:
    """A Redis client for `url`, or an embedded in-process server when there is none."""
    if url and url.startswith(SENTINEL_SCHEME):
        return _sentinel_master(parse_sentinel_url(url))
    if url:
        return aioredis.from_url(url, decode_responses=True, health_check_interval=30)
    import fakeredis

    log.warning(
        "REDIS_URL is not set: using an embedded in-memory store for this one process; "
        "all cases are lost when it exits"
    )
    return fakeredis.FakeAsyncRedis(decode_responses=True)


def _sentinel_master(target: SentinelTarget) -> aioredis.Redis:
    """A client of the master Sentinel names for `target.service`; after a failover it asks
    the sentinels again and reconnects to the new master."""
    from redis.asyncio.sentinel import Sentinel

    sentinel_kwargs = {"password": target.sentinel_password} if target.sentinel_password else {}
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.sentinels),
        sentinel_kwargs=sentinel_kwargs,
        username=target.username,
        password=target.password,
        db=target.db,
        decode_responses=True,
        health_check_interval=30,
    )
    master: aioredis.Redis = sentinel.master_for(target.service, decode_responses=True)
    return master
