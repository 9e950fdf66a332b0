"""The approval inbox: each approval request sent to the approvers directly, decided once.

Comms should not have to sit in every department's channel. When a case starts waiting for
approval, every approver who did not write or ask for the draft (four eyes) gets a copy of
the request in a direct message (a Slack DM, a Teams personal chat): the customer's text,
the draft, why the case needs approval, and Approve / Edit and approve / Send back. With
`approval.channel` set, one copy goes to that comms channel instead. A change of the draft
while it waits updates every copy in place; when someone acts (or the case leaves
`awaiting_approval` another way), every copy says so ("Approved by Cia at 10:42") and loses
its buttons, so that nobody acts on a request that is settled.

Its pure part says what a copy says (`request`, `settled`, `answered`), when copies are sent
or settled (`step`) and to whom (`recipients`). `Copies` does the rest the same in every chat
with an outbox: copies are outbox ops of their own kinds, queued per recipient, so the chat's
rate limits, `Retry-After` and outages hold for them, and a copy that cannot be sent is logged
and dropped without touching the case's own message. Where each live copy is goes in one Redis
hash per case and chat (`ChatKeys.inbox`), so the process that settles a request need not be
the one that sent it: the hash names every recipient asked (`TARGETS`) and, once sent, each
live copy; settling a copy forgets it. A process that dies after the chat took a copy but
before it was recorded sends that copy again when the op is retried (at least once). Each
chat only marks a `Copy` up and sends or rewrites it (chatops/slack/inbox.py,
chatops/teams/inbox.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chatops import outbox
from chatops.chat.actions import Action
from chatops.chat.backend import CaseEvent, CaseView, DraftChange, EventKind
from chatops.chat.present import Button, Confirm, Quoted, Tone, where_parts
from chatops.chat.rich import Emoji, Line, Person, Place, Strong, Text, When, clip, joined
from chatops.chat.wording import APPROVE_LABEL, author, platform_name, reason_words
from chatops.config import Config
from chatops.domain import Case, State
from chatops.redis_text import maybe_text
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.transitions import Policy, Refused, authors, decide, fingerprint

log = logging.getLogger(__name__)

COPY_TTL_S = 30 * 24 * 3600
"""How long a case's record of its copies is kept after its last change (Redis TTL)."""

ASKS = frozenset({EventKind.APPROVAL_REQUESTED, EventKind.REROUTED, EventKind.ERASED})
"""Events after which a case still waiting for approval sends its copies, or updates them
(a request, a new draft, another department, a customer's text erased on request)."""
SETTLES = frozenset({EventKind.APPROVED, EventKind.REJECTED, EventKind.DISMISSED})
"""The events by which a case leaves `awaiting_approval` (transitions.ALLOWED): approve,
send back, dismiss. Any other event leaves the copies as they are."""


class Step(StrEnum):
    ASK = "ask"  # send the request to whoever has no live copy, update the others
    SETTLE = "settle"  # every live copy says how the request ended, without buttons


def step(view: CaseView, event: CaseEvent) -> Step | None:
    """What `event` means for the copies of the case's approval request: the case waits for
    approval (ask), or has just stopped waiting (settle: a chat settles the copies it has)."""
    if view.case.state is State.AWAITING_APPROVAL:
        return Step.ASK if event.kind in ASKS else None
    return Step.SETTLE if event.kind in SETTLES else None


def recipients(view: CaseView, people: Iterable[str], channel: str | None) -> list[str]:
    """Where the request goes: `channel` alone when one is configured (`approval.channel`),
    else each approver (`people`, user groups already expanded) who is not an author of the
    draft: they could not approve it (four eyes), and asked no question of themselves."""
    if channel:
        return [channel]
    excluded = authors(view.case)
    return [p for p in dict.fromkeys(people) if p not in excluded]


def may_approve(case: Case, user: str, approvers: Iterable[str]) -> str | None:
    """Why `user` may not approve the draft as it stands (not an approver, or an author of it:
    four eyes), in the workflow's own words; None when they may. Edit and approve asks this
    before the approver writes a whole reply; the workflow decides again when they save."""
    try:
        decide(case, Command.APPROVE, user, Policy(approvers=frozenset(approvers)))
    except Refused as refusal:
        if refusal.code in ("not_approver", "four_eyes"):
            return refusal.reason
    return None


@dataclass(frozen=True)
class Copy:
    """One copy of an approval request, as every approver's copy shows it."""

    case_id: str
    seen: str  # fingerprint of the draft shown: Approve acts on exactly this draft
    title: str
    status: Line  # who asks and why, or how the request ended
    reasons: Line | None  # why the case needs approval (None once settled)
    customer: Quoted | None
    draft: Quoted
    controls: tuple[Button, ...]  # empty once settled

    @property
    def settled(self) -> bool:
        return not self.controls


def _title(view: CaseView) -> str:
    return f"Approval · Case {view.case.number} · {view.department.name}"


def _customer(view: CaseView, chars: int) -> Quoted | None:
    """The comment the draft answers (else the first one), with who wrote it."""
    if not view.mentions:
        return None
    c = view.case
    m = next((m for m in view.mentions if m.key == c.reply_to), view.mentions[-1])
    return Quoted(author(m), clip(m.text, chars) or "(no text)")


def _draft(view: CaseView, chars: int) -> Quoted:
    c = view.case
    how = "private reply" if c.private else f"public reply on {platform_name(c.platform)}"
    head: list[Line] = [(Strong("Draft"), Text(f" ({how})"))]
    if c.draft_author == SYSTEM:
        head.append((Text("from the template"),))
    elif c.draft_author:
        head.append((Text("by "), Person(c.draft_author, notify=False)))
    return Quoted(joined(head), clip(c.draft, chars) or "(no draft)")


def controls(case_id: str, draft: str, private: bool, platform: str) -> tuple[Button, ...]:
    """Approve & publish (confirmed, quoting the draft), Edit and approve, Send back."""
    how = "privately" if private else "publicly"
    confirm = Confirm(
        "Approve and publish?",
        f"The reply goes out {how} on {platform_name(platform)} at once.",
        APPROVE_LABEL,
        draft,
    )
    return (
        Button(Action.APPROVE, APPROVE_LABEL, case_id, Tone.PRIMARY, confirm),
        Button(Action.EDIT_APPROVE, "Edit and approve", case_id),
        Button(Action.REJECT, "Send back", case_id, Tone.DANGER),
    )


def request(view: CaseView, chars: int = 2500) -> Copy:
    """The request as the approvers get it while the case waits."""
    c = view.case
    asked_by = c.approval_requested_by
    status: Line = (
        Emoji("eyes"),
        Text(" "),
        *(
            (Person(asked_by, notify=False), Text(" asks you to approve a reply"))
            if asked_by
            else (Text("A reply waits for your approval"),)
        ),
        Text(" in "),
        Place(view.department.channel, view.department.name),
    )
    reasons = ", ".join(reason_words(r) for r in c.sensitive_reasons) or "sensitive case"
    return Copy(
        case_id=c.id,
        seen=fingerprint(c),
        title=_title(view),
        status=status,
        reasons=joined(
            [
                (Emoji("warning"), Text(" "), Strong("Needs approval:"), Text(f" {reasons}")),
                joined(where_parts(view)),
            ]
        ),
        customer=_customer(view, chars),
        draft=_draft(view, chars),
        controls=controls(c.id, c.draft, c.private, c.platform),
    )


def outcome(view: CaseView, event: CaseEvent, at: datetime, chars: int = 500) -> Line:
    """How the request ended: "Approved by Cia at 10:42", "Sent back by Cia: …", or that it
    is no longer waiting (dismissed, moved on without an approval)."""
    c = view.case
    if event.kind is EventKind.APPROVED:
        edited = event.changed is DraftChange.TEXT
        return (
            Emoji("white_check_mark"),
            Text(" Edited and approved by " if edited else " Approved by "),
            Person(event.actor, notify=False),
            Text(" at "),
            When(at),
        )
    if event.kind is EventKind.REJECTED:
        reason = clip(event.reason or c.reject_reason or "", chars)
        return (
            Emoji("leftwards_arrow_with_hook"),
            Text(" Sent back by "),
            Person(event.actor, notify=False),
            Text(" at "),
            When(at),
            *((Text(f": {reason}"),) if reason else ()),
        )
    if c.state is State.DISMISSED:
        return (Emoji("no_entry_sign"), Text(" Withdrawn: the case was dismissed"))
    if c.state in (State.PUBLISHED, State.CLOSED):
        return (Emoji("white_check_mark"), Text(" Published"))
    return (Emoji("no_entry_sign"), Text(" Withdrawn: no longer waiting for approval"))


def settled(view: CaseView, event: CaseEvent, at: datetime, chars: int = 500) -> Copy:
    """A copy once the request ended: how, the customer's text and the draft as it went out
    (or was left), and nothing left to click."""
    return Copy(
        case_id=view.case.id,
        seen=fingerprint(view.case),
        title=_title(view),
        status=outcome(view, event, at, chars),
        reasons=None,
        customer=_customer(view, chars),
        draft=_draft(view, chars),
        controls=(),
    )


def answered(view: CaseView, verb: str, actor: str, reason: str, now: datetime) -> Copy:
    """The copy a click on it is answered with (in a chat that answers a click with a card):
    settled by this click, or as it is now."""
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


# -- sending and settling the copies, the same in every chat with an outbox --------------------

ASK = "inbox_ask"
"""Op kind: post the request to a recipient, or update their live copy with it."""
SETTLE = "inbox_settle"
"""Op kind: rewrite a recipient's live copy as settled, and forget it."""
TARGETS = "@targets"
"""Field of the inbox hash: every recipient of the open request (JSON list)."""

OpT = TypeVar("OpT", bound=outbox.Op)
LiveT = TypeVar("LiveT")


class Copies(Generic[OpT, LiveT]):
    """Sends and settles the copies of a chat's approval requests through its outbox.

    A chat says which channels are its own, how a copy is marked up as an op (`ops`), and how
    a copy is sent, rewritten and recorded (`send`, `update`, `dumps`, `loads`): `LiveT` is
    where a live copy is, as the chat needs it to rewrite it."""

    chat: ClassVar[str]  # "slack", "teams": names the log line

    def __init__(
        self,
        redis: aioredis.Redis,
        config: Config,
        box: outbox.Outbox[OpT, Any],
        sender: outbox.Sender[OpT, Any, Any],
        people: Callable[[Iterable[str]], Awaitable[list[str]]],
    ) -> None:
        self.redis = redis
        self.config = config
        self.outbox = box
        self.people = people
        """The chat's users its targets name, groups expanded (MessagesPeople.people)."""
        sender.kinds[ASK] = self._ask
        sender.kinds[SETTLE] = self._settle

    # -- the hooks of a chat ----------------------------------------------------------------

    def own_channel(self, channel: str | None) -> str | None:
        """`channel` when it is one of this chat's (in a mixed setup it may be another's)."""
        raise NotImplementedError

    async def ops(self, kind: str, copy: Copy) -> Callable[[str], OpT]:
        """The copy marked up once: target -> the op of `kind` that sends it there."""
        raise NotImplementedError

    async def send(self, op: OpT, target: Any) -> LiveT:
        """Send the op's copy to its recipient (`op.channel`); where it went."""
        raise NotImplementedError

    async def update(self, op: OpT, target: Any, live: LiveT) -> None:
        """Rewrite the live copy with the op's."""
        raise NotImplementedError

    def dumps(self, live: LiveT) -> str:
        raise NotImplementedError

    def loads(self, raw: str) -> LiveT | None:
        raise NotImplementedError

    # -- the copies -------------------------------------------------------------------------

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        """Ask or settle after `event`; a failure is logged and never reaches the thread."""
        try:
            await self._show(view, event)
        except (RedisError, OSError):
            raise
        except Exception as exc:
            log.warning(
                "%s: approval inbox of case %s not updated: %s",
                self.chat,
                view.case.id,
                type(exc).__name__,
            )

    async def _show(self, view: CaseView, event: CaseEvent) -> None:
        what = step(view, event)
        if what is None:
            return
        key = self.outbox.keys.inbox(view.case.id)
        if what is Step.ASK:
            approval = self.config.approval
            if approval.channel and not self.own_channel(approval.channel):
                return  # the requests gather in a channel of another chat
            fresh = recipients(view, await self.people(approval.approvers), approval.channel)
            known = json.loads(maybe_text(await self.redis.hget(key, TARGETS)) or "[]")
            every = list(dict.fromkeys([*known, *fresh]))
            if not every:
                return
            pipe = self.redis.pipeline(transaction=False)
            pipe.hset(key, TARGETS, json.dumps(every))
            pipe.expire(key, COPY_TTL_S)
            await pipe.execute()
            await self._enqueue(ASK, request(view), every)
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(key, TARGETS)
        pipe.hdel(key, TARGETS)
        raw, _ = await pipe.execute()
        if raw is None:
            return  # no request open here: nothing to settle
        copy = settled(view, event, view.case.updated_at)
        await self._enqueue(SETTLE, copy, json.loads(maybe_text(raw) or "[]"))

    async def _enqueue(self, kind: str, copy: Copy, targets: list[str]) -> None:
        op = await self.ops(kind, copy)
        for target in targets:
            await self.outbox.enqueue(op(target))

    # -- the ops, as the chat's sender sends them -------------------------------------------

    async def _live(self, op: OpT) -> tuple[str, LiveT | None]:
        key = self.outbox.keys.inbox(op.case_id)
        raw = maybe_text(await self.redis.hget(key, op.channel))
        return key, self.loads(raw) if raw else None

    async def _ask(self, op: OpT, target: Any) -> None:
        key, live = await self._live(op)
        if live is not None:
            await self.update(op, target, live)
            return
        sent = await self.send(op, target)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, op.channel, self.dumps(sent))
        pipe.expire(key, COPY_TTL_S)
        await pipe.execute()

    async def _settle(self, op: OpT, target: Any) -> None:
        key, live = await self._live(op)
        if live is None:
            return  # never sent (refused, or settled already)
        await self.update(op, target, live)
        await self.redis.hdel(key, op.channel)
