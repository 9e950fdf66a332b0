"""Slack interaction ids (DESIGN §4.6, a public contract) and our own additions."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """`action_id`s of the case message's buttons and selects; a button's value is the case id."""

    CLAIM = "case.claim"
    UNCLAIM = "case.unclaim"
    TAKE_OVER = "case.take_over"  # become the owner of a case someone else claimed (confirmed)
    EDIT = "case.edit"  # opens the modal View.DRAFT
    PUBLISH = "case.publish"  # on a sensitive case: requests approval instead
    APPROVE = "case.approve"
    REJECT = "case.reject"  # opens the modal View.REJECT for the reason
    REROUTE = "case.reroute"  # static_select; option value "<case id>:<department id>"
    DISMISS = "case.dismiss"  # overflow; option value "<case id>:<spam|no_reply_needed|duplicate>"
    PRIVATE = "case.private"
    SNOOZE = "case.snooze"  # overflow on pings and digests; value "<case id>:<30m|1h|2h|tomorrow>"
    REPLY_TO = "case.reply_to"  # static_select; option value "<case id>:<mention key>"
    CONFIRM_SENT = "case.confirm_sent"  # after publish_unknown: the reply is on the platform
    CONFIRM_NOT_SENT = "case.confirm_not_sent"  # ... it is not


class View(StrEnum):
    """`callback_id`s of our modals."""

    DRAFT = "case.draft"  # input block "draft", element "text"; private_metadata = case id
    REJECT = "case.reject"  # input block "reason", element "text"; private_metadata = case id


DRAFT_BLOCK = "draft"
DRAFT_ELEMENT = "text"
REASON_BLOCK = "reason"
REASON_ELEMENT = "text"

METADATA_EVENT = "chatops_case"
"""Slack message metadata `event_type` of a case message; payload `{"case_id": …}`."""
REPLY_METADATA_EVENT = "chatops_case_event"
"""Metadata of thread replies we post; payload `{"case_id": …, "event_id": …}`."""
