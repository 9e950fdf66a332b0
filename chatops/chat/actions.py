"""Ids of what people can do to a case, shared by every chat front end.

The values are a public contract (DESIGN §4.6): Slack sends them as `action_id`s,
Teams as card verbs, so an id never changes once shipped.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What a button or menu on a case does; a button's value is the case id (USE_ANSWER's
    also names the answered case it takes the answer of)."""

    CLAIM = "case.claim"
    UNCLAIM = "case.unclaim"
    TAKE_OVER = "case.take_over"  # become the owner of a case someone else claimed (confirmed)
    EDIT = "case.edit"  # Slack: opens the draft modal; Teams: saves the draft box
    PUBLISH = "case.publish"  # on a sensitive case: requests approval instead
    APPROVE = "case.approve"
    EDIT_APPROVE = "case.edit_approve"  # approval inbox: edit the draft, and approve the text
    REJECT = "case.reject"  # with the reason (Slack asks for it in a modal)
    REROUTE = "case.reroute"  # static_select; option value "<case id>:<department id>"
    DISMISS = "case.dismiss"  # overflow; option value "<case id>:<spam|no_reply_needed|duplicate>"
    PRIVATE = "case.private"
    SNOOZE = "case.snooze"  # overflow on pings and digests; value "<case id>:<30m|1h|2h|tomorrow>"
    REPLY_TO = "case.reply_to"  # static_select; option value "<case id>:<mention key>"
    TEMPLATE = "case.template"  # static_select; option value "<case id>:<intent>"
    USE_ANSWER = "case.use_answer"  # button; value "<case id>:<answered case id>" (Similar)
    CONFIRM_SENT = "case.confirm_sent"  # after publish_unknown: the reply is on the platform
    CONFIRM_NOT_SENT = "case.confirm_not_sent"  # ... it is not


class StormAction(StrEnum):
    """What a button on a storm's summary does; its value is the storm's id
    (`<department>:<group>`). Not case actions: they act on every member at once."""

    PUBLISH_ALL = "storm.publish_all"  # approver: send the holding statement to every member
    EDIT = "storm.edit"  # Slack: opens the statement modal (callback `storm.statement`)
    STATEMENT = "storm.statement"  # saves the holding statement (Slack modal, Teams card verb)
