"""Wire conversions for the simulator's HTTP face: request text → typed values, and
JSON-ready values → response bytes.

Parsing is strict and total: every helper either returns a typed value or raises
:class:`FormErrors` / :class:`~alp_tui.sim.errors.SimError`, never anything else, so that no
malformed request can reach the engine or produce a 500. Money is parsed with
``json.loads(parse_float=Decimal)`` and checked for being finite, in range and not too
precise; the encoder writes ``Decimal`` as a JSON number with exactly its digits.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from alp_tui.api.enums import ChartInterval, normalize_pair
from alp_tui.api.jsonwire import dumps_exact, json_string
from alp_tui.sim.errors import SimError
from alp_tui.sim.textcheck import MAX_TEXT, text_problem

E = TypeVar("E", bound=Enum)

# Bounds that keep arithmetic and storage sane: no exchange quantity is above 10^15 or
# finer than 10^-18, and anything beyond is a client bug or an attack.
MAX_MONEY = Decimal(10) ** 15
MIN_EXPONENT = -18
MAX_INT = 2**63 - 1
MAX_STRING = MAX_TEXT
MAX_LIST = 1000
WINDOW = timedelta(days=30)
# datetime.fromisoformat accepts years 1..9999; the official client sends 3000-01-01 as
# "never" for expire_after, so the upper bound must stay above that.
_MIN_YEAR, _MAX_YEAR = 1970, 9999
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


class FormErrors(Exception):
    """One or more bad fields; becomes 400 ``{"formErrors": {field: message}}``."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    def to_sim_error(self) -> SimError:
        """The equivalent :class:`SimError` (status 400 with form errors)."""
        return SimError(400, str(self), form_errors=dict(self.errors))


def pair_not_found() -> SimError:
    """The live exchange's answer to an unknown or missing pair."""
    return SimError(400, "pair not found", code="BAD_REQUEST")


# --------------------------------------------------------------------------------------
# Request bodies


def _reject_constant(name: str) -> Any:
    # json.loads would otherwise turn NaN/Infinity into floats.
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int:
    # Bound the length before int() so a 10 MB digit string costs nothing.
    if len(text.lstrip("-")) > 40:
        raise ValueError("integer too large")
    return int(text)


def loads_body(raw: bytes) -> dict[str, Any]:
    """Decode a request body that must be a JSON object; numbers with a fraction or
    exponent become ``Decimal``. Raises a 400 :class:`SimError` otherwise."""
    if not raw.strip():
        raise SimError(400, "request body must be a JSON object", code="BAD_REQUEST")
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text,
            parse_float=Decimal,
            parse_int=_parse_int,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SimError(400, "request body is not valid JSON", code="BAD_REQUEST") from None
    if not isinstance(value, dict):
        raise SimError(400, "request body must be a JSON object", code="BAD_REQUEST")
    return value


# --------------------------------------------------------------------------------------
# Field readers. Each takes the raw value (from JSON or a query string) and returns the
# typed value, ``None`` for an absent optional field, or raises ValueError with a message
# for the field. :class:`Form` collects those messages.


def _money(value: Any, *, allow_zero: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        raise ValueError("must be a number")
    if isinstance(value, float):
        value = repr(value)  # only reachable from Python callers; keep the shortest digits
    if isinstance(value, str):
        text = value.strip()
        # Decimal() also reads "1_000", "١٢" and "Infinity"; a wire number is plainer.
        if not text or len(text) > 64 or not _NUMBER.fullmatch(text):
            raise ValueError("must be a number")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError("must be a number") from None
    dec = Decimal(value)
    if not dec.is_finite():
        raise ValueError("must be a finite number")
    if dec < 0:
        raise ValueError("must not be negative")
    if dec == 0 and not allow_zero:
        raise ValueError("must be greater than zero")
    if dec > MAX_MONEY:
        raise ValueError("is too large")
    exponent = dec.as_tuple().exponent
    if isinstance(exponent, int) and exponent < MIN_EXPONENT and dec != 0:
        # Trailing zeros are harmless (0.10000000000000000000 is 0.1); strip them first.
        normal = dec.normalize()
        exp2 = normal.as_tuple().exponent
        if isinstance(exp2, int) and exp2 < MIN_EXPONENT:
            raise ValueError("has too many decimal places")
        dec = normal
    return dec


def _integer(value: Any, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 20 or not text.isascii() \
                or not text.removeprefix("-").isdigit():
            raise ValueError("must be an integer")
        value = int(text)
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError("must be an integer")
        if abs(value) > MAX_INT:
            raise ValueError("is out of range")
        value = int(value)
    elif not isinstance(value, int):
        raise ValueError("must be an integer")
    if value < minimum or value > maximum:
        raise ValueError(f"must be between {minimum} and {maximum}")
    return value


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        # requests encodes Python booleans in query strings as "True"/"False".
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("must be true or false")


def _string(value: Any, *, max_len: int = MAX_STRING) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    problem = text_problem(value, max_len)
    if problem is not None:
        raise ValueError(problem)
    return value


def _currency(value: Any) -> str:
    text = _string(value, max_len=20).strip().upper()
    if not text or not text.isascii() or not text.replace("_", "").isalnum():
        raise ValueError("must be a currency symbol like BTC")
    return text


def _pair_name(value: Any) -> str:
    text = normalize_pair(_string(value, max_len=40))
    if not text or not text.isascii() or not text.replace("_", "").isalnum():
        raise ValueError("must be a pair symbol like BTC_USDT")
    return text


def parse_rfc3339(value: Any) -> datetime:
    """An aware UTC datetime from RFC 3339 text (``2006-01-02T15:04:05Z07:00``)."""
    text = _string(value, max_len=40).strip()
    if len(text) < 20 or text[10] not in "Tt ":
        raise ValueError("must be an RFC 3339 time like 2006-01-02T15:04:05Z")
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be an RFC 3339 time like 2006-01-02T15:04:05Z") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry a time zone (Z or ±hh:mm)")
    if not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        raise ValueError("is out of range")
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None


class Form:
    """Reads typed fields out of a mapping (a JSON body or query parameters), collecting
    every bad field before raising one :class:`FormErrors`."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def _read(self, name: str, conv: Callable[[Any], Any], required: bool,
              default: Any = None, blank_is_none: bool = True) -> Any:
        raw = self.data.get(name)
        if raw is None or (blank_is_none and isinstance(raw, str) and raw.strip() == ""):
            if required:
                self.errors.setdefault(name, "is required")
            return default
        try:
            return conv(raw)
        except ValueError as exc:
            self.errors.setdefault(name, str(exc))
            return default

    def money(self, name: str, *, required: bool = False, allow_zero: bool = False) -> Any:
        """A positive ``Decimal`` (numbers or decimal strings)."""
        return self._read(name, lambda v: _money(v, allow_zero=allow_zero), required)

    def integer(self, name: str, *, required: bool = False, minimum: int = 0,
                maximum: int = MAX_INT, default: int | None = None) -> Any:
        """An ``int`` within bounds."""
        return self._read(name, lambda v: _integer(v, minimum=minimum, maximum=maximum),
                          required, default)

    def boolean(self, name: str, *, default: bool = False) -> bool:
        """A flag; absent means ``default``."""
        return bool(self._read(name, _boolean, False, default, blank_is_none=False))

    def string(self, name: str, *, required: bool = False, max_len: int = MAX_STRING) -> Any:
        """A string of bounded length; blank reads as absent."""
        return self._read(name, lambda v: _string(v, max_len=max_len), required)

    def currency(self, name: str = "currency", *, required: bool = False) -> Any:
        """An upper-case currency symbol."""
        return self._read(name, _currency, required)

    def pair(self, name: str = "pair", *, required: bool = False) -> Any:
        """A pair symbol normalised to ``BASE_QUOTE``."""
        return self._read(name, _pair_name, required)

    def enum(self, name: str, cls: type[E], *, required: bool = False,
             default: E | None = None) -> Any:
        """A wire enum, accepting its wire value, name or alias."""
        def conv(value: Any) -> E:
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise ValueError("must be a string")
            if isinstance(value, str) and len(value) > 40:
                raise ValueError("is not a known value")
            try:
                return cls(value)
            except (ValueError, TypeError):
                allowed = ", ".join(str(m.value) for m in cls)
                raise ValueError(f"must be one of {allowed}") from None
        return self._read(name, conv, required, default)

    def interval(self, name: str = "interval", *, required: bool = True) -> Any:
        """A chart interval given in minutes or by name."""
        def conv(value: Any) -> ChartInterval:
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ValueError("must be a chart interval")
            if isinstance(value, str) and len(value) > 20:
                raise ValueError("must be a chart interval")
            try:
                return ChartInterval(value if isinstance(value, int) else value.strip())
            except (ValueError, TypeError):
                allowed = ", ".join(str(m.value) for m in ChartInterval)
                raise ValueError(f"must be one of {allowed} (minutes)") from None
        return self._read(name, conv, required)

    def time(self, name: str, *, required: bool = False) -> Any:
        """An RFC 3339 time as an aware UTC datetime."""
        return self._read(name, parse_rfc3339, required)

    def window(self, now: datetime, start_name: str = "start_time",
               end_name: str = "end_time") -> tuple[datetime | None, datetime | None]:
        """The reference's 30-day window: both bounds at most 30 days apart; one bound
        alone means 30 days from it; none means the 30 days back from now. The end is
        left open (None) when only the start or nothing is given, so that records stamped
        this very second are not cut off by clock granularity."""
        start = self.time(start_name)
        end = self.time(end_name)
        if start_name in self.errors or end_name in self.errors:
            return None, None
        if start is not None and end is not None:
            if end < start:
                self.errors[end_name] = f"must not be before {start_name}"
            elif end - start > WINDOW:
                self.errors[end_name] = "interval must not exceed 30 days"
            return start, end
        if start is not None:
            return start, start + WINDOW
        if end is not None:
            return end - WINDOW, end
        return now - WINDOW, None

    def check(self) -> None:
        """Raise :class:`FormErrors` if any field was bad."""
        if self.errors:
            raise FormErrors(self.errors)


# --------------------------------------------------------------------------------------
# Responses


def _number(value: Decimal) -> str:
    # 'f' keeps every digit as given (0.00000010 stays 0.00000010) and never writes an
    # exponent, which some JSON readers mishandle; a non-finite value is no number.
    return format(value, "f") if value.is_finite() else "null"


def _other(value: Any) -> str:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, datetime):
        return json_string(format_time(value))
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """JSON bytes for a JSON-ready value; ``Decimal`` becomes a number with its exact
    digits, datetimes RFC 3339 strings, enums their wire values."""
    return dumps_exact(value, decimal=_number, other=_other)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
