"""The case state machine: one table of allowed moves and one pure `decide` function.

`decide` takes the case, the command, who asks and the policy, and returns the changed case or
raises `Refused` with a reason a person can act on. It reads no clock and no Redis: the
service (workflow/service.py) loads, decides and stores with compare-and-set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chatops.classify import find_pii, pii_kinds
from chatops.domain import Case, DismissReason, State
from chatops.workflow.commands import SYSTEM, Command

S = State
EDITABLE = frozenset({S.NEW, S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED})

ALLOWED: Mapping[Command, frozenset[State]] = {
    Command.CLAIM: frozenset({S.NEW}),
    Command.UNCLAIM: frozenset({S.CLAIMED, S.DRAFTED}),
    Command.EDIT: EDITABLE,
    Command.PUBLISH: frozenset({S.NEW, S.CLAIMED, S.DRAFTED, S.APPROVED}),
    Command.PRIVATE: frozenset({S.NEW, S.CLAIMED, S.DRAFTED, S.APPROVED}),
    Command.APPROVE: frozenset({S.AWAITING_APPROVAL}),
    Command.REJECT: frozenset({S.AWAITING_APPROVAL}),
    Command.REROUTE: EDITABLE | {S.PUBLISH_UNKNOWN},
    Command.DISMISS: EDITABLE,
    Command.REPLY_TO: EDITABLE,
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
    repeat_limit: int = 3


@dataclass(frozen=True)
class Args:
    """Arguments some commands carry."""

    text: str = ""  # EDIT: the new draft; REJECT/DISMISS: the reason
    department: str = ""  # REROUTE
    published_id: str = ""  # PUBLISH_OK
    published_url: str = ""
    repeat_count: int = 0  # PUBLISH: times this exact text went out today
    tier: int = 0  # ESCALATE / APPROVAL_PING: the step the caller saw (compare-and-set)
    until: datetime | None = None  # SNOOZE
    notify: tuple[str, ...] = ()  # ESCALATE / APPROVAL_PING: who is pinged
    now: datetime | None = None


def text_digest(text: str) -> str:
    """Identity of a reply text for the copy-paste check: case and spacing do not make it new."""
    norm = " ".join(text.lower().split())
    return hashlib.sha1(norm.encode()).hexdigest()[:16]


def target_of_publish(case: Case) -> State:
    """Sensitive cases wait for comms; approved ones and the rest go straight out."""
    if case.state is S.APPROVED or not case.needs_approval:
        return S.PUBLISHING
    return S.AWAITING_APPROVAL


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
    if case.state is S.PUBLISHING:
        return "a reply is being published right now"
    if case.state is S.PUBLISH_UNKNOWN:
        return "the last publish may have gone out: check the platform and confirm first"
    return f"cannot {cmd.value} a case that is {case.state.value.replace('_', ' ')}"


def _claim(c: Case, actor: str, _p: Policy, _a: Args) -> None:
    c.owner = actor
    c.state = S.CLAIMED


def _unclaim(c: Case, actor: str, _p: Policy, _a: Args) -> None:
    if c.owner != actor:
        raise Refused(f"only the owner ({c.owner}) can give it back")
    c.owner = None
    c.state = S.NEW


def _edit(c: Case, actor: str, _p: Policy, a: Args) -> None:
    text = a.text.strip()
    if not text:
        raise Refused("the draft is empty")
    c.draft = text
    c.draft_author = actor
    c.owner = c.owner or actor
    c.approved_by = None
    c.state = S.DRAFTED


def _publish(c: Case, actor: str, p: Policy, a: Args, *, private: bool = False) -> None:
    if not c.draft.strip():
        raise Refused("write a draft first")
    c.private = private
    if not private:
        found = pii_kinds(find_pii(c.draft, p.pii_patterns))
        if found:
            raise Refused(
                f"the reply contains personal data ({', '.join(found)}): "
                "reply privately instead, or remove it",
                code="pii",
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
        c.approval_requested_at = a.now
        c.approval_pings = 0
    c.state = target


def _private(c: Case, actor: str, p: Policy, a: Args) -> None:
    _publish(c, actor, p, a, private=True)


def _approve(c: Case, actor: str, p: Policy, _a: Args) -> None:
    _require_approver(actor, p)
    if actor == c.draft_author:
        raise Refused("you wrote this draft: someone else must approve it", code="four_eyes")
    c.approved_by = actor
    c.reject_reason = None
    c.state = S.APPROVED


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


def _reply_to(c: Case, _actor: str, _p: Policy, a: Args) -> None:
    if a.text not in c.mention_keys:
        raise Refused("that mention is not part of this case")
    c.reply_to = a.text


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
    c.state = c.state_before_publish or (S.APPROVED if c.approved_by else S.DRAFTED)


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
    c.private = False


def _close(c: Case, _actor: str, _p: Policy, _a: Args) -> None:
    c.state = S.CLOSED


_HANDLERS = {
    Command.CLAIM: _claim,
    Command.UNCLAIM: _unclaim,
    Command.EDIT: _edit,
    Command.PUBLISH: _publish,
    Command.PRIVATE: _private,
    Command.APPROVE: _approve,
    Command.REJECT: _reject,
    Command.REROUTE: _reroute,
    Command.DISMISS: _dismiss,
    Command.REPLY_TO: _reply_to,
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
}

assert set(_HANDLERS) == set(Command) == set(ALLOWED), "every command needs a rule"

__all__ = ["ALLOWED", "SYSTEM", "Args", "Policy", "Refused", "decide", "text_digest"]
