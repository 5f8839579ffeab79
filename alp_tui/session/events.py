"""What the session tells its subscribers: small frozen dataclasses, cheap to hand over.

Every event a listener receives is one of :data:`SessionEvent`. None of them holds a
reference back into the session, so a UI may keep them (e.g. an alert log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from alp_tui.api.models import Balance, Loan, Order
from alp_tui.feed.poller import FeedParams
from alp_tui.feed.state import FeedState
from alp_tui.services.format import format_decimal, format_exact, format_significant
from alp_tui.services.margin_alerts import MarginBand, WalletKey
from alp_tui.services.margin_math import LiquidationDistance, MarginSnapshot, WalletPosition


@dataclass(frozen=True, slots=True)
class TopicData:
    """New data of one feed topic (the same objects the panes have always been fed)."""

    topic: str
    params: FeedParams
    data: Any


@dataclass(frozen=True, slots=True)
class TopicStateChanged:
    """One topic's freshness changed (loading, fresh, stale, paused, error...)."""

    topic: str
    state: FeedState


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The stream's badge changed (``STREAM``, ``STREAM·POLL``, ``POLLING``, ``OFFLINE``)."""

    badge: str


@dataclass(frozen=True, slots=True)
class WalletLevel:
    """One margin wallet's level and band; ``updating``: its balances moved and its loans
    are being read again, the level is the last one worked out from the two in step."""

    wallet: WalletKey
    level: Decimal | None
    band: MarginBand
    updating: bool = False


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """The account as the session knows it now.

    ``net_equity`` is every wallet's holdings minus every loan (borrowed + interest), valued
    in ``quote`` at the last prices; None until balances and prices are known. ``debt`` is
    the loans' value alone; ``unpriced`` names currencies without a price (left out);
    ``rates`` is one unit of each held or owed currency in ``quote``, at the prices the
    totals used (so a pane valuing rows with them adds up to the same total).
    ``liquidation`` holds, for the selected pair, each wallet's liquidation price and the
    distance to it. ``worst`` is the margin wallet with the lowest level (None: no debt).
    """

    balances: tuple[Balance, ...] = ()
    open_orders: tuple[Order, ...] = ()
    loans: tuple[Loan, ...] = ()
    margin: MarginSnapshot | None = None
    positions: dict[WalletKey, WalletPosition] = field(default_factory=dict)
    levels: tuple[WalletLevel, ...] = ()
    worst: WalletLevel | None = None
    liquidation: tuple[LiquidationDistance, ...] = ()
    pair: str = ""
    quote: str = "USDT"
    assets: Decimal | None = None
    debt: Decimal = Decimal(0)
    net_equity: Decimal | None = None
    unpriced: tuple[str, ...] = ()
    rates: dict[str, Decimal] = field(default_factory=dict)
    known: frozenset[str] = frozenset()  # which of balances/orders/loans have been read

    def debt_of(self, wallet: WalletKey) -> Decimal:
        """What ``wallet`` owes, valued in the quote currency (0 without debt)."""
        pos = self.positions.get(wallet)
        return pos.debt_usdt if pos is not None else Decimal(0)

    def orders_of(self, pair: str) -> tuple[Order, ...]:
        """The open orders of ``pair``."""
        return tuple(o for o in self.open_orders if o.pair == pair)


class AlertKind(StrEnum):
    """The kinds of alert (also ``ALP_ALERT_KIND`` of the alert command)."""

    PRICE = "price"
    MARGIN = "margin"
    LIQUIDATION = "liquidation"
    FILL = "fill"
    STREAM = "stream"


@dataclass(frozen=True, slots=True)
class AlertFired:
    """An alert: what the trader must notice. ``danger`` asks for a banner that stays."""

    kind: AlertKind
    text: str
    pair: str = ""
    danger: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class FillEvent:
    """One of the user's orders filled (wholly, or in part: ``partial``).

    ``amount`` is what filled since the last report, at ``average_price`` (volume-weighted
    over those fills).
    """

    order_id: int | None
    pair: str
    side: str
    amount: Decimal
    average_price: Decimal
    partial: bool
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    price_places: int | None = None
    """The pair's price precision when known (else four significant digits at least)."""

    @property
    def text(self) -> str:
        """``Filled BUY 0.01 BTC of BTC_USDT @ 91,000.50 avg (partial)``."""
        side = {"BID": "BUY", "ASK": "SELL"}.get(self.side.upper(), self.side.upper())
        base = self.pair.split("_", 1)[0]
        part = " (partial)" if self.partial else ""
        # A volume-weighted average is a division: 28 digits unless rounded for reading.
        price = (format_significant(self.average_price) if self.price_places is None
                 else format_decimal(self.average_price, self.price_places))
        return (f"Filled {side} {format_exact(self.amount)} {base} of {self.pair} "
                f"@ {price} avg{part}")


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell the user once (e.g. last session's unanswered action)."""

    text: str
    severity: str = "information"  # information | warning | error
    title: str = ""


SessionEvent = (Notice | TopicData | TopicStateChanged | ConnectionChanged | AccountSnapshot
                | AlertFired | FillEvent)
