"""One module per social platform, each implementing `adapters.base.Adapter`.

A platform is found by name: `load("facebook")` imports `adapters.facebook` and calls its
`create(ctx)`. The module also declares its display name, its config model and the variables
it needs, and its webhooks arrive at `/webhooks/<name>`; start-up and `check-config` (the
variables) and the chats' wording (the display name) read them from here (`adapters.base`).
Adding a platform is adding a module, plus its section in `chatops.config.PlatformsConfig`.
"""

from adapters.base import (
    Adapter,
    AdapterContext,
    Published,
    Response,
    config_model,
    display_name,
    load,
    names,
    webhook_route,
)
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
    "config_model",
    "display_name",
    "load",
    "names",
    "webhook_route",
]
