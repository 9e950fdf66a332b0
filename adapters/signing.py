"""HMAC helpers the platforms share: they differ only in encoding and header format."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def matches_hex(secret: str, body: bytes, given: str) -> bool:
    """Constant-time check of a hex HMAC-SHA256 signature."""
    expected = hmac_sha256(secret, body).hex().encode()
    return hmac.compare_digest(expected, given.strip().lower().encode("utf-8", "replace"))


def matches_b64(secret: str, body: bytes, given: str) -> bool:
    """Constant-time check of a base64 HMAC-SHA256 signature."""
    expected = base64.b64encode(hmac_sha256(secret, body))
    return hmac.compare_digest(expected, given.strip().encode("utf-8", "replace"))
