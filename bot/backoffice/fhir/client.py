"""A small FHIR R4 REST client over httpx: the only code that talks to the EHR.

What a production integration needs and nothing more: SMART Backend Services tokens,
timeouts, retries only where repeating is safe (reads, and writes made conditional with
If-Match / If-None-Exist), paging through `Bundle.link[next]`, 429 answered after its
Retry-After, every error answer (an OperationOutcome) turned into a typed error, and one log
line per call with the resource type, status and time only: never an id, a parameter or a
body, which may all be PHI.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bot.backoffice.errors import BackOfficeUnavailable, NotFound, NotSupported
from bot.backoffice.fhir.auth import SmartAuth

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("bot.backoffice.fhir")

FHIR_JSON = "application/fhir+json"
MAX_PAGES = 20
# A 429 asking for longer than this is treated as the system being down: a patient is waiting.
MAX_RETRY_AFTER = 2.0
RETRIES = 2


class FhirError(BackOfficeUnavailable):
    """The EHR answered with an error we cannot act on (an OperationOutcome, a 5xx)."""

    code = "fhir_error"

    def __init__(self, message: str, status: int = 0, issue_codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.issue_codes = issue_codes


class FhirNotFound(NotFound):
    code = "not_found"


class VersionConflict(Exception):
    """409/412 on a conditional write: someone changed the resource since we read it (423:
    someone holds it locked right now)."""


@dataclass(frozen=True)
class Capabilities:
    """What the server's CapabilityStatement says it can do, per resource type."""

    interactions: dict[str, frozenset[str]]
    search_params: dict[str, frozenset[str]]
    operations: frozenset[str]
    system_interactions: frozenset[str]
    token_url: str | None
    software: str

    def can(self, resource_type: str, interaction: str) -> bool:
        return interaction in self.interactions.get(resource_type, frozenset())

    def searches(self, resource_type: str, *params: str) -> bool:
        known = self.search_params.get(resource_type)
        return known is not None and self.can(resource_type, "search-type") and all(
            p in known or p.startswith("_") for p in params)

    @classmethod
    def from_statement(cls, statement: dict[str, Any], token_url: str | None) -> Capabilities:
        interactions: dict[str, frozenset[str]] = {}
        params: dict[str, frozenset[str]] = {}
        operations: set[str] = set()
        system: set[str] = set()
        for rest in statement.get("rest", []):
            if rest.get("mode", "server") != "server":
                continue
            system |= {i.get("code", "") for i in rest.get("interaction", [])}
            operations |= {f"${o.get('name', '')}" for o in rest.get("operation", [])}
            for res in rest.get("resource", []):
                rtype = res.get("type", "")
                interactions[rtype] = frozenset(i.get("code", "") for i in
                                                res.get("interaction", []))
                params[rtype] = frozenset(p.get("name", "") for p in res.get("searchParam", []))
                operations |= {f"{rtype}/${o.get('name', '')}" for o in res.get("operation", [])}
        software = statement.get("software", {}).get("name", "") or statement.get("name", "")
        return cls(interactions, params, frozenset(operations), frozenset(system), token_url,
                   str(software))


@dataclass
class FhirClient:
    base_url: str
    timeout: float = 5.0
    client_id: str = ""
    private_key: bytes = field(default=b"", repr=False)
    scopes: str = ""
    key_id: str = ""
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    calls: int = 0
    _http: httpx.Client | None = field(default=None, repr=False)
    _auth: SmartAuth | None = field(default=None, repr=False)
    _caps: Capabilities | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    @property
    def http(self) -> httpx.Client:
        if self._http is None or self._http.is_closed:
            self._http = httpx.Client(timeout=self.timeout, transport=self.transport,
                                      headers={"Accept": FHIR_JSON})
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    # --- what the server can do ------------------------------------------------------------

    def smart_configuration(self) -> dict[str, Any]:
        resp = self._send("GET", f"{self.base_url}/.well-known/smart-configuration", "smart",
                          authorized=False)
        if resp.status_code != 200:
            return {}
        body = resp.json()
        return body if isinstance(body, dict) else {}

    def capabilities(self) -> Capabilities:
        """Read once per process: `/metadata` and the SMART configuration."""
        with self._lock:
            if self._caps is None:
                resp = self._send("GET", f"{self.base_url}/metadata", "metadata",
                                  authorized=False)
                self._raise_for(resp, "metadata")
                token_url = self.smart_configuration().get("token_endpoint")
                self._caps = Capabilities.from_statement(resp.json(), token_url)
            return self._caps

    def _token(self) -> str | None:
        if not self.client_id:
            return None
        if self._auth is None:
            token_url = self.capabilities().token_url
            if not token_url:
                raise NotSupported("the EHR publishes no SMART token endpoint")
            self._auth = SmartAuth(self.client_id, self.private_key, token_url, self.scopes,
                                   self.key_id)
        return self._auth.token(self.http)

    # --- the calls -------------------------------------------------------------------------

    def _send(self, method: str, url: str, what: str, *, params: Any = None,
              json: Any = None, headers: dict[str, str] | None = None,
              authorized: bool = True, retry: bool = True) -> httpx.Response:
        attempts = RETRIES + 1 if retry else 1
        refreshed = False
        for attempt in range(attempts):
            all_headers = dict(headers or {})
            if json is not None:
                all_headers.setdefault("Content-Type", FHIR_JSON)
            token = self._token() if authorized else None
            if token:
                all_headers["Authorization"] = f"Bearer {token}"
            started = time.perf_counter()
            self.calls += 1
            try:
                resp = self.http.request(method, url, params=params, json=json,
                                         headers=all_headers)
            except httpx.HTTPError as exc:
                log.warning("fhir %s %s failed: %s", method, what, type(exc).__name__)
                if attempt + 1 < attempts:
                    continue
                raise BackOfficeUnavailable(f"EHR {what}: {type(exc).__name__}") from exc
            log.info("fhir %s %s -> %s in %.0f ms", method, what, resp.status_code,
                     (time.perf_counter() - started) * 1000)
            if resp.status_code == 401 and authorized and self._auth and not refreshed:
                self._auth.forget()
                refreshed = True
                continue
            if resp.status_code == 429 and attempt + 1 < attempts:
                wait = _retry_after(resp)
                if wait is None or wait > MAX_RETRY_AFTER:
                    raise BackOfficeUnavailable(f"EHR {what}: rate limited")
                self.sleep(wait)
                continue
            if resp.status_code >= 500 and attempt + 1 < attempts:
                self.sleep(0.2 * (attempt + 1))
                continue
            return resp
        return resp

    def _raise_for(self, resp: httpx.Response, what: str) -> None:
        if resp.status_code < 400:
            return
        codes = _issue_codes(resp)
        if resp.status_code in (404, 410):
            raise FhirNotFound(f"EHR {what}: not found")
        if resp.status_code in (409, 412, 423):  # 423: Oracle Health's record lock
            raise VersionConflict(what)
        if resp.status_code in (405, 501) or "not-supported" in codes:
            raise NotSupported(f"EHR {what}: not supported")
        raise FhirError(f"EHR {what}: HTTP {resp.status_code} {' '.join(codes)}".strip(),
                        resp.status_code, codes)

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        resp = self._send("GET", f"{self.base_url}/{resource_type}/{resource_id}",
                          f"read {resource_type}")
        self._raise_for(resp, f"read {resource_type}")
        return _json(resp)

    def search(self, resource_type: str, params: dict[str, str] | list[tuple[str, str]]
               ) -> list[dict[str, Any]]:
        """Every match (and anything `_include`d), page after page."""
        return list(self.iter_search(resource_type, params))

    def iter_search(self, resource_type: str, params: dict[str, str] | list[tuple[str, str]]
                    ) -> Iterator[dict[str, Any]]:
        what = f"search {resource_type}"
        url: str | None = f"{self.base_url}/{resource_type}"
        query: Any = params
        for _ in range(MAX_PAGES):
            assert url is not None
            resp = self._send("GET", url, what, params=query)
            self._raise_for(resp, what)
            bundle = _json(resp)
            for entry in bundle.get("entry", []):
                if "resource" in entry:
                    yield entry["resource"]
            url = next((link.get("url") for link in bundle.get("link", [])
                        if link.get("relation") == "next"), None)
            query = None  # the next link carries the whole query
            if not url:
                return
        log.warning("fhir %s: stopped after %d pages", what, MAX_PAGES)

    def update(self, resource: dict[str, Any], version: str | None) -> dict[str, Any]:
        """PUT with If-Match on the version read: safe to repeat, never overwrites a change
        someone else made (VersionConflict)."""
        rtype, rid = resource["resourceType"], resource["id"]
        headers = {"If-Match": f'W/"{version}"'} if version else {}
        what = f"update {rtype}"
        resp = self._send("PUT", f"{self.base_url}/{rtype}/{rid}", what, json=resource,
                          headers={**headers, "Prefer": "return=representation"},
                          retry=version is not None)
        self._raise_for(resp, what)
        return _json(resp) if resp.content else self.read(rtype, rid)

    def patch(self, resource_type: str, resource_id: str, operations: list[dict[str, Any]],
              version: str) -> dict[str, Any]:
        """JSON Patch with If-Match (Oracle Health's way to change an appointment)."""
        what = f"patch {resource_type}"
        resp = self._send("PATCH", f"{self.base_url}/{resource_type}/{resource_id}", what,
                          json=operations, headers={"If-Match": f'W/"{version}"',
                                                    "Content-Type": "application/json-patch+json"})
        self._raise_for(resp, what)
        return self.read(resource_type, resource_id)

    def create(self, resource: dict[str, Any], if_none_exist: str) -> dict[str, Any]:
        """A conditional create (If-None-Exist on our identifier): a retry finds the first
        one instead of making a second."""
        rtype = resource["resourceType"]
        what = f"create {rtype}"
        resp = self._send("POST", f"{self.base_url}/{rtype}", what, json=resource,
                          headers={"If-None-Exist": if_none_exist,
                                   "Prefer": "return=representation"})
        self._raise_for(resp, what)
        if resp.content:
            return _json(resp)
        location = resp.headers.get("location", "")
        rid = location.split(f"{rtype}/", 1)[-1].split("/", 1)[0]
        return self.read(rtype, rid)

    def operation(self, path: str, body: dict[str, Any], retry: bool = False
                  ) -> dict[str, Any]:
        """POST an operation; `retry` only for ones that change nothing (e.g. $find)."""
        what = f"operation {path.replace('/', ' ')}"
        resp = self._send("POST", f"{self.base_url}/{path}", what, json=body, retry=retry)
        self._raise_for(resp, what)
        return _json(resp)

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        resp = self._send("POST", self.base_url, "transaction", json=bundle, retry=False)
        self._raise_for(resp, "transaction")
        return _json(resp)


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError as exc:
        raise FhirError("EHR answer is not JSON", resp.status_code) from exc
    if not isinstance(body, dict):
        raise FhirError("EHR answer is not a resource", resp.status_code)
    return body


def _issue_codes(resp: httpx.Response) -> tuple[str, ...]:
    try:
        body = resp.json()
    except ValueError:
        return ()
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ()
    return tuple(str(i.get("code", "")) for i in body.get("issue", []) if isinstance(i, dict))


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after", "1")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def private_key_from(settings: Settings) -> bytes:
    if settings.fhir_private_key:
        return settings.fhir_private_key.encode()
    if settings.fhir_private_key_file:
        return Path(settings.fhir_private_key_file).read_bytes()
    return b""


def client_from_settings(settings: Settings,
                         transport: httpx.BaseTransport | None = None) -> FhirClient:
    if not settings.fhir_base_url:
        raise ValueError("a back-office domain is on fhir but FHIR_BASE_URL is not set")
    key = private_key_from(settings)
    if settings.fhir_client_id and not key:
        raise ValueError("FHIR_CLIENT_ID is set but neither FHIR_PRIVATE_KEY_FILE nor "
                         "FHIR_PRIVATE_KEY is")
    return FhirClient(settings.fhir_base_url, timeout=settings.fhir_timeout_seconds,
                      client_id=settings.fhir_client_id, private_key=key,
                      scopes=settings.fhir_scopes, key_id=settings.fhir_key_id,
                      transport=transport)
