"""The console chat backend: cases as threads printed in the terminal (demo, training)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatops.chat import Department
from chatops.console.backend import ConsoleBackend

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.runtime import Runtime


def departments(config: Config) -> tuple[Department, ...]:
    """The configured departments as a chat addresses them."""
    return tuple(Department(d.id, d.name, d.channel) for d in config.departments)


def create(rt: Runtime) -> ConsoleBackend:
    return ConsoleBackend(departments=departments(rt.config), clock=rt.clock)


__all__ = ["ConsoleBackend", "create", "departments"]
