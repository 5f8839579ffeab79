"""Decimal formatting for the screen: fixed precision, thousands separators, never a float.

Every price, amount and total the dashboard shows goes through here, so the whole dashboard
rounds the same way (half-even, the ``decimal`` default) and groups digits the same way.
Textual-free (``tests/test_layering.py``): the services and the UI both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "currency_places",
    "format_compact",
    "format_decimal",
    "format_exact",
    "format_mid",
    "format_money",
    "format_percent",
    "format_signed_percent",
    "format_significant",
    "quantum",
    "typed_matches",
]

_QUANTA: dict[int, Decimal] = {}


def quantum(places: int) -> Decimal:
    """``Decimal('0.01')`` for 2 places, ``Decimal('1')`` for 0 (cached)."""
    places = max(0, places)
    q = _QUANTA.get(places)
    if q is None:
        q = _QUANTA[places] = Decimal(1).scaleb(-places)
    return q


def format_decimal(value: Decimal | None, places: int, *, thousands: bool = True,
                   rounding: str = ROUND_HALF_EVEN) -> str:
    """Format ``value`` with exactly ``places`` decimals and optional thousands separators.

    ``format_decimal(Decimal("45123.456"), 2)`` is ``"45,123.46"``. ``None`` and non-finite
    values show as ``"—"``. Negative zero shows as ``0``. ``rounding`` (a ``decimal``
    constant) for a figure that must not promise more than is there: what is available
    rounds down (``ROUND_DOWN``), what it costs rounds up (``ROUND_UP``).
    """
    if value is None or not value.is_finite():
        return "—"
    places = max(0, places)
    try:
        rounded = value.quantize(quantum(places), rounding=rounding)
    except InvalidOperation:  # too many digits for the context: show it unrounded
        rounded = value
    if rounded.is_zero():
        rounded = abs(rounded)
    return format(rounded, f"{',' if thousands else ''}.{places}f")


def format_exact(value: Decimal | None, max_places: int = 8, *,
                 thousands: bool = True) -> str:
    """An amount as it is, to at most ``max_places`` decimals, without trailing zeros.

    For amounts on an exchange grid finer than any pair's (withdrawals, loans: 8 decimals):
    ``format_exact(Decimal("5342.65496021"))`` is ``"5,342.65496021"``, ``Decimal("25.00")``
    is ``"25"``. ``None`` shows as ``"—"``.
    """
    if value is None or not value.is_finite():
        return "—"
    text = format_decimal(value, max_places, thousands=thousands)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_money(value: Decimal | None, currency: str, places: Mapping[str, int], *,
                 rounding: str = ROUND_HALF_EVEN) -> str:
    """An amount of ``currency`` at its display decimals (``places``, from
    :func:`currency_places`), with separators; exact to 8 decimals when no pair lists the
    currency. ``rounding`` as for :func:`format_decimal` (what is available: down)."""
    known = places.get(currency)
    if known is None:
        return format_exact(value)
    return format_decimal(value, known, rounding=rounding)


def format_significant(value: Decimal | None) -> str:
    """A price of unknown precision: two decimals from 10 up, enough to keep four
    significant digits below (``41,250.00``, ``1.2346``, ``0.00012346``)."""
    if value is None or not value.is_finite():
        return "—"
    exp = value.adjusted()
    places = 2 if exp >= 1 else max(2, 4 - exp)
    return format_decimal(value, min(places, 10))


def currency_places(pairs: Iterable[Any], default: int = 8) -> dict[str, int]:
    """Display decimals per currency for amounts of it (balances, fees, withdrawals, loans),
    learned from the pairs.

    A currency traded as a base shows at its finest amount precision (BTC 6 on a BTC_USDT
    with 6). One only ever quoted (USDT, USDC) is money counted in its coarsest price step,
    at least 2: USDT shows cents even though a DOGE_USDT price carries 5 decimals. A pair
    listing such a currency with a coarser step is how the exchange would say otherwise.
    ``default`` is for currencies in no pair (callers use it with ``.get``)."""
    base: dict[str, int] = {}
    quote: dict[str, int] = {}
    for p in pairs:
        base[p.base] = max(base.get(p.base, 0), p.amount_precision)
        step = max(p.price_precision, 2)
        quote[p.quote] = min(quote.get(p.quote, step), step)
    return {**quote, **base}


def format_mid(value: Decimal | None, places: int) -> str:
    """A mid price: one decimal more than the pair's precision, but only when it is needed.

    The mid of 100.00 and 100.01 is ``100.005``; of 100.00 and 100.02 it is ``100.01``.
    """
    if value is None or not value.is_finite():
        return "—"
    exact = format_decimal(value, places)
    finer = format_decimal(value, places + 1)
    return exact if finer.endswith("0") else finer


def format_percent(value: Decimal | None, places: int = 2) -> str:
    """``Decimal("1.2345")`` → ``"1.23%"``; no plus sign, no grouping."""
    if value is None:
        return "—"
    return f"{format_decimal(value, places, thousands=False)}%"


def format_signed_percent(value: Decimal | None) -> str:
    """A change, signed, two decimals: ``+1.23%``, ``-0.40%``, ``0.00%`` (never ``-0.00%``)."""
    text = format_percent(value)
    if value is not None and value.is_finite() and text != "0.00%" and value > 0:
        return f"+{text}"
    return text


_SUFFIXES = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(10) ** 3, "K"),
)


def format_compact(value: Decimal | None, places: int = 2) -> str:
    """Short form for large quantities (volumes): ``1,234,567`` → ``"1.23M"``.

    Values under a thousand are shown with ``places`` decimals.
    """
    if value is None or not value.is_finite():
        return "—"
    magnitude = abs(value)
    for threshold, suffix in _SUFFIXES:
        if magnitude >= threshold:
            return f"{format_decimal(value / threshold, 2, thousands=False)}{suffix}"
    return format_decimal(value, places)


def typed_matches(typed: str, expected: str) -> bool:
    """True when ``typed`` is ``expected``: the same number (``1`` for ``1.000000``, and
    separators ignored) or, for a word, the same word in any case."""
    typed, expected = typed.strip(), expected.strip()
    if not typed:
        return False
    try:
        return Decimal(typed.replace(",", "")) == Decimal(expected.replace(",", ""))
    except (InvalidOperation, ValueError):
        return typed.casefold() == expected.casefold()
