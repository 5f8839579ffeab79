"""Wire plumbing for :class:`alp_tui.api.client.AlpClient`.

- JSON request bodies with every ``Decimal`` written with its exact digits (never through a
  binary float), encoded once so the same bytes are signed and sent;
- request-side value checks (money, times, the 30-day window, enums) that raise
  :class:`~alp_tui.api.errors.RequestError` before anything is sent;
- response decoding (``parse_float=Decimal``) and the mapping of HTTP statuses to the typed
  errors of :mod:`alp_tui.api.errors`;
- :class:`RequestGate`: the per-client rate budget and the shared pause after a 429;
- :class:`RequestRecord`: what observers (the API-health view) learn about each request.

Nothing here imports textual.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from enum import Enum
from http import HTTPStatus
from typing import Any, TypeVar

import httpx

from alp_tui.api.enums import _WireEnum, normalize_pair
from alp_tui.api.errors import (
    AlpError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    ServerError,
    ValidationError,
)
from alp_tui.api.jsonwire import dumps_exact, loads

MAX_WINDOW = timedelta(days=30)
E = TypeVar("E", bound=_WireEnum)

# --------------------------------------------------------------------------------------
# JSON encoding with exact decimals (alp_tui.api.jsonwire), refusing what is not money
# --------------------------------------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """Write a finite ``Decimal`` as a plain JSON number with exactly its digits.

    ``format(d, "f")`` never uses an exponent (``1E-8`` becomes ``0.00000001``), which every
    JSON parser reads, and keeps trailing zeros the caller wrote (``45000.10``).
    """
    if not value.is_finite():
        raise RequestError(f"A number in the request is not finite ({value}).")
    text = format(value, "f")
    # "-0" is valid JSON but looks odd on the wire; a zero is a zero.
    return "0" if text in ("-0", "-0.0") else text


def _refuse(value: Any) -> str:
    if isinstance(value, float):
        # Money must never reach the wire through a float; callers convert first.
        raise RequestError("A float reached the JSON encoder; pass money as Decimal or str.")
    raise RequestError(f"Cannot send a {type(value).__name__} in a JSON body.")


def encode_json(value: Any) -> bytes:
    """Serialise ``value`` to compact UTF-8 JSON; ``Decimal`` keeps its exact digits."""
    return dumps_exact(value, decimal=format_decimal, other=_refuse)


# --------------------------------------------------------------------------------------
# Request-side checks
# --------------------------------------------------------------------------------------

MoneyIn = Decimal | str | int


def to_money(value: Any, field: str, *, positive: bool = True) -> Decimal:
    """Accept ``Decimal``, a decimal string or an int as money; refuse floats.

    Floats are refused rather than converted: a float has already lost the digits the user
    typed (``0.1`` is not one tenth), and silently guessing which digits were meant is how
    orders go out at the wrong size.
    """
    if isinstance(value, bool) or value is None:
        raise RequestError(f"{field} must be a decimal amount; got {value!r}.", field=field)
    if isinstance(value, float):
        raise RequestError(
            f"{field} was given as a float; pass a Decimal or a decimal string such as "
            f"\"{value!r}\" so no digits are lost.",
            field=field,
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise RequestError(
                f"{field} must be a decimal number; got {value!r}.", field=field
            ) from None
    else:
        raise RequestError(
            f"{field} must be a Decimal or a decimal string; got a {type(value).__name__}.",
            field=field,
        )
    if not number.is_finite():
        raise RequestError(f"{field} must be a finite number; got {value!r}.", field=field)
    if positive and number <= 0:
        raise RequestError(f"{field} must be greater than zero; got {number}.", field=field)
    return number


def to_enum(cls: type[E], value: Any, field: str) -> E:
    """Parse an enum given as member, wire value or reference name; RequestError if not."""
    try:
        return cls.parse(value, field)  # type: ignore[return-value]
    except ValueError as exc:
        raise RequestError(f"{exc}.", field=field) from None


def to_pair(value: Any, field: str = "pair") -> str:
    """A pair symbol as the wire wants it (``BTC_USDT``); RequestError when missing/garbled."""
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"{field} is required, e.g. \"BTC_USDT\".", field=field)
    pair = normalize_pair(value)
    if not re.fullmatch(r"[A-Z0-9]+_[A-Z0-9]+", pair):
        raise RequestError(
            f"{field} must look like \"BTC_USDT\"; got {value!r}.", field=field
        )
    return pair


def to_currency(value: Any, field: str = "currency") -> str:
    """A currency symbol (``BTC``); RequestError when missing or not a symbol."""
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"{field} is required, e.g. \"BTC\".", field=field)
    cur = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]+", cur):
        raise RequestError(f"{field} must be a currency symbol like \"BTC\"; got {value!r}.",
                           field=field)
    return cur


def to_datetime(value: Any, field: str) -> datetime:
    """An aware ``datetime`` from a datetime or an RFC 3339 string."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise RequestError(
                f"{field} must be an RFC 3339 time such as \"2026-01-02T15:04:05Z\"; "
                f"got {value!r}.",
                field=field,
            ) from None
    else:
        raise RequestError(
            f"{field} must be an aware datetime or an RFC 3339 string; got a "
            f"{type(value).__name__}.",
            field=field,
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RequestError(
            f"{field} has no time zone; pass an aware datetime (e.g. tzinfo=UTC).", field=field
        )
    return moment


def rfc3339(moment: datetime) -> str:
    """``2006-01-02T15:04:05Z`` style, in UTC, whole seconds (the reference's format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_window(start: Any, end: Any) -> tuple[str | None, str | None]:
    """Check a start/end filter pair and return them as wire strings.

    The exchange refuses windows over 30 days; a missing bound is filled in by the server.
    """
    s = to_datetime(start, "start_time") if start is not None else None
    e = to_datetime(end, "end_time") if end is not None else None
    if s is not None and e is not None:
        if e < s:
            raise RequestError("end_time is before start_time.", field="end_time")
        if e - s > MAX_WINDOW:
            days = (e - s).total_seconds() / 86400
            raise RequestError(
                f"The time window is {days:.1f} days; the exchange allows at most 30.",
                field="end_time",
            )
    return (rfc3339(s) if s else None, rfc3339(e) if e else None)


def to_unix(value: Any, field: str) -> int:
    """Unix seconds from an int or an aware datetime."""
    if isinstance(value, bool):
        raise RequestError(f"{field} must be Unix seconds or a datetime.", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return int(value)
    if isinstance(value, datetime):
        return int(to_datetime(value, field).timestamp())
    raise RequestError(f"{field} must be Unix seconds or an aware datetime; got {value!r}.",
                       field=field)


def to_count(value: Any, field: str, *, minimum: int = 0) -> int:
    """A non-negative integer such as a limit or offset."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RequestError(f"{field} must be an integer >= {minimum}; got {value!r}.",
                           field=field)
    return value


def query_value(value: Any) -> str:
    """How one query parameter value is written."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)


def build_query(params: Mapping[str, Any]) -> dict[str, str]:
    """Drop unset parameters and write the rest as the wire expects."""
    return {k: query_value(v) for k, v in params.items() if v is not None}


# --------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------


def decode_json(raw: bytes, method: str, path: str) -> Any:
    """Decode a 2xx body; BadResponseError naming the endpoint when it is not JSON."""
    if not raw.strip():
        raise BadResponseError(
            f"The exchange sent an empty answer to {method} {path}.", endpoint=path
        )
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadResponseError(
            f"The exchange's answer to {method} {path} is not valid JSON.", endpoint=path
        ) from None


def _server_message(raw: bytes, content_type: str) -> tuple[Any, str | None, str | None]:
    """(decoded JSON or None, code, message) from an error body; HTML and text ignored."""
    if "html" in content_type.lower():
        return None, None, None
    try:
        data = loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None, None, None
    code = message = None
    if isinstance(data, dict):
        c = data.get("code")
        m = data.get("message") or data.get("error") or data.get("detail")
        code = clean_text(c) if isinstance(c, str | int) else None
        message = clean_text(m) if isinstance(m, str) else None
    elif isinstance(data, str):
        message = clean_text(data)
    return data, code, message


def clean_text(value: object, limit: int = 200) -> str:
    """A server-provided string made safe to show in one line."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def required_permission(path: str) -> str:
    """The API-key flag a 403 on ``path`` points at."""
    if path.startswith("/withdraw"):
        return "Can Withdraw"
    if path.startswith("/margin"):
        return "Margin"
    return "Trade"


def parse_retry_after(
    value: str | None, *, date_header: str | None = None, now: float | None = None
) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP-date).

    An HTTP-date is measured against the response's own ``Date`` header when there is one,
    so a skewed local clock does not stretch or shrink the pause.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    reference = None
    if date_header:
        try:
            reference = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError):
            reference = None
    if reference is None:
        reference = time.time() if now is None else now
    return max(0.0, when - reference)


def error_for_status(
    status: int,
    raw: bytes,
    headers: httpx.Headers,
    method: str,
    path: str,
    scrub: Callable[[str], str] = lambda s: s,
) -> AlpError:
    """The typed error for a non-2xx answer: one readable sentence, no body dumps."""
    content_type = headers.get("content-type", "")
    data, code, message = _server_message(raw, content_type)
    detail = f": {scrub(message)}" if message else ""
    where = f"{method} {path}"
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "error"
    if status == 400 or status == 422:
        field_errors: dict[str, str] = {}
        if isinstance(data, dict) and isinstance(data.get("formErrors"), dict):
            for key, msg in data["formErrors"].items():
                if isinstance(msg, list):
                    msg = "; ".join(str(m) for m in msg)
                field_errors[str(key)] = scrub(clean_text(msg))
        if field_errors:
            listed = "; ".join(f"{k}: {v}" for k, v in field_errors.items())
            text = f"The exchange rejected {where}: {listed}."
        elif message:
            text = f"The exchange rejected {where}{detail}" + (f" ({code})." if code else ".")
        else:
            text = f"The exchange rejected {where} as invalid (HTTP {status})."
        return ValidationError(text, field_errors=field_errors, code=code, endpoint=path,
                               status=status)
    if status == 401:
        return AuthError(
            f"The exchange refused authentication for {where} (HTTP 401){detail}; "
            "check the API key and secret.",
            endpoint=path, status=status,
        )
    if status == 403:
        perm = required_permission(path)
        return ForbiddenError(
            f"The API key is not allowed to use {where}: it lacks the \"{perm}\" permission "
            "(enable it for the key on the exchange).",
            permission=perm, endpoint=path, status=status,
        )
    if status == 404:
        return NotFoundError(f"The exchange has no such resource for {where} (HTTP 404){detail}.",
                             endpoint=path, status=status)
    if status == 429:
        retry = parse_retry_after(headers.get("retry-after"), date_header=headers.get("date"))
        when = f"; retry in {retry:.0f} s" if retry is not None else ""
        return RateLimitedError(
            f"The exchange is rate limiting requests (HTTP 429 on {where}){when}.",
            retry_after=retry, endpoint=path, status=status,
        )
    if status >= 500:
        return ServerError(
            f"The exchange failed with HTTP {status} {reason} on {where}{detail}; "
            "try again later.",
            endpoint=path, status=status,
        )
    if 400 <= status < 500:
        return ValidationError(
            f"The exchange refused {where} with HTTP {status} {reason}{detail}.",
            code=code, endpoint=path, status=status,
        )
    return BadResponseError(
        f"The exchange answered {where} with an unexpected HTTP {status}.",
        endpoint=path, status=status,
    )


# --------------------------------------------------------------------------------------
# Rate budget and 429 pause
# --------------------------------------------------------------------------------------


class RequestGate:
    """Admits requests: waits out a 429 pause, then keeps within the rate budget.

    The budget is a sliding window: with ``max_per_s`` = r >= 1 at most ``floor(r)``
    requests start in any ``floor(r)/r`` seconds; with r < 1 one request per ``1/r`` s.
    Slots are reserved synchronously (no await between reading and appending), so
    concurrent callers on one event loop are served first come, first served.

    A 429 pauses only the endpoint that answered it (``"GET /accounts/order"``), so one
    sick endpoint does not starve the others; when ``ESCALATE_ENDPOINTS`` distinct
    endpoints answer 429 within ``ESCALATE_WINDOW_S`` the whole client pauses (the server
    is limiting the account, not one route). ``pause(..., endpoint=None)`` pauses all.
    """

    DEFAULT_BACKOFF_S = 1.0
    MAX_PAUSE_S = 300.0
    ESCALATE_WINDOW_S = 10.0
    ESCALATE_ENDPOINTS = 2

    def __init__(
        self,
        max_per_s: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if max_per_s is not None and not (max_per_s > 0 and math.isfinite(max_per_s)):
            raise RequestError("max_requests_per_s must be a positive number.")
        self.clock = clock
        self.sleep = sleep
        self.max_per_s = max_per_s
        if max_per_s is None:
            self._count, self._window = 0, 0.0
        elif max_per_s >= 1:
            self._count = int(max_per_s)
            self._window = self._count / max_per_s
        else:
            self._count, self._window = 1, 1.0 / max_per_s
        self._slots: deque[float] = deque(maxlen=max(self._count, 1))
        self._paused_until = 0.0
        self._strikes = 0  # consecutive 429s without Retry-After, for the default backoff
        self._endpoint_until: dict[str, float] = {}
        self._endpoint_strikes: dict[str, int] = {}
        self._last_429: dict[str, float] = {}

    def paused_for(self, endpoint: str | None = None) -> float:
        """Seconds left of the pause ``endpoint`` waits for; without one, of the longest
        pause in force (0 when not paused)."""
        now = self.clock()
        if endpoint is not None:
            until = max(self._paused_until, self._endpoint_until.get(endpoint, 0.0))
        else:
            until = max([self._paused_until, *self._endpoint_until.values()])
        return max(0.0, until - now)

    def paused_endpoints(self) -> dict[str, float]:
        """Endpoints under their own 429 pause, with the seconds left."""
        now = self.clock()
        return {e: u - now for e, u in sorted(self._endpoint_until.items()) if u > now}

    def pause(self, retry_after: float | None, endpoint: str | None = None) -> float:
        """Pause ``endpoint`` (every caller when None, or when several endpoints are
        limited at once); without Retry-After back off 1, 2, 4... s. Returns the pause."""
        strikes = self._strikes if endpoint is None else self._endpoint_strikes.get(endpoint, 0)
        if retry_after is None:
            seconds = min(self.DEFAULT_BACKOFF_S * (2 ** strikes), 60.0)
            strikes += 1
        else:
            seconds = retry_after
        seconds = min(max(seconds, 0.0), self.MAX_PAUSE_S)
        now = self.clock()
        if endpoint is None:
            self._strikes = strikes
            self._paused_until = max(self._paused_until, now + seconds)
            return seconds
        self._endpoint_strikes[endpoint] = strikes
        until = max(self._endpoint_until.get(endpoint, 0.0), now + seconds)
        self._endpoint_until[endpoint] = until
        self._last_429[endpoint] = now
        recent = {e for e, at in self._last_429.items() if now - at <= self.ESCALATE_WINDOW_S}
        if len(recent) >= self.ESCALATE_ENDPOINTS:
            self._paused_until = max(self._paused_until, until)
        return seconds

    def succeeded(self, endpoint: str | None = None) -> None:
        """A request got through: reset the default backoff (of ``endpoint``)."""
        self._strikes = 0
        if endpoint is not None:
            self._endpoint_strikes.pop(endpoint, None)
            if self._endpoint_until.get(endpoint, 0.0) <= self.clock():
                self._endpoint_until.pop(endpoint, None)

    HOLD_WRITES_UP_TO_S = 1.0

    def refuse_if_paused(self, what: str) -> None:
        """Raise RateLimitedError when a pause on ``what`` (``"POST /order"``, or all) has
        more than HOLD_WRITES_UP_TO_S to run."""
        wait = max(self._paused_until, self._endpoint_until.get(what, 0.0)) - self.clock()
        if wait > self.HOLD_WRITES_UP_TO_S:
            raise RateLimitedError(
                f"The exchange asked us to slow down; {what} was not sent "
                f"(retry in {math.ceil(wait)} s).",
                retry_after=wait,
            )

    async def acquire(self, *, hold: bool = True, what: str = "the request") -> None:
        """Wait until this request (``what`` names its endpoint) may start.

        ``hold=False`` is for requests that change something (orders, withdrawals): they
        are refused with RateLimitedError rather than held through a pause longer than
        ``HOLD_WRITES_UP_TO_S``, because an order sent a minute after the user confirmed
        it, at another price, is worse than one not sent.
        """
        while (wait := max(self._paused_until, self._endpoint_until.get(what, 0.0))
               - self.clock()) > 0:
            if not hold:
                self.refuse_if_paused(what)
            await self.sleep(wait)
        if not self._count:
            return
        now = self.clock()
        slot = now
        if len(self._slots) == self._count:
            slot = max(now, self._slots[0] + self._window)
        self._slots.append(slot)
        if slot > now:
            await self.sleep(slot - now)


# --------------------------------------------------------------------------------------
# Observability
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP attempt as the API-health view sees it. Never holds a secret.

    ``path`` is the endpoint path without base URL or query (``/accounts/balances``);
    ``status`` is None when no answer came; ``error`` the raised error's class name.
    """

    method: str
    path: str
    status: int | None
    latency_s: float
    error: str | None
    attempt: int = 1
    started_at: float = 0.0  # wall clock (time.time()) when the attempt started

    @property
    def endpoint(self) -> str:
        """Same as ``path`` (the name the brief and the stats use)."""
        return self.path


Observer = Callable[[RequestRecord], None]


def first_validation_problem(errors: Iterable[Mapping[str, Any]]) -> str:
    """Describe pydantic's first error without echoing the input values."""
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        return f"{loc}: {err.get('msg', 'invalid')}"
    return "unexpected shape"
