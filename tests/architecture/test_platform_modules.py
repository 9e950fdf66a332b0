"""Adding a platform is adding a module (issue 11): everything the rest of the product knows
about a platform it reads from `adapters/<name>.py`, nothing outside `adapters/` lists the
platforms by name, and a platform's env variables are named only in the module declaring them.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from adapters import base
from chatops.chat.wording import platform_name
from chatops.config import PLATFORMS, PlatformsConfig
from chatops.env import EnvValues
from chatops.hygiene import text_max
from chatops.settings import ENV_NAMES, Settings, env_problems
from tests.conftest import System

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("chatops", "escalation")
"""The packages outside `adapters/` that must read the platforms from the registry."""


@pytest.mark.parametrize("name", base.names())
def test_each_platform_declares_what_the_rest_reads(name: str) -> None:
    module = base._module(name)
    assert isinstance(module.DISPLAY_NAME, str) and module.DISPLAY_NAME.strip()
    assert base.display_name(name) == platform_name(name) == module.DISPLAY_NAME
    assert issubclass(base.config_model(name), base.PlatformConfig)
    assert PlatformsConfig.model_fields[name].annotation == base.config_model(name) | None
    assert base.webhook_route(name) == f"/webhooks/{name}"
    assert issubclass(module.ENV, EnvValues) and module.ENV.variables()
    assert module.ENV in base.env_kinds()
    assert {v.name for v in module.ENV.variables()} <= set(ENV_NAMES)
    assert text_max(name, False) == module.TEXT_MAX.public
    assert text_max(name, True) == module.TEXT_MAX.private


def test_the_config_has_a_section_for_every_platform_module_and_no_other() -> None:
    assert PLATFORMS == base.names()
    assert tuple(PlatformsConfig.model_fields) == base.names()


def test_a_platform_without_a_module_is_shown_by_its_name() -> None:
    assert platform_name("tiktok") == "Tiktok"


@pytest.mark.parametrize(
    ("section", "platform"),
    [
        ({"facebook": {"pages": [{"id": "p1"}]}}, "facebook"),
        ({"instagram": {"accounts": [{"id": "p1"}]}}, "instagram"),
        ({"sandbox": {"accounts": [{"id": "p1"}]}}, "sandbox"),
    ],
)
def test_each_config_model_says_which_key_lists_its_accounts(
    section: dict[str, object], platform: str
) -> None:
    platforms = PlatformsConfig.model_validate(section)
    assert platforms.enabled() == [platform]
    assert [a.id for a in platforms.accounts(platform)] == ["p1"]
    assert isinstance(platforms.section(platform), base.config_model(platform))


@pytest.mark.parametrize("kind", base.env_kinds(), ids=lambda kind: kind.__name__)
def test_each_platform_variable_is_declared_with_its_kind_and_default(
    kind: type[EnvValues],
) -> None:
    """Secrets stay out of `repr`, base URLs are read as such (never echoed), and with nothing
    set each value is its declared default."""
    defaults = Settings.from_env({}).platform_env(kind)
    for field, variable in zip(dataclasses.fields(kind), kind.variables(), strict=True):
        assert field.repr is not variable.secret, variable.name
        assert getattr(defaults, field.name) == variable.default, variable.name
        if variable.base_url:
            assert variable.default is None or variable.default.startswith("https://")
            problems = env_problems({variable.name: "ftp://user:pw@host"})
            assert problems == [(variable.name, "must start with http:// or https://")]
    secrets = {v.name: f"value-of-{v.name}" for v in kind.variables() if v.secret}
    shown = repr(Settings.from_env(secrets))
    assert secrets and not [value for value in secrets.values() if value in shown]


async def test_the_web_app_serves_the_webhook_route_of_every_platform(system: System) -> None:
    """The test config enables only the sandbox: its route answers the handshake, and every
    other platform's route reaches the webhook handler, which names the platform as off."""
    for name in base.names():
        response = await system.client.get(base.webhook_route(name))
        text = await response.text()
        if name in system.rt.config.platforms.enabled():
            assert response.status != 404, text
        else:
            assert response.status == 404
            assert f"platform '{name}' is not enabled" in text
    unrouted = await system.client.get("/webhook/sandbox")
    assert unrouted.status == 404 and "is not enabled" not in await unrouted.text()


def _named(item: ast.expr | None, platforms: tuple[str, ...]) -> set[str]:
    """The platforms one item of a literal names: itself, or inside a tuple."""
    if isinstance(item, ast.Constant) and item.value in platforms:
        return {item.value}
    if isinstance(item, ast.Tuple):
        return set().union(*(_named(part, platforms) for part in item.elts))
    return set()


def listed_platforms(source: str, platforms: tuple[str, ...]) -> list[int]:
    """Line of each list, tuple, set or dict literal naming three or more platforms: as its
    items or keys, or inside tuple items or keys such as `("facebook", True)`."""
    found: list[int] = []
    nested: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items: list[ast.expr | None] = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = list(node.keys)
        else:
            continue
        if id(node) in nested:
            continue
        nested.update(id(item) for item in items if isinstance(item, ast.Tuple))
        if len(set().union(*(_named(item, platforms) for item in items))) >= 3:
            found.append(node.lineno)
    return found


def test_no_module_outside_adapters_lists_the_platforms() -> None:
    platforms = base.names()
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in SOURCES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in listed_platforms(path.read_text(encoding="utf-8"), platforms)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ('PLATFORMS = ("facebook", "instagram", "x", "viber", "sandbox")', [1]),
        ('NAMES = ["facebook", "x", "viber"]', [1]),
        ('ON = {"instagram", "sandbox", "viber"}', [1]),
        ('WORDS = {"facebook": "Facebook", "x": "X",\n "viber": "Viber"}', [1]),
        ('def f():\n    return name in ("facebook", "instagram", "x")', [2]),
        ('META = ("facebook", "instagram")', []),
        ('LIMITS = {("facebook", True): 1, ("x", True): 2, ("viber", True): 3}', [1]),
        ('LIMITS = [\n ("facebook", 1),\n ("x", 2),\n ("viber", 3)]', [1]),
        ('LIMITS = {("facebook", True): 1, ("facebook", False): 2}', []),
        ('TEXT = "facebook instagram x viber sandbox"', []),
    ],
)
def test_a_list_of_platforms_is_found(source: str, lines: list[int]) -> None:
    assert listed_platforms(source, ("facebook", "instagram", "sandbox", "viber", "x")) == lines


def named_variables(source: str, names: set[str]) -> set[str]:
    """The variables of `names` a module spells in its code (docstrings do not count)."""
    tree = ast.parse(source)
    docs = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    spelt = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]
    return {name for name in names if any(re.search(rf"\b{name}\b", text) for text in spelt)}


def test_a_platform_variable_is_named_only_in_the_module_declaring_it() -> None:
    """Settings, config checks and wording read a platform's variables from its module's
    `ENV`; no other module, in adapters/ or outside, spells one."""
    owner = {
        variable.name: Path(sys.modules[kind.__module__].__file__ or "").resolve()
        for kind in base.env_kinds()
        for variable in kind.variables()
    }
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in (*SOURCES, "adapters")
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(named_variables(path.read_text(encoding="utf-8"), set(owner)))
        if owner[name] != path.resolve()
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ('NEEDED = [("X_BEARER_TOKEN", token)]', {"X_BEARER_TOKEN"}),
        ('raise ValueError(f"X_ACCESS_TOKEN_SECRET is {how}")', {"X_ACCESS_TOKEN_SECRET"}),
        ('ENV = {"GRAPH_API_URL": url}', {"GRAPH_API_URL"}),
        ('def f():\n    """Set X_BEARER_TOKEN to poll."""', set()),
        ('NAME = "MY_X_BEARER_TOKENS"', set()),
    ],
)
def test_a_named_variable_is_found(source: str, named: set[str]) -> None:
    names = {"X_BEARER_TOKEN", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET", "GRAPH_API_URL"}
    assert named_variables(source, names) == named


EXTRA_PLATFORM = ROOT / "tests" / "extra_platform"

SEES_THE_EXTRA_PLATFORM = '''
import asyncio, json, sys
import adapters
adapters.__path__.append(sys.argv[1])  # as if tiktok.py were in adapters/

from aiohttp.test_utils import TestClient, TestServer

from chatops import runtime
from chatops.config import PLATFORMS, check_config_text, load_config_text
from chatops.chat.wording import platform_name
from chatops.hygiene import text_max
from chatops.processes import web_app
from chatops.settings import ENV_NAMES, Settings, env_problems
from chatops.store import Store, connect

CONFIG = """\\
platforms:
  tiktok: {accounts: [{id: acme, token_env: TIKTOK_ACME}]}
departments: [{id: social, channel: social}]
routing: {rules: [{match: {platform: tiktok}, to: social}], default: social}
"""
ENV = {"TIKTOK_SECRET": "s3cret", "TIKTOK_ACME": "t"}


async def webhooks(settings, config):
    rt = await runtime.start(settings, config, store=Store(connect(None)))
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        body = json.dumps({"id": "v1-c1", "video": "v1", "author": "u1", "text": "hi"})
        right = await client.post(
            "/webhooks/tiktok", data=body, headers={"X-Tiktok-Secret": "s3cret"}
        )
        wrong = await client.post(
            "/webhooks/tiktok", data=body, headers={"X-Tiktok-Secret": "guess"}
        )
        return [right.status, await right.json(), wrong.status]
    finally:
        await client.close()
        await rt.close()


config = load_config_text(CONFIG)
settings = Settings.from_env(ENV)
print(json.dumps({
    "platforms": list(PLATFORMS),
    "enabled": config.platforms.enabled(),
    "accounts": [a.id for a in config.platforms.accounts("tiktok")],
    "variables": [n for n in ENV_NAMES if n.startswith("TIKTOK_")],
    "secret_in_repr": "s3cret" in repr(settings),
    "bad_url": env_problems({"TIKTOK_API_URL": "ftp://host"}),
    "unset": runtime.required_env(Settings.from_env({}), config),
    "checked": [str(p) for p in check_config_text(CONFIG, {})],
    "checked_ok": [str(p) for p in check_config_text(CONFIG, ENV)],
    "unknown": [str(p) for p in check_config_text(CONFIG.replace("accounts", "acounts"), ENV)],
    "worded": platform_name("tiktok"),
    "text_max": [text_max("tiktok", False), text_max("tiktok", True)],
    "webhooks": asyncio.run(webhooks(settings, config)),
}))
'''


def test_adding_a_platform_is_adding_a_module() -> None:
    """A module in adapters/ (here tests/extra_platform/tiktok.py, put on the package's path
    in a fresh process) is configured, checked, routed and worded with nothing else changed."""
    done = subprocess.run(
        [sys.executable, "-c", SEES_THE_EXTRA_PLATFORM, str(EXTRA_PLATFORM)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["platforms"] == sorted([*PLATFORMS, "tiktok"])
    assert (seen["enabled"], seen["accounts"]) == (["tiktok"], ["acme"])
    assert seen["variables"] == ["TIKTOK_SECRET", "TIKTOK_API_URL"]
    assert not seen["secret_in_repr"]
    assert seen["bad_url"] == [["TIKTOK_API_URL", "must start with http:// or https://"]]
    assert seen["unset"] == [
        "TIKTOK_SECRET is not set (needed by tiktok)",
        "TIKTOK_ACME is not set (needed by tiktok)",
    ]
    assert seen["checked"] == [
        "chatops.yaml:2: platforms.tiktok.accounts[0].token_env: "
        "env variable TIKTOK_ACME is not set",
        "chatops.yaml:2: platforms.tiktok: env variable TIKTOK_SECRET is not set "
        "(needed by tiktok)",
    ]
    assert seen["checked_ok"] == []
    assert seen["unknown"] == [
        "chatops.yaml:2: platforms.tiktok: unknown key 'acounts' (did you mean 'accounts'?)"
    ]
    assert seen["worded"] == "TikTok"
    assert seen["text_max"] == [150, 6_000]
    assert seen["webhooks"] == [200, {"accepted": 1, "duplicates": 0}, 401]
