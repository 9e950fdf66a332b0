"""Redis replies as `str`, in one place.

Every client of ours is made with `decode_responses=True`, so Redis answers with `str` at run
time; redis-py's type hints still say `bytes | str`. These helpers say what we get, and decode
should a client ever be made without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Raw = bytes | str


def text(value: Raw) -> str:
    return value if isinstance(value, str) else value.decode()


def maybe_text(value: Raw | None) -> str | None:
    return None if value is None else text(value)


def texts(values: Iterable[Raw]) -> list[str]:
    return [text(v) for v in values]


def text_map(values: Mapping[Raw, Raw]) -> dict[str, str]:
    return {text(k): text(v) for k, v in values.items()}
