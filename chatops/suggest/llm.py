"""A client for any OpenAI-compatible `POST {base_url}/chat/completions`.

httpx rather than the `openai` SDK: the wire format is one request and one answer, the process
already shares an `httpx.AsyncClient`, and the SDK's own retries (with sleeps of its choosing)
would break the one budget a suggestion has. Azure OpenAI differs only in its `api-key` header
and `?api-version=` (`drafting.llm.api_version`); Ollama, llama.cpp and vLLM speak it as is.

Errors are mapped here to `ModelFailed` subclasses whose `reason` is a few words a thread can
show ("timeout", "rate limited", "server error 500"), never the endpoint's message, which may
quote the prompt (the customer's words).

    ModelFailed
    ├── ModelTimeout      the budget ran out (connecting, waiting, or a Retry-After past it)
    ├── ModelRateLimited  429 whose Retry-After does not fit in what is left of the budget
    ├── ModelUnavailable  5xx, another HTTP error, or no connection
    ├── ModelRefused      a refusal, a content filter, or an empty answer
    └── ModelBadAnswer    an answer that is not the chat-completions format
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from chatops.config.models import Llm

Message = dict[str, str]


class ModelFailed(Exception):
    """No usable suggestion; `reason` is what the thread says about it."""

    reason = "model error"


class ModelTimeout(ModelFailed):
    reason = "timeout"


class ModelRateLimited(ModelFailed):
    reason = "rate limited"

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class ModelUnavailable(ModelFailed):
    def __init__(self, status: int | None) -> None:
        super().__init__(status)
        self.status = status
        if status is None:
            self.reason = "unreachable"
        elif status >= 500:
            self.reason = f"server error {status}"
        else:
            self.reason = f"HTTP {status}"


class ModelRefused(ModelFailed):
    reason = "the model declined"


class ModelBadAnswer(ModelFailed):
    reason = "unreadable answer"


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    """The model that answered, as the endpoint names it (else the configured one)."""


Sleep = Callable[[float], Awaitable[None]]


class ChatModel:
    """One configured endpoint; made once per process around the shared HTTP client."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        llm: Llm,
        api_key: str | None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.http = http
        self.llm = llm
        self._api_key = api_key
        self.monotonic = monotonic
        self.sleep = sleep
        """Waits out a 429's Retry-After (a test's returns at once)."""

    @property
    def name(self) -> str:
        return self.llm.model

    @property
    def url(self) -> str:
        return f"{self.llm.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        if not self._api_key:
            return {}
        if self.llm.api_version:
            return {"api-key": self._api_key}
        return {"Authorization": f"Bearer {self._api_key}"}

    def body(self, messages: Sequence[Message]) -> dict[str, Any]:
        return {
            "model": self.llm.model,
            "messages": list(messages),
            "max_tokens": self.llm.max_tokens,
            "temperature": self.llm.temperature,
            "n": 1,
            "stream": False,
        }

    async def complete(self, messages: Sequence[Message]) -> Completion:
        """The model's answer to `messages` within `drafting.llm.timeout`, a 429 waited out
        (its Retry-After honoured) while that leaves time; else a `ModelFailed`."""
        deadline = self.monotonic() + self.llm.timeout.total_seconds()
        params = {"api-version": self.llm.api_version} if self.llm.api_version else None
        while True:
            left = deadline - self.monotonic()
            if left <= 0:
                raise ModelTimeout()
            try:
                async with asyncio.timeout(left):
                    response = await self.http.post(
                        self.url,
                        json=self.body(messages),
                        headers=self.headers(),
                        params=params,
                        timeout=httpx.Timeout(left),
                    )
            except (TimeoutError, httpx.TimeoutException) as exc:
                raise ModelTimeout() from exc
            except httpx.HTTPError as exc:
                raise ModelUnavailable(None) from exc
            if response.status_code == 429:
                wait = retry_after(response.headers)
                if wait is None or self.monotonic() + wait >= deadline:
                    raise ModelRateLimited(wait)
                await self.sleep(wait)
                continue
            if response.status_code >= 400:
                raise ModelUnavailable(response.status_code)
            return completion(response, self.llm.model)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI's, finer) or `Retry-After` (seconds);
    None when neither is a number (an HTTP date is treated as no advice)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if seconds >= 0:
            return seconds
    return None


def completion(response: httpx.Response, configured: str) -> Completion:
    """The first choice's text; a refusal, a content filter or no text is `ModelRefused`."""
    try:
        data = response.json()
        choice = data["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModelBadAnswer() from exc
    if not isinstance(message, dict):
        raise ModelBadAnswer()
    content = message.get("content")
    if message.get("refusal") or choice.get("finish_reason") == "content_filter":
        raise ModelRefused()
    if not isinstance(content, str) or not content.strip():
        raise ModelRefused()
    model = data.get("model") if isinstance(data.get("model"), str) else None
    return Completion(content.strip(), model or configured)
