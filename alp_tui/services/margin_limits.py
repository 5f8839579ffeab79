"""How much a margin wallet may still borrow, at what rate, and what an auto-borrow does to
its margin level. Pure and textual-free.

The exchange caps a wallet's debt by leverage: cross margin 5x, isolated 10x, i.e. the
debt (principal plus interest, valued in USDT at last prices) may be at most
``(L - 1) x equity``, equity being assets minus debt. A borrow adds as much to the assets
as to the debt, so the room left is ``(L - 1) x equity - debt``. The API publishes no rate
schedule: the rate shown is the one the exchange set on the account's latest borrow of
that currency (hourly, as the borrow history states it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Borrow
from alp_tui.services.format import quantum
from alp_tui.services.margin_math import MarginSnapshot, WalletKey

LEVERAGE = {WalletType.CROSS_MARGIN: Decimal(5), WalletType.ISOLATED_MARGIN: Decimal(10)}


@dataclass(frozen=True)
class BorrowRoom:
    """What one wallet may still borrow of one currency."""

    leverage: Decimal
    room_usdt: Decimal  # debt that may still be added, in USDT
    maximum: Decimal | None  # in the currency; None when the currency has no USDT price


def borrow_room(snapshot: MarginSnapshot, wallet: WalletKey, currency: str,
                precision: int = 8) -> BorrowRoom | None:
    """The maximum ``currency`` the wallet may borrow now (rounded down to ``precision``);
    None when the wallet type has no leverage limit we know."""
    leverage = LEVERAGE.get(wallet.wallet_type)
    if leverage is None:
        return None
    pos = snapshot.positions().get(wallet)
    assets = pos.assets_usdt if pos is not None else Decimal(0)
    debt = pos.debt_usdt if pos is not None else Decimal(0)
    room = max((leverage - 1) * (assets - debt) - debt, Decimal(0))
    rate = snapshot.prices.rate(currency)
    maximum = None
    if rate:
        maximum = (room / rate).quantize(quantum(precision), rounding=ROUND_DOWN)
    return BorrowRoom(leverage, room, maximum)


def latest_rate(borrows: Iterable[Borrow], currency: str, wallet: WalletKey) -> Decimal | None:
    """The hourly rate of the account's latest borrow of ``currency`` (that wallet's first,
    else any wallet's); None without one."""
    mine = [b for b in borrows if (b.currency or "").upper() == currency.upper()
            and b.interest_rate > 0]
    if not mine:
        return None

    def key(b: Borrow) -> tuple[bool, float, int]:
        same = b.wallet_type is wallet.wallet_type and (b.pair or None) == wallet.pair
        when = b.opened_at or b.date
        return (same, when.timestamp() if when is not None else 0.0, b.id)

    return max(mine, key=key).interest_rate


@dataclass(frozen=True)
class AutoBorrow:
    """What an AUTO_BORROW order borrows and the wallet's margin level around it."""

    amount: Decimal  # of ``currency``; 0 when the wallet holds enough
    currency: str
    level_before: Decimal | None
    level_after: Decimal | None


def auto_borrow(snapshot: MarginSnapshot | None, wallet: WalletKey, currency: str,
                need: Decimal, have: Decimal | None) -> AutoBorrow | None:
    """The borrow an AUTO_BORROW order of ``need`` (what it spends, in ``currency``) makes
    when the wallet has ``have`` available; the level before and after when the snapshot
    prices the wallet. The trade itself swaps assets at the book's price, so the level
    moves by the borrow (fees aside)."""
    if have is None:
        return None
    amount = max(need - have, Decimal(0))
    before = after = None
    if snapshot is not None:
        pos = snapshot.positions().get(wallet)
        assets = pos.assets_usdt if pos is not None else Decimal(0)
        debt = pos.debt_usdt if pos is not None else Decimal(0)
        before = assets / debt if debt > 0 else None
        rate = snapshot.prices.rate(currency)
        if rate is not None:
            added = amount * rate
            after = (assets + added) / (debt + added) if debt + added > 0 else None
    return AutoBorrow(amount, currency, before, after)


async def snapshot_for_preview(client: Any, tries: int = 3) -> MarginSnapshot | None:
    """The margin snapshot an auto-borrow preview needs, tried a few times (a slow answer
    must not leave the preview without its level); None when it cannot be read."""
    from alp_tui.services.margin_service import fetch_margin_snapshot

    for _ in range(tries):
        try:
            return await fetch_margin_snapshot(client)
        except Exception:  # shown as an unknown level; the order itself is unaffected
            continue
    return None
