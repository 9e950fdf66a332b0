"""JSON of inbound webhook bodies, with a nesting limit checked before parsing.

No platform nests its payloads more than a dozen levels deep, while a body of 100,000 `[`
makes `json.loads` recurse until Python gives up (a 500 with a traceback). The depth is
therefore measured first, by one linear scan over the brackets outside strings, and a deeper
body is refused as a bad payload (400) without ever reaching the parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

from adapters.errors import BadPayload

MAX_DEPTH = 64
"""Nesting levels a webhook body may have; the deepest platform payload has about ten."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def depth(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings ignored).

    Stops counting once past `MAX_DEPTH`, so the answer is exact up to there. Broken JSON gets
    some number; the parser rejects it afterwards.
    """
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body))
    level = deepest = 0
    for char in brackets:
        if char in b"[{":
            level += 1
            if level > deepest:
                deepest = level
                if deepest > MAX_DEPTH:
                    break
        else:
            level -= 1
    return deepest


def loads(body: bytes | str) -> Any:
    """`json.loads`, refusing (BadPayload) a body nested deeper than `MAX_DEPTH` before parsing.

    Other errors stay those of `json.loads` (ValueError, UnicodeDecodeError), which each
    adapter reports in its own words.
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    opening = raw.count(b"[") + raw.count(b"{")  # too few to nest deeply: no scan (most bodies)
    if opening > MAX_DEPTH and depth(raw) > MAX_DEPTH:
        raise BadPayload(f"body is too deeply nested (over {MAX_DEPTH} levels)")
    return json.loads(body)
