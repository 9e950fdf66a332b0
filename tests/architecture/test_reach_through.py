"""Nothing outside the workflow reaches through it to its store, config, chat or clock (issue 11).

Code that needs one of them is given it (constructor arguments wired in chatops/runtime.py and
chatops/processes.py) or asks the workflow a question of its own (`case`, `open_cases`,
`calendar`, `next_step`, `refresh`). Read from the source with `ast`, so a module whose
optional dependencies are missing is checked as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("chatops", "adapters", "escalation")
WORKFLOW_PACKAGE = ROOT / "chatops" / "workflow"
INTERNALS = frozenset({"store", "config", "chat", "clock"})
WORKFLOW_NAME = re.compile(r"_?(wf|workflow)")
"""How a workflow is named where it is held: `wf`, `workflow`, `self._workflow`, `rt.wf`."""


def _workflow_args(tree: ast.Module) -> set[str]:
    """Parameters of any name annotated as a Workflow."""
    return {
        node.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.arg)
        and node.annotation is not None
        and "Workflow" in ast.unparse(node.annotation)
    }


def _is_workflow(node: ast.expr, annotated: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in annotated or WORKFLOW_NAME.fullmatch(node.id) is not None
    return isinstance(node, ast.Attribute) and WORKFLOW_NAME.fullmatch(node.attr) is not None


def reach_throughs(source: str, name: str = "<source>") -> list[str]:
    """`line: expression` for each use of a workflow's store, config, chat or clock."""
    tree = ast.parse(source, name)
    annotated = _workflow_args(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in INTERNALS:
            if _is_workflow(node.value, annotated):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and _is_workflow(node.args[0], annotated)
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in INTERNALS
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_nothing_outside_the_workflow_reaches_through_it() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(WORKFLOW_PACKAGE):
                continue
            rel = path.relative_to(ROOT)
            found += [f"{rel}:{hit}" for hit in reach_throughs(path.read_text("utf-8"), str(rel))]
    assert found == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("async def f(workflow):\n    await workflow.store.cases.get('1')\n", True),
        ("def f(self):\n    return self.wf.config.departments\n", True),
        ("def f(rt):\n    return rt.wf.chat\n", True),
        ("def f(self):\n    return self.workflow.clock()\n", True),
        ("def f(self):\n    return self._workflow.store\n", True),
        ("def f(w: Workflow):\n    return w.config\n", True),
        ("def f(w: 'Workflow | None'):\n    return w.chat\n", True),
        ("def f(wf):\n    return getattr(wf, 'store')\n", True),
        ("async def f(wf):\n    return await wf.case('1')\n", False),
        ("def f(rt):\n    return rt.store, rt.config, rt.chat, rt.clock\n", False),
        ("def f(self):\n    return self.workflow.department('social')\n", False),
    ],
)
def test_a_reach_through_is_found(source: str, caught: bool) -> None:
    """The check can fail: a reach-through, however the workflow is named, is caught."""
    assert bool(reach_throughs(source)) is caught
