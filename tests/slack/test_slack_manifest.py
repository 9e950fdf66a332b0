"""The Slack app manifest: keys Slack requires, our scopes and URLs, Socket Mode, YAML."""

from __future__ import annotations

from typing import Any

import yaml

from chatops.config.models import Config
from chatops.settings import Settings
from chatops.slack.manifest import manifest_yaml, slack_manifest

SCOPES = {
    "chat:write",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "usergroups:read",
    "users:read",
    "commands",
    "files:write",
}


def config(brand: str = "") -> Config:
    return Config.model_validate(
        {
            "brand": brand,
            "chat": {"backend": "slack"},
            "departments": [{"id": "social", "name": "Social team", "channel": "C0SOCIAL"}],
            "routing": {"default": "social"},
        }
    )


HTTP = Settings(slack_bot_token="xoxb-test", slack_signing_secret="secret")
SOCKET = Settings(slack_bot_token="xoxb-test", slack_app_token="xapp-test")


def test_required_keys_and_settings() -> None:
    m = slack_manifest(config("Acme"), HTTP)
    assert list(m)[1:] == ["display_information", "features", "oauth_config", "settings"]
    assert m["display_information"]["name"] == "Acme chatops"
    assert m["features"]["bot_user"] == {"display_name": "Acme chatops", "always_online": True}
    assert m["settings"]["org_deploy_enabled"] is False
    assert m["settings"]["socket_mode_enabled"] is False
    assert m["settings"]["token_rotation_enabled"] is False
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True  # each person's Home tab


def test_scopes_are_exactly_what_the_bot_uses() -> None:
    bot = slack_manifest(config(), HTTP)["oauth_config"]["scopes"]["bot"]
    assert set(bot) == SCOPES and len(bot) == len(SCOPES)
    assert "chat:write.public" not in bot


def test_one_request_url_for_events_interactivity_and_the_command() -> None:
    m = slack_manifest(config(), HTTP, base_url="https://bot.acme.invalid/")
    url = "https://bot.acme.invalid/slack/events"
    assert m["settings"]["event_subscriptions"] == {
        "request_url": url,
        "bot_events": ["message.channels", "message.groups", "app_home_opened"],
    }
    assert m["settings"]["interactivity"]["request_url"] == url
    [command] = m["features"]["slash_commands"]
    assert command["command"] == "/chatops"
    assert command["url"] == url
    assert command["should_escape"] is False
    assert command["description"] and command["usage_hint"]


def test_default_name_and_base_url() -> None:
    m = slack_manifest(config(), HTTP)
    assert m["display_information"]["name"] == "chatops"
    assert m["settings"]["interactivity"]["request_url"] == (
        "https://chatops.example.com/slack/events"
    )
    long = slack_manifest(config("A very long brand name for a bank"), HTTP)
    assert len(long["display_information"]["name"]) <= 35


def test_socket_mode_has_no_request_urls() -> None:
    m = slack_manifest(config("Acme"), SOCKET)
    assert m["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in m["settings"]["event_subscriptions"]
    assert m["settings"]["event_subscriptions"]["bot_events"] == [
        "message.channels",
        "message.groups",
        "app_home_opened",
    ]
    assert m["settings"]["interactivity"] == {"is_enabled": True}
    assert "url" not in m["features"]["slash_commands"][0]
    assert "request_url" not in manifest_yaml(config("Acme"), SOCKET)


def test_yaml_round_trips_in_slack_order() -> None:
    for settings in (HTTP, SOCKET):
        text = manifest_yaml(config("Acme"), settings, base_url="https://x.invalid")
        loaded: Any = yaml.safe_load(text)
        assert loaded == slack_manifest(config("Acme"), settings, base_url="https://x.invalid")
        assert text.index("display_information") < text.index("features") < text.index("settings")


def test_no_secret_reaches_the_manifest() -> None:
    text = manifest_yaml(config(), HTTP) + manifest_yaml(config(), SOCKET)
    for secret in ("xoxb-test", "xapp-test", "secret"):
        assert secret not in text
