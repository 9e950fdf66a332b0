"""What a click on one of our cards sends the bot, and how it is read back.

Every button is an `Action.Execute` whose `verb` is the DESIGN §4.6 id (`case.claim`, …) and
whose `data` carries `case_id` (on a storm's summary, the storm's id `<department>:<group>`);
its argument (the draft, a reason, a department, a snooze choice, a mention key, a storm's
statement) is an input of the card or the button's static data, under the key `ARGUMENT_OF`
names. A dialog (`task/fetch`, `task/submit`) sends `data.dialog` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chatops.chat.actions import Action, StormAction

REFRESH_VERB = "case.refresh"
"""Not a §4.6 id: the bot answers it with the current case card (refresh and "Back to the case")."""


class Input(StrEnum):
    """Ids of the card's inputs, i.e. the keys the bot finds next to `case_id` in `data`."""

    DRAFT = "draft"  # case.edit, case.edit_approve (and sent with every case-card click): the box
    REASON = "reason"  # case.reject: Input.Text, required; case.dismiss: static data
    DEPARTMENT = "department"  # case.reroute: department id
    SNOOZE = "snooze"  # case.snooze: a key of chatops.chat.snooze.CHOICES (static data)
    MENTION = "mention"  # case.reply_to: a mention key
    TEMPLATE = "template"  # case.template: an intent with a reply template (static data)
    STATEMENT = "statement"  # storm.statement: a storm's holding statement (its summary's box)
    ANSWER = "answer"  # case.use_answer: the answered case whose answer to use (static data)


CASE_ID = "case_id"
SEEN = "seen"
"""`data.seen` on a case card's actions: the fingerprint of the draft the card shows
(transitions.fingerprint), so a click acts only on the draft the user saw (chat/drafts.py)."""
SOURCE = "source"
"""`data.source`: which card was clicked, "case", "digest", "ping" or "inbox" (a copy of an
approval request), because an invoke response card replaces the card that was clicked and a
digest must not turn into a case card."""
DIALOG = "dialog"
"""`data.dialog`: the verb whose choice set a dialog holds (one of `DIALOG_VERBS`)."""
OFFSET = "offset"
"""`data.offset`: the index of the first choice on the dialog's page."""
NEXT = "next"
"""`data.next`: set on the dialog's paging buttons, which show another page and change nothing."""

ARGUMENT_OF: Mapping[str, Input] = {
    Action.EDIT.value: Input.DRAFT,
    Action.EDIT_APPROVE.value: Input.DRAFT,  # the approval inbox card's draft box
    Action.REJECT.value: Input.REASON,
    Action.DISMISS.value: Input.REASON,
    Action.REROUTE.value: Input.DEPARTMENT,
    Action.SNOOZE.value: Input.SNOOZE,
    Action.REPLY_TO.value: Input.MENTION,
    Action.TEMPLATE.value: Input.TEMPLATE,
    StormAction.STATEMENT.value: Input.STATEMENT,
    Action.USE_ANSWER.value: Input.ANSWER,
}
"""Verb -> the data key holding its argument."""

DIALOG_VERBS = frozenset({Action.REROUTE.value, Action.REPLY_TO.value})
"""The verbs whose choice set a case card may move into a dialog (`cards.dialog_card`)."""


@dataclass(frozen=True)
class Click:
    """What an `Action.Execute` from our cards asks: the verb, the case, the verb's argument."""

    verb: str
    case_id: str
    value: str = ""  # draft, reject/dismiss reason, department, snooze choice or mention key
    source: str = "case"
    draft: str | None = None  # the draft box as the user left it (sent with every case click)
    seen: str | None = None  # fingerprint of the draft the clicked card showed


def read_click(verb: str, data: Mapping[str, Any] | None) -> Click:
    """Parse an invoke's `action.verb` and `action.data`; ValueError when no case id came."""
    data = data or {}
    case_id = str(data.get(CASE_ID) or "").strip()
    if not case_id:
        raise ValueError("the card sent no case id")
    key = ARGUMENT_OF.get(verb)
    draft = data.get(Input.DRAFT.value)
    return Click(
        verb=verb,
        case_id=case_id,
        value="" if key is None else str(data.get(key.value) or ""),
        source=str(data.get(SOURCE) or "case"),
        draft=None if draft is None else str(draft),
        seen=str(data.get(SEEN) or "") or None,
    )


@dataclass(frozen=True)
class DialogClick:
    """What a dialog's `task/fetch` or `task/submit` asks."""

    verb: str
    case_id: str
    value: str = ""  # the department or mention key chosen
    offset: int = 0
    page: bool = False  # a paging button: show the page at `offset`, change nothing


def read_dialog(data: Mapping[str, Any] | None) -> DialogClick:
    """Parse a `task/fetch` or `task/submit` invoke's `data`; ValueError when it names no case
    or no verb with a dialog."""
    data = data or {}
    case_id = str(data.get(CASE_ID) or "").strip()
    verb = str(data.get(DIALOG) or "")
    if not case_id:
        raise ValueError("the dialog sent no case id")
    if verb not in DIALOG_VERBS:
        raise ValueError("the dialog names no choice chatops knows")
    try:
        offset = max(0, int(data.get(OFFSET) or 0))
    except (TypeError, ValueError):
        offset = 0
    return DialogClick(
        verb=verb,
        case_id=case_id,
        value=str(data.get(ARGUMENT_OF[verb].value) or ""),
        offset=offset,
        page=bool(data.get(NEXT)),
    )
