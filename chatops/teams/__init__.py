"""The Microsoft Teams chat backend (botbuilder, Bot Framework): `chat.backend: teams`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.teams.backend import TeamsBackend


def create(rt: Runtime) -> TeamsBackend:
    from chatops.teams.backend import TeamsBackend

    return TeamsBackend(rt)
