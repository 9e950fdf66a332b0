"""Slack-only interaction ids (DESIGN §4.6, a public contract) and our own additions.

The case actions every chat front end shares are `chatops.chat.actions.Action`, re-exported
here for code that still names them through Slack.
"""

from __future__ import annotations

from enum import StrEnum

from chatops.chat.actions import Action, StormAction

__all__ = [
    "DRAFT_BLOCK",
    "DRAFT_ELEMENT",
    "METADATA_EVENT",
    "REASON_BLOCK",
    "REASON_ELEMENT",
    "REPLY_METADATA_EVENT",
    "STATEMENT_BLOCK",
    "STATEMENT_ELEMENT",
    "Action",
    "View",
]


class View(StrEnum):
    """`callback_id`s of our modals."""

    DRAFT = "case.draft"  # input block "draft", element "text"; private_metadata = case id
    REJECT = "case.reject"  # input block "reason", element "text"; private_metadata = case id
    STATEMENT = StormAction.STATEMENT.value  # input block "statement", element "text";
    # private_metadata = storm id: a storm's holding statement (its summary's Edit statement)


DRAFT_BLOCK = "draft"
DRAFT_ELEMENT = "text"
REASON_BLOCK = "reason"
REASON_ELEMENT = "text"
STATEMENT_BLOCK = "statement"
STATEMENT_ELEMENT = "text"

METADATA_EVENT = "chatops_case"
"""Slack message metadata `event_type` of a case message; payload `{"case_id": …}`."""
REPLY_METADATA_EVENT = "chatops_case_event"
"""Metadata of thread replies we post; payload `{"case_id": …, "event_id": …}`."""
