"""A loopback OpenID Connect provider, as Entra ID or Keycloak behave for the authorisation-code flow:
discovery, an authorisation endpoint that signs in whoever the test says, a token endpoint that checks the
client's secret and returns an RS256-signed ID token, and the JWKS to verify it. The test can make it sign
with a key it does not publish, for another audience, or with an expired token."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey


class FakeIdP:
    def __init__(self, client_id: str = "leerkring", client_secret: str = "geheim-voor-tests") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "sleutel-1"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "sleutel-1"})
        self.claims: dict[str, Any] = {}  # who signs in next
        self.tamper = ""  # "", "signature", "audience", "expired"
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeIdP:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "sub": grant["claims"].get("sub", "gebruiker-1"), "aud": self.client_id,
                  "iat": now, "exp": now + 300, "nonce": grant["nonce"], **grant["claims"]}
        if self.tamper == "audience":
            claims["aud"] = "een-andere-app"
        if self.tamper == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        key = self.other_key if self.tamper == "signature" else self.key
        return jwt.encode({"alg": "RS256", "kid": "sleutel-1"}, claims, key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, body: object, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json({"issuer": idp.url, "authorization_endpoint": f"{idp.url}/authorize",
                                "token_endpoint": f"{idp.url}/token", "jwks_uri": f"{idp.url}/jwks",
                                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                                "id_token_signing_alg_values_supported": ["RS256"],
                                "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                                          "client_secret_post"]})
                elif url.path == "/jwks":
                    self._json({"keys": [idp.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    if query.get("client_id") != idp.client_id or query.get("response_type") != "code":
                        self._json({"error": "invalid_request"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    idp.codes[code] = {"claims": dict(idp.claims), "nonce": query.get("nonce", ""),
                                       "redirect_uri": query["redirect_uri"]}
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?"
                                                 + urlencode({"code": code, "state": query.get("state", "")}))
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                idp.token_requests += 1
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                client, secret = form.get("client_id", ""), form.get("client_secret", "")
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):
                    client, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                if (client, secret) != (idp.client_id, idp.client_secret):
                    self._json({"error": "invalid_client"}, 401)
                    return
                grant = idp.codes.pop(form.get("code", ""), None)  # a code works once
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                            "id_token": idp.id_token(grant)})

        return Handler
