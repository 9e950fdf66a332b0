"""Slack's approval inbox (chatops/chat/inbox.py): a copy of each approval request in every
approver's DM, or one in `approval.channel`, updated in place when the request ends.

`chatops.chat.inbox.Copies` queues, records and settles the copies (per recipient: a user id,
or the channel); this module marks a copy up as Block Kit and posts or updates it. A live copy
is recorded as its DM's channel and ts (`direct.Sent`), which `chat.update` needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatops.chat.inbox import Copies, Copy
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

_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")
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


class SlackInbox(Copies[Op, direct.Sent]):
    """Sends and settles the copies of a Slack case's approval requests."""

    chat = "slack"

    def __init__(self, backend: SlackBackend) -> None:
        rt = backend.rt
        super().__init__(rt.store.redis, rt.config, backend.outbox, backend.sender, backend.people)
        self.backend = backend

    def own_channel(self, channel: str | None) -> str | None:
        """`channel` when it is a Slack channel (C…, G…), not a person: in a mixed setup
        `approval.channel` may be a Teams channel."""
        return channel if channel and _CHANNEL.fullmatch(channel) else None

    async def ops(self, kind: str, copy: Copy) -> Callable[[str], Op]:
        text, blocks = copy_text(copy), copy_blocks(copy)
        return lambda target: Op(kind, copy.case_id, target, text=text, blocks=blocks)

    async def send(self, op: Op, target: Any) -> direct.Sent:
        return await direct.send(self.backend.client, op.channel, op.text, op.blocks or [])

    async def update(self, op: Op, target: Any, live: direct.Sent) -> None:
        await direct.update(self.backend.client, live, op.text, op.blocks or [])

    def dumps(self, live: direct.Sent) -> str:
        return live.dumps()

    def loads(self, raw: str) -> direct.Sent | None:
        return direct.Sent.loads(raw)
