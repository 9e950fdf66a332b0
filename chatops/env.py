"""Environment variables declared where they are used, and read one way (DESIGN §4.2).

The process settings (`chatops.settings`) and each platform module (`adapters/<name>.py`)
declare their variables as fields of a frozen dataclass (`EnvValues`), each with its name,
whether its value is a secret, how it is parsed (a base URL, a port) and its default. One
reader turns the environment into those values: an empty or blank variable counts as unset,
because `FOO=` in a `.env` file or a CI matrix means "not configured", not "empty key"; a bad
value is one line naming the variable; and no message echoes a value that could be a secret.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_VARIABLE = "env_variable"
"""The field metadata key holding a field's `Variable`."""


def text(value: str) -> str:
    return value


def parse_base_url(value: str) -> str:
    """An http(s) base URL without trailing slashes (clients append paths)."""
    # URLs are not echoed: they may embed credentials.
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, how its value is read, and whether it is secret."""

    name: str
    default: Any = None
    parse: Callable[[str], Any] = text
    secret: bool = False

    @property
    def base_url(self) -> bool:
        return self.parse is parse_base_url


def variable(
    name: str, default: Any = None, *, parse: Callable[[str], Any] = text, secret: bool = False
) -> Any:
    """A dataclass field read from variable `name`; a secret is left out of `repr`."""
    declared = Variable(name, default, parse, secret)
    return dataclasses.field(default=default, repr=not secret, metadata={_VARIABLE: declared})


def secret(name: str, default: str | None = None, *, parse: Callable[[str], Any] = text) -> Any:
    """A field holding a secret (a token, a password, a signing key)."""
    return variable(name, default, parse=parse, secret=True)


def base_url(name: str, default: str | None = None) -> Any:
    """A field holding an API's base URL (tests point it at a local server)."""
    return variable(name, default, parse=parse_base_url)


@dataclass(frozen=True)
class EnvValues:
    """A group of variables as typed fields (declared with `variable`, `secret`, `base_url`);
    every field has a default, so the group with nothing set is `cls()`."""

    @classmethod
    def variables(cls) -> list[Variable]:
        """The declared variables, in field order."""
        return [
            field.metadata[_VARIABLE]
            for field in dataclasses.fields(cls)
            if _VARIABLE in field.metadata
        ]

    @classmethod
    def name_of(cls, field_name: str) -> str:
        """The variable field `field_name` is read from: other modules use it, never spell it."""
        found = next(f for f in dataclasses.fields(cls) if f.name == field_name)
        declared: Variable = found.metadata[_VARIABLE]
        return declared.name

    @classmethod
    def read(cls, env: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The fields whose variables are set, parsed, and each bad one as (name, message);
        unset, empty and blank variables keep the field's default."""
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for field in dataclasses.fields(cls):
            declared: Variable | None = field.metadata.get(_VARIABLE)
            if declared is None:
                continue
            raw = env.get(declared.name)
            if not raw or not raw.strip():
                continue
            try:
                values[field.name] = declared.parse(raw.strip())
            except ValueError as exc:
                problems.append((declared.name, str(exc)))
        return values, problems


@dataclass(frozen=True)
class EnvProblem:
    """A variable a chat backend or platform cannot start without, and what is wrong with it.

    Declared by each platform module (`required_env`) and for each chat backend
    (`chatops.settings.backend_env`), so start-up and `check-config` read one list."""

    name: str
    problem: str = "is not set"
    loc: tuple[str | int, ...] = ()
    """Where the config names the variable (an account's `token_env`), from the config's root;
    () when the backend or platform needs it just by being enabled."""

    def __str__(self) -> str:
        return f"{self.name} {self.problem}"


def unset(*variables: tuple[str, str | None]) -> list[EnvProblem]:
    """The (name, value) pairs whose value is unset (empty reads as unset)."""
    return [EnvProblem(name) for name, value in variables if not value]
