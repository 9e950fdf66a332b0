"""Slack's approval inbox (chatops/chat/inbox.py): a copy of each approval request in every
approver's DM, or one in `approval.channel`, updated in place when the request ends.

Copies are outbox ops of their own kinds, queued per recipient (a user id, or the channel):
Slack's per-channel rate limit, `Retry-After` and outages hold for them, and a copy that
cannot be sent is logged and dropped (outbox.py) without touching the case's own message or
thread, which are queued apart. Where each live copy is (the DM's channel and ts) is kept in
one Redis hash per case (`keys.SLACK.inbox`), so the process that settles a request need not
be the one that sent it: the hash names every recipient asked (`TARGETS`) and, once sent,
each live copy; settling a copy forgets it. A process that dies after Slack posted a copy
but before it was recorded sends that copy again when the op is retried (at least once).
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from chatops import keys
from chatops.chat import CaseEvent, CaseView
from chatops.chat.inbox import COPY_TTL_S, Copy, Step, recipients, request, settled, step
from chatops.redis_text import maybe_text
from chatops.slack import direct
from chatops.slack.blocks import (
    FALLBACK_LIMIT,
    button,
    clip_mrkdwn,
    context,
    escape,
    mrkdwn,
    quote,
    section,
)
from chatops.slack.blocks import plain as plain_text
from chatops.slack.limits import LIMITS, blocks_text_length
from chatops.slack.outbox import Op

if TYPE_CHECKING:
    from chatops.slack.backend import SlackBackend

log = logging.getLogger(__name__)

ASK = "inbox_ask"
"""Op kind: post the request to a recipient, or update their live copy with it."""
SETTLE = "inbox_settle"
"""Op kind: rewrite a recipient's live copy as settled, and forget it."""
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")
TARGETS = "@targets"
"""Field of the inbox hash: every recipient of the open request (JSON list)."""
QUOTES = (2500, 1200, 500, 200)
"""Characters of the customer's text and of the draft a copy tries, until it fits Slack."""


def block_id(copy: Copy) -> str:
    """`inbox-<case>-<fingerprint>`: Approve acts on the draft this copy showed (blocks.seen_draft),
    and the case message's own check of which message was clicked does not apply."""
    return f"inbox-{copy.case_id}-{copy.seen}"


def copy_blocks(copy: Copy) -> list[dict[str, Any]]:
    """A copy as Block Kit, its quotes shortened until the message fits Slack's limits."""
    for chars in QUOTES:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": plain_text(copy.title, LIMITS.header_text)},
            section(mrkdwn(copy.status)),
        ]
        if copy.reasons:
            blocks.append(context(mrkdwn(copy.reasons)))
        if copy.customer is not None:
            head = mrkdwn(copy.customer.head)
            blocks.append(section(f"{head}\n{quote(copy.customer.text, chars)}"))
        blocks.append(section(f"{mrkdwn(copy.draft.head)}\n{quote(copy.draft.text, chars)}"))
        if copy.controls:
            elements = [button(b) for b in copy.controls]
            blocks.append({"type": "actions", "block_id": block_id(copy), "elements": elements})
        if blocks_text_length(blocks) <= LIMITS.blocks_text_budget:
            break
    return blocks


def copy_text(copy: Copy) -> str:
    """The notification line of a copy: what the request is, and how it ended once it did."""
    return clip_mrkdwn(f"{escape(copy.title)}: {mrkdwn(copy.status)}", FALLBACK_LIMIT)


def own_channel(channel: str | None) -> str | None:
    """`approval.channel` when it is a Slack channel (in a mixed setup it may be Teams')."""
    return channel if channel and _CHANNEL.fullmatch(channel) else None


class SlackInbox:
    """Sends and settles the copies of a Slack case's approval requests."""

    def __init__(self, backend: SlackBackend) -> None:
        self.backend = backend
        self.redis = backend.rt.store.redis
        backend.sender.kinds[ASK] = self._ask
        backend.sender.kinds[SETTLE] = self._settle

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        """Ask or settle after `event`; a failure is logged and never reaches the thread."""
        try:
            await self._show(view, event)
        except (RedisError, OSError):
            raise
        except Exception as exc:
            log.warning(
                "slack: approval inbox of case %s not updated: %s", view.case.id, type(exc).__name__
            )

    async def _show(self, view: CaseView, event: CaseEvent) -> None:
        what = step(view, event)
        if what is None:
            return
        case_id = view.case.id
        key = keys.SLACK.inbox(case_id)
        if what is Step.ASK:
            approval = self.backend.rt.config.approval
            if approval.channel and not own_channel(approval.channel):
                return  # the requests gather in a channel of another chat
            people = await self.backend.people(approval.approvers)
            fresh = recipients(view, people, approval.channel)
            known = json.loads(maybe_text(await self.redis.hget(key, TARGETS)) or "[]")
            every = list(dict.fromkeys([*known, *fresh]))
            if not every:
                return
            copy = request(view)
            await self._remember(key, every)
            for target in every:
                await self._enqueue(ASK, case_id, target, copy)
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(key, TARGETS)
        pipe.hdel(key, TARGETS)
        raw, _ = await pipe.execute()
        if raw is None:
            return  # no request open here: nothing to settle
        copy = settled(view, event, view.case.updated_at)
        for target in json.loads(maybe_text(raw) or "[]"):
            await self._enqueue(SETTLE, case_id, target, copy)

    async def _remember(self, key: str, targets: list[str]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, TARGETS, json.dumps(targets))
        pipe.expire(key, COPY_TTL_S)
        await pipe.execute()

    async def _enqueue(self, kind: str, case_id: str, target: str, copy: Copy) -> None:
        op = Op(kind, case_id, target, text=copy_text(copy), blocks=copy_blocks(copy))
        await self.backend.outbox.enqueue(op)

    # -- the ops, as the Slack sender sends them ------------------------------------------

    async def _ask(self, op: Op, target: Any) -> None:
        key = keys.SLACK.inbox(op.case_id)
        raw = maybe_text(await self.redis.hget(key, op.channel))
        live = direct.Sent.loads(raw) if raw else None
        client = self.backend.client
        if live is not None:
            await direct.update(client, live, op.text, op.blocks or [])
            return
        sent = await direct.send(client, op.channel, op.text, op.blocks or [])
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, op.channel, sent.dumps())
        pipe.expire(key, COPY_TTL_S)
        await pipe.execute()

    async def _settle(self, op: Op, target: Any) -> None:
        key = keys.SLACK.inbox(op.case_id)
        raw = maybe_text(await self.redis.hget(key, op.channel))
        live = direct.Sent.loads(raw) if raw else None
        if live is None:
            return  # never sent (refused, or settled already)
        await direct.update(self.backend.client, live, op.text, op.blocks or [])
        await self.redis.hdel(key, op.channel)
