"""Redis Sentinel addresses in REDIS_URL: `redis+sentinel://[[user]:password@]host1:port1,
host2:port2/service_name[/db]`, optional query `sentinel_password=…` (when the sentinels
require their own password).

A pure parser, so `Settings` can refuse a malformed URL at start-up and the store connects
with redis-py's Sentinel client (`master_for`), which follows a failover by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

SCHEME = "redis+sentinel://"
DEFAULT_PORT = 26379


@dataclass(frozen=True)
class SentinelTarget:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)


def parse_sentinel_url(url: str) -> SentinelTarget:
    """The parts of a `redis+sentinel://` URL; ValueError naming what is wrong (the URL
    itself is never echoed: it may hold a password)."""
    if not url.startswith(SCHEME):
        raise ValueError(f"must start with {SCHEME}")
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    username: str | None = None
    password: str | None = None
    if credentials:
        user, colon, secret = credentials.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    sentinels = tuple(_address(h) for h in hosts.split(",") if h.strip())
    if not sentinels:
        raise ValueError("names no sentinel host (redis+sentinel://host:port,…/service)")
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2:
        raise ValueError("needs the service name as its path: …/service_name[/db]")
    db = 0
    if len(path) == 2:
        if not path[1].isdigit():
            raise ValueError("database after the service name must be a number")
        db = int(path[1])
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"sentinel_password"})
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} (known: sentinel_password)")
    sentinel_password = query.get("sentinel_password", [None])[-1]
    return SentinelTarget(sentinels, unquote(path[0]), db, username, password, sentinel_password)


def _address(host: str) -> tuple[str, int]:
    host = host.strip()
    if host.startswith("["):  # [IPv6]:port
        name, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
    if not name:
        raise ValueError("has an empty sentinel host")
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError("has a sentinel port that is not a number from 1 to 65535")
    return name, int(port) if port else DEFAULT_PORT
