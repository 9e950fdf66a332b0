"""The value types config sections are built from: a strict model, ids, text, variable names.

They sit below both the config file's schema (`chatops.config`) and the platform modules
(`adapters/<name>.py`), which declare their own sections with them, so the config reads the
platforms' models and no platform imports the config.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints


class StrictModel(BaseModel):
    """Immutable, and a misspelt key is reported instead of silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""What a `token_env` value must look like: the name of a variable, not a token."""


def as_id(value: Any) -> Any:
    """Unquoted YAML numbers (`id: 1122334455`) become ids; everything else passes through."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _check_env_name(name: str) -> str:
    if not ENV_NAME.fullmatch(name):
        # Never echo the value: a pasted token here would end up in logs.
        raise ValueError("must be the name of an env variable (letters, digits, _), not a token")
    return name


Id = Annotated[str, BeforeValidator(as_id), StringConstraints(min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
