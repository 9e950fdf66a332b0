"""The Slack app manifest this install needs (`chatops slack-manifest`).

Generated from config and settings rather than kept as a file, so the scopes, events and URLs
can never drift from what the code uses: paste the output into api.slack.com/apps.
"""

from __future__ import annotations

from typing import Any

import yaml

from chatops.config.models import Config
from chatops.settings import Settings

DEFAULT_BASE_URL = "https://chatops.example.com"
EVENTS_PATH = "/slack/events"
"""One Request URL for events, interactivity and the slash command (DESIGN §4.3)."""
COMMAND = "/chatops"

BOT_SCOPES: tuple[str, ...] = (
    "chat:write",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "usergroups:read",
    "users:read",
    "commands",
    "files:write",
)
"""Post and update cases; read `>>` thread replies; resolve people and groups; upload reports.

No `chat:write.public`: the bot only posts to department channels it has been invited to.
"""

BOT_EVENTS: tuple[str, ...] = ("message.channels", "message.groups", "app_home_opened")
"""Thread messages in public and private department channels (the `>>` drafts); a person
opening the app's Home tab (their cases, chatops/slack/home.py)."""

NAME_LIMIT = 35
DESCRIPTION = "Social-media mentions as cases: claim, draft, approve and publish replies."


def slack_manifest(
    config: Config, settings: Settings, *, base_url: str = DEFAULT_BASE_URL
) -> dict[str, Any]:
    """The manifest as data; Socket Mode (SLACK_APP_TOKEN set) leaves out every request URL."""
    socket = bool(settings.slack_app_token)
    url = base_url.rstrip("/") + EVENTS_PATH
    name = f"{config.brand.strip()} chatops" if config.brand.strip() else "chatops"
    name = name[:NAME_LIMIT].rstrip()

    command: dict[str, Any] = {"command": COMMAND}
    if not socket:
        command["url"] = url
    command |= {
        "description": "Open cases, stats and help",
        "usage_hint": "[help]",
        "should_escape": False,
    }
    events: dict[str, Any] = {} if socket else {"request_url": url}
    events["bot_events"] = list(BOT_EVENTS)
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket:
        interactivity["request_url"] = url

    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": name, "description": DESCRIPTION},
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(config: Config, settings: Settings, *, base_url: str = DEFAULT_BASE_URL) -> str:
    """The manifest as YAML in Slack's own key order, ready to paste."""
    manifest = slack_manifest(config, settings, base_url=base_url)
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
