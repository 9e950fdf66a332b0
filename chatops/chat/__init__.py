"""The chat-neutral layer: what Slack, Teams and the console share.

`backend` holds the interface a chat backend implements and the data it is given; `actions`
the ids of what people can click; `commands` what each action does, for every front end, and
`snooze` the snooze choices it reads; `digest` what a morning digest lists; `capabilities` what
a backend may do beyond the interface (web routes, a loop, a drain…).
"""

from chatops.chat.backend import (
    Burst,
    CaseEvent,
    CaseView,
    ChatBackend,
    Department,
    DigestItem,
    DraftChange,
    Earlier,
    EventKind,
    PingItem,
    SimilarAnswer,
)
from chatops.chat.capabilities import (
    AsksApprovers,
    Attaches,
    DigestsPeople,
    Drains,
    ListsApprovers,
    LocalOnly,
    MessagesPeople,
    MovesAway,
    PostsOverview,
    Refreshes,
    Runs,
    local_only,
)

__all__ = [
    "AsksApprovers",
    "Attaches",
    "Burst",
    "CaseEvent",
    "CaseView",
    "ChatBackend",
    "Department",
    "DigestItem",
    "DigestsPeople",
    "DraftChange",
    "Drains",
    "Earlier",
    "EventKind",
    "ListsApprovers",
    "LocalOnly",
    "MessagesPeople",
    "MovesAway",
    "PingItem",
    "PostsOverview",
    "Refreshes",
    "Runs",
    "SimilarAnswer",
    "local_only",
]
