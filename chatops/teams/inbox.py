"""Teams' approval inbox (chatops/chat/inbox.py): a copy of each approval request in every
approver's personal chat with the bot, or one post in `approval.channel`, updated in place
(the Connector's updateActivity) when the request ends.

`chatops.chat.inbox.Copies` queues, records and settles the copies (per recipient: an AAD
object id, or the channel; a copy Teams refuses, because the app is not installed for that
person, is logged and dropped); this module marks a copy up as an Adaptive Card and sends or
updates it. A live copy is recorded as its conversation and activity. A click on a copy is
answered with the copy as it is now (`chatops.chat.inbox.answered`), for the clicking user at
once; everyone's copies follow through the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botbuilder.schema import ConversationReference

from chatops.chat.actions import Action
from chatops.chat.inbox import Copies, Copy
from chatops.chat.wording import APPROVE_LABEL, EMPTY_DRAFT
from chatops.teams.cards import DRAFT_LIMIT, alert, reject
from chatops.teams.clicks import SEEN, Input
from chatops.teams.markup import (
    People,
    button,
    card,
    escape,
    execute,
    fits,
    paragraphs,
    plain,
    show_card,
    text_block,
)
from chatops.teams.outbox import Op, Post, card_activity

if TYPE_CHECKING:
    from chatops.teams.backend import TeamsBackend

SOURCE = "inbox"
"""`data.source` of a copy's buttons: the invoke is answered with the copy, not the case."""
QUOTES = (2500, 1000, 300)
"""Characters of the customer's text (and of a settled draft) tried until the card fits."""


def copy_card(
    copy: Copy, names: Mapping[str, str] | None = None, notice: str = ""
) -> dict[str, Any]:
    """A copy as an Adaptive Card: Approve & publish (confirmed), Edit and approve (the draft
    in a box of its own), Send back (with its reason); no buttons once settled."""
    for chars in QUOTES:
        people = People(names)
        body: list[dict[str, Any]] = []
        if notice:
            body.append(alert(notice, chars))
        body.append(text_block(escape(copy.title), size="Medium", weight="Bolder"))
        body.append(text_block(people.line(copy.status)))
        if copy.reasons:
            body.append(text_block(people.line(copy.reasons), isSubtle=True, spacing="None"))
        if copy.customer is not None:
            items = [
                text_block(people.line(copy.customer.head)),
                text_block(paragraphs(copy.customer.text, chars), spacing="Small"),
            ]
            body.append({"type": "Container", "style": "emphasis", "items": items})
        body.append(text_block(people.line(copy.draft.head)))
        body.append(text_block(paragraphs(copy.draft.text, chars), spacing="Small"))
        out = card(body, _actions(copy), pairs=people.pairs)
        if fits(out):
            return out
    return out


def _actions(copy: Copy) -> list[dict[str, Any]]:
    stamp = {SEEN: copy.seen}
    actions: list[dict[str, Any]] = []
    for control in copy.controls:
        if control.action is Action.EDIT_APPROVE:
            box = {
                "type": "Input.Text",
                "id": Input.DRAFT.value,
                "isMultiline": True,
                "value": copy.draft.text[:DRAFT_LIMIT],
                "maxLength": DRAFT_LIMIT,
                "isRequired": True,
                "errorMessage": EMPTY_DRAFT,
            }
            send = execute(control.action, APPROVE_LABEL, copy.case_id, source=SOURCE, **stamp)
            actions.append(show_card(f"{control.label}…", [box], [send]))
        elif control.action is Action.REJECT:
            actions.append(reject(control, stamp, SOURCE))
        else:
            actions.append(button(control, source=SOURCE, **stamp))
    return actions


def summary(copy: Copy, names: Mapping[str, str] | None = None) -> str:
    """What a notification shows of a copy."""
    return f"{copy.title}: {plain(copy.status, names)}"


class TeamsInbox(Copies[Op, Post]):
    """Sends and settles the copies of a Teams case's approval requests."""

    chat = "teams"

    def __init__(self, backend: TeamsBackend) -> None:
        rt = backend.rt
        super().__init__(rt.store.redis, rt.config, backend.outbox, backend.sender, backend.people)
        self.backend = backend

    def own_channel(self, channel: str | None) -> str | None:
        """`channel` when it is a Teams channel (19:…), not a person: in a mixed setup
        `approval.channel` may be a Slack channel."""
        return channel if channel and channel.startswith("19:") else None

    async def ops(self, kind: str, copy: Copy) -> Callable[[str], Op]:
        names = await self.backend.references.names()
        text, body = summary(copy, names), copy_card(copy, names)
        return lambda target: Op(kind, copy.case_id, target, text=text, card=body)

    async def send(self, op: Op, target: ConversationReference) -> Post:
        activity = card_activity(op.card, op.text)
        if self.own_channel(op.channel):
            return await self.backend.sender.connector.post(target, op.channel, activity)
        sent = await self.backend.personal.send(op.channel, target, activity)
        return Post(op.channel, "", sent)

    async def update(self, op: Op, target: ConversationReference, live: Post) -> None:
        activity = card_activity(op.card, op.text)
        if self.own_channel(op.channel):
            await self.backend.sender.connector.update(target, live, activity)
        else:
            await self.backend.personal.update(op.channel, target, live.activity, activity)

    def dumps(self, live: Post) -> str:
        return json.dumps([live.conversation, live.activity])

    def loads(self, raw: str) -> Post | None:
        """`[conversation, activity]` ("" conversation: a person's chat)."""
        conversation, activity = json.loads(raw)
        return Post("", str(conversation), str(activity))
