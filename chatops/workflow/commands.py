"""What people and the system can ask of a case. Values double as chat action verbs."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    # by people, from chat
    CLAIM = "claim"
    TAKE_OVER = "take_over"  # become the owner of a case someone else claimed
    UNCLAIM = "unclaim"
    EDIT = "edit"
    PUBLISH = "publish"
    PRIVATE = "private"  # publish as a private message instead of publicly
    APPROVE = "approve"
    REJECT = "reject"
    REROUTE = "reroute"
    DISMISS = "dismiss"
    REPLY_TO = "reply_to"  # answer another mention of the case than the newest
    TEMPLATE = "template"  # replace the draft with another reply template
    CONFIRM_SENT = "confirm_sent"  # after publish_unknown: a person saw it on the platform
    CONFIRM_NOT_SENT = "confirm_not_sent"  # after publish_unknown: it is not there
    # by the system
    PUBLISH_OK = "publish_ok"
    PUBLISH_FAILED = "publish_failed"
    PUBLISH_UNKNOWN = "publish_unknown"
    SNOOZE = "snooze"  # quiet the escalation pings until a time
    ESCALATE = "escalate"  # an escalation tier fired
    APPROVAL_PING = "approval_ping"  # approvers reminded of a waiting approval
    REOPEN = "reopen"  # the customer (or someone else) wrote again
    CLOSE = "close"  # follow-up found nothing new
    SPLIT = "split"  # a storm member becomes a case of its own, shown in its own thread
    STORM_PUBLISH = "storm_publish"  # publish-to-all: a storm member sent its holding reply


SYSTEM = "chatops"
"""Actor name of the product itself in audit entries and drafts."""
