"""One module per social platform, each implementing `adapters.base.Adapter`.

A platform is found by name: `load("facebook")` imports `adapters.facebook` and calls its
`create(ctx)`. Adding a platform is adding a module; nothing else changes.
"""

from adapters.base import Adapter, AdapterContext, Published, Response, load, names
from adapters.errors import (
    BadPayload,
    BadSignature,
    NotSent,
    OutcomeUnknown,
    PermanentError,
    PlatformError,
    RateLimited,
)

__all__ = [
    "Adapter",
    "AdapterContext",
    "BadPayload",
    "BadSignature",
    "NotSent",
    "OutcomeUnknown",
    "PermanentError",
    "PlatformError",
    "Published",
    "RateLimited",
    "Response",
    "load",
    "names",
]
