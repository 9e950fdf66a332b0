"""Settings from the environment (DESIGN §4.2): defaults, empty-as-unset, secrets kept out."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters._meta import MetaEnv
from adapters.sandbox import SandboxEnv
from adapters.viber import ViberEnv
from adapters.x import XEnv
from chatops.settings import ENV_NAMES, Settings, env_problems

SECRETS = {
    "REDIS_URL": "redis://:redis-password-1@localhost:6379/0",
    "SLACK_BOT_TOKEN": "xoxb-secret-2",
    "SLACK_SIGNING_SECRET": "signing-secret-3",
    "SLACK_APP_TOKEN": "xapp-secret-4",
    "MicrosoftAppPassword": "ms-password-5",
    "FACEBOOK_APP_SECRET": "fb-secret-6",
    "FACEBOOK_VERIFY_TOKEN": "fb-verify-7",
    "X_CONSUMER_KEY": "x-key-8",
    "X_CONSUMER_SECRET": "x-secret-9",
    "X_BEARER_TOKEN": "x-bearer-10",
    "X_ACCESS_TOKEN": "x-access-11",
    "X_ACCESS_TOKEN_SECRET": "x-access-secret-12",
    "VIBER_AUTH_TOKEN": "viber-13",
    "SANDBOX_SECRET": "sandbox-secret-14",
    "FB_PAGE_TOKEN_SE": "page-token-15",
}


def test_defaults() -> None:
    settings = Settings.from_env({})

    assert settings.config_path == Path("chatops.yaml")
    assert settings.redis_url is None
    assert settings.embedded_store
    assert settings.port == 3000
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.platform_env(MetaEnv).api_url == "https://graph.facebook.com/v25.0"
    assert settings.platform_env(XEnv).api_url == "https://api.x.com"
    assert settings.platform_env(ViberEnv).api_url == "https://chatapi.viber.com/pa"
    assert settings.platform_env(SandboxEnv) == SandboxEnv("sandbox", None)
    assert settings.time_scale == 1.0
    assert settings.slack_bot_token is None
    assert not settings.socket_mode


def test_every_variable_is_read() -> None:
    env = {
        **SECRETS,
        "CHATOPS_CONFIG": "/etc/chatops.yaml",
        "PORT": "8080",
        "SLACK_API_URL": "http://127.0.0.1:8888/api",
        "MicrosoftAppId": "app-id",
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": "tenant",
        "GRAPH_API_URL": "http://127.0.0.1:9000/v25.0/",
        "X_API_URL": "http://127.0.0.1:9001/",
        "VIBER_API_URL": "http://127.0.0.1:9002/pa",
        "SANDBOX_API_URL": "http://127.0.0.1:9003//",
        "CHATOPS_TIME_SCALE": "60",
    }

    settings = Settings.from_env(env)

    assert settings.config_path == Path("/etc/chatops.yaml")
    assert settings.redis_url == SECRETS["REDIS_URL"]
    assert settings.port == 8080
    assert settings.slack_bot_token == "xoxb-secret-2"
    assert settings.slack_signing_secret == "signing-secret-3"
    assert settings.socket_mode
    assert settings.slack_api_url == "http://127.0.0.1:8888/api/"
    assert (settings.microsoft_app_id, settings.microsoft_app_password) == (
        "app-id",
        "ms-password-5",
    )
    assert (settings.microsoft_app_type, settings.microsoft_app_tenant_id) == (
        "SingleTenant",
        "tenant",
    )
    assert settings.platform_env(MetaEnv) == MetaEnv(
        "fb-secret-6", "fb-verify-7", "http://127.0.0.1:9000/v25.0"
    )
    assert settings.platform_env(XEnv) == XEnv(
        "x-key-8",
        "x-secret-9",
        "x-bearer-10",
        "x-access-11",
        "x-access-secret-12",
        "http://127.0.0.1:9001",
    )
    assert settings.platform_env(ViberEnv) == ViberEnv("viber-13", "http://127.0.0.1:9002/pa")
    assert settings.platform_env(SandboxEnv) == SandboxEnv(
        "sandbox-secret-14", "http://127.0.0.1:9003"
    )
    assert settings.time_scale == 60.0
    assert settings.token("FB_PAGE_TOKEN_SE") == "page-token-15"


def test_empty_variables_count_as_unset() -> None:
    env = {name: "" for name in ENV_NAMES} | {"FB_PAGE_TOKEN_SE": ""}

    assert Settings.from_env(env) == Settings.from_env({})
    assert Settings.from_env({"PORT": "  ", "SANDBOX_SECRET": ""}).port == 3000
    assert Settings.from_env(env).token("FB_PAGE_TOKEN_SE") is None
    assert Settings.from_env({}).token("NOT_THERE") is None


def test_secrets_never_appear_in_repr() -> None:
    settings = Settings.from_env(SECRETS)

    shown = repr(settings) + str(settings)

    assert "port=3000" in shown
    for name, value in SECRETS.items():
        assert value not in shown, name
    assert "redis-password-1" not in shown


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "http"}, "PORT must be a whole number from 1 to 65535 (got 'http')"),
        ({"PORT": "0"}, "PORT must be a whole number from 1 to 65535 (got '0')"),
        ({"PORT": "70000"}, "PORT must be a whole number from 1 to 65535 (got '70000')"),
        (
            {"CHATOPS_TIME_SCALE": "0"},
            "CHATOPS_TIME_SCALE must be a number greater than 0 (got '0')",
        ),
        (
            {"CHATOPS_TIME_SCALE": "-2"},
            "CHATOPS_TIME_SCALE must be a number greater than 0 (got '-2')",
        ),
        (
            {"CHATOPS_TIME_SCALE": "fast"},
            "CHATOPS_TIME_SCALE must be a number greater than 0 (got 'fast')",
        ),
        (
            {"CHATOPS_TIME_SCALE": "inf"},
            "CHATOPS_TIME_SCALE must be a number greater than 0 (got 'inf')",
        ),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must start with http:// or https://"),
        (
            {"REDIS_URL": "localhost:6379"},
            "REDIS_URL must start with redis://, rediss://, unix:// or redis+sentinel://",
        ),
    ],
)
def test_bad_values_raise_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.from_env(env)

    assert str(caught.value) == message


def test_every_bad_value_is_reported_and_urls_are_not_echoed() -> None:
    env = {"PORT": "x", "GRAPH_API_URL": "ftp://user:pw-secret@host", "CHATOPS_TIME_SCALE": "0"}

    problems = env_problems(env)

    assert [name for name, _ in problems] == ["PORT", "CHATOPS_TIME_SCALE", "GRAPH_API_URL"]
    assert all("pw-secret" not in message for _, message in problems)


def test_the_environment_snapshot_is_read_only() -> None:
    env = {"FB_PAGE_TOKEN_SE": "one"}
    settings = Settings.from_env(env)
    env["FB_PAGE_TOKEN_SE"] = "two"

    assert settings.token("FB_PAGE_TOKEN_SE") == "one"
    with pytest.raises(TypeError):
        settings.environ["FB_PAGE_TOKEN_SE"] = "three"  # type: ignore[index]


def test_metrics_token_and_customer_text_switch() -> None:
    settings = Settings.from_env(
        {"CHATOPS_METRICS_TOKEN": "metrics-secret-16", "CHATOPS_LOG_CUSTOMER_TEXT": "On"}
    )

    assert settings.metrics_token == "metrics-secret-16"
    assert settings.log_customer_text
    assert "metrics-secret-16" not in repr(settings)
    assert not Settings.from_env({}).log_customer_text
    assert not Settings.from_env({"CHATOPS_LOG_CUSTOMER_TEXT": "off"}).log_customer_text
    with pytest.raises(ValueError, match="CHATOPS_LOG_CUSTOMER_TEXT must be on or off"):
        Settings.from_env({"CHATOPS_LOG_CUSTOMER_TEXT": "maybe"})


def test_lenient_reading_keeps_defaults_for_bad_values() -> None:
    settings = Settings.from_env({"PORT": "http", "SLACK_BOT_TOKEN": "x"}, strict=False)

    assert (settings.port, settings.slack_bot_token) == (3000, "x")
