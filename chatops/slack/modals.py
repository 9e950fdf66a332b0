"""The modals staff type into (edit a draft, say why a draft goes back) and reading them back.

Ids come from `chatops.slack.ids` (DESIGN §4.6); the case id travels in `private_metadata`, so
a submission needs no server-side session to know which case it belongs to.
"""

from __future__ import annotations

from typing import Any

from chatops.chat.rich import clip
from chatops.chat.wording import APPROVE_LABEL
from chatops.slack.blocks import plain
from chatops.slack.ids import (
    DRAFT_BLOCK,
    DRAFT_ELEMENT,
    REASON_BLOCK,
    REASON_ELEMENT,
    STATEMENT_BLOCK,
    STATEMENT_ELEMENT,
    View,
)
from chatops.slack.limits import LIMITS

DRAFT_MAX = LIMITS.text_input_length
"""Longest draft the modal accepts: Slack's cap for a text input, and it fits a section block."""
REASON_MAX = 1000
TITLE_LIMIT = LIMITS.view_title
BUTTON_LIMIT = LIMITS.view_button


APPROVE_MARK = "approve"
"""`private_metadata` `<case id>:approve:<fingerprint>`: saving the draft modal also approves
the text (the approval inbox's Edit and approve), for the draft with that fingerprint."""


def edit_approve_metadata(case_id: str, seen: str) -> str:
    return f"{case_id}:{APPROVE_MARK}:{seen}"


def read_metadata(metadata: str) -> tuple[str, str | None]:
    """(case id, the fingerprint an Edit and approve was opened on, else None)."""
    case_id, _, rest = metadata.partition(":")
    mark, _, seen = rest.partition(":")
    return case_id.lstrip("#"), seen if mark == APPROVE_MARK and seen else None


def draft_modal(
    case_id: str, draft: str, *, title_case: str, approve_seen: str | None = None
) -> dict[str, Any]:
    """Modal `case.draft`, prefilled with the current draft; `title_case` is e.g. "#1042".
    With `approve_seen` it is Edit and approve: saving approves and publishes the text."""
    element = _text_box(DRAFT_ELEMENT, draft, "Write the reply as the brand…")
    approving = approve_seen is not None
    return _modal(
        View.DRAFT,
        edit_approve_metadata(case_id, approve_seen) if approve_seen is not None else case_id,
        title=f"Edit and approve {title_case}" if approving else f"Edit draft {title_case}",
        submit=APPROVE_LABEL if approving else "Save draft",
        block=_input(
            DRAFT_BLOCK,
            "Reply to the customer",
            element,
            hint="Published at once, as you approve it."
            if approving
            else "The customer sees exactly this once it is published.",
        ),
    )


def reject_modal(case_id: str) -> dict[str, Any]:
    """Modal `case.reject`: the approver says why, and the owner reads it in the thread."""
    element = {
        "type": "plain_text_input",
        "action_id": REASON_ELEMENT,
        "multiline": True,
        "max_length": REASON_MAX,
        "focus_on_load": True,
    }
    return _modal(
        View.REJECT,
        case_id,
        title="Send back",
        submit="Send back",
        block=_input(
            REASON_BLOCK,
            "What should change?",
            element,
            hint="The owner of the case sees this in the thread.",
        ),
    )


def statement_modal(storm_id: str, statement: str) -> dict[str, Any]:
    """Modal `storm.statement`: a storm's holding statement, prefilled with the current one;
    saving it is what `>>` in the storm's thread does."""
    element = _text_box(STATEMENT_ELEMENT, statement, "What the brand says to everyone…")
    return _modal(
        View.STATEMENT,
        storm_id,
        title="Holding statement",
        submit="Save statement",
        block=_input(
            STATEMENT_BLOCK,
            "Holding statement",
            element,
            hint="Every member gets a personal version of it once an approver publishes it.",
        ),
    )


def read_modal_input(view_payload: dict[str, Any], block: str, element: str) -> str:
    """`view.state.values[block][element]` of a submission as text; "" for anything missing.

    Accepts the whole `view_submission` body or just its `view`; a select's chosen option
    counts as its value.
    """
    view = view_payload.get("view", view_payload)
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    blocks = values.get(block) if isinstance(values, dict) else None
    field = blocks.get(element) if isinstance(blocks, dict) else None
    if not isinstance(field, dict):
        return ""
    value = field.get("value")
    selected = field.get("selected_option")
    if value is None and isinstance(selected, dict):
        value = selected.get("value")
    return value if isinstance(value, str) else ""


def _modal(
    callback: View, case_id: str, *, title: str, submit: str, block: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback.value,
        "private_metadata": case_id[: LIMITS.private_metadata],
        "title": plain(title, TITLE_LIMIT),
        "submit": plain(submit, BUTTON_LIMIT),
        "close": plain("Cancel", BUTTON_LIMIT),
        "blocks": [block],
    }


def _text_box(action_id: str, text: str, placeholder: str) -> dict[str, Any]:
    """A multiline box a reply's length long, prefilled with `text`."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": True,
        "max_length": DRAFT_MAX,
        "focus_on_load": True,
        "placeholder": plain(placeholder, LIMITS.placeholder),
    }
    if text:
        # Slack rejects the whole view when the initial value is longer than max_length.
        element["initial_value"] = clip(text, DRAFT_MAX)
    return element


def _input(block_id: str, label: str, element: dict[str, Any], *, hint: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LIMITS.input_label),
        "element": element,
        "hint": plain(hint, LIMITS.input_hint),
    }
