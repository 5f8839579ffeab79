"""Request-side wire plumbing for :class:`alp_tui.api.client.AlpClient`.

- JSON request bodies with every ``Decimal`` written with its exact digits (never through a
  binary float), encoded once so the same bytes are signed and sent;
- request-side value checks (money, times, the 30-day window, enums, ids) that raise
  :class:`~alp_tui.api.errors.RequestError` before anything is sent;
- the query string as the wire writes it.

Answers are read in :mod:`alp_tui.api.responses`; the rate budget and the request records
live in :mod:`alp_tui.api.request_gate`. Nothing here imports textual.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from alp_tui.api.enums import _WireEnum, normalize_pair
from alp_tui.api.errors import RequestError
from alp_tui.api.jsonwire import dumps_exact

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


def to_opt_bool(value: Any, field: str) -> bool | None:
    """A filter flag: True, False or None (unset); RequestError for anything else."""
    if value is None or isinstance(value, bool):
        return value
    raise RequestError(f"{field} must be True, False or None; got {value!r}.", field=field)


def to_client_order_id(value: Any) -> str:
    """A client order id as given: a non-empty string of at most 64 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise RequestError("client_order_id must be a non-empty string of at most 64 "
                           "characters.", field="client_order_id")
    return value


def currency_window(currency: str | None, start_time: Any, end_time: Any) -> dict[str, Any]:
    """Query of the currency-filtered history endpoints (activity, deposits, withdrawals):
    the currency checked and the 30-day window resolved before anything is sent."""
    start, end = time_window(start_time, end_time)
    return {
        "currency": None if currency is None else to_currency(currency),
        "start_time": start,
        "end_time": end,
    }
