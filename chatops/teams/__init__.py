"""The Microsoft Teams chat backend (botbuilder, Bot Framework): `chat.backend: teams`.

Public: `create(runtime)`. The variables the backend refuses to start without are declared
below it (`chatops.settings.backend_env`), so `chatops run` and `check-config` read them without
importing botbuilder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.teams.backend import TeamsBackend


def create(rt: Runtime) -> TeamsBackend:
    from chatops.teams.backend import TeamsBackend

    return TeamsBackend(rt)
