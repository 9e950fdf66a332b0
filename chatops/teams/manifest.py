"""The Teams app package this install needs (`chatops teams-manifest`).

Generated from config and settings rather than kept as a file, so the bot id, domain and
commands can never drift from what runs: upload the zip in Teams (Apps → Manage your apps →
Upload an app) or the Teams admin center.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chatops.config.models import Config
from chatops.settings import Settings

DEFAULT_BASE_URL = "https://chatops.example.com"
MANIFEST_VERSION = "1.16"
SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/"
    f"v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
APP_VERSION = "1.0.0"
ACCENT_COLOR = "#2B5CE6"
"""The background of icons/color.png."""
ICONS_DIR = Path(__file__).parent / "icons"
ICONS = {"color": "color.png", "outline": "outline.png"}
PACKAGE_NAME = "chatops-teams.zip"

DEVELOPER_NAME_LIMIT = 32
SHORT_NAME_LIMIT = 30
FULL_NAME_LIMIT = 100
SHORT_DESCRIPTION_LIMIT = 80
FULL_DESCRIPTION_LIMIT = 4000
COMMAND_TITLE_LIMIT = 32
COMMAND_DESCRIPTION_LIMIT = 128

SHORT_DESCRIPTION = "Social-media mentions as cases: claim, draft, approve, publish."
FULL_DESCRIPTION = (
    "Customers' comments and messages on Facebook, Instagram, X and Viber arrive as cases in "
    "the channel of the department that can answer them. Claim a case, edit the drafted "
    "reply right in the card, get comms approval when the case is sensitive, and publish "
    "the answer back to the platform with one click, without sharing the brand's social "
    "media credentials. Unanswered cases are chased and summarised every morning."
)
COMMANDS: tuple[tuple[str, str], ...] = (
    ("cases", "The open cases of this channel's department"),
    ("help", "What chatops does and how to answer a case"),
)
"""What the bot suggests when someone types @chatops; the bot answers these words."""

SCOPES = ("team", "groupChat", "personal")
"""Cases live in team channels; group and personal chats get the commands and the digest."""

APP_ID_NAMESPACE = uuid.UUID("6f3a8d1e-2c4b-5e7f-9a0b-1c2d3e4f5a6b")
"""Namespace of the Teams app id: any fixed value works, changing it makes a new app."""


def teams_app_id(bot_id: str) -> str:
    """The Teams app id: stable per bot, so a regenerated package upgrades the installed app
    instead of adding a second one, yet distinct from the bot id (Teams keeps them apart)."""
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id.strip().lower()))


def teams_manifest(
    config: Config, settings: Settings, *, base_url: str = DEFAULT_BASE_URL
) -> dict[str, Any]:
    """The app manifest (schema v1.16) as data; ValueError without MicrosoftAppId or https."""
    bot_id = (settings.microsoft_app_id or "").strip()
    if not bot_id:
        raise ValueError("set MicrosoftAppId: the manifest names the bot by it")
    base = base_url.strip().rstrip("/")
    host = urlsplit(base).hostname
    if not base.startswith("https://") or not host:
        raise ValueError(f"the base URL must be https://host (Teams requires https): {base_url}")

    brand = " ".join(config.brand.split())
    short = f"{brand} chatops" if brand else "chatops"
    if len(short) > SHORT_NAME_LIMIT:
        short = short[: SHORT_NAME_LIMIT - 1].rstrip() + "…"
    full = f"{brand} chatops: social-media cases" if brand else "chatops: social-media cases"
    commands = [
        {
            "title": title[:COMMAND_TITLE_LIMIT],
            "description": description[:COMMAND_DESCRIPTION_LIMIT],
        }
        for title, description in COMMANDS
    ]
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": APP_VERSION,
        "id": teams_app_id(bot_id),
        "developer": {
            "name": (brand or "chatops")[:DEVELOPER_NAME_LIMIT],
            "websiteUrl": base,
            "privacyUrl": f"{base}/privacy",
            "termsOfUseUrl": f"{base}/terms",
        },
        "name": {"short": short, "full": full[:FULL_NAME_LIMIT]},
        "description": {
            "short": SHORT_DESCRIPTION[:SHORT_DESCRIPTION_LIMIT],
            "full": FULL_DESCRIPTION[:FULL_DESCRIPTION_LIMIT],
        },
        "icons": dict(ICONS),
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": bot_id,
                "scopes": list(SCOPES),
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": [scope], "commands": commands} for scope in SCOPES],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
        "webApplicationInfo": {"id": bot_id, "resource": f"api://botid-{bot_id}"},
    }


def write_package(
    config: Config, settings: Settings, out: Path, *, base_url: str = DEFAULT_BASE_URL
) -> Path:
    """Write the app package: manifest.json and both icons at the zip's root, as Teams requires.

    `out` may be a directory (the zip is named `chatops-teams.zip` in it). Entries carry a fixed
    date, so the same config gives the same bytes. Returns the zip's path.
    """
    manifest = teams_manifest(config, settings, base_url=base_url)
    path = out / PACKAGE_NAME if out.is_dir() else out
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {"manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode()}
    for name in ICONS.values():
        files[name] = (ICONS_DIR / name).read_bytes()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return path
