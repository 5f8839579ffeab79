"""Margin wallets, loans and liquidation (being filled in)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alp_tui.sim.exchange import Exchange


class MarginDesk:
    """Cross and isolated margin for every account."""

    def __init__(self, exchange: Exchange) -> None:
        self.ex = exchange

    def step(self, now: float) -> None:
        """Interest and liquidation checks."""

    def auto_borrow(self, order: Any, currency: str, amount: Decimal, now: float) -> None:
        """Borrow what a margin order lacks."""

    def transfer(self, *args: Any) -> int:
        """Spot <-> margin transfer."""
        raise NotImplementedError

    def borrow(self, *args: Any) -> int:
        """Borrow."""
        raise NotImplementedError

    def repay(self, *args: Any) -> list[int]:
        """Repay."""
        raise NotImplementedError

    def close_position(self, *args: Any) -> list[int]:
        """Close a margin position."""
        return []

    def loans(self, *args: Any) -> list[dict[str, Any]]:
        """Open loans."""
        return []

    def level(self, *args: Any) -> Decimal | None:
        """Margin level."""
        return None
