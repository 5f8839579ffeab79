"""The request engine under :class:`alp_tui.api.client.AlpClient`: the one place requests
are sent.

It owns the connection pool, the API key and secret, the token, the rate gate and the
observers; it signs bodies, retries what is safe to retry (a GET after a 401 with a fresh
token, a GET on a kept-alive connection the server had closed), maps every failure to a
typed error with secrets scrubbed, and parses answers into the models. The endpoint
groups (``client_public``, ``client_account``, ``client_funding``, ``client_trading``,
``client_margin``) build on it; none of them sends a request any other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Self, get_origin
from urllib.parse import quote, urlencode

import httpx
import pydantic
from pydantic import TypeAdapter

from alp_tui.api.auth import Secret, TokenManager, sign
from alp_tui.api.errors import (
    AlpError,
    AuthError,
    BadResponseError,
    RateLimitedError,
    RequestError,
    RequestTimeoutError,
)
from alp_tui.api.models import ServerTime
from alp_tui.api.request_gate import Observer, RequestGate, RequestRecord
from alp_tui.api.responses import (
    decode_json,
    error_for_status,
    first_validation_problem,
    status_error_name,
    transport_error,
)
from alp_tui.api.token_cache import TokenCache
from alp_tui.api.transport import build_query, encode_json

log = logging.getLogger("alp_tui.api")

_USER_AGENT = "alp-tui/0.1"
_BASE_HEADERS = {"Accept": "application/json", "User-Agent": _USER_AGENT}
_DISCONNECTED = "server disconnected without sending a response"
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    # TypeAdapter construction is costly; build one per response type, once.
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class RequestEngine:
    """Sends the API's requests: auth, signing, retry, rate gate, scrubbing, parsing.

    One ``httpx.AsyncClient`` (kept-alive pool) per instance; safe for many concurrent
    calls on one event loop. ``token_cache_path`` is a *directory* for cached tokens
    (``default_token_cache_dir()`` is the XDG one); None keeps the token in memory only.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        api_secret: str | None = None,
        timeout_s: float = 10,
        *,
        token_cache_path: Path | str | None = None,
        max_requests_per_s: float | None = None,
        allow_insecure: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise RequestError(
                f"base_url must be an http:// or https:// URL; got {base_url!r}.",
                field="base_url",
            )
        self.base_url = str(url).rstrip("/")
        self._api_key = api_key or None
        self._secret = Secret(api_secret or "")
        has_creds = bool(api_key and api_secret)
        if url.scheme == "http" and has_creds and not _is_loopback(url.host):
            if not allow_insecure:
                raise RequestError(
                    f"Refusing to send API keys over plain http:// to {url.host}; use "
                    "https:// (or allow_insecure=True on a network you trust).",
                    field="base_url",
                )
            log.warning(
                "INSECURE: API keys will be sent over plain http:// to %s; anyone on the "
                "path can read and reuse them.", url.host,
            )
        if not isinstance(timeout_s, int | float | Decimal) or isinstance(timeout_s, bool) \
                or not 0 < timeout_s < float("inf"):
            raise RequestError(f"timeout_s must be a positive number of seconds; got "
                               f"{timeout_s!r}.", field="timeout_s")
        self.timeout_s = float(timeout_s)
        timeout = httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 5.0))
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=16,
                              keepalive_expiry=30.0)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            timeout=timeout,
            limits=limits,
            verify=True,  # never configurable: TLS is always verified
            follow_redirects=False,
            transport=transport,
            headers=_BASE_HEADERS,
        )
        self._timeout_ext = timeout.as_dict()
        self._gate = RequestGate(max_requests_per_s)
        self._observers: list[Observer] = []
        cache = None
        cache_id = None
        if token_cache_path is not None and has_creds:
            cache = TokenCache(Path(token_cache_path))
            cache_id = TokenManager.cache_id_for(self.base_url, api_key or "")
            cache.load(cache_id)  # now, so a bad file is moved aside and said before use
        self._token_cache = cache
        self._tokens = TokenManager(
            self._post_auth, server_clock=self._server_clock, cache=cache, cache_id=cache_id
        )

    # --- lifecycle and introspection ------------------------------------------------
    @property
    def token_cache_notice(self) -> str | None:
        """One sentence when the token cache file was unusable and moved aside."""
        return self._token_cache.notice if self._token_cache is not None else None

    def __repr__(self) -> str:
        key = self._api_key
        shown = None if key is None else (key[:4] + "…" if len(key) > 8 else "…")
        return f"AlpClient(base_url={self.base_url!r}, api_key={shown!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def has_credentials(self) -> bool:
        """True when both an API key and secret were given (private endpoints usable)."""
        return bool(self._api_key and self._secret)

    @property
    def auth_count(self) -> int:
        """How many POST /auth this client has made."""
        return self._tokens.refreshes

    @property
    def clock_offset_s(self) -> float | None:
        """Server clock minus local clock as last measured at /auth (None if unknown)."""
        return self._tokens.clock_offset_s

    def paused_for(self) -> float:
        """Seconds left of a 429 pause shared by every caller (0 when none)."""
        return self._gate.paused_for()

    def add_observer(self, fn: Observer) -> None:
        """Call ``fn(RequestRecord)`` after every HTTP attempt (API-health view)."""
        self._observers.append(fn)

    async def bearer_token(self) -> str:
        """A JWT valid for a while yet (shared with REST calls; the WebSocket feed's
        ``auth`` uses it). Raises AuthError without credentials."""
        if not self.has_credentials:
            raise AuthError("A token needs an API key and secret, and none are configured.")
        return await self._tokens.get()

    def invalidate_token(self, token: str) -> None:
        """Forget ``token`` after a server refused it (the WebSocket feed's ``auth``): the
        next :meth:`bearer_token` fetches a new one. A newer token is left alone."""
        self._tokens.invalidate(token)

    @staticmethod
    def new_client_order_id() -> str:
        """A fresh client order id; callers that journal orders pass it to place_order."""
        return "tui-" + uuid.uuid4().hex[:24]

    async def warm_up(self, connections: int = 8) -> None:
        """Open up to ``connections`` kept-alive connections (concurrent GET /time) so the
        first full refresh does not pay for new TCP+TLS handshakes. Errors are ignored."""
        async def one() -> None:
            with contextlib.suppress(AlpError):
                await self._request("GET", "/time")

        await asyncio.gather(*(one() for _ in range(max(1, connections))))

    # --- the one place requests are sent ----------------------------------------------
    def _scrub(self, text: str, *also: str | None) -> str:
        """Blank out anything secret a server might echo back in an error message."""
        current = self._tokens._token
        for secret in (self._secret.reveal(), current.value if current else None, *also):
            if secret and secret in text:
                text = text.replace(secret, "***")
        return text

    def _notify(self, record: RequestRecord) -> None:
        for fn in tuple(self._observers):
            try:
                fn(record)
            except Exception:  # an observer's bug must not break a request
                log.exception("A request observer failed.")

    async def _send_once(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None,
        content: bytes | None,
        headers: dict[str, str],
        attempt: int,
    ) -> httpx.Response:
        """One HTTP attempt: gate, send, read the whole body, notify observers."""
        # Reads (and /auth) wait out a 429 pause; writes are refused instead (see gate).
        hold = method == "GET" or path == "/auth"
        await self._gate.acquire(hold=hold, what=f"{method} {path}")
        started_wall = time.time()
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            try:
                # Build the request ourselves: one URL parse instead of httpx's three or
                # four (base join, params merge), which is a tenth of the per-call CPU.
                url = self.base_url + path
                if query:
                    url += "?" + urlencode(query, quote_via=quote)
                request = httpx.Request(method, url, headers={**_BASE_HEADERS, **headers},
                                        content=content,
                                        extensions={"timeout": self._timeout_ext})
                response = await self._http.send(request)
            except httpx.HTTPError as exc:
                err = transport_error(exc, method, path, timeout_s=self.timeout_s,
                                      scrub=self._scrub)
                error = type(err).__name__
                raise err from None
            except asyncio.CancelledError:
                error = "CancelledError"  # the caller gave up (e.g. a pane changed pair)
                raise
            status = response.status_code
            if status >= 400:
                error = status_error_name(status)
            return response
        finally:
            latency = time.perf_counter() - started
            log.debug("%s %s -> %s in %.1f ms", method, path, status, latency * 1000)
            self._notify(RequestRecord(method, path, status, latency, error, attempt,
                                       started_wall))

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        private: bool = False,
        allow_empty: bool = False,
    ) -> Any:
        """Send one API call and return its decoded JSON (None for an allowed empty body).

        Retries, all for GET only: once after a 401 with a fresh token; once when a kept-alive
        connection turned out closed before anything was answered.
        """
        if private and not self.has_credentials:
            raise AuthError(
                f"{method} {path} needs an API key and secret, and none are configured.",
                endpoint=path,
            )
        if method != "GET":
            # Before any token refresh could hold this write through a pause.
            self._gate.refuse_if_paused(f"{method} {path}")
        query = build_query(params) if params else None
        headers: dict[str, str] = {}
        content: bytes | None = None
        if body is not None:
            # Serialise once; sign exactly these bytes; send exactly these bytes.
            content = encode_json(body)
            headers["Content-Type"] = "application/json"
            headers["X-SIGN"] = sign(self._secret.reveal(), content)
        is_get = method == "GET"
        signature = headers.get("X-SIGN")
        auth_retried = conn_retried = False
        attempt = 0
        while True:
            attempt += 1
            token = None
            if private:
                token = await self._tokens.get()
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = await self._send_once(method, path, query, content, headers, attempt)
            except RequestTimeoutError as err:
                # A kept-alive connection the server had already closed: nothing was
                # processed, so a GET may go again once on a fresh connection.
                if is_get and not conn_retried and getattr(err, "unanswered", False):
                    conn_retried = True
                    continue
                raise
            status = response.status_code

            def scrub(text: str, token: str | None = token) -> str:
                return self._scrub(text, token, signature)

            if status == 401 and token is not None:
                self._tokens.invalidate(token)
                if is_get and not auth_retried:
                    auth_retried = True
                    continue
                err = error_for_status(status, response.content, response.headers, method,
                                       path, scrub)
                if not is_get:
                    err = AuthError(
                        f"{err.message.rstrip('.')}; the request was not resent.",
                        endpoint=path, status=status,
                    )
                raise err
            if status == 401 and token is None:
                # No key was sent: the live exchange answers unknown paths this way.
                raise AuthError(
                    f"The exchange answered 401 Unauthorized to {method} {path}, which needs "
                    "no key; the path may not exist on this server.",
                    endpoint=path, status=status,
                )
            if status == 429:
                err = error_for_status(status, response.content, response.headers, method,
                                       path, scrub)
                assert isinstance(err, RateLimitedError)
                self._gate.pause(err.retry_after, endpoint=f"{method} {path}")
                raise err
            if status >= 300 or status < 200:
                raise error_for_status(status, response.content, response.headers, method,
                                       path, scrub)
            self._gate.succeeded(f"{method} {path}")
            if allow_empty and not response.content.strip():
                return None
            return decode_json(response.content, method, path)

    async def _post_auth(self) -> tuple[bytes, httpx.Headers]:
        """POST /auth for the token manager; typed errors, 401/403/400 read as AuthError."""
        body = {"api_key": self._api_key, "api_secret": self._secret.reveal()}
        content = encode_json(body)
        headers = {"Content-Type": "application/json",
                   "X-SIGN": sign(self._secret.reveal(), content)}
        response = await self._send_once("POST", "/auth", None, content, headers, 1)
        status = response.status_code
        if status in (400, 401, 403):
            raise AuthError(
                f"The exchange refused the API key and secret (HTTP {status} on POST /auth); "
                "check them, and that the key is enabled.",
                endpoint="/auth", status=status,
            )
        if status == 429:
            err = error_for_status(status, response.content, response.headers, "POST", "/auth")
            assert isinstance(err, RateLimitedError)
            self._gate.pause(err.retry_after, endpoint="POST /auth")
            raise err
        if not 200 <= status < 300:
            raise error_for_status(status, response.content, response.headers, "POST", "/auth",
                                   self._scrub)
        return response.content, response.headers

    async def _server_clock(self) -> float:
        return float((await self.server_time()).serverTime)

    async def server_time(self) -> ServerTime:
        """GET /time (later edition): the server's clock in Unix seconds.

        Part of the engine because the token manager measures clock skew with it.
        """
        data = await self._request("GET", "/time")
        if isinstance(data, int | Decimal) and not isinstance(data, bool):
            data = {"serverTime": data}
        return self._parse(ServerTime, data, "GET", "/time")

    # --- parsing helpers ----------------------------------------------------------------
    @staticmethod
    def _parse(tp: Any, data: Any, method: str, path: str) -> Any:
        try:
            return _adapter(tp).validate_python(data)
        except pydantic.ValidationError as exc:
            problem = first_validation_problem(exc.errors(include_input=False))
            raise BadResponseError(
                f"The exchange's answer to {method} {path} did not have the expected shape "
                f"({problem}).",
                endpoint=path,
            ) from None

    async def _get(self, tp: Any, path: str, params: Mapping[str, Any] | None = None,
                   *, private: bool = False) -> Any:
        data = await self._request("GET", path, params=params, private=private)
        if data is None and get_origin(tp) is list:
            # A Go server writes an empty (nil) list as `null`; the official client reads
            # every list answer as `raw or []`.
            return []
        return self._parse(tp, data, "GET", path)

    @staticmethod
    def _one_id(data: Any, method: str, path: str, what: str) -> int:
        """An operation id from ``123``, ``[123]`` or ``{"id": 123}``."""
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if isinstance(data, dict) and "id" in data:
            data = data["id"]
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data.strip())
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        raise BadResponseError(
            f"The exchange's answer to {method} {path} carried no {what} id; the operation "
            "may still have happened, so check before repeating it.",
            endpoint=path,
        )
