"""A local OpenAI-compatible chat-completions API, for the model suggestions' tests.

Our real `httpx` client reaches it through `drafting.llm.base_url` (`url`: `<origin>/v1`, as
OpenAI, vLLM and Ollama serve it; `azure_url(deployment)` for Azure OpenAI's
`/openai/deployments/<deployment>` with `?api-version=` and an `api-key` header). It answers
`POST …/chat/completions` in the wire format: `{id, object: "chat.completion", created, model,
choices: [{index, message: {role, content, refusal}, logprobs, finish_reason}], usage}`, and
errors as `{"error": {"message", "type", "param", "code"}}`. Tests queue what it answers next
(`reply`, `fail`, `refuse`, `filter`, `stall`) and read what it was sent (`requests`).
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

API_KEY = "sk-test-key"
AZURE_KEY = "azure-test-key"
AZURE_VERSION = "2024-10-21"

ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a text, a refusal, an HTTP error, or none at all (`hold`)."""

    content: str | None = None
    refusal: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Sent:
    """A request as the server saw it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages", []))

    @property
    def text(self) -> str:
        """Every message's content, joined: what left the machine."""
        return "\n".join(m.get("content", "") for m in self.messages)


class FakeOpenAI(LocalServer):
    def __init__(self, *, api_key: str | None = API_KEY, model: str = "gpt-4o-mini") -> None:
        self.api_key = api_key
        self.model = model
        self.answers: deque[Answer] = deque()
        self.requests: list[Sent] = []
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"{self.origin}/v1"

    def azure_url(self, deployment: str) -> str:
        return f"{self.origin}/openai/deployments/{deployment}"

    # -- what it answers next ---------------------------------------------------------------

    def reply(self, content: str) -> None:
        self.answers.append(Answer(content=content))

    def refuse(self, refusal: str = "I'm sorry, I can't help with that.") -> None:
        self.answers.append(Answer(refusal=refusal))

    def fail(self, status: int, **headers: str) -> None:
        """An error answer; `retry_after="2"` sends `Retry-After: 2`."""
        sent = {name.replace("_", "-").title(): value for name, value in headers.items()}
        self.answers.append(Answer(status=status, headers=sent))

    def filter(self) -> None:
        """A content filter's answer: no content, `finish_reason: content_filter`."""
        self.answers.append(Answer(finish_reason="content_filter"))

    def stall(self) -> None:
        """Never answer the next request (a server slower than any timeout)."""
        self.answers.append(Answer(hold=True))

    # -- the API ----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._azure)

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        if self.api_key is not None and request.headers.get("Authorization") != (
            f"Bearer {self.api_key}"
        ):
            return _error(401, "Incorrect API key provided.")
        return await self._complete(request)

    async def _azure(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("api-version") != AZURE_VERSION:
            return _error(404, "Resource not found")
        if request.headers.get("api-key") != AZURE_KEY:
            return _error(401, "Access denied due to invalid subscription key.")
        return await self._complete(request, model=request.match_info["deployment"])

    async def _complete(self, request: web.Request, model: str | None = None) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error(400, "We could not parse the JSON body of your request.")
        self.requests.append(Sent(request.path, dict(request.query), dict(request.headers), body))
        if not isinstance(body.get("messages"), list) or not body.get("model"):
            return _error(400, "'messages' and 'model' are required properties.")
        answer = self.answers.popleft() if self.answers else Answer(content="OK")
        if answer.hold:
            await self.hold()
        if answer.status != 200:
            return _error(answer.status, "The server had an error.", answer.headers)
        return web.json_response(self._completion(answer, model or str(body["model"])))

    def _completion(self, answer: Answer, model: str) -> dict[str, Any]:
        n = next(self._ids)
        return {
            "id": f"chatcmpl-test{n:06d}",
            "object": "chat.completion",
            "created": 1764460800 + n,
            "model": model,
            "system_fingerprint": "fp_test",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": answer.content,
                        "refusal": answer.refusal,
                    },
                    "logprobs": None,
                    "finish_reason": answer.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": len((answer.content or "").split()),
                "total_tokens": 100 + len((answer.content or "").split()),
            },
        }


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    kind, code = ERROR_TYPES.get(status, ("invalid_request_error", None))
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers or {})
