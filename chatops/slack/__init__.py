"""The Slack chat backend (Bolt for Python): `chat.backend: slack`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.slack.backend import SlackBackend


def create(rt: Runtime) -> SlackBackend:
    from chatops.slack.backend import SlackBackend

    return SlackBackend(rt)
