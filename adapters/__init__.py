"""One module per social platform, each implementing `adapters.base.Adapter`.

A platform is found by name: `load("facebook")` imports `adapters.facebook` and calls its
`create(ctx)`. The module also declares its display name, its config section's model, its env
variables and the ones it cannot run without, and the longest text a customer can send on it;
its webhooks arrive at `/webhooks/<name>`. Settings, config loading and `check-config`,
start-up, the web app, inbound hygiene and the chats' wording read all of it from here
(`adapters.base`): adding a platform is adding a module.
"""

from adapters.base import (
    Account,
    Adapter,
    AdapterContext,
    PlatformConfig,
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
    "Account",
    "Adapter",
    "AdapterContext",
    "BadPayload",
    "BadSignature",
    "NotSent",
    "OutcomeUnknown",
    "PermanentError",
    "PlatformConfig",
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
