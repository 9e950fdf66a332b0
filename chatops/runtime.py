"""Assembles one process: settings and config in, store, adapters, chat, workflow out.

Clients are created here once and closed in `close()`: nothing is built at import time.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

import adapters as platform_adapters
from adapters import Adapter, AdapterContext
from adapters.base import required_env as platform_env
from chatops.chat import ChatBackend, ListsApprovers
from chatops.config import Config
from chatops.domain import utcnow
from chatops.drafting import LANGUAGES, Drafter
from chatops.env import EnvProblem
from chatops.knowledge import Knowledge
from chatops.knowledge.answers import AnswerLog, Masking, PastAnswers
from chatops.metrics import Metrics
from chatops.pipeline import Pipeline
from chatops.redis_checks import WipeWatch
from chatops.settings import Settings, backend_env, llm_env
from chatops.store import Store, StreamLimits, connect
from chatops.suggest.llm import ChatModel
from chatops.suggest.queue import SuggestQueue
from chatops.suggest.runner import SuggestRunner
from chatops.suggest.suggester import Suggester
from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass
class Runtime:
    settings: Settings
    config: Config
    store: Store
    http: httpx.AsyncClient
    metrics: Metrics
    adapters: dict[str, Adapter] = field(default_factory=dict)
    chat: ChatBackend | None = None
    workflow: Workflow | None = None
    pipeline: Pipeline | None = None
    wipes: WipeWatch | None = None
    """Notices the store being wiped; shared by the worker loop, the scheduler and /readyz."""
    clock: Callable[[], datetime] = utcnow
    """The time of every part of this process (a test's clock in tests)."""
    knowledge: Knowledge = field(default_factory=lambda: Knowledge((), ()))
    """The `knowledge:` folders, indexed at start; `run_roles` keeps it in step with them."""
    answers: PastAnswers | None = None
    """Every published answer (Redis), indexed for "Similar" at start, refreshed when searched."""
    suggestions: SuggestRunner | None = None
    """Model suggestions (`drafting.llm`), asked for in the background of the worker role."""

    @property
    def wf(self) -> Workflow:
        assert self.workflow is not None, "runtime not started"
        return self.workflow

    async def close(self) -> None:
        if self.chat is not None:
            await self.chat.close()
        await self.http.aclose()
        await self.store.close()


def load_backend(name: str) -> Any:
    """The module `chatops.<name>.backend` of a chat backend package: its `create(runtime)`
    makes the backend (imported only when that chat is configured: Bolt and botbuilder are
    slow to import)."""
    try:
        return importlib.import_module(f"chatops.{name}.backend")
    except ModuleNotFoundError:
        raise ValueError(f"chat backend '{name}' is not available in this version") from None


def create_chat(rt: Runtime) -> ChatBackend:
    """The configured chat backend; with departments in several chats, one over them all."""
    backends: dict[str, ChatBackend] = {
        name: load_backend(name).create(rt) for name in rt.config.chats
    }
    if len(backends) == 1:
        return next(iter(backends.values()))
    from chatops.mixed import MixedChat

    return MixedChat(backends, rt.config)


def knowledge_of(config: Config) -> Knowledge:
    """The config's knowledge folders, not yet indexed; passages' languages are detected among
    those the departments answer in (all seven when none is named), as mentions' are."""
    answered = sorted({language for d in config.departments for language in d.languages})
    return Knowledge(config.knowledge_folders(), answered or LANGUAGES)


def past_answers(store: Store, config: Config, clock: Callable[[], datetime]) -> PastAnswers:
    """The published answers of every department, kept as long as cases are (and read from
    them)."""
    departments = [d.id for d in config.departments]
    masking = Masking(config.brand, config.pii.patterns, config.pii.allow)
    log_ = AnswerLog(store.redis, store.cases.stored, masking=masking)
    return PastAnswers(log_, departments, keep=config.retention.cases, clock=clock)


def required_env(settings: Settings, config: Config) -> list[str]:
    """Every variable the configured chat backend and platforms cannot start without, each
    named once with who needs it; empty when the process may start."""
    found: dict[str, tuple[EnvProblem, list[str]]] = {}
    sources = [(f"the {chat} backend", backend_env(chat, settings)) for chat in config.chats]
    sources += [
        (name, platform_env(name, settings, section))
        for name in config.platforms.enabled()
        if (section := config.platforms.section(name)) is not None
    ]
    llm = config.drafting.llm
    sources.append(("drafting.llm", llm_env(settings, llm.api_key_env if llm else None)))
    for who, problems in sources:
        for problem in problems:
            users = found.setdefault(problem.name, (problem, []))[1]
            if who not in users:
                users.append(who)
    return [f"{problem} (needed by {', '.join(users)})" for problem, users in found.values()]


async def start(
    settings: Settings,
    config: Config,
    *,
    store: Store | None = None,
    chat: ChatBackend | None = None,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Runtime:
    """Build every long-lived object of a process, in dependency order."""
    rt = Runtime(
        settings=settings,
        config=config,
        store=store or Store(connect(settings.redis_url)),
        http=http or httpx.AsyncClient(timeout=HTTP_TIMEOUT),
        metrics=Metrics(),
        clock=clock,
    )
    rt.store.inbound.limits = StreamLimits.of(config.retention)  # `retention:` of the config
    rt.wipes = WipeWatch(rt.store)  # wall time: /readyz judges problems by it
    ctx = AdapterContext(settings=settings, config=config, http=rt.http)
    for name in config.platforms.enabled():
        rt.adapters[name] = platform_adapters.load(name, ctx)
    rt.chat = chat or create_chat(rt)
    rt.knowledge = knowledge_of(config)
    await rt.knowledge.tick()
    rt.answers = past_answers(rt.store, config, clock)
    await rt.answers.refresh()
    drafter = Drafter()
    rt.workflow = Workflow(
        rt.store,
        config,
        rt.adapters,
        rt.chat,
        clock=clock,
        time_scale=settings.time_scale,
        approvers=rt.chat.approvers if isinstance(rt.chat, ListsApprovers) else None,
        drafter=drafter,
        answers=rt.answers,
    )
    rt.pipeline = Pipeline(
        rt.workflow, rt.store, config, rt.adapters, rt.chat, drafter, clock=clock
    )
    rt.suggestions = suggestions_of(rt)
    rt.pipeline.suggestions = rt.suggestions
    return rt


def suggestions_of(rt: Runtime) -> SuggestRunner | None:
    """The model suggestions of `drafting.llm` around the process's HTTP client; None without
    one. A key variable named but unset stops the process (fail closed)."""
    llm = rt.config.drafting.llm
    if llm is None:
        return None
    missing = llm_env(rt.settings, llm.api_key_env)
    if missing:
        raise ValueError(f"cannot start: env variable {missing[0]} (needed by drafting.llm)")
    key = rt.settings.token(llm.api_key_env) if llm.api_key_env else None
    model = ChatModel(rt.http, llm, key)
    answered = sorted({lang for d in rt.config.departments for lang in d.languages})
    suggester = Suggester(
        model,
        rt.wf,
        rt.store,
        rt.config,
        rt.knowledge,
        past=rt.answers,
        languages=answered or LANGUAGES,
        clock=rt.clock,
    )
    queue = SuggestQueue(rt.store.redis)
    return SuggestRunner(queue, suggester, concurrency=llm.concurrency, clock=rt.clock)
