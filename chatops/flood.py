"""The flood guard: a burst from one source becomes one case with a counter, and one ping.

Two sources are watched over a sliding window (`flood:` in the config):
- an author: more than `per_author` new mentions (`spam_per_author` for one that looks like
  spam) and the next ones, in whatever conversation, join the author's open case instead of
  opening cases of their own (which would each be posted, and each chased with an `@here`);
- a conversation: more than `per_conversation` mentions and the next ones are counted on
  its case message instead of each being posted as a line in its thread.

The first mention over a limit says so once in the thread; later ones only update the case
message (its "Also in this thread (N)" counter and a `flood` badge). Nothing is dropped: every
mention is recorded in its case, and a joined conversation stays mapped to the author's case,
so its later mentions, edits and removals are found there again.

`decide` is a pure function of the counts; `FloodGuard` counts in Redis (a sorted set per
source, scored by the injected clock, members the mention keys so a redelivery counts once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import redis.asyncio as aioredis

from chatops import keys
from chatops.chat import Burst, CaseEvent, ChatBackend, EventKind, Refreshes
from chatops.config.models import Flood
from chatops.domain import Case, Mention
from chatops.workflow.commands import SYSTEM

if TYPE_CHECKING:
    from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

FLAG = "flood"
"""On a case that gathers a burst (shown as a badge)."""


@dataclass(frozen=True)
class Decision:
    """What the guard does with one mention."""

    join_author: bool = False  # into the author's open case, not a case of its own
    quiet: bool = False  # no thread line of its own: counted on the case message
    announce: Literal["author", "conversation"] | None = None  # whose burst gets its one line
    limit: int = 0  # the limit that was passed

    @property
    def flooding(self) -> bool:
        return self.join_author or self.quiet or self.announce is not None


CALM = Decision()


def decide(
    *,
    author_count: int,
    conversation_count: int,
    limits: Flood,
    spam: bool,
    author_case: str | None,
    conversation_case: str | None,
) -> Decision:
    """The guard's decision from the counts of the window (this mention included).

    A mention whose conversation already has a case stays there (its conversation is its
    context); otherwise, past the author's limit, it joins the author's open case if there is
    one. The first mention over a limit is announced, the next ones are quiet."""
    author_limit = limits.spam_per_author if spam else limits.per_author
    over_author = author_count > author_limit
    join = over_author and author_case is not None and conversation_case in (None, author_case)
    over_conversation = conversation_count > limits.per_conversation
    announce: Literal["author", "conversation"] | None = None
    limit = 0
    if join and author_count == author_limit + 1:
        announce, limit = "author", author_limit
    elif over_conversation and conversation_count == limits.per_conversation + 1:
        announce, limit = "conversation", limits.per_conversation
    quiet = (join or over_conversation) and announce is None
    return Decision(join_author=join, quiet=quiet, announce=announce, limit=limit)


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    case_id: str | None  # the author's case this mention joins, when it does


class FloodGuard:
    """Counts each source's mentions over the window in Redis and applies `decide`."""

    def __init__(self, redis: aioredis.Redis, limits: Flood) -> None:
        self.redis = redis
        self.limits = limits

    async def check(self, mention: Mention, *, spam: bool, now: datetime) -> Outcome:
        """Count `mention` and decide; a joining mention's conversation is mapped to the
        author's case here, so that everything later in it is found there.

        The lookups and both counts go to Redis in one round trip: this is on the path of
        every mention to its thread (DESIGN §8), where each round trip is a millisecond or
        more on a busy machine."""
        author = _author(mention)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(
            keys.bucket(keys.CONVERSATIONS, mention.conversation_key), mention.conversation_key
        )
        self._count(pipe, keys.flood_conversation(mention.conversation_key), mention, now)
        if author is not None:
            self._count(pipe, keys.flood_author(author), mention, now)
            pipe.get(keys.flood_case(author))
        pipe.hget(keys.CONVERSATIONS, mention.conversation_key)  # as recorded before buckets
        got = await pipe.execute()  # the lookup, four replies per count, the author's case
        conversation, conv_count = _text(got[0]) or _text(got[-1]), int(got[3])
        if author is None:
            author_count, author_case = 0, None
        else:
            author_count, author_case = int(got[7]), _text(got[9])
        decision = decide(
            author_count=author_count,
            conversation_count=conv_count,
            limits=self.limits,
            spam=spam,
            author_case=author_case,
            conversation_case=conversation,
        )
        if not decision.join_author or author_case is None:
            return Outcome(decision, None)
        if conversation is None and not await self.redis.hsetnx(
            keys.bucket(keys.CONVERSATIONS, mention.conversation_key),
            mention.conversation_key,
            author_case,
        ):
            return Outcome(decision, None)  # someone mapped it meanwhile: that case it is
        log.info("flood: %s joins case %s", mention.key, author_case)
        return Outcome(decision, author_case)

    async def recorded(self, mention: Mention, case: Case) -> None:
        """Remember the author's newest case for the window: a burst gathers there."""
        author = _author(mention)
        if author is not None:
            window = max(1, int(self.limits.window.total_seconds()))
            await self.redis.set(keys.flood_case(author), case.id, ex=window)

    def _count(
        self, pipe: aioredis.client.Pipeline, key: str, mention: Mention, now: datetime
    ) -> None:
        """Add `mention` to the window at `key`: four replies, the third the count."""
        at = now.timestamp()
        window = self.limits.window.total_seconds()
        pipe.zadd(key, {mention.key: at}, nx=True)
        pipe.zremrangebyscore(key, "-inf", at - window)
        pipe.zcard(key)
        pipe.expire(key, max(1, int(window)))


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _author(mention: Mention) -> str | None:
    """`platform:author id`; None for an unknown author (never merge strangers)."""
    return f"{mention.platform}:{mention.author.id}" if mention.author.id else None


def flagged(case: Case, decision: Decision) -> Case:
    """The case of a burst carries the `flood` badge."""
    if decision.flooding and FLAG not in case.flags:
        case.flags = [*case.flags, FLAG]
    return case


async def show_arrival(
    workflow: Workflow,
    chat: ChatBackend,
    case: Case,
    event: CaseEvent,
    mention: Mention,
    decision: Decision,
    settings: Flood,
) -> None:
    """Show an arrival as the guard decided: as usual, as the one coalesced line, or (quiet)
    only as an update of the case message where the chat can do that."""
    if decision.announce is not None and event.kind is EventKind.MENTION:
        burst = Burst(decision.announce, decision.limit, settings.window)
        event = CaseEvent(EventKind.FLOOD, SYSTEM, mention, burst=burst)
    if not decision.quiet or event.kind is not EventKind.MENTION:
        await workflow.show(case, event)
        return
    if not isinstance(chat, Refreshes):
        return  # the next event shows the case as it is by then
    try:
        await chat.refresh(await workflow.view(case))
    except Exception:
        log.exception("case %s: chat backend failed to refresh", case.id)
