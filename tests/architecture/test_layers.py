"""The layers hold (issue 11): imports only go down `LAYERS`, no units import one another in a
ring, and no chat backend imports another.

Slack, Teams and the console share what they share through `chatops.chat`; the workflow owns
the escalation policy and what it tells a chat, so it imports neither chat nor escalation code.
Read from the source with `ast`, so a backend's optional dependencies need not be importable to
check it, and an import inside a function or under `if TYPE_CHECKING:` counts like any other:
lazy imports hide cycles, they do not remove them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


# -- the layers, bottom to top ----------------------------------------------------------------

PACKAGES = ("chatops", "adapters", "escalation")

LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "domain",  # the case and its pure decisions on text, key shapes, process-wide plumbing
        frozenset(
            {
                "chatops",
                "chatops.batching",
                "chatops.classify",
                "chatops.domain",
                "chatops.drafting",
                "chatops.inflight",
                "chatops.keys",
                "chatops.knowledge",
                "chatops.metrics",
                "chatops.outage",
                "chatops.redis_text",
                "chatops.sentinel",
            }
        ),
    ),
    (
        "config",  # settings, the config file, the platform plug-ins it reads, and their readers
        frozenset(
            {
                "adapters",
                "chatops.config",
                "chatops.durations",
                "chatops.env",
                "chatops.hygiene",
                "chatops.routing",
                "chatops.schema",
                "chatops.settings",
            }
        ),
    ),
    (
        "store",  # Redis, and what reads or queues through it without the workflow
        frozenset(
            {
                "chatops.outbox",
                "chatops.redis_checks",
                "chatops.stats",
                "chatops.store",
                "chatops.storm",
            }
        ),
    ),
    (
        "workflow",  # states, commands, the escalation policy, what a chat is told
        frozenset({"chatops.workflow"}),
    ),
    (
        "chat",  # the chat-neutral layer every front end shares
        frozenset({"chatops.chat"}),
    ),
    (
        "services",  # intake, the pipeline, the assembly of one process (chatops.runtime)
        frozenset(
            {
                "chatops.flood",
                "chatops.mixed",
                "chatops.pipeline",
                "chatops.polling",
                "chatops.privacy",
                "chatops.publishall",
                "chatops.reconcile",
                "chatops.replay",
                "chatops.retention",
                "chatops.runtime",
                "chatops.suggest",
                "chatops.web",
                "chatops.worker",
            }
        ),
    ),
    (
        "plug-ins",  # the chat backends and the chase: none imports another
        frozenset({"chatops.console", "chatops.slack", "chatops.teams", "escalation"}),
    ),
    ("processes", frozenset({"chatops.processes"})),  # the roles a process runs
    ("cli", frozenset({"chatops.__main__", "chatops.cli", "chatops.demo"})),
)
"""Every unit (a top-level module or subpackage of `chatops`, `adapters`, `escalation`) in the
layer it belongs to. A unit imports units of lower layers, or of its own layer as long as that
makes no cycle; the plug-ins never import one another. `chatops.runtime` loads the chat
backend named in the config by name (`importlib`), which is how a plug-in is plugged in."""

SIBLINGS = frozenset({"plug-ins"})
"""Layers whose units do not import one another."""

PENDING: frozenset[tuple[str, str]] = frozenset()
"""(unit, imported unit) being taken out while this is written, left out of both checks until
then; `test_pending_imports_are_still_made` fails once one is gone, so that its entry goes too.
(Empty: the platforms' config models and env now live in adapters/, below the config, and the
chat backends' env is declared in chatops.settings.)"""


LEVEL = {unit: level for level, (_, units) in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str | None:
    """The unit a module belongs to; None for a module outside the product."""
    top, _, rest = module.partition(".")
    if top not in PACKAGES:
        return None
    if top != "chatops" or not rest:
        return top
    return f"chatops.{rest.split('.')[0]}"


def edges(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(unit, imported unit) -> the imports that make it, as `module -> name`: every import,
    at the top, inside a function or under `if TYPE_CHECKING:`."""
    found: dict[tuple[str, str], list[str]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path, root)
            source = unit_of(module)
            assert source is not None
            for name in sorted(imported(path, root)):
                target = unit_of(name)
                if target is not None and target != source:
                    found.setdefault((source, target), []).append(f"{module} -> {name}")
    return found


def units(root: Path = ROOT) -> set[str]:
    return {
        unit
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
        if (unit := unit_of(module_name(path, root))) is not None
    }


def unplaced(root: Path = ROOT) -> list[str]:
    """Units with no layer: a new module or package is placed in `LAYERS` when it is added."""
    return sorted(f"{u}: no layer" for u in units(root) - LEVEL.keys())


def upward(root: Path = ROOT, pending: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """Every import of a higher layer, or of a sibling in a layer of plug-ins."""
    wrong = []
    for (source, target), where in sorted(edges(root).items()):
        if source not in LEVEL or target not in LEVEL or (source, target) in pending:
            continue  # reported by `unplaced`
        mine, theirs = LEVEL[source], LEVEL[target]
        if theirs > mine or (theirs == mine and LAYERS[mine][0] in SIBLINGS):
            layers = f"{LAYERS[mine][0]} -> {LAYERS[theirs][0]}"
            wrong += [f"{line} ({layers})" for line in where]
    return wrong


def cycles(root: Path = ROOT, pending: frozenset[tuple[str, str]] = frozenset()) -> list[list[str]]:
    """Each set of units that import one another in a ring (strongly connected components
    of the unit graph, Tarjan), as the imports inside it."""
    graph: dict[str, set[str]] = {}
    found = {edge: where for edge, where in edges(root).items() if edge not in pending}
    for source, target in found:
        graph.setdefault(source, set()).add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    rings: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in sorted(graph.get(unit, ())):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            ring = set()
            while True:
                member = stack.pop()
                ring.add(member)
                if member == unit:
                    break
            if len(ring) > 1:
                rings.append(
                    [found[(a, b)][0] for a in sorted(ring) for b in sorted(graph[a] & ring)]
                )

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return rings


def test_every_unit_has_a_layer() -> None:
    assert sum(len(units) for _, units in LAYERS) == len(LEVEL), "a unit in two layers"
    assert unplaced() == []


def test_imports_only_go_down() -> None:
    assert upward(pending=PENDING) == []


def test_no_import_cycle_between_units() -> None:
    assert cycles(pending=PENDING) == []


def test_pending_imports_are_still_made() -> None:
    gone = PENDING - edges().keys()
    assert not gone, f"no longer imported: remove {sorted(gone)} from PENDING"


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "wrong"),
    [
        (
            {"chatops/workflow/service.py": "from escalation.policy import next_step\n"},
            "chatops.workflow.service -> escalation.policy (workflow -> plug-ins)",
        ),
        (
            {"chatops/config/check.py": "def f():\n    from chatops import runtime\n"},
            "chatops.config.check -> chatops.runtime (config -> services)",
        ),
        (
            {
                "chatops/workflow/service.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from chatops.chat import ChatBackend\n"
            },
            "chatops.workflow.service -> chatops.chat (workflow -> chat)",
        ),
        (
            {"chatops/workflow/service.py": "from ..pipeline import Pipeline\n"},
            "chatops.workflow.service -> chatops.pipeline (workflow -> services)",
        ),
        (
            {"escalation/digest.py": "from chatops.teams import cards\n"},
            "escalation.digest -> chatops.teams (plug-ins -> plug-ins)",
        ),
        ({"chatops/pipeline.py": "from chatops.workflow.service import Workflow\n"}, None),
        ({"chatops/runtime.py": "from chatops.pipeline import Pipeline\n"}, None),
    ],
)
def test_an_upward_import_is_found(
    tmp_path: Path, files: dict[str, str], wrong: str | None
) -> None:
    """The check can fail: an import of a higher layer or a sibling plug-in, however written
    (at the top, in a function, for type checking only, relative), is caught."""
    found = upward(tree(tmp_path, files))
    assert (wrong in found) if wrong else found == []


@pytest.mark.parametrize(
    ("files", "ring"),
    [
        (
            {
                "chatops/runtime.py": "from chatops.pipeline import Pipeline\n",
                "chatops/pipeline.py": "def f():\n    from chatops.runtime import Runtime\n",
            },
            ["chatops.pipeline -> chatops.runtime", "chatops.runtime -> chatops.pipeline"],
        ),
        (
            {
                "adapters/base.py": "from chatops.config import Config\n",
                "chatops/config/check.py": "from chatops import routing\n",
                "chatops/routing.py": "import adapters.base\n",
            },
            [
                "adapters.base -> chatops.config",
                "chatops.config.check -> chatops.routing",
                "chatops.routing -> adapters.base",
            ],
        ),
        (
            {
                "adapters/base.py": "from chatops.config import Config\n",
                "chatops/routing.py": "import adapters.base\n",
            },
            None,
        ),
    ],
)
def test_a_cycle_is_found(tmp_path: Path, files: dict[str, str], ring: list[str] | None) -> None:
    """The check can fail: units of one layer that import one another in a ring are caught,
    which the layer order alone does not see."""
    assert cycles(tree(tmp_path, files)) == ([ring] if ring else [])


def test_a_unit_without_a_layer_is_found(tmp_path: Path) -> None:
    tree(tmp_path, {"chatops/newcomer.py": "", "chatops/workflow/__init__.py": ""})
    found = unplaced(tmp_path)
    assert "chatops.newcomer: no layer" in found
    assert "chatops.workflow: no layer" not in found
