"""A local stand-in for login.botframework.com: the Bot Framework's OpenID metadata and the
RSA keys (JWKS) it signs the tokens of the activities it sends a bot with, plus the tokens.

botframework-connector validates every Bearer token against these keys: it GETs the metadata
document, follows its `jwks_uri`, and checks the token's RS256 signature with the key of the
token's `kid` (and that the key is endorsed for the activity's channel), then `iss`, `aud`,
`exp`/`nbf` and `serviceurl`. Tests point it here with
`ChannelValidation.open_id_metadata_endpoint = OpenIdServer.metadata_url`.

botframework-connector fetches the keys with blocking `requests` calls from inside the event
loop, so this server runs on a thread of its own (a server on the test's loop could never
answer): a stdlib ThreadingHTTPServer, not the LocalServer of tests/fakes/server.py.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
"""`iss` of the tokens the Bot Connector sends bots (AuthenticationConstants)."""


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OpenIdServer:
    """Publishes one signing key (`kid`), endorsed for `msteams`, on 127.0.0.1."""

    def __init__(self, *, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.key = new_key()
        self.kid = uuid.uuid4().hex
        self.endorsements = list(endorsements)
        self.requests: list[str] = []
        self.delay = 0.0  # seconds before each answer: a slow login.botframework.com
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the documents ---------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update(kid=self.kid, use="sig", alg="RS256", endorsements=self.endorsements)
        return {"keys": [public]}

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": f"{self.origin}/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    # -- tokens ------------------------------------------------------------------------------

    def token(
        self,
        app_id: str,
        service_url: str,
        *,
        issuer: str = ISSUER,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        lifetime: float = 3600,
        **claims: Any,
    ) -> str:
        """A token as the Bot Connector signs it for an activity to bot `app_id`."""
        now = int(time.time())
        payload = {
            "iss": issuer,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + int(lifetime),
            **claims,
        }
        return jwt.encode(
            payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    # -- life cycle --------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("OpenIdServer is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.origin}/v1/.well-known/openidconfiguration"

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                time.sleep(owner.delay)
                if self.path == "/v1/.well-known/openidconfiguration":
                    self._json(owner.metadata())
                elif self.path == "/keys":
                    self._json(owner.jwks())
                else:
                    self.send_error(404)

            def _json(self, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.metadata_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
