"""A draft edited in place: what the box of a clicked message says, and what a click does.

A chat that edits the draft inside the case's message (Teams' card box) sends the box as the
user left it with every click, and the fingerprint of the draft the message showed
(`seen`, transitions.fingerprint: text, reply target, visibility, account). With both, a click
tells apart a user who changed the text (save it: what they see is what they publish or
approve), a message that is merely out of date (never save its old text over someone's newer
one), and two people editing at once. `save`, `publish` and `approve` are those clicks;
publishing is only decided (`deliver=False`): the chat hands a case left in `publishing` to
`Workflow.deliver` after it has answered the click.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chatops.chat.actions import Action
from chatops.chat.commands import case_of, run_action
from chatops.chat.rich import clip, one_line
from chatops.domain import Case, State
from chatops.workflow.transitions import Refused, fingerprint

if TYPE_CHECKING:
    from chatops.workflow.service import Workflow


class Box(StrEnum):
    UNCHANGED = "unchanged"  # the box holds the case's draft (or the message had no box)
    EMPTIED = "emptied"  # the user cleared the box: nothing is what they see
    EDITED = "edited"  # the user changed the draft the message showed
    STALE = "stale"  # untouched, but the draft changed since the message was shown
    CONFLICT = "conflict"  # the user changed it, and someone else did too meanwhile


def lines(text: str) -> str:
    """The draft as compared and saved: a chat may send CRLF, and edges are not content."""
    return text.replace("\r\n", "\n").strip()


def read_box(case: Case, box: str | None, seen: str | None) -> Box:
    """Compare the box (None: the message had none) with `case`; `seen` may be missing on
    messages posted before it existed, and then the box alone is the evidence."""
    if box is None:
        return Box.UNCHANGED
    text = lines(box)
    if text == lines(case.draft):
        return Box.UNCHANGED
    if not text:
        return Box.EMPTIED
    if not seen or fingerprint(case) == seen:
        return Box.EDITED
    if fingerprint(case.model_copy(update={"draft": text})) == seen:
        return Box.STALE
    return Box.CONFLICT


@dataclass(frozen=True)
class Told:
    """A click's word to the clicking user alone: it did something other than its label
    says, and why."""

    text: str
    case: Case | None = None
    """The case as the click left it (a publish it started is delivered after the answer)."""


ASKING = (State.AWAITING_APPROVAL, State.APPROVED)
"""States in which an approval was asked for or given: a change of the draft withdraws it."""


async def save(wf: Workflow, case_id: str, actor: str, box: str, seen: str | None) -> Case | Told:
    """Save draft: the box becomes the draft, unless it would overwrite a newer one."""
    before, _ = await _shown(wf, case_id, box, seen, "")
    after = await run_action(wf, Action.EDIT, before.id, actor, lines(box))
    return Told(_changed(before, after)) if before.state in ASKING else after


async def publish(
    wf: Workflow, case_id: str, actor: str, box: str | None, seen: str | None, *, private: bool
) -> Case | Told:
    """Publish what the box shows: a changed draft is saved first (and an approval of the old
    text does not cover it); a cleared or out-of-date box publishes nothing."""
    before, shown = await _shown(wf, case_id, box, seen, "published")
    if shown is Box.UNCHANGED:
        return await wf.publish(before.id, actor, private=private, seen=seen, deliver=False)
    edited = await wf.edit(before.id, actor, lines(box or ""))
    try:
        after = await wf.publish(
            edited.id, actor, private=private, seen=fingerprint(edited), deliver=False
        )
    except Refused as refusal:
        raise Refused(
            f"Your text is saved as the draft, but not published: {refusal.reason}"
        ) from None
    return Told(_changed(before, after), after) if before.state in ASKING else after


async def approve(
    wf: Workflow, case_id: str, actor: str, box: str | None, seen: str | None
) -> Case | Told:
    """Approve exactly what the box shows. An approver who changed the text approves nothing:
    their text becomes the draft, they are its author, so another approver must approve it,
    and it awaits approval again."""
    before, shown = await _shown(wf, case_id, box, seen, "approved")
    if shown is Box.UNCHANGED:
        return await wf.approve(before.id, actor, seen=seen, deliver=False)
    after = await wf.edit(before.id, actor, lines(box or ""))
    if after.state is not State.AWAITING_APPROVAL and after.needs_approval:
        try:
            after = await wf.publish(
                after.id, actor, private=after.private, seen=fingerprint(after), deliver=False
            )
        except Refused as refusal:
            raise Refused(
                "Not approved: you changed the draft, so your text is saved as a new draft, "
                f"but asking for its approval was refused: {refusal.reason}"
            ) from None
    return Told(
        "Not approved: you changed the draft, so your text is saved as a new draft. "
        + (
            "It awaits approval again, and as its author you may not approve it: another "
            "approver must."
            if after.state is State.AWAITING_APPROVAL
            else "It needs no approval: publish it when it is ready."
        ),
        after,
    )


async def _shown(
    wf: Workflow, case_id: str, box: str | None, seen: str | None, done: str
) -> tuple[Case, Box]:
    """The case and what its box shows, refused when acting on it would lose someone's text:
    a message's old text over a newer draft, one edit over another unseen, or (when the
    click would have `done` something with it) an emptied box."""
    case = await case_of(wf, case_id)
    shown = read_box(case, box, seen)
    if shown is Box.STALE:
        raise Refused("The draft changed since this card was shown: check the new text first.")
    if shown is Box.CONFLICT:
        raise Refused(
            "Someone changed the draft while you edited it; your text is kept in the box. "
            f"Theirs: «{clip(one_line(case.draft), 300)}». Save again to replace it."
        )
    if shown is Box.EMPTIED and done:
        raise Refused(f"The draft box is empty: nothing is {done}.")
    return case, shown


STARTS_PUBLISHING = frozenset({Action.PUBLISH, Action.PRIVATE, Action.APPROVE, Action.EDIT_APPROVE})
"""Actions decided with `deliver=False`: a case they return in `publishing` was moved there by
this click's own compare-and-set, and only this click may hand it to the platform."""


def started(action: str, result: Case | Told) -> Case | None:
    """The case a click moved into `publishing`, whose platform call follows the answer."""
    case = result.case if isinstance(result, Told) else result
    if action in STARTS_PUBLISHING and case is not None and case.state is State.PUBLISHING:
        return case
    return None


def _changed(before: Case, after: Case) -> str:
    """What the clicking user's change did to an approval asked for or given."""
    if after.state is State.AWAITING_APPROVAL:
        if before.state is State.APPROVED:
            return (
                "You changed the approved draft: the approval does not cover the new text, "
                "which awaits approval."
            )
        return (
            "You changed the draft: the approval request now shows your new text, and as "
            "its author you may not approve it."
        )
    if after.state is State.PUBLISHING:
        return "You changed the draft; the new text needs no approval and is being published."
    if after.state is State.PUBLISHED:
        return "You changed the draft; the new text needs no approval and is published."
    return (
        "You changed the draft, so the approval is withdrawn: request approval of the new "
        "text when it is ready."
    )
