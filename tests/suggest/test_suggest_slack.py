"""Model suggestions in Slack: the case message is posted with the template draft, then the
suggestion updates it in place and says where it came from; a failure is one thread line.
Slack is a local server speaking the Web API, the model a local chat-completions server."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops.config import Config, load_config_text
from tests.fakes import mention_json
from tests.fakes.openai import FakeOpenAI
from tests.slack.test_slack import SlackSystem, ss  # noqa: F401 (ss: the Slack tests' fixture)

QUESTION = "Hur lång är leveranstiden till Norge?"
CONFIG = """
brand: Acme
chat: {backend: slack}
platforms: {sandbox: {}}
departments:
  - {id: social, name: Social team, channel: C0SOCIAL01, languages: [sv, en]}
routing: {default: social}
knowledge: [{path: %s}]
drafting:
  llm: {base_url: "%s", model: gpt-4o-mini, timeout: 20s}
  allowed_domains: [acme.se]
"""


def thread_texts(chat: SlackSystem) -> list[str]:
    [root] = chat.slack.messages("C0SOCIAL01")
    return [m["text"] for m in chat.slack.thread("C0SOCIAL01", root["ts"])]


def root_text(chat: SlackSystem) -> str:
    [root] = chat.slack.messages("C0SOCIAL01")
    return str(root["blocks"])


@pytest.fixture
def slack_config(kb: Path, openai: FakeOpenAI) -> Config:
    """The Slack tests' product (`ss`), with a model and a knowledge folder."""
    return load_config_text(CONFIG % (kb, openai.url), source="slack.yaml")


@pytest.fixture
async def chat(ss: SlackSystem) -> SlackSystem:  # noqa: F811 (the imported fixture)
    """A case from Anna posted in Slack with its template draft; the model not asked yet."""
    await ss.ingest(mention_json("m-1", "post-1", QUESTION))
    await ss.flush()
    return ss


async def test_the_suggestion_updates_the_case_message_and_names_its_sources(
    chat: SlackSystem, openai: FakeOpenAI
) -> None:
    assert "from the template" in root_text(chat)
    openai.reply("Hej Anna! Paket till Norge kommer inom 5–7 arbetsdagar.")
    assert chat.rt.suggestions is not None
    await chat.rt.suggestions.drain()
    await chat.flush()
    root = root_text(chat)
    assert "Paket till Norge kommer inom 5–7 arbetsdagar" in root
    assert "suggested by gpt-4o-mini from: Leveranstid till Norge" in root
    assert chat.slack.calls_to("chat.update")
    assert any("Draft suggested by gpt-4o-mini" in t for t in thread_texts(chat))


async def test_a_failed_suggestion_is_one_line_in_the_thread(
    chat: SlackSystem, openai: FakeOpenAI
) -> None:
    openai.fail(429, retry_after="30")
    assert chat.rt.suggestions is not None
    await chat.rt.suggestions.drain()
    await chat.flush()
    assert thread_texts(chat)[-1] == (
        ":grey_exclamation: Model suggestion unavailable (rate limited): template draft kept"
    )
    assert "from the template" in root_text(chat)
