"""The chat-completions client against a local server speaking OpenAI's wire format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from chatops.config.models import Llm
from chatops.suggest.llm import (
    ChatModel,
    ModelRateLimited,
    ModelRefused,
    ModelTimeout,
    ModelUnavailable,
)
from tests.fakes.openai import API_KEY, AZURE_KEY, AZURE_VERSION, FakeOpenAI

MESSAGES = [{"role": "system", "content": "rules"}, {"role": "user", "content": "Hej!"}]


class Waits:
    """Stands in for asyncio.sleep and time.monotonic: a wait moves the clock, nothing sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def model(
    http: httpx.AsyncClient, base_url: str, waits: Waits | None = None, **llm: Any
) -> ChatModel:
    settings = Llm.model_validate({"base_url": base_url, "model": "gpt-4o-mini", **llm})
    if waits is None:
        return ChatModel(http, settings, API_KEY)
    return ChatModel(http, settings, API_KEY, monotonic=waits.monotonic, sleep=waits.sleep)


async def test_a_completion_is_the_first_choice_text(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    fake.reply("  Hej Anna! Vi tittar på det.  ")
    done = await model(http, fake.url).complete(MESSAGES)
    assert done.text == "Hej Anna! Vi tittar på det."
    assert done.model == "gpt-4o-mini"
    [sent] = fake.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.body["model"] == "gpt-4o-mini" and sent.body["messages"] == MESSAGES
    assert sent.body["stream"] is False


async def test_a_429_is_waited_out_as_retry_after_says_within_the_timeout(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    waits = Waits()
    fake.fail(429, retry_after="2")
    fake.reply("Hej!")
    done = await model(http, fake.url, waits, timeout="8s").complete(MESSAGES)
    assert done.text == "Hej!"
    assert waits.slept == [2.0]
    assert len(fake.requests) == 2


async def test_a_429_asking_for_longer_than_the_timeout_is_not_waited_for(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    waits = Waits()
    fake.fail(429, retry_after="30")
    with pytest.raises(ModelRateLimited) as raised:
        await model(http, fake.url, waits, timeout="8s").complete(MESSAGES)
    assert raised.value.retry_after == 30.0 and raised.value.reason == "rate limited"
    assert waits.slept == [] and len(fake.requests) == 1


async def test_a_server_error_fails_at_once_with_its_status(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    fake.fail(500)
    with pytest.raises(ModelUnavailable) as raised:
        await model(http, fake.url).complete(MESSAGES)
    assert raised.value.reason == "server error 500"
    assert len(fake.requests) == 1


async def test_an_answer_slower_than_the_timeout_is_a_timeout(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    fake.stall()
    with pytest.raises(ModelTimeout) as raised:
        await model(http, fake.url, timeout=0.2).complete(MESSAGES)
    assert raised.value.reason == "timeout"


@pytest.mark.parametrize("how", ["refusal", "content_filter"])
async def test_a_refusal_is_no_suggestion(
    fake: FakeOpenAI, http: httpx.AsyncClient, how: str
) -> None:
    if how == "refusal":
        fake.refuse()
    else:
        fake.filter()
    with pytest.raises(ModelRefused):
        await model(http, fake.url).complete(MESSAGES)


async def test_a_wrong_key_is_an_error_not_a_suggestion(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    settings = Llm.model_validate({"base_url": fake.url, "model": "m"})
    with pytest.raises(ModelUnavailable) as raised:
        await ChatModel(http, settings, "sk-wrong").complete(MESSAGES)
    assert raised.value.reason == "HTTP 401"


async def test_azure_openai_gets_its_api_key_header_and_api_version(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    fake.reply("Hallo!")
    settings = Llm.model_validate(
        {
            "base_url": fake.azure_url("drafts-4o"),
            "model": "gpt-4o-mini",
            "api_version": AZURE_VERSION,
            "api_key_env": "AZURE_OPENAI_API_KEY",
        }
    )
    done = await ChatModel(http, settings, AZURE_KEY).complete(MESSAGES)
    assert done.text == "Hallo!" and done.model == "drafts-4o"
    [sent] = fake.requests
    assert sent.query == {"api-version": AZURE_VERSION}
    assert sent.headers["api-key"] == AZURE_KEY and "Authorization" not in sent.headers


async def test_a_local_server_without_a_key_gets_no_authorization(
    http: httpx.AsyncClient,
) -> None:
    async with FakeOpenAI(api_key=None) as local:
        local.reply("Hei!")
        settings = Llm.model_validate({"base_url": local.url, "model": "llama3.1"})
        done = await ChatModel(http, settings, None).complete(MESSAGES)
        assert done.text == "Hei!"
        assert "Authorization" not in local.requests[0].headers


def test_timeout_defaults_to_eight_seconds() -> None:
    assert Llm.model_validate({"base_url": "http://x/v1", "model": "m"}).timeout == timedelta(
        seconds=8
    )
