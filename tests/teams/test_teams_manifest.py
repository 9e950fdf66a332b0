"""The Teams app package: manifest keys and limits, the zip's layout and its icons."""

from __future__ import annotations

import json
import re
import struct
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest

from chatops.config.models import Config
from chatops.settings import Settings
from chatops.teams.manifest import ICONS_DIR, teams_manifest, write_package

BOT_ID = "00000000-1111-2222-3333-444444444444"
SETTINGS = Settings(microsoft_app_id=BOT_ID, microsoft_app_password="secret")


def config(brand: str = "Acme") -> Config:
    return Config.model_validate(
        {
            "brand": brand,
            "chat": {"backend": "teams"},
            "departments": [
                {"id": "social", "name": "Social team", "channel": "19:social@thread.tacv2"}
            ],
            "routing": {"default": "social"},
        }
    )


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGBA pixels of an 8-bit RGB(A) PNG (all five row filters)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 4 if colour == 6 else 3
    raw, stride, rows = zlib.decompress(idat), width * channels, []
    prev = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    pixels = [
        tuple(row[x * channels : (x + 1) * channels]) + ((255,) if channels == 3 else ())
        for row in rows
        for x in range(width)
    ]
    return width, height, pixels


def test_manifest_keys() -> None:
    m = teams_manifest(config(), SETTINGS, base_url="https://bot.acme.invalid/")
    assert m["$schema"].endswith("/teams/v1.16/MicrosoftTeams.schema.json")
    assert (m["manifestVersion"], m["version"]) == ("1.16", "1.0.0")
    assert m["developer"] == {
        "name": "Acme",
        "websiteUrl": "https://bot.acme.invalid",
        "privacyUrl": "https://bot.acme.invalid/privacy",
        "termsOfUseUrl": "https://bot.acme.invalid/terms",
    }
    assert m["name"] == {"short": "Acme chatops", "full": "Acme chatops: social-media cases"}
    assert m["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", m["accentColor"])
    assert m["permissions"] == ["identity", "messageTeamMembers"]
    assert m["validDomains"] == ["bot.acme.invalid"]
    assert m["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://botid-{BOT_ID}"}


def test_the_bot() -> None:
    (bot,) = teams_manifest(config(), SETTINGS)["bots"]
    assert bot["botId"] == BOT_ID
    assert bot["scopes"] == ["team", "groupChat", "personal"]
    assert bot["supportsFiles"] is False and bot["isNotificationOnly"] is False
    lists = bot["commandLists"]
    assert len(lists) <= 3
    assert sorted(s for entry in lists for s in entry["scopes"]) == sorted(bot["scopes"])
    for entry in lists:
        assert 1 <= len(entry["commands"]) <= 10
        for command in entry["commands"]:
            assert 0 < len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128


def test_app_id_is_a_stable_uuid_of_the_bot() -> None:
    first = teams_manifest(config(), SETTINGS)["id"]
    assert str(uuid.UUID(first)) == first and first != BOT_ID
    assert teams_manifest(config("Other"), SETTINGS)["id"] == first
    other = Settings(microsoft_app_id="99999999-1111-2222-3333-444444444444")
    assert teams_manifest(config(), other)["id"] != first


def test_length_limits() -> None:
    m = teams_manifest(config("A very long brand name " * 10), SETTINGS)
    assert len(m["name"]["short"]) <= 30
    assert len(m["name"]["full"]) <= 100
    assert len(m["developer"]["name"]) <= 32
    assert len(m["description"]["short"]) <= 80
    assert 0 < len(m["description"]["full"]) <= 4000
    assert teams_manifest(config(""), SETTINGS)["name"]["short"] == "chatops"


def test_needs_the_bot_id_and_https() -> None:
    with pytest.raises(ValueError, match=r"^set MicrosoftAppId: the manifest names the bot by it$"):
        teams_manifest(config(), Settings())
    with pytest.raises(ValueError, match="https"):
        teams_manifest(config(), SETTINGS, base_url="http://bot.acme.invalid")


def test_package_layout_manifest_and_icons(tmp_path: Path) -> None:
    out = write_package(config(), SETTINGS, tmp_path / "app.zip", base_url="https://x.invalid")
    assert out == tmp_path / "app.zip"
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json").decode("utf-8"))
        icons = {name: archive.read(name) for name in ("color.png", "outline.png")}
    assert manifest == teams_manifest(config(), SETTINGS, base_url="https://x.invalid")
    assert set(manifest["icons"].values()) == set(icons)

    width, height, pixels = png_pixels(icons["color.png"])
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for p in pixels), "the colour icon is opaque"
    assert len({p[:3] for p in pixels}) > 2

    width, height, pixels = png_pixels(icons["outline.png"])
    assert (width, height) == (32, 32)
    drawn = [p for p in pixels if p[3]]
    assert drawn and len(drawn) < len(pixels), "white lines on a transparent background"
    assert all(p[:3] == (255, 255, 255) for p in drawn)


def test_package_is_reproducible_and_may_go_into_a_directory(tmp_path: Path) -> None:
    first = write_package(config(), SETTINGS, tmp_path)
    assert first == tmp_path / "chatops-teams.zip"
    again = write_package(config(), SETTINGS, tmp_path / "again" / "app.zip")
    assert first.read_bytes() == again.read_bytes()
    assert not (tmp_path / "again" / "manifest.json").exists()


def test_shipped_icons_exist() -> None:
    assert sorted(p.name for p in ICONS_DIR.glob("*.png")) == ["color.png", "outline.png"]
