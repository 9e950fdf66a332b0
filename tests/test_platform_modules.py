"""Adding a platform is adding a module (issue 11): everything the rest of the product knows
about a platform it reads from `adapters/<name>.py`, and nothing outside `adapters/` lists
the platforms by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import BaseModel

from adapters import base
from chatops.config import PLATFORMS, PlatformsConfig
from chatops.event_wording import platform_name
from tests.conftest import System

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("chatops", "escalation")
"""The packages outside `adapters/` that must read the platforms from the registry."""


@pytest.mark.parametrize("name", base.names())
def test_each_platform_declares_its_display_name_and_config_model(name: str) -> None:
    module = base._module(name)
    assert isinstance(module.DISPLAY_NAME, str) and module.DISPLAY_NAME.strip()
    assert base.display_name(name) == platform_name(name) == module.DISPLAY_NAME
    assert issubclass(base.config_model(name), BaseModel)
    assert PlatformsConfig.model_fields[name].annotation == base.config_model(name) | None
    assert base.webhook_route(name) == f"/webhooks/{name}"


def test_the_config_has_a_section_for_every_platform_module_and_no_other() -> None:
    assert sorted(PLATFORMS) == base.names()


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


def listed_platforms(source: str, platforms: list[str]) -> list[int]:
    """Line of each list, tuple, set or dict literal naming three or more platforms."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items: list[ast.expr | None] = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = list(node.keys)
        else:
            continue
        named = {
            item.value
            for item in items
            if isinstance(item, ast.Constant) and item.value in platforms
        }
        if len(named) >= 3:
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
        ('LIMITS = {("facebook", True): 1, ("x", True): 2, ("viber", True): 3}', []),
        ('TEXT = "facebook instagram x viber sandbox"', []),
    ],
)
def test_a_list_of_platforms_is_found(source: str, lines: list[int]) -> None:
    assert listed_platforms(source, ["facebook", "instagram", "sandbox", "viber", "x"]) == lines
