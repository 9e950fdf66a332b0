"""The case state machine: one table of allowed moves and one pure `decide` function.

`decide` takes the case, the command, who asks and the policy, and returns the changed case or
raises `Refused` with a reason a person can act on. It reads no clock and no Redis: the
service (workflow/service.py) loads, decides and stores with compare-and-set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from chatops.classify import find_pii, pii_kinds
from chatops.domain import Case, DismissReason, NotPublished, Overdue, State
from chatops.workflow.commands import SYSTEM, Command

S = State
EDITABLE = frozenset({S.NEW, S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED})
OWNED = frozenset({S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED})
"""States in which a case can have an owner whom another person must take it over from."""

ALLOWED: Mapping[Command, frozenset[State]] = {
    Command.CLAIM: frozenset({S.NEW}),
    Command.TAKE_OVER: OWNED,
    Command.UNCLAIM: frozenset({S.CLAIMED, S.DRAFTED}),
    Command.EDIT: EDITABLE,
    Command.PUBLISH: frozenset({S.NEW, S.CLAIMED, S.DRAFTED, S.APPROVED}),
    Command.PRIVATE: frozenset({S.NEW, S.CLAIMED, S.DRAFTED, S.APPROVED}),
    Command.APPROVE: frozenset({S.AWAITING_APPROVAL}),  # straight on to publishing
    Command.REJECT: frozenset({S.AWAITING_APPROVAL}),
    Command.REROUTE: EDITABLE | {S.PUBLISH_UNKNOWN},
    Command.DISMISS: EDITABLE | {S.STORM},
    Command.REPLY_TO: EDITABLE,
    Command.TEMPLATE: EDITABLE,
    Command.SNOOZE: EDITABLE,
    Command.ESCALATE: EDITABLE,
    Command.APPROVAL_PING: frozenset({S.AWAITING_APPROVAL}),
    Command.CONFIRM_SENT: frozenset({S.PUBLISH_UNKNOWN}),
    Command.CONFIRM_NOT_SENT: frozenset({S.PUBLISH_UNKNOWN}),
    Command.PUBLISH_OK: frozenset({S.PUBLISHING}),
    Command.PUBLISH_FAILED: frozenset({S.PUBLISHING}),
    Command.PUBLISH_UNKNOWN: frozenset({S.PUBLISHING}),
    Command.REOPEN: frozenset({S.PUBLISHED, S.CLOSED, S.DISMISSED}),
    Command.CLOSE: frozenset({S.PUBLISHED}),
    Command.SPLIT: frozenset({S.STORM}),
    Command.STORM_PUBLISH: frozenset({S.STORM}),
}
"""Command -> the states it may start from. Everything else is refused."""


class Refused(Exception):
    """A command that cannot be carried out; `reason` is shown to the person who asked."""

    def __init__(self, reason: str, *, code: str = "refused", remember: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.remember = remember
        """A warning the case keeps although the command was refused (the service stores it)."""


@dataclass(frozen=True)
class Policy:
    """The parts of the config that decisions depend on."""

    approvers: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    pii_patterns: tuple[str, ...] = ()
    pii_allow: tuple[str, ...] = ()  # the brand's own contacts, allowed in public replies
    repeat_limit: int = 3


@dataclass(frozen=True)
class Args:
    """Arguments some commands carry."""

    text: str = ""  # EDIT, APPROVE (edit and approve): the new draft; REJECT/DISMISS: the
    # reason; others: audit detail
    department: str = ""  # REROUTE
    published_id: str = ""  # PUBLISH_OK
    published_url: str = ""
    repeat_count: int = 0  # PUBLISH: times this exact text went out today
    tier: int = 0  # ESCALATE / APPROVAL_PING: the step the caller saw (compare-and-set)
    fingerprint: str = ""  # PUBLISH / PRIVATE / APPROVE: the draft the person saw (`fingerprint`)
    until: datetime | None = None  # SNOOZE; PUBLISH_FAILED: when it is retried by itself
    notify: tuple[str, ...] = ()  # ESCALATE / APPROVAL_PING: who is pinged
    overdue: Overdue | None = None  # ESCALATE: what the tier found late (for the thread)
    not_published: NotPublished | None = None  # PUBLISH_FAILED, CONFIRM_NOT_SENT: why
    draft: str = ""  # REPLY_TO, TEMPLATE: the template's text for the case, as rendered
    writer: str = ""  # STORM_PUBLISH: who wrote the storm's holding statement
    now: datetime | None = None


def text_digest(text: str) -> str:
    """Identity of a reply text for the copy-paste check: case and spacing do not make it new."""
    norm = " ".join(text.lower().split())
    return hashlib.sha1(norm.encode()).hexdigest()[:16]


def fingerprint(case: Case, *, private: bool | None = None) -> str:
    """Identity of exactly what a publish sends: the text, the mention it answers, public or
    private, and the platform account it goes out from. An approval covers one fingerprint."""
    shown = case.private if private is None else private
    what = [case.draft, case.reply_to or "", shown, case.platform, case.account]
    return hashlib.sha256(json.dumps(what, ensure_ascii=False).encode()).hexdigest()[:32]


def is_covered(case: Case, *, private: bool | None = None) -> bool:
    """An approval exists and covers what would go out now (with `private` if given)."""
    fp = case.approved_fingerprint
    return bool(fp) and fp == fingerprint(case, private=private)


def target_of_publish(case: Case, *, private: bool | None = None) -> State:
    """Sensitive cases wait for comms; the rest, and what an approval covers, go straight out."""
    if not case.needs_approval or is_covered(case, private=private):
        return S.PUBLISHING
    return S.AWAITING_APPROVAL


def authors(case: Case) -> frozenset[str]:
    """Who may not approve: whoever asked for the approval and whoever last wrote the draft
    (the template's author is the system, so for it the requester is the author)."""
    return frozenset(a for a in (case.approval_requested_by, case.draft_author) if a) - {SYSTEM}


def other_approvers(case: Case, approvers: frozenset[str]) -> frozenset[str]:
    """The approvers who are not authors of the draft: the four eyes that can approve it."""
    return approvers - authors(case)


def decide(case: Case, cmd: Command, actor: str, policy: Policy, args: Args = Args()) -> Case:
    """Return the case after `cmd` by `actor`, or raise Refused. Never mutates `case`."""
    if case.state not in ALLOWED[cmd]:
        raise Refused(_not_now(case, cmd))
    handler = _HANDLERS[cmd]
    new = _clone(case)
    handler(new, actor, policy, args)
    if args.now is not None:
        new.updated_at = args.now
    return new


_LIST_FIELDS = (
    "flags",
    "sensitive_reasons",
    "pii",
    "spam_signals",
    "mention_keys",
    "answered_keys",
    "published",
    "warnings",
)


def _clone(case: Case) -> Case:
    """A copy the handlers may change: lists are copied (handlers append to them, and never
    edit an element in place); a deep copy would cost more than the whole decision."""
    return case.model_copy(update={f: list(getattr(case, f)) for f in _LIST_FIELDS})


def _not_now(case: Case, cmd: Command) -> str:
    if cmd is Command.CLAIM and case.owner:
        return f"already claimed by {case.owner}"
    if cmd is Command.TAKE_OVER and case.state is S.NEW:
        return "nobody owns this case: claim it instead"
    if case.state is S.PUBLISHING:
        return "a reply is being published right now"
    if case.state is S.PUBLISH_UNKNOWN:
        return "the last publish may have gone out: check the platform and confirm first"
    return (
        f"cannot {cmd.value.replace('_', ' ')} a case that is {case.state.value.replace('_', ' ')}"
    )


def _claim(c: Case, actor: str, _p: Policy, _a: Args) -> None:
    c.owner = actor
    c.state = S.CLAIMED


def _take_over(c: Case, actor: str, _p: Policy, _a: Args) -> None:
    if not c.owner:
        raise Refused("nobody owns this case: claim it instead")
    if c.owner == actor:
        raise Refused("you already own this case")
    c.owner = actor


def not_owner(c: Case, actor: str) -> str | None:
    """Why `actor` may not work on the case (someone else owns it), or None. Claim means
    ownership: on a claimed case only its owner acts (the system always may)."""
    if c.owner and c.owner != actor and actor != SYSTEM:
        return f"claimed by {c.owner}: take it over first"
    return None


def _require_owner(c: Case, actor: str) -> None:
    reason = not_owner(c, actor)
    if reason is not None:
        raise Refused(reason, code="not_owner")


def _require_unchanged(c: Case, a: Args) -> None:
    """The person acted on the draft they saw, not on one that changed under their click."""
    if a.fingerprint and a.fingerprint != fingerprint(c):
        raise Refused(
            "the draft changed while you looked at it: check the new text and click again",
            code="changed",
        )


def _withdraw(c: Case) -> None:
    """What was approved is no longer what would go out: the approval no longer counts."""
    c.approved_by = None
    c.approved_fingerprint = None
    if c.state is S.APPROVED:
        c.state = S.DRAFTED


def _rerequest(c: Case, a: Args) -> None:
    """A change while comms look at the draft is a new request for the new text."""
    c.approval_requested_at = a.now
    c.approval_pings = 0
    c.reject_reason = None


def _unclaim(c: Case, actor: str, _p: Policy, _a: Args) -> None:
    if c.owner != actor:
        raise Refused(f"only the owner ({c.owner}) can give it back")
    c.owner = None
    c.state = S.NEW


def _edit(c: Case, actor: str, _p: Policy, a: Args) -> None:
    _require_owner(c, actor)
    text = a.text.strip()
    if not text:
        raise Refused("the draft is empty")
    waiting = c.state is S.AWAITING_APPROVAL
    if text == c.draft and (waiting or c.state is S.APPROVED):
        raise Refused("the draft is unchanged: the approval stands", code="unchanged")
    c.draft = text
    c.draft_author = actor
    c.owner = c.owner or actor
    _withdraw(c)
    if waiting:
        _rerequest(c, a)
    else:
        c.state = S.DRAFTED


def _publish(c: Case, actor: str, p: Policy, a: Args, *, private: bool = False) -> None:
    if not (c.state is S.APPROVED and actor in p.approvers and is_covered(c, private=private)):
        _require_owner(c, actor)  # an approver may send what they approved, owner or not
    _require_unchanged(c, a)
    if not c.draft.strip():
        raise Refused("write a draft first")
    c.private = private
    _check_public(c, p)
    if c.spam_signals and SPAM_ACK not in c.warnings:
        raise Refused(
            f"this case looks like spam ({', '.join(c.spam_signals)}): "
            "publish again to answer anyway",
            code="spam_confirm",
            remember=SPAM_ACK,
        )
    digest = text_digest(c.draft)
    ack = f"repeat:{digest}"
    if a.repeat_count >= p.repeat_limit and ack not in c.warnings:
        raise Refused(
            f"this exact text already went out {a.repeat_count} times today: personalise it, "
            "or publish again to send it anyway",
            code="repeat",
            remember=ack,
        )
    c.owner = c.owner or actor
    if c.draft_author is None:
        c.draft_author = actor
    target = target_of_publish(c)
    if target is S.PUBLISHING:
        c.state_before_publish = c.state
    else:
        _withdraw(c)  # e.g. approved privately, now asked publicly: that is a new request
        c.approval_requested_by = actor
        _rerequest(c, a)
    c.state = target


SPAM_ACK = "spam_ok"
"""The warning a case keeps once someone chose to answer a spam-looking case anyway."""


def _check_public(c: Case, p: Policy) -> None:
    if c.private:
        return
    found = pii_kinds(find_pii(c.draft, p.pii_patterns, p.pii_allow))
    if found:
        raise Refused(
            f"the reply contains personal data ({', '.join(found)}): "
            "reply privately instead, or remove it",
            code="pii",
        )


def _private(c: Case, actor: str, p: Policy, a: Args) -> None:
    _publish(c, actor, p, a, private=True)


def _approve(c: Case, actor: str, p: Policy, a: Args) -> None:
    """Approve and publish in one step: the approval covers this version's fingerprint, and the
    case moves straight into `publishing` with it, so nothing can change in between.

    With `a.text`, edit and approve (the approval inbox): the approver's text replaces the
    draft they saw (`a.fingerprint`) and is approved at once. Four eyes are checked against
    the draft as it was asked for, before the edit: the approver must be neither who asked
    nor who wrote it (else every edit-and-approve would be refused, the approver being its
    new author), and they are recorded as the new text's author."""
    _require_approver(actor, p)
    if actor in authors(c):
        why = (
            "you asked for this approval"
            if actor == c.approval_requested_by
            else "you wrote this draft"
        )
        if not other_approvers(c, p.approvers):
            raise Refused(
                f"{why}, and no other approver is set up (approval.approvers): "
                "ask an admin to add one",
                code="four_eyes",
            )
        raise Refused(f"{why}: someone else must approve it", code="four_eyes")
    _require_unchanged(c, a)
    text = a.text.strip()
    if text and text != c.draft:
        c.draft = text
        c.draft_author = actor
    if not c.draft.strip():
        raise Refused("there is no draft to approve")
    _check_public(c, p)
    c.approved_by = actor
    c.approved_fingerprint = fingerprint(c)
    c.reject_reason = None
    c.state_before_publish = S.APPROVED
    c.state = S.PUBLISHING


def _reject(c: Case, actor: str, p: Policy, a: Args) -> None:
    _require_approver(actor, p)
    if not a.text.strip():
        raise Refused("say why, so the owner can fix it")
    c.reject_reason = a.text.strip()
    c.state = S.DRAFTED


def _require_approver(actor: str, p: Policy) -> None:
    if actor not in p.approvers:
        raise Refused("only approvers can do this", code="not_approver")


def _reroute(c: Case, _actor: str, p: Policy, a: Args) -> None:
    if a.department not in p.departments:
        known = ", ".join(sorted(p.departments))
        raise Refused(f"unknown department '{a.department}' (known: {known})")
    if a.department == c.department:
        raise Refused(f"the case is already with {a.department}")
    c.department = a.department


def _dismiss(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    try:
        reason = DismissReason(a.text.strip())
    except ValueError:
        allowed = ", ".join(r.value for r in DismissReason)
        raise Refused(f"dismiss needs a reason: {allowed}") from None
    c.dismiss_reason = reason.value
    c.state = S.DISMISSED


def _reply_to(c: Case, actor: str, _p: Policy, a: Args) -> None:
    """Answer another comment; a template draft greets its author (`a.draft`), a draft a
    person wrote is theirs and stays as it is."""
    _require_owner(c, actor)
    if a.text not in c.mention_keys:
        raise Refused("that mention is not part of this case")
    if a.text == c.reply_to:
        return
    c.reply_to = a.text
    if c.draft_author == SYSTEM and a.draft.strip():
        c.draft = a.draft.strip()
    _withdraw(c)
    if c.state is S.AWAITING_APPROVAL:
        _rerequest(c, a)


def _template(c: Case, actor: str, _p: Policy, a: Args) -> None:
    """The draft becomes the template `a.text` rendered for the case (`a.draft`): a template
    draft again, which follows the reply target. While comms look at the draft, choosing it
    is a new request by the chooser, who therefore may not approve it (four eyes)."""
    _require_owner(c, actor)
    text = a.draft.strip()
    if not text:
        raise Refused("that template is empty")
    if text == c.draft and c.draft_author == SYSTEM:
        raise Refused("the draft already is this template", code="unchanged")
    waiting = c.state is S.AWAITING_APPROVAL
    c.draft = text
    c.intent = a.text
    c.draft_author = SYSTEM
    _withdraw(c)
    if waiting:
        c.approval_requested_by = actor
        _rerequest(c, a)


def _snooze(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    if a.until is None or (a.now is not None and a.until <= a.now):
        raise Refused("snooze needs a time in the future")
    c.snoozed_until = a.until


def _escalate(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    if a.tier < c.escalation_tier:
        raise Refused("this escalation step was already taken", code="stale")
    c.escalation_tier = a.tier + 1


def _approval_ping(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    if a.tier != c.approval_pings:
        raise Refused("the approvers were already reminded", code="stale")
    c.approval_pings = a.tier + 1


def _confirm_sent(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    _mark_published(c, "", "", a.now)


def _back_to_before(c: Case, _actor: str, _p: Policy, _a: Args) -> None:
    """Nothing went out: back to where the publish started. An approval still stands only
    while it covers the draft (it always does: nobody edits a case in `publishing`)."""
    back = c.state_before_publish or S.DRAFTED
    if back is S.APPROVED and not is_covered(c):
        _withdraw(c)
        back = S.DRAFTED
    c.state = back


def _publish_ok(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    _mark_published(c, a.published_id, a.published_url, a.now)


def _mark_published(c: Case, pid: str, url: str, now: datetime | None) -> None:
    at = now or c.updated_at
    c.state = S.PUBLISHED
    if c.reply_to and c.reply_to not in c.answered_keys:
        c.answered_keys.append(c.reply_to)
    c.published.append(
        {
            "id": pid,
            "url": url,
            "mention": c.reply_to or "",
            "at": at.isoformat(),
            "private": "1" if c.private else "",
        }
    )
    if c.first_response_at is None:
        c.first_response_at = at
    c.warnings = [w for w in c.warnings if not w.startswith("repeat:")]


def _publish_unknown(c: Case, _actor: str, _p: Policy, _a: Args) -> None:
    c.state = S.PUBLISH_UNKNOWN


def _reopen(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    if a.now is not None:
        c.opened_at = a.now
    c.escalation_tier = 0
    c.snoozed_until = None
    c.state = S.CLAIMED if c.owner else S.NEW
    c.dismiss_reason = None
    c.approved_by = None
    c.approved_fingerprint = None
    c.approval_requested_by = None
    c.private = False


def _close(c: Case, _actor: str, _p: Policy, _a: Args) -> None:
    c.state = S.CLOSED


def _split(c: Case, _actor: str, _p: Policy, _a: Args) -> None:
    """A storm member that needs its own handling (it became sensitive): an ordinary new
    case from now on, still linked to its storm (`storm` stays)."""
    c.state = S.NEW


def _storm_publish(c: Case, actor: str, p: Policy, a: Args) -> None:
    """Publish-to-all sends one storm member its wording of the holding statement (`text`):
    an approver's click covers it (storms are sensitive comms by definition), never the
    statement's writer's (four eyes), and only while the member is still unanswered in the
    storm (`storm` state), so no member is answered twice."""
    _require_approver(actor, p)
    if a.writer and a.writer == actor:
        raise Refused("someone other than the statement's writer must publish it", code="four_eyes")
    if not a.text.strip():
        raise Refused("write a holding statement first")
    c.draft = a.text
    c.draft_author = a.writer or actor
    c.private = False
    _check_public(c, p)
    c.approval_requested_by = a.writer or None
    c.approved_by = actor
    c.approved_fingerprint = fingerprint(c)
    c.state_before_publish = c.state
    c.state = S.PUBLISHING


Handler = Callable[[Case, str, Policy, Args], None]
"""Changes the (copied) case in place, or raises Refused."""

_HANDLERS: Mapping[Command, Handler] = {
    Command.CLAIM: _claim,
    Command.TAKE_OVER: _take_over,
    Command.UNCLAIM: _unclaim,
    Command.EDIT: _edit,
    Command.PUBLISH: _publish,
    Command.PRIVATE: _private,
    Command.APPROVE: _approve,
    Command.REJECT: _reject,
    Command.REROUTE: _reroute,
    Command.DISMISS: _dismiss,
    Command.REPLY_TO: _reply_to,
    Command.TEMPLATE: _template,
    Command.SNOOZE: _snooze,
    Command.ESCALATE: _escalate,
    Command.APPROVAL_PING: _approval_ping,
    Command.CONFIRM_SENT: _confirm_sent,
    Command.CONFIRM_NOT_SENT: _back_to_before,
    Command.PUBLISH_OK: _publish_ok,
    Command.PUBLISH_FAILED: _back_to_before,
    Command.PUBLISH_UNKNOWN: _publish_unknown,
    Command.REOPEN: _reopen,
    Command.CLOSE: _close,
    Command.SPLIT: _split,
    Command.STORM_PUBLISH: _storm_publish,
}

assert set(_HANDLERS) == set(Command) == set(ALLOWED), "every command needs a rule"

__all__ = [
    "ALLOWED",
    "SYSTEM",
    "Args",
    "Policy",
    "Refused",
    "authors",
    "decide",
    "fingerprint",
    "is_covered",
    "not_owner",
    "other_approvers",
    "text_digest",
]
