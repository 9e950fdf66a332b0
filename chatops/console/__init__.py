"""The console chat backend: cases as threads printed in the terminal (demo, training)."""

from chatops.console.backend import ConsoleBackend, departments

__all__ = ["ConsoleBackend", "departments"]
