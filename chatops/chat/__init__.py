"""The chat-neutral layer: what Slack, Teams and the console share.

`backend` holds the interface a chat backend implements and the data it is given; `actions`
the ids of what people can click; `commands` what each action does, for every front end.
"""

from chatops.chat.backend import (
    CaseEvent,
    CaseView,
    ChatBackend,
    Department,
    DigestItem,
    EventKind,
    PingItem,
)

__all__ = [
    "CaseEvent",
    "CaseView",
    "ChatBackend",
    "Department",
    "DigestItem",
    "EventKind",
    "PingItem",
]
