"""What a chat backend may do beyond `ChatBackend`, each as a typed, checkable Protocol.

The roles ask `isinstance(chat, Runs)` instead of looking a method up by name: a backend that
lacks a capability is simply skipped (the console has no web routes, no outbox loop), and the
type checker sees the signature of what is called.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from aiohttp import web

    from chatops.chat.backend import CaseEvent, CaseView, Department, DigestItem
    from chatops.chat.present import Report
    from chatops.chat.storm import StormRef


@runtime_checkable
class Attaches(Protocol):
    """A backend with web routes of its own (`/slack/events`, `/api/messages`)."""

    def attach(self, app: web.Application) -> None: ...


@runtime_checkable
class Runs(Protocol):
    """A backend with a loop of its own (its outbox sender), run until `stop`."""

    async def run(self, stop: asyncio.Event) -> None: ...


@runtime_checkable
class Drains(Protocol):
    """A backend that queues writes: a one-shot command delivers them before exiting."""

    async def drain(self, within: float) -> None: ...


@runtime_checkable
class NotesRemoval(Protocol):
    """A backend that can rewrite a deleted case's message into a short note (retention):
    `case_removed` queues the rewrite and forgets where the message is; False when the case
    had no message in this chat."""

    async def case_removed(self, case_id: str, note: str) -> bool: ...


@runtime_checkable
class ListsApprovers(Protocol):
    """A backend that expands the configured approvers (Slack user groups into members)."""

    async def approvers(self) -> frozenset[str]: ...


@runtime_checkable
class MessagesPeople(Protocol):
    """A backend that can write to a person directly: a Slack DM, a Teams personal chat.

    `people` names whom: the persons among `targets` that are this chat's (Slack user groups
    expanded into their members; ids of another chat left out), each once, in order. Writing
    is the backend's own: `chatops.slack.direct` and `chatops.teams.direct` send to a person
    and update what was sent, queued through the backend's outbox so that its rate limits,
    retries and pauses hold for direct messages too."""

    async def people(self, targets: Iterable[str]) -> list[str]: ...


@runtime_checkable
class DigestsPeople(MessagesPeople, Protocol):
    """A backend that also sends a department's morning digest to a lead directly
    (`reminders.personal`): `person` is one of its `people`."""

    async def post_personal_digest(
        self, person: str, department: Department, items: list[DigestItem], now: datetime
    ) -> None: ...


@runtime_checkable
class PostsOverview(Protocol):
    """A backend that sends the morning overview of every department (`reminders.overview_to`):
    directly to each of its people among `to`, and into each of its channels among them."""

    async def post_overview(self, to: Sequence[str], report: Report) -> None: ...


@runtime_checkable
class Refreshes(Protocol):
    """A backend that can bring a case's message up to date without a line in its thread."""

    async def refresh(self, view: CaseView) -> None: ...


@runtime_checkable
class AsksApprovers(Protocol):
    """A backend with an approval inbox (chatops/chat/inbox.py): it sends its own approvers
    (or its `approval.channel`) copies of any case's approval request and settles them. A
    backend does so for its own cases in `show`; with departments in several chats, the
    others are asked for each case too, so every approver is reached in their own chat."""

    async def ask_approvers(self, view: CaseView, event: CaseEvent) -> None: ...


@runtime_checkable
class MovesAway(Protocol):
    """A backend that can close its part of a case that left for another chat."""

    async def moved_away(self, view: CaseView, event: CaseEvent) -> None: ...


@runtime_checkable
class LocalOnly(Protocol):
    """A backend that may run unauthenticated (CHATOPS_TEAMS_AUTH=off): when `local_only`
    is true, the web binds to 127.0.0.1."""

    local_only: bool


def local_only(chat: object) -> bool:
    """True when `chat` runs unauthenticated and must only be reachable locally."""
    return isinstance(chat, LocalOnly) and bool(chat.local_only)


@runtime_checkable
class ShowsStorms(Protocol):
    """A backend that shows a storm as one thread (`chatops.chat.storm`): a summary updated
    in place and its members listed in batches. `storm_changed` says the storm's roster grew,
    it opened or it closed; the backend reads the rest from the store, coalesced."""

    async def storm_changed(self, storm: StormRef) -> None: ...


@runtime_checkable
class ScrubsStorms(Protocol):
    """A backend whose storm threads quote members' words in batch messages it can rewrite
    (chatops/chat/scrub.py): the members at roster `positions` (0-based) were removed by
    their authors or erased on request, and their lines now say so."""

    async def storm_scrubbed(self, storm: StormRef, positions: Sequence[int]) -> None: ...
