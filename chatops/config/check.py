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
from typing import Any

from chatops.config.loader import Analysis, ConfigError, Problem, analyse, read_config_text
from chatops.config.models import (
    ACCOUNT_LISTS,
    BACKENDS,
    ENV_NAME,
    NOTIFY_TARGETS,
    PLATFORMS,
    Loc,
    as_id,
)
from chatops.settings import env_problems

ENVIRONMENT = "environment"
"""`Problem.source` of problems with an environment variable's value."""

_PLATFORM_ENV: Mapping[str, tuple[str, ...]] = {
    "facebook": ("FACEBOOK_APP_SECRET", "FACEBOOK_VERIFY_TOKEN"),
    "instagram": ("FACEBOOK_APP_SECRET", "FACEBOOK_VERIFY_TOKEN"),
    "x": ("X_CONSUMER_SECRET", "X_BEARER_TOKEN"),
    "viber": ("VIBER_AUTH_TOKEN",),
    "sandbox": (),  # SANDBOX_SECRET has a default
}
_TEAMS_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
_SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]{6,}")
_SLACK_PRINCIPAL = re.compile(r"[SUW][A-Z0-9]{6,}")


def _is_set(env: Mapping[str, str], name: str) -> bool:
    return bool(env.get(name, "").strip())


def _not_set(name: str, needed_by: str = "") -> str:
    return f"env variable {name} is not set" + (f" (needed by {needed_by})" if needed_by else "")


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _items(section: Any, key: str) -> list[tuple[int, Any]]:
    value = section.get(key) if isinstance(section, Mapping) else None
    return list(enumerate(value)) if isinstance(value, list) else []


def _backend(data: Mapping[str, Any]) -> str | None:
    backend = _section(data, "chat").get("backend", "console")
    return backend if backend in BACKENDS else None


def _backend_env(analysis: Analysis, backend: str, env: Mapping[str, str]) -> list[Problem]:
    loc: Loc = ("chat", "backend")
    needed: list[str] = []
    if backend == "slack":
        needed = ["SLACK_BOT_TOKEN"]
        if not _is_set(env, "SLACK_APP_TOKEN"):  # Socket Mode needs no signing secret
            needed.append("SLACK_SIGNING_SECRET")
    elif backend == "teams":
        app_type = env.get("MicrosoftAppType", "").strip() or "MultiTenant"
        if app_type not in _TEAMS_APP_TYPES:
            return [
                analysis.problem(
                    loc, f"MicrosoftAppType must be one of {', '.join(_TEAMS_APP_TYPES)}"
                )
            ]
        needed = ["MicrosoftAppId"]
        if app_type != "UserAssignedMSI":
            needed.append("MicrosoftAppPassword")
        if app_type != "MultiTenant":
            needed.append("MicrosoftAppTenantId")
    return [
        analysis.problem(loc, _not_set(name, f"the {backend} backend"))
        for name in needed
        if not _is_set(env, name)
    ]


def _platform_env(analysis: Analysis, env: Mapping[str, str]) -> list[Problem]:
    platforms = _section(analysis.data, "platforms")
    enabled = [name for name in PLATFORMS if name in platforms]
    problems: list[Problem] = []
    reported: set[str] = set()
    for platform in enabled:
        for name in _PLATFORM_ENV[platform]:
            if name in reported or _is_set(env, name):
                continue
            reported.add(name)
            users = ", ".join(p for p in enabled if name in _PLATFORM_ENV[p])
            problems.append(analysis.problem(("platforms", platform), _not_set(name, users)))
        key = ACCOUNT_LISTS[platform]
        for index, account in _items(platforms.get(platform), key):
            token_env = account.get("token_env") if isinstance(account, Mapping) else None
            if (
                isinstance(token_env, str)
                and ENV_NAME.fullmatch(token_env)
                and not _is_set(env, token_env)
            ):
                loc: Loc = ("platforms", platform, key, index, "token_env")
                problems.append(analysis.problem(loc, _not_set(token_env)))
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


def _backend_ids(analysis: Analysis, backend: str) -> list[Problem]:
    data = analysis.data
    departments = _items(data, "departments")
    channels = [
        (("departments", index, "channel"), department.get("channel"))
        for index, department in departments
        if isinstance(department, Mapping)
    ]
    if backend == "teams":
        return _ids(
            analysis,
            channels,
            lambda value: value.startswith("19:") and len(value) > 3,
            "a Teams channel id (19:…@thread.tacv2)",
        )
    if backend != "slack":
        return []
    people: list[tuple[Loc, Any]] = [
        (("departments", index, "escalate_to", position), principal)
        for index, department in departments
        for position, principal in _items(department, "escalate_to")
    ]
    people += [
        (("approval", "approvers", position), principal)
        for position, principal in _items(data.get("approval"), "approvers")
    ]
    people += [
        (loc, target) for loc, target in _notify_targets(data) if target not in NOTIFY_TARGETS
    ]
    return _ids(
        analysis,
        channels,
        lambda value: bool(_SLACK_CHANNEL.fullmatch(value)),
        "a Slack channel id (like C0123ABCD; use the id, not the #name)",
    ) + _ids(
        analysis,
        people,
        lambda value: bool(_SLACK_PRINCIPAL.fullmatch(value)),
        "a Slack user or user-group id (U…, W… or S…)",
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


def check_config_text(
    text: str, env: Mapping[str, str], *, source: str = "chatops.yaml"
) -> list[Problem]:
    """Every problem of this config text under `env`: file problems by line, then env values."""
    analysis = analyse(text, source)
    problems = list(analysis.problems)
    if isinstance(analysis.data, Mapping):
        backend = _backend(analysis.data)
        if backend is not None:
            problems += _backend_env(analysis, backend, env) + _backend_ids(analysis, backend)
        problems += _platform_env(analysis, env) + _approval(analysis)
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
    return check_config_text(text, env, source=os.fspath(path_or_text))
