"""Approvers named as Slack user groups (S…) resolved to their members, cached briefly."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatops import keys

log = logging.getLogger(__name__)

CACHE_S = 300


def is_group(ident: str) -> bool:
    return ident.startswith("S")


class UserGroups:
    def __init__(self, client: AsyncWebClient, redis: aioredis.Redis) -> None:
        self.client = client
        self.redis = redis

    async def members(self, group: str) -> frozenset[str]:
        key = keys.slack_user_group(group)
        cached = await self.redis.get(key)
        if cached is not None:
            return frozenset(json.loads(cached))
        try:
            result = await self.client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            log.warning("slack: cannot list members of %s: %s", group, exc.response.get("error"))
            return frozenset()
        listed: list[Any] = result.get("users") or []
        users = [str(u) for u in listed]
        await self.redis.set(key, json.dumps(users), ex=CACHE_S)
        return frozenset(users)

    async def expand(self, idents: Iterable[str]) -> frozenset[str]:
        """User ids plus every member of every group; the group ids themselves stay in."""
        out: set[str] = set()
        for ident in idents:
            out.add(ident)
            if is_group(ident):
                out |= await self.members(ident)
        return frozenset(out)
