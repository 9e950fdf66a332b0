"""`chatops check-config`: every problem with the config *and* the environment, at once.

The loader already reports schema and cross-reference problems. This adds what depends on the
environment or the chat backend: missing secrets, token variables named by the config but not
set, and ids that cannot be the backend's. These checks read the parsed YAML rather than the
validated `Config`, so they still run when some other part of the file is broken.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.base import config_model, required_env
from chatops.config.loader import Analysis, ConfigError, Problem, analyse, read_config_text
from chatops.config.models import BACKENDS, NOTIFY_TARGETS, PLATFORMS, Drafting, Loc
from chatops.env import EnvProblem
from chatops.schema import as_id
from chatops.settings import Settings, backend_env, env_problems, llm_env

ENVIRONMENT = "environment"
"""`Problem.source` of problems with an environment variable's value."""

_SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]{6,}")
_SLACK_PRINCIPAL = re.compile(r"[SUW][A-Z0-9]{6,}")
_TEAMS_CHANNEL = re.compile(r"19:\S+")
_AAD_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
"""A Microsoft Entra (AAD) object id: how Teams names a person."""


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _items(section: Any, key: str) -> list[tuple[int, Any]]:
    value = section.get(key) if isinstance(section, Mapping) else None
    return list(enumerate(value)) if isinstance(value, list) else []


def _backend(data: Mapping[str, Any]) -> str | None:
    backend = _section(data, "chat").get("backend", "console")
    return backend if backend in BACKENDS else None


def _department_chats(data: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any], str | None]]:
    """Each department (index, entry) with the chat it lives in: its own `chat`, else
    `chat.backend`; None when that is no known backend (the schema reports it)."""
    default = _section(data, "chat").get("backend", "console")
    found = []
    for index, department in _items(data, "departments"):
        if isinstance(department, Mapping):
            chat = department.get("chat")
            chat = default if chat is None else chat
            found.append((index, department, chat if chat in BACKENDS else None))
    return found


def _backend_env(analysis: Analysis, settings: Settings) -> list[Problem]:
    """What each used chat backend lacks (`backend_env`): at `chat.backend`, or at the first
    department that names a chat of its own."""
    used: dict[str, Loc] = {}
    top = _backend(analysis.data)
    for index, _department, chat in _department_chats(analysis.data):
        if chat is not None and chat not in used:
            used[chat] = ("chat", "backend") if chat == top else ("departments", index, "chat")
    if not _items(analysis.data, "departments") and top is not None:
        used[top] = ("chat", "backend")
    return [
        analysis.problem(loc, f"env variable {problem} (needed by the {chat} backend)")
        for chat, loc in used.items()
        for problem in backend_env(chat, settings)
    ]


def _platform_env(analysis: Analysis, settings: Settings) -> list[Problem]:
    """What each enabled platform's module says it lacks (`required_env`): a variable shared by
    several platforms once, at the first; a `token_env` at the account that names it."""
    platforms = _section(analysis.data, "platforms")
    problems: list[Problem] = []
    shared: dict[str, tuple[EnvProblem, str, list[str]]] = {}
    for platform in (name for name in PLATFORMS if name in platforms):
        try:
            raw = platforms[platform]
            section = config_model(platform).model_validate({} if raw is None else raw)
        except ValidationError:
            continue  # its schema problems are reported already
        for problem in required_env(platform, settings, section):
            if problem.loc:
                problems.append(analysis.problem(problem.loc, f"env variable {problem}"))
            else:
                shared.setdefault(problem.name, (problem, platform, []))[2].append(platform)
    for problem, first, users in shared.values():
        message = f"env variable {problem} (needed by {', '.join(users)})"
        problems.append(analysis.problem(("platforms", first), message))
    return problems


def _ids(
    analysis: Analysis,
    entries: Sequence[tuple[Loc, Any]],
    looks_right: Callable[[str], bool],
    what: str,
) -> list[Problem]:
    problems = []
    for loc, raw in entries:
        value = as_id(raw)
        if isinstance(value, str) and value and not looks_right(value):
            problems.append(analysis.problem(loc, f"'{value}' does not look like {what}"))
    return problems


def _notify_targets(data: Mapping[str, Any]) -> list[tuple[Loc, Any]]:
    """Each escalation `notify` entry with its location (`notify` may be one string or a list)."""
    targets: list[tuple[Loc, Any]] = []
    for index, tier in _items(data, "escalation"):
        notify = tier.get("notify") if isinstance(tier, Mapping) else None
        if isinstance(notify, list):
            targets += [
                (("escalation", index, "notify", at), item) for at, item in enumerate(notify)
            ]
        elif notify is not None:
            targets.append((("escalation", index, "notify"), notify))
    return targets


def _backend_ids(analysis: Analysis) -> list[Problem]:
    """Channels and people that cannot be ids of the chat they are used in: each department's
    against its own chat; approvers and `notify` against every chat in use."""
    data = analysis.data
    departments = _department_chats(data)
    used = {chat for _, _, chat in departments}
    problems = _ids(
        analysis,
        [
            (("departments", index, "channel"), department.get("channel"))
            for index, department, chat in departments
            if chat == "teams"
        ],
        lambda value: value.startswith("19:") and len(value) > 3,
        "a Teams channel id (19:…@thread.tacv2)",
    )
    if "slack" not in used:
        return problems + _approval_channel(analysis, used)
    problems += _ids(
        analysis,
        [
            (("departments", index, "channel"), department.get("channel"))
            for index, department, chat in departments
            if chat == "slack"
        ],
        lambda value: bool(_SLACK_CHANNEL.fullmatch(value)),
        "a Slack channel id (like C0123ABCD; use the id, not the #name)",
    )
    problems += _ids(
        analysis,
        [
            (("departments", index, "escalate_to", position), principal)
            for index, department, chat in departments
            if chat == "slack"
            for position, principal in _items(department, "escalate_to")
        ],
        lambda value: bool(_SLACK_PRINCIPAL.fullmatch(value)),
        "a Slack user or user-group id (U…, W… or S…)",
    )
    problems += _approval_channel(analysis, used)
    people: list[tuple[Loc, Any]] = [
        (("approval", "approvers", position), principal)
        for position, principal in _items(data.get("approval"), "approvers")
    ]
    people += [
        (loc, target) for loc, target in _notify_targets(data) if target not in NOTIFY_TARGETS
    ]
    if "teams" in used:  # one list for both chats: Slack ids and AAD object ids side by side
        return problems + _ids(
            analysis,
            people,
            lambda value: bool(_SLACK_PRINCIPAL.fullmatch(value) or _AAD_ID.fullmatch(value)),
            "a Slack user or user-group id (U…, W… or S…) or a Teams user's AAD object id",
        )
    return problems + _ids(
        analysis,
        people,
        lambda value: bool(_SLACK_PRINCIPAL.fullmatch(value)),
        "a Slack user or user-group id (U…, W… or S…)",
    )


def _overview_ids(analysis: Analysis) -> list[Problem]:
    """`reminders.overview_to`: people and groups as for approvers, or a channel of a chat in
    use (the overview is then posted there)."""
    used = {chat for _, _, chat in _department_chats(analysis.data)}
    checks: list[tuple[Callable[[str], bool], str]] = []
    if "slack" in used:
        checks.append(
            (
                lambda value: bool(
                    _SLACK_PRINCIPAL.fullmatch(value) or _SLACK_CHANNEL.fullmatch(value)
                ),
                "a Slack user, user-group or channel id (U…, W…, S… or C…)",
            )
        )
    if "teams" in used:
        checks.append(
            (
                lambda value: bool(_AAD_ID.fullmatch(value) or _TEAMS_CHANNEL.fullmatch(value)),
                "a Teams user's AAD object id or a Teams channel id (19:…@thread.tacv2)",
            )
        )
    if not checks:
        return []
    entries = [
        (("reminders", "overview_to", position), target)
        for position, target in _items(_section(analysis.data, "reminders"), "overview_to")
    ]
    return _ids(
        analysis,
        entries,
        lambda value: any(looks_right(value) for looks_right, _ in checks),
        " or ".join(what for _, what in checks),
    )


def _approval_channel(analysis: Analysis, used: set[str | None]) -> list[Problem]:
    """`approval.channel` is a channel of a chat in use, as departments' channels are."""
    looks: dict[str, tuple[Callable[[str], bool], str]] = {
        "slack": (lambda v: bool(_SLACK_CHANNEL.fullmatch(v)), "a Slack channel id (C…)"),
        "teams": (lambda v: bool(_TEAMS_CHANNEL.fullmatch(v)), "a Teams channel id (19:…)"),
    }
    chats = [looks[chat] for chat in ("slack", "teams") if chat in used]
    if not chats:
        return []
    channel = _section(analysis.data, "approval").get("channel")
    return _ids(
        analysis,
        [(("approval", "channel"), channel)],
        lambda value: any(check(value) for check, _ in chats),
        " or ".join(what for _, what in chats),
    )


def _approval(analysis: Analysis) -> list[Problem]:
    """Approval that nobody can give blocks sensitive replies forever."""
    data = analysis.data
    approval = _section(data, "approval")
    if approval.get("approvers"):
        return []
    problems = []
    if (
        approval.get("sensitive_keywords")
        or approval.get("departments")
        or approval.get("min_followers") is not None
    ):
        problems.append(
            analysis.problem(
                ("approval",), "replies can need approval, but approval.approvers is empty"
            )
        )
    problems += [
        analysis.problem(loc, "notifies approvers, but approval.approvers is empty")
        for loc, target in _notify_targets(data)
        if target == "approvers"
    ]
    return problems


def _knowledge_folders(analysis: Analysis, folder: Path) -> list[Problem]:
    """Each `knowledge[].path` must be a folder, relative to the config file's folder: a
    misspelt one would leave drafts without the brand's knowledge and nobody would notice."""
    problems = []
    for index, entry in _items(analysis.data, "knowledge"):
        path = entry.get("path") if isinstance(entry, Mapping) else None
        if not isinstance(path, str) or not path.strip():
            continue  # the schema reports it
        where = folder / path.strip()
        if where.is_dir():
            continue
        what = "is not a folder" if where.exists() else "does not exist"
        message = f"'{path.strip()}' {what} (looked for {where})"
        problems.append(analysis.problem(("knowledge", index, "path"), message))
    return problems


def _llm_env(analysis: Analysis, settings: Settings) -> list[Problem]:
    """The model's key variable (`drafting.llm.api_key_env`) when it names an unset one."""
    try:
        drafting = Drafting.model_validate(_section(analysis.data, "drafting"))
    except ValidationError:
        return []  # its schema problems are reported already
    return [
        analysis.problem(problem.loc, f"env variable {problem} (needed by drafting.llm)")
        for problem in llm_env(settings, drafting.llm.api_key_env if drafting.llm else None)
    ]


def check_config_text(
    text: str,
    env: Mapping[str, str],
    *,
    source: str = "chatops.yaml",
    folder: Path | None = None,
) -> list[Problem]:
    """Every problem of this config text under `env`: file problems by line, then env values.
    Relative paths are read from `folder` (the config file's; default the working directory)."""
    analysis = analyse(text, source)
    problems = list(analysis.problems)
    if isinstance(analysis.data, Mapping):
        settings = Settings.from_env(env, strict=False)
        problems += _backend_env(analysis, settings) + _backend_ids(analysis)
        problems += _overview_ids(analysis)
        problems += _platform_env(analysis, settings) + _approval(analysis)
        problems += _knowledge_folders(analysis, folder or Path.cwd())
        problems += _llm_env(analysis, settings)
    problems.sort(key=lambda problem: problem.line or 0)
    problems += [Problem(ENVIRONMENT, None, name, msg) for name, msg in env_problems(env)]
    return problems


def check_config(path_or_text: str | os.PathLike[str], env: Mapping[str, str]) -> list[Problem]:
    """Every problem of a config file (or of YAML text: a `str` containing a newline)."""
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return check_config_text(path_or_text, env)
    try:
        text = read_config_text(path_or_text)
    except ConfigError as exc:
        return exc.problems
    folder = Path(os.path.abspath(path_or_text)).parent
    return check_config_text(text, env, source=os.fspath(path_or_text), folder=folder)
