"""Teams' approval inbox (chatops/chat/inbox.py): a copy of each approval request in every
approver's personal chat with the bot, or one post in `approval.channel`, updated in place
(the Connector's updateActivity) when the request ends.

Copies are outbox ops of their own kinds, queued per recipient (an AAD object id, or the
channel): the Connector's per-conversation limits, `Retry-After` and outages hold for them,
and a copy that cannot be sent (the app is not installed for that person) is logged and
dropped (outbox.py) without touching the case's own post or reply chain. Where each live copy
is (its conversation and activity) is kept in one Redis hash per case (`keys.TEAMS.inbox`),
so any process can settle it (a process that dies between sending a copy and recording it
sends that copy again: at least once). A click on a copy is answered with the copy as it is
now, for the clicking user at once; everyone's copies follow through the outbox.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botbuilder.schema import ConversationReference
from redis.exceptions import RedisError

from chatops import keys
from chatops.chat import CaseEvent, CaseView, DraftChange, EventKind
from chatops.chat.actions import Action
from chatops.chat.inbox import COPY_TTL_S, Copy, Step, recipients, request, settled, step
from chatops.domain import State
from chatops.redis_text import maybe_text
from chatops.teams.cards import DRAFT_LIMIT, alert
from chatops.teams.clicks import SEEN, Input
from chatops.teams.markup import (
    STYLES,
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

log = logging.getLogger(__name__)

SOURCE = "inbox"
"""`data.source` of a copy's buttons: the invoke is answered with the copy, not the case."""
ASK = "inbox_ask"
"""Op kind: post the request to a recipient, or update their live copy with it."""
SETTLE = "inbox_settle"
"""Op kind: rewrite a recipient's live copy as settled, and forget it."""
TARGETS = "@targets"
"""Field of the inbox hash: every recipient of the open request (JSON list)."""
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
                "errorMessage": "The draft is empty.",
            }
            send = execute(
                control.action, "Approve & publish", copy.case_id, source=SOURCE, **stamp
            )
            actions.append(show_card(f"{control.label}…", [box], [send]))
        elif control.action is Action.REJECT:
            reason = {
                "type": "Input.Text",
                "id": Input.REASON.value,
                "label": "Why does it go back? The owner sees this.",
                "isMultiline": True,
                "isRequired": True,
                "errorMessage": "Say why, so the owner can fix it.",
                "maxLength": 1000,
            }
            style = STYLES[control.tone]
            send = execute(
                control.action, control.label, copy.case_id, style=style, source=SOURCE, **stamp
            )
            actions.append(show_card(f"{control.label}…", [reason], [send]))
        else:
            actions.append(button(control, source=SOURCE, **stamp))
    return actions


def summary(copy: Copy, names: Mapping[str, str] | None = None) -> str:
    """What a notification shows of a copy."""
    return f"{copy.title}: {plain(copy.status, names)}"


def own_channel(channel: str | None) -> str | None:
    """`approval.channel` when it is a Teams channel (in a mixed setup it may be Slack's)."""
    return channel if channel and channel.startswith("19:") else None


def answered(view: CaseView, verb: str, actor: str, reason: str, now: datetime) -> Copy:
    """The copy a click on it is answered with: settled by this click, or as it is now."""
    case = view.case
    if case.state is State.AWAITING_APPROVAL:
        return request(view)
    if verb in (Action.APPROVE.value, Action.EDIT_APPROVE.value) and case.approved_by == actor:
        edited = DraftChange.TEXT if case.draft_author == actor else None
        event = CaseEvent(EventKind.APPROVED, actor, changed=edited)
    elif verb == Action.REJECT.value and case.state is State.DRAFTED:
        event = CaseEvent(EventKind.REJECTED, actor, reason=reason)
    else:
        event = CaseEvent(EventKind.CLOSED, actor)
    return settled(view, event, now)


class TeamsInbox:
    """Sends and settles the copies of a Teams case's approval requests."""

    def __init__(self, backend: TeamsBackend) -> None:
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
                "teams: approval inbox of case %s not updated: %s",
                view.case.id,
                type(exc).__name__,
            )

    async def _show(self, view: CaseView, event: CaseEvent) -> None:
        what = step(view, event)
        if what is None:
            return
        case_id = view.case.id
        key = keys.TEAMS.inbox(case_id)
        names = await self.backend.references.names()
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
            pipe = self.redis.pipeline(transaction=False)
            pipe.hset(key, TARGETS, json.dumps(every))
            pipe.expire(key, COPY_TTL_S)
            await pipe.execute()
            for target in every:
                await self._enqueue(ASK, case_id, target, copy, names)
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(key, TARGETS)
        pipe.hdel(key, TARGETS)
        raw, _ = await pipe.execute()
        if raw is None:
            return  # no request open here: nothing to settle
        copy = settled(view, event, view.case.updated_at)
        for target in json.loads(maybe_text(raw) or "[]"):
            await self._enqueue(SETTLE, case_id, target, copy, names)

    async def _enqueue(
        self, kind: str, case_id: str, target: str, copy: Copy, names: Mapping[str, str]
    ) -> None:
        op = Op(kind, case_id, target, text=summary(copy, names), card=copy_card(copy, names))
        await self.backend.outbox.enqueue(op)

    # -- the ops, as the Teams sender sends them ------------------------------------------

    async def _ask(self, op: Op, target: ConversationReference) -> None:
        key = keys.TEAMS.inbox(op.case_id)
        live = _loads(maybe_text(await self.redis.hget(key, op.channel)))
        activity = card_activity(op.card, op.text)
        if live is not None:
            await self._update(op.channel, target, live, activity)
            return
        if own_channel(op.channel):
            post = await self.backend.sender.connector.post(target, op.channel, activity)
        else:
            sent = await self.backend.personal.send(op.channel, target, activity)
            post = Post(op.channel, "", sent)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, op.channel, json.dumps([post.conversation, post.activity]))
        pipe.expire(key, COPY_TTL_S)
        await pipe.execute()

    async def _settle(self, op: Op, target: ConversationReference) -> None:
        key = keys.TEAMS.inbox(op.case_id)
        live = _loads(maybe_text(await self.redis.hget(key, op.channel)))
        if live is None:
            return  # never sent (refused, or settled already)
        await self._update(op.channel, target, live, card_activity(op.card, op.text))
        await self.redis.hdel(key, op.channel)

    async def _update(
        self, to: str, target: ConversationReference, live: Post, activity: Any
    ) -> None:
        if own_channel(to):
            await self.backend.sender.connector.update(target, live, activity)
        else:
            await self.backend.personal.update(to, target, live.activity, activity)


def _loads(raw: str | None) -> Post | None:
    """A live copy as recorded: `[conversation, activity]` ("" conversation: a person's chat)."""
    if not raw:
        return None
    conversation, activity = json.loads(raw)
    return Post("", str(conversation), str(activity))
