"""Slack and Teams in one organisation: departments in different chats, one backend to the rest.

`MixedChat` is what the workflow, the escalation jobs and the process roles see when the
departments use more than one chat (`departments[].chat`): it hands each call to the backend of
the department concerned. A case rerouted to a department in another chat leaves its old
message rewritten as moved (the old backend's `moved_away`) and is posted afresh by the new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from datetime import datetime

from aiohttp import web

from chatops.chat import (
    AsksApprovers,
    Attaches,
    CaseEvent,
    CaseView,
    ChatBackend,
    Department,
    DigestItem,
    DigestsPeople,
    Drains,
    EventKind,
    ListsApprovers,
    MessagesPeople,
    MovesAway,
    PingItem,
    PostsOverview,
    Refreshes,
    Runs,
    local_only,
)
from chatops.chat.capabilities import NotesRemoval, ScrubsStorms, ShowsStorms
from chatops.chat.present import Report
from chatops.chat.storm import StormRef
from chatops.config import Config


class MixedChat:
    """A ChatBackend over several: each department's calls go to its own chat's backend."""

    def __init__(self, backends: Mapping[str, ChatBackend], config: Config) -> None:
        self.backends = dict(backends)
        self.config = config
        self.local_only = any(local_only(b) for b in self.backends.values())
        """True when any backend runs unauthenticated (CHATOPS_TEAMS_AUTH=off): the web binds
        to 127.0.0.1 for all of them."""

    def backend_of(self, department_id: str) -> ChatBackend:
        return self.backends[self.config.chat_of(department_id)]

    # -- ChatBackend ------------------------------------------------------------------------

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        new = self.backend_of(view.department.id)
        previous = event.previous_department
        if event.kind is EventKind.REROUTED and previous is not None:
            old = self.backend_of(previous.id)
            if old is not new and isinstance(old, MovesAway):
                await old.moved_away(view, event)
        await new.show(view, event)
        for other in self.backends.values():  # approvers in the other chats get their copies
            if other is not new and isinstance(other, AsksApprovers):
                await other.ask_approvers(view, event)

    async def refresh(self, view: CaseView) -> None:
        backend = self.backend_of(view.department.id)
        if isinstance(backend, Refreshes):
            await backend.refresh(view)

    async def storm_changed(self, storm: StormRef) -> None:
        """ShowsStorms, by the storm's department's chat (if it shows storms)."""
        backend = self.backend_of(storm.department)
        if isinstance(backend, ShowsStorms):
            await backend.storm_changed(storm)

    async def storm_scrubbed(self, storm: StormRef, positions: Sequence[int]) -> None:
        """ScrubsStorms: the storm's department's chat rewrites its batch lines (a removal or
        an erasure must reach a storm thread in either chat)."""
        backend = self.backend_of(storm.department)
        if isinstance(backend, ScrubsStorms):
            await backend.storm_scrubbed(storm, positions)

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        await self.backend_of(department.id).post_digest(department, items, now)

    async def post_report(self, department: Department, report: Report) -> None:
        await self.backend_of(department.id).post_report(department, report)

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        await self.backend_of(department.id).post_pings(department, items, notify)

    async def post_personal_digest(
        self, person: str, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """A lead's copy through the department's chat: its `escalate_to` are that chat's ids."""
        backend = self.backend_of(department.id)
        if isinstance(backend, DigestsPeople) and person in await backend.people([person]):
            await backend.post_personal_digest(person, department, items, now)

    async def post_overview(self, to: Sequence[str], report: Report) -> None:
        """Every chat sends it to its own people and channels among `to`."""
        for backend in self.backends.values():
            if isinstance(backend, PostsOverview):
                await backend.post_overview(to, report)

    async def close(self) -> None:
        for backend in self.backends.values():
            await backend.close()

    # -- optional capabilities, each the union of the backends' ------------------------------

    async def approvers(self) -> frozenset[str]:
        """Approvers are listed once for both chats (Slack ids and AAD object ids side by
        side); each backend expands what is its own (Slack user groups) and keeps the rest."""
        found = set(self.config.approval.approvers)
        for backend in self.backends.values():
            if isinstance(backend, ListsApprovers):
                found |= await backend.approvers()
        return frozenset(found)

    async def case_removed(self, case_id: str, note: str) -> bool:
        """NotesRemoval: each chat that holds the case's message rewrites its own."""
        done = False
        for backend in self.backends.values():
            if isinstance(backend, NotesRemoval):
                done = await backend.case_removed(case_id, note) or done
        return done

    async def people(self, targets: Iterable[str]) -> list[str]:
        """Each backend's own people among `targets` (MessagesPeople), in backend order."""
        named, found = list(targets), []
        for backend in self.backends.values():
            if isinstance(backend, MessagesPeople):
                found += await backend.people(named)
        return found

    def attach(self, app: web.Application) -> None:
        """Every backend's routes (`/slack/events`, `/api/messages`) on the one web app."""
        for backend in self.backends.values():
            if isinstance(backend, Attaches):
                backend.attach(app)

    async def run(self, stop: asyncio.Event) -> None:
        """Every backend's loop (its outbox sender), until `stop`."""
        loops: list[Awaitable[None]] = [
            b.run(stop) for b in self.backends.values() if isinstance(b, Runs)
        ]
        await asyncio.gather(*loops)

    async def drain(self, within: float) -> None:
        """Deliver what every backend queued (one-shot commands), side by side."""
        drains = [b.drain(within) for b in self.backends.values() if isinstance(b, Drains)]
        await asyncio.gather(*drains)
