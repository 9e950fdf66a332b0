"""The Microsoft Teams chat backend (botbuilder, Bot Framework): `chat.backend: teams`.

Public: `create(runtime)`, and `required_env(settings)`, the variables the backend refuses to
start without (read by `chatops run` and `check-config` without importing botbuilder).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatops.settings import Settings

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.teams.backend import TeamsBackend

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


def auth_off(settings: Settings) -> bool:
    """CHATOPS_TEAMS_AUTH=off, exactly: the one way to run without Bot Framework
    authentication (local tests). Any other value keeps authentication on."""
    return (settings.teams_auth or "").strip().lower() == "off"


def required_env(settings: Settings) -> list[tuple[str, str]]:
    """Every variable the Teams backend cannot start without, as (name, message): the app id
    and its secret authenticate every request, and nothing else may (CHATOPS_TEAMS_AUTH)."""
    if auth_off(settings):
        return []
    app_type = settings.microsoft_app_type or "MultiTenant"
    if app_type not in APP_TYPES:
        return [("MicrosoftAppType", f"must be one of {', '.join(APP_TYPES)}")]
    needed = [("MicrosoftAppId", settings.microsoft_app_id)]
    if app_type != "UserAssignedMSI":  # a managed identity has no password
        needed.append(("MicrosoftAppPassword", settings.microsoft_app_password))
    if app_type != "MultiTenant":
        needed.append(("MicrosoftAppTenantId", settings.microsoft_app_tenant_id))
    return [(name, "is not set") for name, value in needed if not value]


def create(rt: Runtime) -> TeamsBackend:
    from chatops.teams.backend import TeamsBackend

    return TeamsBackend(rt)
