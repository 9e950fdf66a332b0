"""Teams from an attacker's side: `/api/messages` with real Bot Framework token validation.

botframework-connector validates every Bearer token against the keys of a local OpenID
server (tests/fakes/openid.py, standing in for login.botframework.com), signed here as the Bot
Connector signs them. Nothing of ours is mocked: the product is assembled as `chatops run`
assembles it, with MicrosoftAppId set and CHATOPS_TEAMS_AUTH unset.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botframework.connector.auth import ChannelValidation

from chatops import keys
from chatops.chat.actions import Action
from chatops.config import Config, load_config_text
from chatops.domain import State
from chatops.settings import Settings, backend_env
from chatops.store import Store
from chatops.teams.auth import SERVICE_HOSTS, service_url_allowed
from tests.conftest import Clock
from tests.fakes import mention_json
from tests.fakes.openid import ISSUER, OpenIdServer, new_key
from tests.fakes.server import free_port
from tests.fakes.teams import BOT_ID, TEAM, bot_added, card_action
from tests.teams.test_teams import (
    ANNA,
    SOCIAL,
    TEAMS_CONFIG,
    TeamsSystem,
    start_system,
    stop_system,
)

APP_ID = BOT_ID.removeprefix("28:")
OTHER_APP = "dead0000-0000-4000-8000-0000000a77ac"
TEAMS_ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-a-real-secret"}
SMBA = "https://smba.trafficmanager.net/emea/"
"""A Teams serviceUrl as Microsoft sends it (public cloud, Europe)."""
POST_ID = "1763884801000"


@pytest.fixture
def teams_config() -> Config:
    return load_config_text(TEAMS_CONFIG, source="teams.yaml")


@pytest.fixture
def openid(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenIdServer]:
    """login.botframework.com on 127.0.0.1: botbuilder fetches its keys from here."""
    with OpenIdServer() as server:
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", server.metadata_url)
        yield server


@pytest.fixture
async def secure(
    store: Store, teams_config: Config, clock: Clock, openid: OpenIdServer
) -> AsyncIterator[TeamsSystem]:
    """The product with authentication on (MicrosoftAppId set), one case waiting in #social."""
    ts = await start_system(store, teams_config, clock, env=TEAMS_ENV)
    try:
        await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
        yield ts
    finally:
        await stop_system(ts)


def claim_click(service_url: str = SMBA, **changes: Any) -> dict[str, Any]:
    """Anna clicks Claim on case #1001's post in #social, as Teams sends it."""
    activity = card_action(
        service_url,
        ANNA,
        Action.CLAIM,
        {"case_id": "1001", "source": "case"},
        channel=SOCIAL,
        post_id=POST_ID,
    )
    activity.update(changes)
    return activity


async def post(ts: TeamsSystem, activity: dict[str, Any], authorization: str | None) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return await ts.client.post("/api/messages", json=activity, headers=headers)


async def nothing_learnt(ts: TeamsSystem) -> bool:
    """No conversation reference stored, the case untouched."""
    stored = await ts.rt.store.redis.hgetall(keys.TEAMS_REFERENCES)
    case = await ts.case()
    return stored == {} and case.owner is None and case.state is State.NEW


# -- a valid token --------------------------------------------------------------------------


async def test_a_valid_token_is_accepted_and_the_click_works(
    secure: TeamsSystem, openid: OpenIdServer
) -> None:
    token = openid.token(APP_ID, SMBA)
    r = await post(secure, claim_click(), f"Bearer {token}")
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["statusCode"] == 200 and "🚫" not in str(body["value"]["body"][0])
    assert (await secure.case()).owner == ANNA.aad
    reference = await secure.backend.references.get(SOCIAL)
    assert reference is not None and reference.service_url == SMBA
    assert "/keys" in openid.requests  # the signature was checked against the published key


# -- no token, a bad token ------------------------------------------------------------------


async def test_no_token_is_401_and_nothing_is_learnt(secure: TeamsSystem) -> None:
    r = await post(secure, claim_click(), None)
    assert r.status == 401
    assert await nothing_learnt(secure)


def _tokens(openid: OpenIdServer) -> dict[str, str]:
    now = int(time.time())
    alien = new_key()
    return {
        "garbage": "Bearer garbage",
        "three garbage parts": "Bearer a.b.c",
        "not bearer": f"Basic {openid.token(APP_ID, SMBA)}",
        "empty bearer": "Bearer ",
        "signed by another key": f"Bearer {openid.token(APP_ID, SMBA, key=alien)}",
        "unknown key id": f"Bearer {openid.token(APP_ID, SMBA, key=alien, kid='not-published')}",
        "another app id": f"Bearer {openid.token(OTHER_APP, SMBA)}",
        "another issuer": f"Bearer {openid.token(APP_ID, SMBA, issuer='https://evil.example')}",
        "expired": f"Bearer {openid.token(APP_ID, SMBA, lifetime=-3600)}",
        "not yet valid": f"Bearer {openid.token(APP_ID, SMBA, nbf=now + 3600)}",
        "serviceurl of another": f"Bearer {openid.token(APP_ID, 'https://smba.trafficmanager.net/amer/')}",
        "no serviceurl": f"Bearer {openid.token(APP_ID, SMBA, serviceurl=None)}",
        "unsigned (alg none)": "Bearer " + _unsigned(openid.kid),
    }


def _unsigned(kid: str) -> str:
    """A token with `alg: none` and no signature, claims as valid as can be."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SMBA, "nbf": now, "exp": now + 600}
    head = {"alg": "none", "typ": "JWT", "kid": kid}
    return ".".join(_b64(part) for part in (head, claims)) + "."


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


TOKEN_CASES = [
    "garbage",
    "three garbage parts",
    "not bearer",
    "empty bearer",
    "signed by another key",
    "unknown key id",
    "another app id",
    "another issuer",
    "expired",
    "not yet valid",
    "serviceurl of another",
    "no serviceurl",
    "unsigned (alg none)",
]


@pytest.mark.parametrize("kind", TOKEN_CASES)
async def test_a_bad_token_is_401_never_500_and_nothing_is_learnt(
    secure: TeamsSystem, openid: OpenIdServer, kind: str
) -> None:
    r = await post(secure, claim_click(), _tokens(openid)[kind])
    assert r.status == 401, (kind, r.status, await r.text())
    assert await nothing_learnt(secure)


async def test_a_key_not_endorsed_for_teams_is_refused(
    secure: TeamsSystem, openid: OpenIdServer
) -> None:
    openid.endorsements = ["webchat"]  # before botbuilder first fetches the keys
    r = await post(secure, claim_click(), f"Bearer {openid.token(APP_ID, SMBA)}")
    assert r.status == 401
    assert await nothing_learnt(secure)


async def test_a_slow_key_server_is_503_and_never_stalls_the_process(
    secure: TeamsSystem, openid: OpenIdServer
) -> None:
    """botbuilder fetches the keys with blocking calls without a timeout: they run off the
    event loop, bounded, so health checks and webhooks keep being answered meanwhile."""
    openid.delay = 2.0
    auth = secure.backend.auth
    assert auth is not None
    auth.timeout = 0.5
    started = time.monotonic()
    pending = asyncio.ensure_future(
        post(secure, claim_click(), f"Bearer {openid.token(APP_ID, SMBA)}")
    )
    while not openid.requests:  # botbuilder is now waiting for the keys
        assert time.monotonic() - started < 5
        await asyncio.sleep(0.01)
    health = await secure.client.get("/healthz")
    assert health.status == 200 and time.monotonic() - started < 0.5  # the loop is free
    r = await pending
    assert r.status == 503 and time.monotonic() - started < 1.5
    assert await nothing_learnt(secure)


async def test_a_forged_install_without_a_token_stores_no_reference(
    secure: TeamsSystem,
) -> None:
    """The attack of the issue: an unsigned install naming the attacker's serviceUrl, so
    that later cases (customer data) would be posted there."""
    r = await post(secure, bot_added("https://attacker.example/", ANNA), None)
    assert r.status == 401
    assert await secure.backend.references.get(TEAM) is None
    assert await secure.rt.store.redis.hgetall(keys.TEAMS_REFERENCES) == {}


# -- a valid token, but not from Teams' Bot Connector ---------------------------------------


@pytest.mark.parametrize(
    "service_url",
    [
        "http://127.0.0.1:9/",  # the local Connector of the other tests: only when auth is off
        "https://attacker.example/",
        "http://smba.trafficmanager.net/emea/",  # not HTTPS
        "https://smba.trafficmanager.net.attacker.example/",
        "https://smba.trafficmanager.net:8443/emea/",
        "https://user:pw@smba.trafficmanager.net/emea/",
        "https://webchat.botframework.com/",  # Web Chat lets the client choose who it is
    ],
)
async def test_a_valid_token_for_another_host_is_refused_and_nothing_is_learnt(
    secure: TeamsSystem, openid: OpenIdServer, service_url: str
) -> None:
    token = openid.token(APP_ID, service_url)  # the claim matches the activity
    r = await post(secure, claim_click(service_url), f"Bearer {token}")
    assert r.status == 403, await r.text()
    assert await nothing_learnt(secure)


async def test_a_valid_token_from_another_channel_is_refused(
    secure: TeamsSystem, openid: OpenIdServer
) -> None:
    """Direct Line lets its client name the user: a signed activity from it could claim to be
    an approver. Its keys are endorsed for it, so only our channel check stops it."""
    openid.endorsements = ["msteams", "directline"]
    token = openid.token(APP_ID, SMBA)
    r = await post(secure, claim_click(channelId="directline"), f"Bearer {token}")
    assert r.status == 403
    assert await nothing_learnt(secure)


async def test_a_reference_stored_before_the_rule_is_never_used(secure: TeamsSystem) -> None:
    """A Redis that learnt an attacker's serviceUrl from a forged activity (before this
    fix): the reference is ignored, and the channel waits for a genuine activity."""
    forged = {
        "conversation": {"id": SOCIAL, "isGroup": True, "conversationType": "channel"},
        "bot": {"id": BOT_ID},
        "channelId": "msteams",
        "serviceUrl": "https://attacker.example/",
    }
    await secure.rt.store.redis.hset(keys.TEAMS_REFERENCES, SOCIAL, json.dumps(forged))
    assert await secure.backend.references.get(SOCIAL) is None
    await secure.backend.sender.tick()
    assert f"teams:{SOCIAL}" in await (await secure.client.get("/readyz")).text()


async def test_a_turn_that_bypassed_the_adapter_does_nothing(secure: TeamsSystem) -> None:
    """Defence in depth: the bot itself ignores a turn without the Bot Connector's identity
    for this app (here botbuilder's TestAdapter, which authenticates nothing)."""
    template = Activity(
        channel_id="msteams",
        service_url=SMBA,
        conversation=ConversationAccount(
            id=f"{SOCIAL};messageid={POST_ID}", is_group=True, conversation_type="channel"
        ),
        recipient=ChannelAccount(id=BOT_ID, name="chatops"),
        from_property=ChannelAccount(id=ANNA.id, name=ANNA.name, aad_object_id=ANNA.aad),
        channel_data={"channel": {"id": SOCIAL}, "team": {"id": TEAM}},
    )
    adapter = TestAdapter(secure.backend.bot.on_turn, template)
    await adapter.send(Activity(type="message", text="cases"))
    assert adapter.activity_buffer == []
    assert await nothing_learnt(secure)


async def test_malformed_bodies_are_400_not_500(secure: TeamsSystem) -> None:
    for raw in (b"{", b"[1, 2]", b'"text"', b'{"type": 5, "conversation": "x"}', b"{}"):
        r = await secure.client.post(
            "/api/messages", data=raw, headers={"Content-Type": "application/json"}
        )
        assert r.status == 400, raw
    r = await secure.client.post("/api/messages", data=b"not json")
    assert r.status == 415


# -- CHATOPS_TEAMS_AUTH=off: local tests only ------------------------------------------------


async def test_without_authentication_only_loopback_and_teams_hosts_are_learnt(
    store: Store, teams_config: Config, clock: Clock
) -> None:
    ts = await start_system(store, teams_config, clock)  # CHATOPS_TEAMS_AUTH=off
    try:
        assert ts.backend.local_only
        r = await post(ts, bot_added("https://attacker.example/", ANNA), None)
        assert r.status == 403
        assert await ts.rt.store.redis.hgetall(keys.TEAMS_REFERENCES) == {}
        r = await post(ts, bot_added(ts.connector.url, ANNA), None)
        assert r.status in (200, 201)
        assert await ts.backend.references.get(TEAM) is not None
    finally:
        await stop_system(ts)


# -- fail closed at start-up -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["MicrosoftAppId", "MicrosoftAppPassword"]),
        ({"MicrosoftAppId": APP_ID}, ["MicrosoftAppPassword"]),
        ({"MicrosoftAppPassword": "pw"}, ["MicrosoftAppId"]),
        (TEAMS_ENV, []),
        ({**TEAMS_ENV, "MicrosoftAppType": "SingleTenant"}, ["MicrosoftAppTenantId"]),
        (
            {"MicrosoftAppId": APP_ID, "MicrosoftAppType": "UserAssignedMSI"},
            ["MicrosoftAppTenantId"],
        ),
        (
            {
                "MicrosoftAppId": APP_ID,
                "MicrosoftAppType": "UserAssignedMSI",
                "MicrosoftAppTenantId": "t",
            },
            [],
        ),
        ({**TEAMS_ENV, "MicrosoftAppType": "Anonymous"}, ["MicrosoftAppType"]),
        ({"CHATOPS_TEAMS_AUTH": "off"}, []),
        ({"CHATOPS_TEAMS_AUTH": "OFF"}, []),
        ({"CHATOPS_TEAMS_AUTH": "false"}, ["MicrosoftAppId", "MicrosoftAppPassword"]),
        ({"CHATOPS_TEAMS_AUTH": "0"}, ["MicrosoftAppId", "MicrosoftAppPassword"]),
        ({"CHATOPS_TEAMS_AUTH": "disabled"}, ["MicrosoftAppId", "MicrosoftAppPassword"]),
    ],
)
def test_required_env(env: dict[str, str], missing: list[str]) -> None:
    problems = backend_env("teams", Settings.from_env(env))
    assert [problem.name for problem in problems] == missing
    assert all(problem.problem and "\n" not in str(problem) for problem in problems)


@pytest.mark.parametrize(
    ("url", "local", "allowed"),
    [
        (SMBA, False, True),
        ("https://smba.trafficmanager.net/teams/", False, True),
        ("https://SMBA.trafficmanager.net/amer/", False, True),
        ("https://smba.trafficmanager.net:443/apac/", False, True),
        ("https://smba.infra.gcc.teams.microsoft.com/teams", False, True),
        ("https://smba.infra.gov.teams.microsoft.us/teams", False, True),
        ("https://smba.infra.dod.teams.microsoft.us/teams", False, True),
        ("https://frontend.botapi.msg.infra.teams.microsoftonline.cn/", False, True),
        ("http://127.0.0.1:8080/", False, False),
        ("http://127.0.0.1:8080/", True, True),
        ("http://localhost:8080/", True, True),
        ("https://attacker.example/", True, False),
        ("https://evil.smba.trafficmanager.net/", False, False),
        ("https://smba.trafficmanager.net@attacker.example/", False, False),
        ("https://[::1/", True, False),
        ("", False, False),
        (None, False, False),
    ],
)
def test_service_url_allowed(url: str | None, local: bool, allowed: bool) -> None:
    assert service_url_allowed(url, local=local) is allowed


def test_the_allow_list_is_microsoft_s_teams_hosts_only() -> None:
    assert all(h.startswith(("smba.", "frontend.botapi.")) for h in SERVICE_HOSTS)


async def test_the_backend_refuses_to_start_without_an_app_id(
    store: Store, teams_config: Config, clock: Clock
) -> None:
    with pytest.raises(ValueError, match="MicrosoftAppId is not set") as raised:
        await start_system(store, teams_config, clock, env={})
    assert "\n" not in str(raised.value)


def _config_file(tmp_path: Path) -> Path:
    path = tmp_path / "chatops.yaml"
    path.write_text(TEAMS_CONFIG)
    return path


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "CHATOPS_TEAMS_AUTH") and not k.startswith("Microsoft")
    }
    env.update(
        CHATOPS_CONFIG=str(_config_file(tmp_path)),
        SANDBOX_SECRET="a-secret-of-this-test",
        PORT=str(free_port()),
        **extra,
    )
    return env


def test_chatops_run_refuses_to_start_without_microsoft_app_id(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chatops", "run"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("chatops:")]
    assert len(lines) == 1 and "MicrosoftAppId" in lines[0], result.stderr


def test_chatops_run_without_authentication_listens_on_loopback_only(tmp_path: Path) -> None:
    env = _env(tmp_path, CHATOPS_TEAMS_AUTH="off")
    process = subprocess.Popen(
        [sys.executable, "-m", "chatops", "run"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            seen.append(line)
            if "web listening on" in line:
                break
        listening = [line for line in seen if "web listening on" in line]
        assert listening, "".join(seen)
        assert f"http://127.0.0.1:{env['PORT']}" in listening[0]
        loud = [line for line in seen if "authentication is OFF" in line]
        assert len(loud) == 1 and "127.0.0.1" in loud[0] and "WARNING" in loud[0].upper()
    finally:
        process.terminate()
        process.wait(timeout=30)
