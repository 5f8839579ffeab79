"""The async ALP.COM v3 client: one method per endpoint, typed models, typed errors.

```python
async with AlpClient("https://www.alp.com/api/v3", api_key=k, api_secret=s) as client:
    book = await client.orderbook("BTC_USDT")
    ids = await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                   limit_price="45000")
```

Choices worth knowing:

- Money parameters take ``Decimal``, a decimal string or an int. Floats are refused with a
  :class:`RequestError` (a float has already lost the digits the user meant).
- Time filters take aware ``datetime`` or RFC 3339 strings; naive datetimes and windows over
  30 days are refused before sending.
- Enum parameters take the enum, its wire value or the reference's name (``BUY``/``BID``).
- GETs on a 401 refresh the token once and retry once. Nothing that creates or changes
  something (POST, DELETE) is ever resent automatically.
- A 429 pauses the endpoint that answered it until Retry-After (or a growing default
  backoff), and every caller once two endpoints answer 429 within 10 s: reads wait the
  pause out; writes (orders, withdrawals...) are refused with RateLimitedError when the
  pause has more than a second to run, never sent late.
- Secrets (api_secret, JWT, X-SIGN) appear in no repr, log line or error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote, urlencode

import httpx
import pydantic
from pydantic import TypeAdapter

from alp_tui.api.auth import Secret, TokenManager, sign
from alp_tui.api.enums import (
    ChartInterval,
    LoanType,
    MarginDirection,
    OrderSide,
    OrderStatus,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
    normalize_pair,
)
from alp_tui.api.errors import (
    AlpError,
    AuthError,
    BadResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    RequestTimeoutError,
)
from alp_tui.api.models import (
    Account,
    AccountTrade,
    Activity,
    ApiModel,
    Balance,
    Borrow,
    Candle,
    Currency,
    Deposit,
    DepositMethod,
    FeeInfo,
    Interest,
    Liquidation,
    Loan,
    MarginTransfer,
    Order,
    OrderBook,
    PairInfo,
    PublicTrade,
    Repay,
    ServerTime,
    Ticker,
    Withdrawal,
    WithdrawMethod,
)
from alp_tui.api.token_cache import TokenCache
from alp_tui.api.transport import (
    Observer,
    RequestGate,
    RequestRecord,
    build_query,
    clean_text,
    decode_json,
    encode_json,
    error_for_status,
    first_validation_problem,
    rfc3339,
    time_window,
    to_count,
    to_currency,
    to_datetime,
    to_enum,
    to_money,
    to_pair,
    to_unix,
)

log = logging.getLogger("alp_tui.api")

__all__ = ["AlpClient", "RequestRecord", "WithdrawReceipt"]

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


class WithdrawReceipt(ApiModel):
    """What POST /withdraw answered: an id, a withdrawal object, or both.

    Servers differ (a bare id, ``[id]`` or the created withdrawal); ``id`` is set whenever
    the answer carried one, ``withdrawal`` when it was a full object.
    """

    id: int | None = None
    withdrawal: Withdrawal | None = None


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _interval(value: Any) -> ChartInterval:
    """ChartInterval from the enum, minutes (int or str), a name (``HOUR``) or ``1h``/``1D``."""
    if isinstance(value, ChartInterval):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return ChartInterval(value)
        except ValueError:
            pass
    elif isinstance(value, str):
        text = value.strip()
        try:
            return ChartInterval(text)
        except ValueError:
            for member in ChartInterval:
                if member.label.lower() == text.lower():
                    return member
    allowed = ", ".join(str(m.value) for m in ChartInterval)
    raise RequestError(f"interval must be one of {allowed} (minutes); got {value!r}.",
                       field="interval")


def _opt_bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise RequestError(f"{field} must be True, False or None; got {value!r}.", field=field)


class AlpClient:
    """Async client for the ALP.COM v3 REST API (see the module docstring).

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
        self._tokens = TokenManager(
            self._post_auth, server_clock=self._server_clock, cache=cache, cache_id=cache_id
        )
        self._account_id: int | None = None
        self._book_path: str | None = None  # "/orderbook" or "/order_book" once known
        self.last_client_order_id: str | None = None

    # --- lifecycle and introspection ------------------------------------------------
    def __repr__(self) -> str:
        key = self._api_key
        shown = None if key is None else (key[:4] + "…" if len(key) > 8 else "…")
        return f"AlpClient(base_url={self.base_url!r}, api_key={shown!r})"

    async def __aenter__(self) -> AlpClient:
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

    def remove_observer(self, fn: Observer) -> None:
        """Stop calling ``fn``."""
        with contextlib.suppress(ValueError):
            self._observers.remove(fn)

    async def bearer_token(self) -> str:
        """A JWT valid for a while yet (shared with REST calls; the WebSocket feed's
        ``auth`` uses it). Raises AuthError without credentials."""
        if not self.has_credentials:
            raise AuthError("A token needs an API key and secret, and none are configured.")
        return await self._tokens.get()

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

    def _transport_error(self, exc: httpx.HTTPError, method: str, path: str) -> AlpError:
        where = f"{method} {path}"
        reason = clean_text(self._scrub(str(exc)) or type(exc).__name__, 120)
        changes = method != "GET"
        maybe = (" It may or may not have been processed; check before repeating it."
                 if changes else "")
        if isinstance(exc, httpx.ConnectTimeout):
            return NetworkError(f"Timed out connecting to the exchange for {where}.",
                                endpoint=path)
        if isinstance(exc, httpx.PoolTimeout):
            return NetworkError(f"No free connection to the exchange for {where} in time.",
                                endpoint=path)
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeoutError(
                f"The exchange did not answer {where} within {self.timeout_s:g} s.{maybe}",
                endpoint=path,
            )
        if isinstance(exc, httpx.ConnectError):
            return NetworkError(f"Could not connect to the exchange for {where} ({reason}).",
                                endpoint=path)
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            err = RequestTimeoutError(
                f"The connection dropped before the answer to {where} was complete.{maybe}",
                endpoint=path,
            )
            # httpx says this when a kept-alive connection was already closed by the server
            # before our request: nothing was processed, so a GET may safely go again.
            err.unanswered = _DISCONNECTED in str(exc).lower()  # type: ignore[attr-defined]
            return err
        if isinstance(exc, httpx.DecodingError):
            return BadResponseError(f"The exchange's answer to {where} could not be decoded.",
                                    endpoint=path)
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return RequestError(f"The URL for {where} is not usable ({reason}).", endpoint=path)
        return NetworkError(f"A network error interrupted {where} ({reason}).", endpoint=path)

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
                err = self._transport_error(exc, method, path)
                error = type(err).__name__
                raise err from None
            except asyncio.CancelledError:
                error = "CancelledError"  # the caller gave up (e.g. a pane changed pair)
                raise
            status = response.status_code
            if status >= 400:
                error = _status_error_name(status)
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

    async def _post_for_id(self, path: str, body: dict[str, Any], account_id: int | None,
                           what: str) -> int:
        """POST a margin body whose other fields are checked already: the account id is
        resolved only now (so bad input costs no request) into the slot the body keeps for
        it, and the answer's one operation id is returned."""
        body["account_id"] = await self._resolve_account(account_id)
        data = await self._request("POST", path, body=body, private=True)
        return self._one_id(data, "POST", path, what)

    async def _resolve_account(self, account_id: int | None) -> int:
        if account_id is not None:
            if isinstance(account_id, bool) or not isinstance(account_id, int):
                raise RequestError(f"account_id must be an integer; got {account_id!r}.",
                                   field="account_id")
            return account_id
        if self._account_id is None:
            # Only writes need the id: refuse now rather than hold a write through a pause.
            self._gate.refuse_if_paused("the request")
            accounts = await self.accounts()
            if not accounts:
                raise BadResponseError(
                    "The exchange listed no account for this API key (GET /accounts/accounts).",
                    endpoint="/accounts/accounts",
                )
            main = next((a for a in accounts if a.parent_id is None), accounts[0])
            self._account_id = main.id
        return self._account_id

    # =================================================================================
    # Public endpoints
    # =================================================================================
    async def currencies(self) -> list[Currency]:
        """GET /currencies: every listed currency."""
        return await self._get(list[Currency], "/currencies")

    async def pairs(self, currency1: str | None = None,
                    currency2: str | None = None) -> list[PairInfo]:
        """GET /pairs, optionally filtered by base (currency1) or quote (currency2)."""
        params = {
            "currency1": to_currency(currency1, "currency1") if currency1 is not None else None,
            "currency2": to_currency(currency2, "currency2") if currency2 is not None else None,
        }
        return await self._get(list[PairInfo], "/pairs", params)

    @overload
    async def ticker(self, pair: None = None, *, pair_id: None = None) -> list[Ticker]: ...
    @overload
    async def ticker(self, pair: str, *, pair_id: None = None) -> Ticker: ...
    @overload
    async def ticker(self, pair: None = None, *, pair_id: int) -> Ticker: ...

    async def ticker(self, pair: str | None = None, *,
                     pair_id: int | None = None) -> Ticker | list[Ticker]:
        """GET /ticker: one Ticker for ``pair`` (or the reference's ``pair_id``), or the
        list of all when neither is given."""
        if pair is None and pair_id is None:
            return await self.tickers()
        if pair is not None:
            wanted: str | None = to_pair(pair)
            params: dict[str, Any] = {"pair": wanted}
        else:
            wanted = None
            params = {"pair_id": to_count(pair_id, "pair_id", minimum=1)}
        data = await self._request("GET", "/ticker", params=params)
        if isinstance(data, list):
            # Some servers answer a list even for one pair: pick the one asked for, and
            # never a ticker of another pair.
            rows = [r for r in data if isinstance(r, dict) and isinstance(r.get("pair"), str)
                    and (wanted is None or normalize_pair(r["pair"]) == wanted)]
            if len(rows) == 1:
                data = rows[0]
            elif len(data) == 1 and isinstance(data[0], dict) and "pair" not in data[0]:
                data = data[0]
            else:
                what = wanted or f"pair_id {pair_id}"
                raise BadResponseError(
                    f"The exchange's answer to GET /ticker held no single ticker for {what}.",
                    endpoint="/ticker",
                )
        return self._parse(Ticker, data, "GET", "/ticker")

    async def tickers(self) -> list[Ticker]:
        """GET /ticker without a pair: every pair's ticker."""
        return await self._get(list[Ticker], "/ticker")

    async def orderbook(self, pair: str, group: bool | int | None = None,
                        limit_buy: int | None = None,
                        limit_sell: int | None = None) -> OrderBook:
        """GET /orderbook (falls back once to the reference's /order_book on a 404)."""
        params = {
            "pair": to_pair(pair),
            "group": None if group is None else int(bool(group)),
            "limit_buy": None if limit_buy is None else to_count(limit_buy, "limit_buy",
                                                                  minimum=1),
            "limit_sell": None if limit_sell is None else to_count(limit_sell, "limit_sell",
                                                                    minimum=1),
        }
        path = self._book_path or "/orderbook"
        try:
            data = await self._request("GET", path, params=params)
        except NotFoundError:
            if self._book_path is not None:
                raise
            path = "/order_book"
            data = await self._request("GET", path, params=params)
        self._book_path = path
        return self._parse(OrderBook, data, "GET", path)

    async def charts(self, pair: str, interval: ChartInterval | int | str,
                     since: int | datetime | None = None, until: int | datetime | None = None,
                     limit: int | None = None) -> list[Candle]:
        """GET /charts: candles of ``interval`` (enum, minutes, name or label like ``1h``)."""
        params = {
            "pair": to_pair(pair),
            "interval": _interval(interval).value,
            "since": None if since is None else to_unix(since, "since"),
            "until": None if until is None else to_unix(until, "until"),
            "limit": None if limit is None else to_count(limit, "limit", minimum=1),
        }
        return await self._get(list[Candle], "/charts", params)

    async def trades(self, pair: str, limit: int | None = None,
                     offset: int | None = None) -> list[PublicTrade]:
        """GET /trades: the pair's latest public trades."""
        params = {
            "pair": to_pair(pair),
            "limit": None if limit is None else to_count(limit, "limit", minimum=1),
            "offset": None if offset is None else to_count(offset, "offset"),
        }
        return await self._get(list[PublicTrade], "/trades", params)

    async def server_time(self) -> ServerTime:
        """GET /time (later edition): the server's clock in Unix seconds."""
        data = await self._request("GET", "/time")
        if isinstance(data, int | Decimal) and not isinstance(data, bool):
            data = {"serverTime": int(data)}
        return self._parse(ServerTime, data, "GET", "/time")

    async def currency_rates(self) -> dict[str, Decimal]:
        """GET /currency-rates (later edition): currency → rate, as exact Decimals."""
        data = await self._request("GET", "/currency-rates")
        if not isinstance(data, dict):
            raise BadResponseError(
                "The exchange's answer to GET /currency-rates is not an object.",
                endpoint="/currency-rates",
            )
        rates: dict[str, Decimal] = {}
        for name, value in data.items():
            try:
                rate = Decimal(value.strip()) if isinstance(value, str) else None
                if isinstance(value, Decimal | int) and not isinstance(value, bool):
                    rate = Decimal(value)
            except ArithmeticError:
                rate = None
            if rate is None or not rate.is_finite():
                # One odd entry among hundreds should not cost the whole table.
                log.debug("Skipping a non-numeric currency rate for %s.", name)
                continue
            rates[str(name)] = rate
        return rates

    # =================================================================================
    # Private: account
    # =================================================================================
    async def accounts(self, include_subaccounts: bool | None = None) -> list[Account]:
        """GET /accounts/accounts (with sub-accounts when asked)."""
        params = {"include_subaccounts": _opt_bool(include_subaccounts, "include_subaccounts")}
        return await self._get(list[Account], "/accounts/accounts", params, private=True)

    async def balances(self) -> list[Balance]:
        """GET /accounts/balances: every wallet's holdings."""
        return await self._get(list[Balance], "/accounts/balances", private=True)

    async def fees(self) -> list[FeeInfo]:
        """GET /accounts/feeinfo: the fee schedule."""
        return await self._get(list[FeeInfo], "/accounts/feeinfo", private=True)

    async def orders(self, pair: str | None = None, open_only: bool | None = None,
                     side: OrderSide | str | None = None, start_time: Any = None,
                     end_time: Any = None) -> list[Order]:
        """GET /accounts/order: the account's orders, filtered."""
        start, end = time_window(start_time, end_time)
        params = {
            "pair": None if pair is None else to_pair(pair),
            "open_only": _opt_bool(open_only, "open_only"),
            "side": None if side is None else to_enum(OrderSide, side, "side"),
            "start_time": start,
            "end_time": end,
        }
        return await self._get(list[Order], "/accounts/order", params, private=True)

    async def account_trades(self, pair: str | None = None, side: OrderSide | str | None = None,
                             start_time: Any = None, end_time: Any = None) -> list[AccountTrade]:
        """GET /accounts/trades: the account's own fills."""
        start, end = time_window(start_time, end_time)
        params = {
            "pair": None if pair is None else to_pair(pair),
            "side": None if side is None else to_enum(OrderSide, side, "side"),
            "start_time": start,
            "end_time": end,
        }
        return await self._get(list[AccountTrade], "/accounts/trades", params, private=True)

    async def activity(self, currency: str | None = None, start_time: Any = None,
                       end_time: Any = None) -> list[Activity]:
        """GET /accounts/activity: the operation history."""
        params = _currency_window(currency, start_time, end_time)
        return await self._get(list[Activity], "/accounts/activity", params, private=True)

    # =================================================================================
    # Private: deposits and withdrawals
    # =================================================================================
    async def deposit_methods(self, currency: str) -> list[DepositMethod]:
        """GET /deposit/methods for ``currency`` (required)."""
        params = {"currency": to_currency(currency)}
        return await self._get(list[DepositMethod], "/deposit/methods", params, private=True)

    async def deposits(self, currency: str | None = None, start_time: Any = None,
                       end_time: Any = None) -> list[Deposit]:
        """GET /deposit: deposit history."""
        params = _currency_window(currency, start_time, end_time)
        return await self._get(list[Deposit], "/deposit", params, private=True)

    async def withdraw_methods(self, currency: str) -> list[WithdrawMethod]:
        """GET /withdraw/methods for ``currency`` (needs the "Can Withdraw" key flag)."""
        params = {"currency": to_currency(currency)}
        return await self._get(list[WithdrawMethod], "/withdraw/methods", params, private=True)

    async def withdraw(self, amount: Decimal | str | int, method: int,
                       attributes: Mapping[str, str],
                       client_order_id: str | None = None) -> WithdrawReceipt:
        """POST /withdraw. Never retried automatically. Returns the id and/or the object."""
        if isinstance(method, bool) or not isinstance(method, int):
            raise RequestError(f"method must be the withdraw method's integer id; got "
                               f"{method!r}.", field="method")
        if not isinstance(attributes, Mapping):
            raise RequestError("attributes must be a mapping such as {\"address\": \"...\"}.",
                               field="attributes")
        body: dict[str, Any] = {
            "amount": to_money(amount, "amount"),
            "method": method,
            "attributes": {str(k): str(v) for k, v in attributes.items()},
        }
        if client_order_id is not None:
            body["client_order_id"] = _client_id(client_order_id)
        data = await self._request("POST", "/withdraw", body=body, private=True)
        if isinstance(data, dict) and {"amount", "status"} <= data.keys():
            withdrawal = self._parse(Withdrawal, data, "POST", "/withdraw")
            return WithdrawReceipt(id=withdrawal.id, withdrawal=withdrawal)
        return WithdrawReceipt(id=self._one_id(data, "POST", "/withdraw", "withdrawal"))

    async def withdrawals(self, currency: str | None = None, start_time: Any = None,
                          end_time: Any = None) -> list[Withdrawal]:
        """GET /withdraw: withdrawal history."""
        params = _currency_window(currency, start_time, end_time)
        return await self._get(list[Withdrawal], "/withdraw", params, private=True)

    # =================================================================================
    # Private: trading
    # =================================================================================
    async def place_order(
        self,
        pair: str,
        order_side: OrderSide | str,
        order_type: OrderType | str,
        wallet_type: WalletType | str = "SPOT",
        base_amount: Decimal | str | int | None = None,
        quote_amount: Decimal | str | int | None = None,
        limit_price: Decimal | str | int | None = None,
        stop_price: Decimal | str | int | None = None,
        stop_operator: StopOperator | str | None = None,
        tif: TimeInForce | str | None = None,
        side_effect: SideEffect | str = "NO_SIDE_EFFECT",
        client_order_id: str | None = None,
        expire_after: datetime | str | int | None = None,
        valid_till: datetime | str | int | None = None,
    ) -> list[int]:
        """POST /trading/order; returns the created order ids. Never retried automatically.

        A client order id is generated when none is given; it is left in
        ``last_client_order_id``. Callers that must know it before sending (to journal
        it) call :meth:`new_client_order_id` and pass it in.
        """
        otype = to_enum(OrderType, order_type, "order_type")
        body: dict[str, Any] = {
            "pair": to_pair(pair),
            "order_type": otype,
            "order_side": to_enum(OrderSide, order_side, "order_side"),
            "wallet_type": to_enum(WalletType, wallet_type, "wallet_type"),
            "client_order_id": (self.new_client_order_id() if client_order_id is None
                                else _client_id(client_order_id)),
            "side_effect": to_enum(SideEffect, side_effect, "side_effect"),
            "expire_after": _when(expire_after, "expire_after"),
            "valid_till": _when(valid_till, "valid_till"),
        }
        given = {
            "base_amount": base_amount, "quote_amount": quote_amount,
            "limit_price": limit_price, "stop_price": stop_price,
        }
        needs_limit = otype in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = otype in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET)
        required = ["base_amount"] if needs_limit else []
        if needs_limit:
            required.append("limit_price")
        if needs_stop:
            required.append("stop_price")
        for name in required:
            if given[name] is None:
                raise RequestError(f"A {otype.value} order needs {name}.", field=name)
        if needs_stop and stop_operator is None:
            raise RequestError(f"A {otype.value} order needs stop_operator (GTE or LTE).",
                               field="stop_operator")
        if not needs_limit:
            if base_amount is None and quote_amount is None:
                raise RequestError(f"A {otype.value} order needs base_amount or quote_amount.",
                                   field="base_amount")
            if base_amount is not None and quote_amount is not None:
                raise RequestError(
                    f"A {otype.value} order takes base_amount or quote_amount, not both.",
                    field="quote_amount",
                )
            if limit_price is not None:
                raise RequestError(f"A {otype.value} order takes no limit_price.",
                                   field="limit_price")
        elif quote_amount is not None:
            raise RequestError(f"A {otype.value} order is sized by base_amount, not "
                               "quote_amount.", field="quote_amount")
        if not needs_stop and (stop_price is not None or stop_operator is not None):
            raise RequestError(f"A {otype.value} order takes no stop_price/stop_operator.",
                               field="stop_price")
        for name, value in given.items():
            if value is not None:
                body[name] = to_money(value, name)
        if stop_operator is not None:
            body["stop_operator"] = to_enum(StopOperator, stop_operator, "stop_operator")
        if tif is not None:
            body["tif"] = to_enum(TimeInForce, tif, "tif")
        self.last_client_order_id = body["client_order_id"]
        data = await self._request("POST", "/trading/order", body=body, private=True)
        if isinstance(data, int) and not isinstance(data, bool):
            data = [data]
        if (isinstance(data, list)
                and all(isinstance(i, int) and not isinstance(i, bool) for i in data)):
            return list(data)
        raise BadResponseError(
            "The exchange's answer to POST /trading/order is not a list of order ids; the "
            "order may still have been placed, so check open orders before repeating it.",
            endpoint="/trading/order",
        )

    async def cancel_orders(self, order_ids: list[int] | None = None, all: bool = False,
                            pair: str | None = None) -> dict[int, OrderStatus]:
        """DELETE /trading/order by ids, all, or all of one pair; id → new status."""
        body: dict[str, Any]
        if order_ids is not None:
            ids = list(order_ids)
            if not ids or not all_ints(ids):
                raise RequestError("order_ids must be a non-empty list of integer ids.",
                                   field="order_ids")
            body = {"order_ids": ids}
        elif all:
            body = {"all": True}
            if pair is not None:
                body["pair"] = to_pair(pair)
        elif pair is not None:
            body = {"pair": to_pair(pair)}
        else:
            raise RequestError("Say which orders to cancel: order_ids, all=True or pair.",
                               field="order_ids")
        data = await self._request("DELETE", "/trading/order", body=body, private=True,
                                   allow_empty=True)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise BadResponseError(
                "The exchange's answer to DELETE /trading/order is not an object of id → "
                "status; check open orders.",
                endpoint="/trading/order",
            )
        result: dict[int, OrderStatus] = {}
        try:
            for key, status in data.items():
                result[int(key)] = OrderStatus(status)
        except (TypeError, ValueError):
            raise BadResponseError(
                "The exchange's answer to DELETE /trading/order held an unknown order id or "
                "status; check open orders.",
                endpoint="/trading/order",
            ) from None
        return result

    # =================================================================================
    # Private: margin
    # =================================================================================
    @staticmethod
    def _margin_wallet(wallet_type: Any, pair: str | None) -> tuple[WalletType, str | None]:
        wallet = to_enum(WalletType, wallet_type, "wallet_type")
        if not wallet.is_margin:
            raise RequestError(
                f"wallet_type must be CROSS_MARGIN or ISOLATED_MARGIN; got {wallet.value}.",
                field="wallet_type",
            )
        if wallet is WalletType.ISOLATED_MARGIN and pair is None:
            raise RequestError("An ISOLATED_MARGIN wallet needs its pair.", field="pair")
        return wallet, None if pair is None else to_pair(pair)

    async def margin_transfer(self, wallet_type: WalletType | str,
                              direction: MarginDirection | str, amount: Decimal | str | int,
                              currency: str, pair: str | None = None, note: str | None = None,
                              account_id: int | None = None) -> int:
        """POST /margin/transfer (ADD: spot → margin, SUB: back); returns the transfer id."""
        wallet, wire_pair = self._margin_wallet(wallet_type, pair)
        body = {
            "account_id": None,
            "wallet_type": wallet,
            "direction": to_enum(MarginDirection, direction, "direction"),
            "amount": to_money(amount, "amount"),
            "currency": to_currency(currency),
            "pair": wire_pair,
            "note": None if note is None else str(note),
        }
        return await self._post_for_id("/margin/transfer", body, account_id, "transfer")

    async def borrow(self, amount: Decimal | str | int, currency: str,
                     wallet_type: WalletType | str, pair: str | None = None,
                     loan_type: LoanType | str = "LOAN_MANUAL",
                     account_id: int | None = None) -> int:
        """POST /margin/borrow (wire field ``borrow`` holds the amount); returns its id."""
        wallet, wire_pair = self._margin_wallet(wallet_type, pair)
        body = {
            "account_id": None,
            "borrow": to_money(amount, "amount"),
            "currency": to_currency(currency),
            "wallet_type": wallet,
            "pair": wire_pair,
            "type": to_enum(LoanType, loan_type, "loan_type"),
        }
        return await self._post_for_id("/margin/borrow", body, account_id, "borrow")

    async def repay(self, amount: Decimal | str | int, currency: str,
                    wallet_type: WalletType | str, pair: str | None = None,
                    loan_type: LoanType | str = "LOAN_MANUAL",
                    account_id: int | None = None) -> int:
        """POST /margin/repay (wire answers ``[id]``); returns the repay id."""
        wallet, wire_pair = self._margin_wallet(wallet_type, pair)
        body = {
            "account_id": None,
            "amount": to_money(amount, "amount"),
            "currency": to_currency(currency),
            "wallet_type": wallet,
            "pair": wire_pair,
            "type": to_enum(LoanType, loan_type, "loan_type"),
        }
        return await self._post_for_id("/margin/repay", body, account_id, "repay")

    async def close_position(self, wallet_type: WalletType | str, pair: str | None = None,
                             account_id: int | None = None) -> Any:
        """DELETE /margin: close a margin position; returns whatever the server answered."""
        wallet, wire_pair = self._margin_wallet(wallet_type, pair)
        body = {
            "account_id": await self._resolve_account(account_id),
            "wallet_type": wallet,
            "pair": wire_pair,
        }
        return await self._request("DELETE", "/margin", body=body, private=True,
                                   allow_empty=True)

    async def loans(self, isolated_margin: bool | None = None,
                    cross_margin: bool | None = None) -> list[Loan]:
        """GET /margin: open loans. With neither flag given both kinds are asked for."""
        iso = _opt_bool(isolated_margin, "isolated_margin")
        cross = _opt_bool(cross_margin, "cross_margin")
        if iso is None and cross is None:
            iso = cross = True
        if not iso and not cross:
            raise RequestError("loans() needs isolated_margin=True or cross_margin=True.",
                               field="isolated_margin")
        params = {"isolated_margin": iso, "cross_margin": cross}
        return await self._get(list[Loan], "/margin", params, private=True)

    async def _margin_history(self, tp: Any, path: str, pair: str | None,
                              currency: str | None, start_time: Any, end_time: Any,
                              open_only: bool | None = None) -> Any:
        start, end = time_window(start_time, end_time)
        params = {
            "pair": None if pair is None else to_pair(pair),
            "currency": None if currency is None else to_currency(currency),
            "open_only": _opt_bool(open_only, "open_only"),
            "start_time": start,
            "end_time": end,
        }
        return await self._get(tp, path, params, private=True)

    async def margin_transfers(self, pair: str | None = None, currency: str | None = None,
                               start_time: Any = None, end_time: Any = None,
                               open_only: bool | None = None) -> list[MarginTransfer]:
        """GET /margin/transfer: transfer history."""
        return await self._margin_history(list[MarginTransfer], "/margin/transfer", pair,
                                          currency, start_time, end_time, open_only)

    async def borrows(self, pair: str | None = None, currency: str | None = None,
                      start_time: Any = None, end_time: Any = None,
                      open_only: bool | None = None) -> list[Borrow]:
        """GET /margin/borrow: borrow history."""
        return await self._margin_history(list[Borrow], "/margin/borrow", pair, currency,
                                          start_time, end_time, open_only)

    async def repays(self, pair: str | None = None, currency: str | None = None,
                     start_time: Any = None, end_time: Any = None) -> list[Repay]:
        """GET /margin/repay: repayment history."""
        return await self._margin_history(list[Repay], "/margin/repay", pair, currency,
                                          start_time, end_time)

    async def interests(self, pair: str | None = None, currency: str | None = None,
                        start_time: Any = None, end_time: Any = None) -> list[Interest]:
        """GET /margin/interest: interest history."""
        return await self._margin_history(list[Interest], "/margin/interest", pair, currency,
                                          start_time, end_time)

    async def liquidations(self, pair: str | None = None, currency: str | None = None,
                           start_time: Any = None, end_time: Any = None,
                           open_only: bool | None = None) -> list[Liquidation]:
        """GET /margin/liquidation: liquidation history."""
        return await self._margin_history(list[Liquidation], "/margin/liquidation", pair,
                                          currency, start_time, end_time, open_only)


# --- small helpers ------------------------------------------------------------------------


def all_ints(values: list[Any]) -> bool:
    """True when every value is an int (bools excluded)."""
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _client_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise RequestError("client_order_id must be a non-empty string of at most 64 "
                           "characters.", field="client_order_id")
    return value


def _when(value: Any, field: str) -> str | int | None:
    """expire_after / valid_till: None, Unix seconds, or a time sent as RFC 3339."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return rfc3339(to_datetime(value, field))


def _status_error_name(status: int) -> str:
    """Error class name an observer sees for an HTTP status (no body needed)."""
    return {400: "ValidationError", 401: "AuthError", 403: "ForbiddenError",
            404: "NotFoundError", 429: "RateLimitedError"}.get(
        status, "ServerError" if status >= 500 else "ValidationError")


def _currency_window(currency: str | None, start_time: Any, end_time: Any) -> dict[str, Any]:
    """Query of the currency-filtered history endpoints (activity, deposits, withdrawals):
    the currency checked and the 30-day window resolved before anything is sent."""
    start, end = time_window(start_time, end_time)
    return {
        "currency": None if currency is None else to_currency(currency),
        "start_time": start,
        "end_time": end,
    }

