"""Decimal money formatting: to the pair's precision, never through a binary float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

_SUFFIXES = ((Decimal("1e12"), "T"), (Decimal("1e9"), "B"), (Decimal("1e6"), "M"),
             (Decimal("1e3"), "K"))


def quantize(value: Decimal, places: int) -> Decimal:
    """``value`` rounded (half-even) to ``places`` decimals."""
    try:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        return value


def fmt_decimal(value: Decimal | None, places: int, *, grouping: bool = True) -> str:
    """``45000.1`` at 2 places → ``45,000.10``; None → ``—``."""
    if value is None:
        return "—"
    q = quantize(value, max(0, places))
    return f"{q:,.{max(0, places)}f}" if grouping else f"{q:.{max(0, places)}f}"


def fmt_price(value: Decimal | None, price_precision: int) -> str:
    """A price at the pair's price precision."""
    return fmt_decimal(value, price_precision)


def fmt_amount(value: Decimal | None, amount_precision: int) -> str:
    """An amount at the pair's amount precision."""
    return fmt_decimal(value, amount_precision)


def fmt_percent(value: Decimal | None) -> str:
    """Signed per cent with two decimals: ``+1.23%``; None → ``—``."""
    if value is None:
        return "—"
    q = quantize(value, 2)
    if q == 0:
        return "0.00%"  # never "-0.00%"
    sign = "+" if q > 0 else ""
    return f"{sign}{q:.2f}%"


def fmt_compact(value: Decimal | None, places: int = 2) -> str:
    """Large numbers shortened: ``70602102.28`` → ``70.60M``."""
    if value is None:
        return "—"
    magnitude = abs(value)
    for threshold, suffix in _SUFFIXES:
        if magnitude >= threshold:
            return f"{quantize(value / threshold, places):.{places}f}{suffix}"
    return fmt_decimal(value, places)
