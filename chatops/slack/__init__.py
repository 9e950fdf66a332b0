"""The Slack chat backend (Bolt for Python): `chat.backend: slack`.

Public: `create(runtime)`, and `required_env(settings)`, the variables the backend refuses to
start without (read by `chatops run` and `check-config` without importing Bolt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.settings import Settings
    from chatops.slack.backend import SlackBackend


def create(rt: Runtime) -> SlackBackend:
    from chatops.slack.backend import SlackBackend

    return SlackBackend(rt)


def required_env(settings: Settings) -> list[tuple[str, str]]:
    """(name, what is wrong) for each variable missing: the bot token always, the signing
    secret unless Socket Mode (SLACK_APP_TOKEN), where no request arrives over HTTP."""
    needed = [("SLACK_BOT_TOKEN", settings.slack_bot_token)]
    if not settings.socket_mode:
        needed.append(("SLACK_SIGNING_SECRET", settings.slack_signing_secret))
    return [(name, "is not set") for name, value in needed if not value]
