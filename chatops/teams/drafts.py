"""What the draft box of a clicked card says, compared with the case as it is now.

Every click on a case card sends the draft box as the user left it, and the card's actions
carry `seen`, the fingerprint of the draft the card showed (transitions.fingerprint: text,
reply target, visibility, account). With both, a click tells apart a user who changed the
text (save it: what they see is what they publish), a card that is merely out of date (do not
save the old text over someone's newer one), and two people editing at once.
"""

from __future__ import annotations

from enum import StrEnum

from chatops.domain import Case
from chatops.workflow.transitions import fingerprint


class Box(StrEnum):
    UNCHANGED = "unchanged"  # the box holds the case's draft (or the card had no box)
    EMPTIED = "emptied"  # the user cleared the box: nothing is what they see
    EDITED = "edited"  # the user changed the draft the card showed
    STALE = "stale"  # untouched, but the draft changed since the card was shown
    CONFLICT = "conflict"  # the user changed it, and someone else did too meanwhile


def lines(text: str) -> str:
    """The draft as compared and saved: Teams may send CRLF, and edges are not content."""
    return text.replace("\r\n", "\n").strip()


def read_box(case: Case, box: str | None, seen: str | None) -> Box:
    """Compare the box (None: the card had none) with `case`; `seen` may be missing on cards
    posted before it existed, and then the box alone is the evidence."""
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
