"""Thread lines that quote a customer's words, rewritten once those words are gone.

A chat posts a thread line when a mention joins a case or is edited ("Anna wrote: …"). When
its author removes it on the platform, or the customer's data is erased on request, the case's
message is re-rendered like any change; the lines that quoted it are found again by the id they
were posted with (`reply_id`: the event's own id, then `@` and the quoted mention's key) and
rewritten to `wording.gone_line`. A chat with message metadata and in-place updates (Slack)
does it with a `SCRUB_KIND` op after `SCRUBS` events.
"""

from __future__ import annotations

import uuid

from chatops.chat.backend import CaseEvent, EventKind

SCRUB_KIND = "scrub"
"""The outbox op that rewrites a case's quoting thread lines (its `case_id` names the case)."""

REMOVED_KIND = "removed"
"""The outbox op that rewrites a deleted case's message to a note (retention): `text` the
note, and where the message is (Slack: `channel`, `ts`)."""

QUOTES = frozenset({EventKind.MENTION, EventKind.MENTION_EDITED})
"""Events whose thread line quotes the mention they carry."""

SCRUBS = frozenset({EventKind.MENTION_REMOVED, EventKind.ERASED})
"""Events after which the lines quoting what is gone are rewritten."""


def reply_id(event: CaseEvent) -> str:
    """The id a thread line is posted with: unique, and naming the mention it quotes."""
    own = uuid.uuid4().hex
    if event.kind in QUOTES and event.mention is not None:
        return f"{own}@{event.mention.key}"
    return own


def quoted_key(event_id: str) -> str | None:
    """The mention key a thread line's id names (None: it quotes no mention)."""
    _, at, key = event_id.partition("@")
    return key if at and key else None
