"""`drafting:` in the config: the model's settings, checked by `check-config`, its key read
only from the environment and required at start (fail closed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatops import runtime
from chatops.config import ConfigError, check_config_text, load_config_text
from chatops.settings import Settings

BASE = """\
chat: {backend: console}
departments:
  - {id: social, name: Social, channel: "#social"}
  - {id: billing, name: Billing, channel: "#billing"}
routing: {default: social}
"""

DRAFTING = (
    BASE
    + """\
drafting:
  llm:
    {base_url: "https://api.openai.com/v1/", model: gpt-4o-mini, api_key_env: OPENAI_API_KEY,
     timeout: 8s}
  tone: "Warm, brief, first names, no emojis."
  allowed_domains: [acme.se, "www.Help.Acme.se"]
"""
)


def test_the_design_example_of_drafting_reads_as_documented() -> None:
    config = load_config_text(DRAFTING)
    llm = config.drafting.llm
    assert llm is not None
    assert llm.base_url == "https://api.openai.com/v1" and llm.model == "gpt-4o-mini"
    assert llm.api_key_env == "OPENAI_API_KEY" and llm.timeout == timedelta(seconds=8)
    assert llm.api_version is None and llm.concurrency == 4
    assert config.drafting.allowed_domains == ["acme.se", "help.acme.se"]
    assert config.drafting.tone_of("billing") == "Warm, brief, first names, no emojis."


def test_without_drafting_there_is_no_model() -> None:
    config = load_config_text(BASE)
    assert config.drafting.llm is None and config.drafting.tone_of("social") == ""


def test_tone_may_differ_per_department() -> None:
    config = load_config_text(BASE + "drafting: {tone: {billing: 'Formal, exact.'}}\n")
    assert config.drafting.tone_of("billing") == "Formal, exact."
    assert config.drafting.tone_of("social") == ""


@pytest.mark.parametrize(
    ("drafting", "expected"),
    [
        ("{llm: {base_url: x, model: m}}", "drafting.llm.base_url"),
        ("{llm: {base_url: 'http://x/v1'}}", "drafting.llm: missing key 'model'"),
        (
            "{llm: {base_url: 'http://x/v1', model: m, api_key: sk-123}}",
            "unknown key 'api_key' (did you mean 'api_key_env'?)",
        ),
        ("{llm: {base_url: 'http://x/v1', model: m, api_key_env: sk-123}}", "api_key_env"),
        ("{llm: {base_url: 'http://x/v1', model: m, timeout: 0s}}", "drafting.llm.timeout"),
        ("{allowed_domains: ['https://acme.se/x']}", "drafting.allowed_domains"),
        ("{tone: {sales: 'Upbeat'}}", "unknown department 'sales'"),
        ("{model: m}", "drafting: unknown key 'model'"),
    ],
)
def test_a_bad_drafting_section_is_refused_with_its_place(drafting: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config_text(BASE + f"drafting: {drafting}\n")
    assert expected in str(raised.value)
    assert "sk-123" not in str(raised.value)  # a pasted key is never echoed


def test_check_config_names_the_unset_key_at_its_place() -> None:
    problems = [str(p) for p in check_config_text(DRAFTING, {})]
    assert problems == [
        "chatops.yaml:8: drafting.llm.api_key_env: env variable OPENAI_API_KEY is not set "
        "(needed by drafting.llm)"
    ]
    assert check_config_text(DRAFTING, {"OPENAI_API_KEY": "sk-live"}) == []


def test_a_process_does_not_start_without_the_models_key() -> None:
    config = load_config_text(DRAFTING)
    missing = runtime.required_env(Settings.from_env({}), config)
    assert missing == ["OPENAI_API_KEY is not set (needed by drafting.llm)"]
    assert runtime.required_env(Settings.from_env({"OPENAI_API_KEY": "sk-live"}), config) == []


def test_a_local_model_needs_no_key() -> None:
    config = load_config_text(
        BASE + "drafting: {llm: {base_url: 'http://localhost:11434/v1', model: llama3.1}}\n"
    )
    assert runtime.required_env(Settings.from_env({}), config) == []
