"""Every Redis key shape lives in `chatops/keys.py` (issue 11).

Two guards: the shapes keep their exact strings (data stored under them keeps working after a
refactor), and no other module spells a key itself — read from the source with `ast`, so a
module whose optional dependencies are missing is checked as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chatops import keys

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("chatops", "adapters", "escalation")
KEYS_MODULE = ROOT / "chatops" / "keys.py"
LITERAL = re.compile(r"\bchatops:(?!\s)")
"""A key prefix ("chatops:{g}:…", "chatops:case:…"); "chatops: <message>" is prose."""


def _is_keys(node: ast.expr, aliases: set[str]) -> bool:
    """`keys.X` (the module under any alias) or a name imported from `chatops.keys`."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id in aliases and node.attr.isupper()
    return isinstance(node, ast.Name) and node.id in aliases


def _aliases(tree: ast.Module) -> set[str]:
    """Names under which a module sees `chatops.keys` or its upper-case constants."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "chatops":
            found.update(a.asname or a.name for a in node.names if a.name == "keys")
        elif isinstance(node, ast.ImportFrom) and node.module == "chatops.keys":
            found.update(a.asname or a.name for a in node.names if a.name.isupper())
        elif isinstance(node, ast.Import):
            found.update(a.asname for a in node.names if a.name == "chatops.keys" and a.asname)
    return found


def key_building(source: str, name: str = "<source>") -> list[str]:
    """`line: what` for each key spelt outside keys.py: a "chatops:" literal, or a string
    built from a key constant (an f-string or a `+`)."""
    tree = ast.parse(source, name)
    aliases = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if LITERAL.search(node.value):
                found.append(f"{node.lineno}: literal {node.value!r}")
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
            if any(_is_keys(p, aliases) for p in parts):
                found.append(f"{node.lineno}: f-string from a key constant")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            if _is_keys(node.left, aliases) or _is_keys(node.right, aliases):
                found.append(f"{node.lineno}: string built from a key constant")
    return found


def test_no_module_outside_keys_builds_a_key() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == KEYS_MODULE:
                continue
            rel = path.relative_to(ROOT)
            found += [f"{rel}:{hit}" for hit in key_building(path.read_text("utf-8"), str(rel))]
    assert found == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ('from chatops import keys\nK = f"{keys.G}:x"\n', True),
        ('from chatops import keys\nK = f"{keys.CURSORS}:{p}"\n', True),
        ('from chatops import keys as k\nK = f"{k.PREFIX}:case:{{{c}}}"\n', True),
        ('from chatops.keys import G\nK = f"{G}:x"\n', True),
        ('import chatops.keys as ck\nK = f"{ck.G}:x"\n', True),
        ('from chatops import keys\nK = keys.RETRY + ":x"\n', True),
        ('K = "chatops:{g}:x"\n', True),
        ('K = f"chatops:case:{c}"\n', True),
        ("from chatops import keys\nK = keys.cursors(p)\n", False),
        ('from chatops import keys\nK = f"{keys.cursors(p)}"\n', False),
        ('print(f"chatops: {reason}")\n', False),
        ('from chatops import keys\nlog = f"{keys_seen}:x"\n', False),
    ],
)
def test_the_check_catches_each_form(source: str, caught: bool) -> None:
    assert bool(key_building(source)) is caught


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (keys.INBOUND, "chatops:{g}:inbound"),
        (keys.INBOUND_FAILURES, "chatops:{g}:inbound:failures"),
        (keys.LEADER, "chatops:{g}:leader"),
        (keys.cursors("x"), "chatops:{g}:cursors:x"),
        (keys.poll_lock("x.mentions"), "chatops:{g}:poll:x.mentions"),
        (keys.reconcile("facebook"), "chatops:{g}:reconcile:facebook"),
        (keys.digest_sent("care", "2026-11-30"), "chatops:{g}:digest:care:2026-11-30"),
        (keys.report_sent("2026-W48"), "chatops:{g}:report:2026-W48"),
        (
            keys.digest_dm_sent("care", "2026-11-30", "U0LEAD"),
            "chatops:{g}:digest-dm:care:2026-11-30:U0LEAD",
        ),
        (keys.overview_sent("2026-11-30"), "chatops:{g}:overview:2026-11-30"),
        (keys.SLACK_IDENTITY, "chatops:{g}:slack:identity"),
        (keys.slack_user_group("S1"), "chatops:{g}:slack:groups:S1"),
        (keys.slack_view("V1"), "chatops:{g}:slack:view:V1"),
        (keys.case("7"), "chatops:case:{7}"),
        (keys.slack_thread("7"), "chatops:case:{7}:slack"),
        (keys.bucket(keys.SLACK.where, "1042"), "chatops:{g}:slack:where:63"),
        (keys.TEAMS.where, "chatops:{g}:teams:where"),
        (keys.TEAMS.queue("19:a"), "chatops:{g}:teams:q:19:a"),
        (keys.author_cases("x", "42"), "chatops:{g}:author:x:42"),
        (keys.handle_cases("annab"), "chatops:{g}:handle:annab"),
        (keys.hinted("7", "U1"), "chatops:case:{7}:hint:U1"),
        (keys.DUE, "chatops:{g}:due"),
        (keys.due("1042"), "chatops:{g}:due:18"),
    ],
)
def test_key_shapes_keep_their_strings(key: str, expected: str) -> None:
    assert key == expected
