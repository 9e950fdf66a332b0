"""The console chat backend: cases as threads printed in the terminal (demo, training)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatops.console.backend import ConsoleBackend

if TYPE_CHECKING:
    from chatops.runtime import Runtime


def create(rt: Runtime) -> ConsoleBackend:
    return ConsoleBackend()


__all__ = ["ConsoleBackend", "create"]
