"""The layers hold: no chat backend imports another (issue 11).

Slack, Teams and the console share what they share through `chatops.chat`; read from the
source with `ast`, so a backend's optional dependencies need not be importable to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("chatops.slack", "chatops.teams", "chatops.console")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path) -> set[str]:
    """Every module `path` imports, at the top or inside functions, made absolute."""
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def backend_of(module: str) -> str | None:
    return next((b for b in BACKENDS if module == b or module.startswith(b + ".")), None)


def crossings(root: Path = ROOT) -> list[str]:
    """`module -> imported` for every import from one chat backend into another."""
    found = []
    for backend in BACKENDS:
        for path in sorted((root / backend.replace(".", "/")).rglob("*.py")):
            for name in sorted(imported(path, root)):
                other = backend_of(name)
                if other is not None and other != backend:
                    found.append(f"{module_name(path, root)} -> {name}")
    return found


def test_no_chat_backend_imports_another() -> None:
    assert crossings() == []


@pytest.mark.parametrize(
    ("source", "crossing"),
    [
        ("from chatops.slack.ids import Action\n", "chatops.teams.bot -> chatops.slack.ids"),
        ("import chatops.console.render\n", "chatops.teams.bot -> chatops.console.render"),
        ("def f():\n    from ..slack import blocks\n", "chatops.teams.bot -> chatops.slack"),
        ("from chatops.chat.actions import Action\n", None),
        ("from .cards import Click\n", None),
    ],
)
def test_a_crossing_is_found(tmp_path: Path, source: str, crossing: str | None) -> None:
    """The check can fail: an import from another backend, however written, is caught."""
    for backend in BACKENDS:
        (tmp_path / backend.replace(".", "/")).mkdir(parents=True)
    (tmp_path / "chatops/teams/bot.py").write_text(source, encoding="utf-8")
    found = crossings(tmp_path)
    assert (crossing in found) if crossing else found == []
