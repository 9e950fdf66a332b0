"""Each person's App Home tab (issue 12): `chatops.chat.home` marked up as a Block Kit `home`
view and published with `views.publish`.

A Home is published when its person opens the tab (`app_home_opened`), and again when a case
of theirs changes, but only for people who opened it once (remembered in Redis): nobody else
would see it. A change only marks the people concerned (the owner, the previous owner, whoever
acted, the approvers while a case enters or leaves approval, the members of the department's
channel when its unclaimed list changes); `HomeRefresher.tick` publishes each marked Home once,
so a burst of changes costs one publish per person and never delays the case's own post.

Membership of a department's channel is Slack's (`conversations.members`, every page, cached
briefly); when Slack does not answer, nobody is a member: a Home then lists no unclaimed cases
and a click from it on someone else's case is refused (fail closed).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, cast

from redis.exceptions import RedisError
from slack_sdk.errors import SlackApiError

from chatops import keys
from chatops.chat import CaseEvent, CaseView
from chatops.chat.home import (
    APPROVERS,
    DEPARTMENT,
    HomeView,
    build_home,
    channel_members,
    concerned,
)
from chatops.redis_text import Raw, maybe_text, texts
from chatops.slack.blocks import context, control, escape, mrkdwn, plain, section
from chatops.slack.limits import LIMITS

if TYPE_CHECKING:
    from chatops.slack.backend import SlackBackend

log = logging.getLogger(__name__)

LINK_CACHE_S = 600
"""How long a thread's permalink is kept (a rerouted case's link is the old post until then)."""
REFRESH_EVERY_S = 2.0
"""How often marked Homes are published: changes within this window are one publish."""
MEMBERS_PAGE = 200

# -- markup -----------------------------------------------------------------------------------


def home_blocks(home: HomeView) -> list[dict[str, Any]]:
    """The view's blocks: a header and today's figures, then each section's heading and a
    section (its line, with the thread link, and the summary) and an actions block per case,
    as many as Slack's 100 blocks of a view allow shared between the sections; the rest are
    counted. An actions block's id carries the fingerprint of the draft shown, as on the case
    message, so Publish and Approve act only on that draft."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(home.title, LIMITS.header_text)},
        context(mrkdwn(home.figures)),
    ]
    fixed = len(blocks) + 3 * len(home.sections)  # divider, heading, "…and N more" each
    per = max(0, (LIMITS.modal_blocks - fixed) // (2 * max(1, len(home.sections))))
    for part in home.sections:
        blocks += [{"type": "divider"}, section(mrkdwn(part.head))]
        if not part.entries:
            blocks.append(context(escape(part.empty)))
            continue
        for entry in part.entries[:per]:
            text = mrkdwn(entry.line) + (f"\n{escape(entry.detail)}" if entry.detail else "")
            blocks.append(section(text))
            found = (control(c) for c in entry.controls)
            elements = [e for e in found if e is not None][: LIMITS.actions_elements]
            if elements:
                seen = home.seen.get(entry.case_id, "")
                block_id = f"home-case-{entry.case_id}-{seen}"
                blocks.append({"type": "actions", "block_id": block_id, "elements": elements})
        shown = min(per, len(part.entries))
        if shown < part.total:
            blocks.append(context(mrkdwn(part.more(shown))))
    return blocks[: LIMITS.modal_blocks]


def home_payload(home: HomeView) -> dict[str, Any]:
    return {"type": "home", "blocks": home_blocks(home)}


# -- publishing -------------------------------------------------------------------------------


class HomeRefresher:
    """Publishes Homes for the Slack backend; every process may run `run`: each marked person
    is taken by one of them (SPOP)."""

    def __init__(self, backend: SlackBackend) -> None:
        self.backend = backend
        self.redis = backend.rt.store.redis

    async def opened(self, user: str) -> None:
        """`app_home_opened`: remember the person, and show them their Home now."""
        await self.redis.sadd(keys.SLACK_HOME_OPENED, user)
        await self.publish(user)

    async def mark(self, view: CaseView, event: CaseEvent) -> None:
        """Mark the Homes a change concerns; never fails the case's own post."""
        try:
            await self.redis.sadd(keys.SLACK_HOME_DIRTY, *concerned(view, event))
        except RedisError as exc:
            log.warning("slack: home of case %s not marked: %s", view.case.id, type(exc).__name__)

    async def tick(self) -> int:
        """Publish every marked Home of someone who opened theirs, once; how many went out."""
        popped = await self.redis.spop(keys.SLACK_HOME_DIRTY, 10_000)
        tokens = texts(cast(list[Raw], popped or []))
        if not tokens:
            return 0
        users = {t for t in tokens if t != APPROVERS and not t.startswith(DEPARTMENT)}
        if APPROVERS in tokens:
            users |= await self.backend.approvers()
        config = self.backend.rt.config
        for token in tokens:
            if token.startswith(DEPARTMENT):
                dept = token.removeprefix(DEPARTMENT)
                if dept in config.department_ids:
                    users |= await self.members(config.department(dept).channel)
        ordered = sorted(users)
        if not ordered:
            return 0
        flags = await self.redis.smismember(keys.SLACK_HOME_OPENED, ordered)
        sent = 0
        for user, opened in zip(ordered, flags, strict=True):
            if opened:
                sent += await self.publish(user)
        return sent

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception as exc:  # the outbox runs beside: a Home never stops it
                log.warning("slack: homes not refreshed: %s", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), REFRESH_EVERY_S)
            except TimeoutError:
                pass

    async def publish(self, user: str) -> int:
        """Publish `user`'s Home; 1 when Slack took it. A failure is logged by its error code,
        never with what the Home says."""
        try:
            home = await self.build(user)
            await self.backend.client.views_publish(user_id=user, view=home_payload(home))
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("slack: home of %s not published: %s", user, error)
            if error == "ratelimited":  # tried again on the next tick
                await self.redis.sadd(keys.SLACK_HOME_DIRTY, user)
            return 0
        return 1

    async def build(self, user: str) -> HomeView:
        return await build_home(
            self.backend.rt,
            user,
            approver=user in await self.backend.approvers(),
            chat="slack",
            members=self.members,
            links=self.links,
        )

    async def links(self, case_ids: list[str]) -> dict[str, str]:
        """Case id -> its thread's permalink, cached briefly (a Home lists up to 60 cases)."""
        if not case_ids:
            return {}
        cached = await self.redis.mget([keys.slack_permalink(c) for c in case_ids])
        found = {c: v for c, raw in zip(case_ids, cached, strict=True) if (v := maybe_text(raw))}
        missing = [c for c in case_ids if c not in found]
        fresh = await self.backend._permalinks(missing) if missing else {}
        if fresh:
            pipe = self.redis.pipeline(transaction=False)
            for case_id, url in fresh.items():
                pipe.set(keys.slack_permalink(case_id), url, ex=LINK_CACHE_S)
            await pipe.execute()
        return found | fresh

    async def members(self, channel: str) -> frozenset[str]:
        """Who is in `channel` (`conversations.members`, every page), cached briefly."""

        async def fetch() -> list[str] | None:
            found: list[str] = []
            cursor = ""
            try:
                while True:
                    page = await self.backend.client.conversations_members(
                        channel=channel, limit=MEMBERS_PAGE, cursor=cursor or None
                    )
                    listed: list[Raw] = page.get("members") or []
                    found += [str(m) for m in listed]
                    cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
                    if not cursor:
                        return found
            except SlackApiError as exc:
                error = exc.response.get("error")
                log.warning("slack: members of %s unknown: %s", channel, error)
                return None

        return await channel_members(self.redis, keys.slack_members(channel), fetch)


def is_home_click(body: dict[str, Any]) -> bool:
    """A click on a Home tab: Slack says the container is a view, and the view a home."""
    container = body.get("container") or {}
    view = body.get("view") or {}
    return container.get("type") == "view" and view.get("type") == "home"
