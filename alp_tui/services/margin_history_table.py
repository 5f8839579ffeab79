"""The margin history tables: which tabs exist, their columns, and rows as text.

Values are shown exactly (decimals normalised, never floats) and times in UTC, the same
on screen and in a CSV export.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from alp_tui.api.enums import WalletType
from alp_tui.services.format import format_decimal, format_exact

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # sorts rows without a time last (newest first)


class HistoryKind(StrEnum):
    """The margin history tabs; values are the client's method names."""

    TRANSFERS = "margin_transfers"
    BORROWS = "borrows"
    REPAYS = "repays"
    INTERESTS = "interests"
    LIQUIDATIONS = "liquidations"

    @property
    def title(self) -> str:
        """Tab title."""
        return {"margin_transfers": "Transfers", "interests": "Interest"}.get(
            self.value, self.value.capitalize())


def history_time(row: Any) -> datetime | None:
    """When a history row happened (``date``, else ``created_at`` / ``opened_at``)."""
    for name in ("date", "created_at", "opened_at"):
        value = getattr(row, name, None)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _text(value: Any, *, grouping: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):  # the 8-decimal grid, no trailing zeros
        return format_exact(value, thousands=grouping)
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _wallet_text(row: Any) -> str:
    wt = getattr(row, "wallet_type", None)
    return {WalletType.CROSS_MARGIN: "cross", WalletType.ISOLATED_MARGIN: "isolated"}.get(
        wt, _text(wt).lower())


def _time_text(row: Any) -> str:
    return _text(history_time(row))


Column = tuple[str, Any]

HISTORY_COLUMNS: dict[HistoryKind, tuple[Column, ...]] = {
    HistoryKind.TRANSFERS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id),
        ("direction", lambda r: r.direction), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("amount", lambda r: r.amount), ("note", lambda r: r.note),
    ),
    HistoryKind.BORROWS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("borrowed", lambda r: r.borrowed), ("repaid", lambda r: r.repaid),
        ("interest rate", lambda r: r.interest_rate),
        ("interest accrued", lambda r: r.interest_accrued),
        ("interest paid", lambda r: r.interest_paid), ("type", lambda r: r.type),
    ),
    HistoryKind.REPAYS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("interest", lambda r: r.interest_amount),
        ("principal", lambda r: r.principal_amount), ("type", lambda r: r.type),
    ),
    HistoryKind.INTERESTS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id),
        ("borrow id", lambda r: r.borrow_id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("rate", lambda r: r.interest_rate), ("accrued", lambda r: r.interest_accrued),
        ("paid", lambda r: r.interest_paid),
    ),
    HistoryKind.LIQUIDATIONS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("margin level", lambda r: r.margin_level), ("amount", lambda r: r.amount),
        ("fund amount", lambda r: r.fund_amount),
        ("orders created", lambda r: r.order_created),
        ("borrows closed", lambda r: r.borrow_closed),
        ("closed at", lambda r: r.closed_at),
    ),
}


AMOUNT_COLUMNS = frozenset({"amount", "borrowed", "repaid", "interest accrued",
                            "interest paid", "interest", "principal", "accrued", "paid",
                            "fund amount"})
"""Columns holding an amount of the row's currency (not rates, levels or ids)."""


def history_cells(kind: HistoryKind, row: Any, *, grouping: bool = True,
                  places: Mapping[str, int] | None = None) -> list[str]:
    """One row of a history table as text, in :data:`HISTORY_COLUMNS` order (numbers with
    thousands separators on screen; ``grouping=False`` for a CSV file that parses back).

    ``places`` (display decimals per currency, on screen): the row's amounts at its
    currency's; without it (a CSV file) every amount is exact."""
    dp = (places or {}).get(getattr(row, "currency", None) or "")
    cells = []
    for name, getter in HISTORY_COLUMNS[kind]:
        value = getter(row)
        if dp is not None and name in AMOUNT_COLUMNS and isinstance(value, Decimal):
            cells.append(format_decimal(value, dp, thousands=grouping))
        else:
            cells.append(_text(value, grouping=grouping))
    return cells



def history_headers(kind: HistoryKind) -> list[str]:
    """Column titles of one history table."""
    return [name for name, _ in HISTORY_COLUMNS[kind]]
