"""The approval inbox: each approval request sent to the approvers directly, decided once.

Comms should not have to sit in every department's channel. When a case starts waiting for
approval, every approver who did not write or ask for the draft (four eyes) gets a copy of
the request in a direct message (a Slack DM, a Teams personal chat): the customer's text,
the draft, why the case needs approval, and Approve / Edit and approve / Send back. With
`approval.channel` set, one copy goes to that comms channel instead. A change of the draft
while it waits updates every copy in place; when someone acts (or the case leaves
`awaiting_approval` another way), every copy says so ("Approved by Cia at 10:42") and loses
its buttons, so that nobody acts on a request that is settled.

This module is pure: what a copy says (`request`, `settled`), when copies are sent or
settled (`step`) and to whom (`recipients`). Each chat marks a `Copy` up and sends it through
its outbox (chatops/slack/inbox.py, chatops/teams/inbox.py), recording where each copy went
so that any process can update them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chatops.chat.actions import Action
from chatops.chat.backend import CaseEvent, CaseView, DraftChange, EventKind
from chatops.chat.present import Button, Confirm, Quoted, Tone
from chatops.chat.rich import Emoji, Line, Person, Place, Strong, Text, When, clip, joined
from chatops.chat.wording import KIND_WORDS, author, platform_name, reason_words
from chatops.domain import Case, State
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.transitions import Policy, Refused, authors, decide, fingerprint

COPY_TTL_S = 30 * 24 * 3600
"""How long a case's record of its copies is kept after its last change (Redis TTL)."""

ASKS = frozenset({EventKind.APPROVAL_REQUESTED, EventKind.REROUTED})
"""Events after which a case still waiting for approval sends its copies, or updates them
(a request, a new draft, another department)."""
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


def _where(view: CaseView) -> Line:
    """Where the customer wrote: platform and kind, the brand's account, the language."""
    c = view.case
    kind = KIND_WORDS[view.mentions[0].kind] if view.mentions else ""
    parts: list[Line] = [(Strong(platform_name(c.platform)), Text(f" {kind}" if kind else ""))]
    if c.account:
        parts.append((Text(c.account),))
    parts.append((Emoji("speech_balloon"), Text(f" {c.language or 'language unknown'}")))
    return joined(parts)


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
        "Approve & publish",
        draft,
    )
    return (
        Button(Action.APPROVE, "Approve & publish", case_id, Tone.PRIMARY, confirm),
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
                _where(view),
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
