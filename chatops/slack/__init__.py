"""The Slack chat backend (Bolt for Python): `chat.backend: slack`.

Public: `create(runtime)`. The variables the backend refuses to start without are declared
below it (`chatops.settings.backend_env`), so `chatops run` and `check-config` read them without
importing Bolt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.slack.backend import SlackBackend


def create(rt: Runtime) -> SlackBackend:
    from chatops.slack.backend import SlackBackend

    return SlackBackend(rt)
