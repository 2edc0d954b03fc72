"""SMART Backend Services: a signed JWT client assertion for an access token.

The client signs `{iss, sub: client_id, aud: token endpoint, exp <= 5 min, jti}` with its
private key (RS384 for an RSA key, ES384 for an EC key), posts it as a client_credentials
grant, and keeps the token until shortly before it expires. The key is read from
`FHIR_PRIVATE_KEY_FILE` or `FHIR_PRIVATE_KEY`; neither it nor a token is ever logged.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bot.backoffice.errors import BackOfficeUnavailable

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 240  # seconds; SMART allows at most 300
REFRESH_MARGIN = 60  # a token this close to expiry is replaced before use


class AuthError(BackOfficeUnavailable):
    code = "fhir_auth_failed"
    message = "the EHR refused our credentials"


def algorithm_for(pem: bytes) -> str:
    key = load_pem_private_key(pem, password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS384"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ES384"
    raise ValueError("FHIR private key must be RSA (RS384) or EC P-384 (ES384)")


@dataclass
class SmartAuth:
    client_id: str
    private_key: bytes = field(repr=False)
    token_url: str
    scopes: str
    key_id: str = ""
    clock: Callable[[], float] = time.time
    _token: str | None = field(default=None, repr=False)
    _expires_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def assertion(self) -> str:
        now = int(self.clock())
        headers = {"kid": self.key_id} if self.key_id else None
        return jwt.encode(
            {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url,
             "iat": now, "exp": now + ASSERTION_LIFETIME, "jti": uuid.uuid4().hex},
            self.private_key, algorithm=algorithm_for(self.private_key), headers=headers)

    def token(self, http: httpx.Client) -> str:
        with self._lock:
            if self._token is not None and self.clock() < self._expires_at - REFRESH_MARGIN:
                return self._token
            try:
                resp = http.post(self.token_url, data={
                    "grant_type": "client_credentials", "scope": self.scopes,
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self.assertion()})
            except httpx.HTTPError as exc:
                raise AuthError(f"token endpoint: {type(exc).__name__}") from exc
            if resp.status_code != 200:
                # The OAuth error code only: the description may echo what we sent.
                error = resp.json().get("error", "") if resp.headers.get(
                    "content-type", "").startswith("application/json") else ""
                raise AuthError(f"token endpoint: HTTP {resp.status_code} {error}".strip())
            body = resp.json()
            self._token = str(body["access_token"])
            self._expires_at = self.clock() + float(body.get("expires_in", 300))
            return self._token

    def forget(self) -> None:
        """After a 401: the next call asks for a new token."""
        with self._lock:
            self._token = None
