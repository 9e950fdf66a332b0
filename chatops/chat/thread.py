"""How a case's events reach its thread, the same in every chat that posts through an outbox.

A creation or a move is said by the case message itself, posted once in the department's
channel; any other event is a reply in the case's thread, and the case message is marked for
an update so that it shows the new state. A reroute out of the channel first closes the old
thread (each chat knows how). Slack and Teams differ only in the reply they build.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from chatops.domain import State
from chatops.workflow.events import CaseEvent, CaseView, EventKind

OpT = TypeVar("OpT", contravariant=True)

NEW_MESSAGE = frozenset({EventKind.CREATED, EventKind.REROUTED})
"""Events the case message says itself, in its new channel: no thread reply."""


class Outbox(Protocol[OpT]):
    async def post_once(self, case_id: str, channel: str) -> bool: ...

    async def mark_dirty(self, case_id: str) -> None: ...

    async def enqueue(self, op: OpT) -> None: ...


async def show_event(
    outbox: Outbox[OpT],
    view: CaseView,
    event: CaseEvent,
    *,
    reply: Callable[[], Awaitable[OpT]],
    moved_away: Callable[[], Awaitable[None]],
) -> None:
    """Bring the case's thread up to date with `event` (ChatBackend.show). A storm member
    has no message of its own: its storm's thread lists it (chatops/chat/storm.py)."""
    if view.case.state is State.STORM:
        return
    if event.kind is EventKind.REROUTED:
        await moved_away()
    if event.kind in NEW_MESSAGE:
        await outbox.post_once(view.case.id, view.department.channel)
        return
    op = await reply()
    await refresh(outbox, view)
    await outbox.enqueue(op)


async def refresh(outbox: Outbox[OpT], view: CaseView) -> None:
    """The case message posted if it is not there yet, else marked for an update."""
    if not await outbox.post_once(view.case.id, view.department.channel):
        await outbox.mark_dirty(view.case.id)
