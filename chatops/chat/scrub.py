"""Thread lines that quote a customer's words, rewritten once those words are gone.

A chat posts a thread line when a mention joins a case or is edited ("Anna wrote: …"). When
its author removes it on the platform, or the customer's data is erased on request, the case's
message is re-rendered like any change; the lines that quoted it are found again by the id they
were posted with (`reply_id`: the event's own id, then `@` and the quoted mention's key) and
rewritten to `wording.gone_line`. A chat with message metadata and in-place updates (Slack)
does it with a `SCRUB_KIND` op after `SCRUBS` events. A storm's batch messages name the roster
positions they list (`batch_id`), so the ones listing a member whose words are gone are
rendered again from the roster, which no longer quotes them.
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


def batch_id(event_id: str, start: int, end: int) -> str:
    """The id a storm's batch message is posted with: unique, and naming the roster
    positions [start, end) it lists, so that a scrub can render exactly those again."""
    return f"{event_id}#{start}-{end}"


def batch_span(event_id: str) -> tuple[int, int] | None:
    """The roster positions [start, end) a batch message's id names (None: not a batch)."""
    _, hash_, span = event_id.rpartition("#")
    start, dash, end = span.partition("-")
    if not (hash_ and dash and start.isdigit() and end.isdigit()):
        return None
    return int(start), int(end)
