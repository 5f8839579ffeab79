"""What the stream knows between polls, as the pane models REST gives.

Split out of :mod:`alp_tui.feed.stream_feed` (which re-exports the converters):
:class:`StreamMemory` keeps the trades, tickers, open orders and balances seeded from REST
and moved on by ``t`` / ``tk`` / ``o`` / ``w`` frames; beside it, the conversions of those
frames, the WebSocket URL beside a REST base and the JWT hooks of a client with keys.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from alp_tui.api.models import Balance, MarketSnapshot, Order, PublicTrade, Ticker
from alp_tui.api.stream import TokenProvider
from alp_tui.api.stream_events import (
    AnyEvent,
    OrderEvent,
    TickerEvent,
    TickerItem,
    TradeEvent,
    WalletEvent,
)

TRADES_KEPT = 50


def token_provider_for(client: Any) -> TokenProvider | None:
    """A JWT source from an :class:`~alp_tui.api.client.AlpClient` with credentials."""
    if not getattr(client, "has_credentials", False):
        return None
    return client.bearer_token  # type: ignore[no-any-return]


def token_refused_for(client: Any) -> Callable[[str], None] | None:
    """What to call when the feed refused a JWT: the client forgets it, so the next
    :func:`token_provider_for` call fetches a new one (a restarted server no longer knows
    the old signing key)."""
    invalidate = getattr(client, "invalidate_token", None)
    return invalidate if callable(invalidate) else None


def order_from_event(event: OrderEvent, previous: Order | None = None) -> Order:
    """The order list's model from an ``o`` frame (keeping fields only REST carries)."""
    fields: dict[str, Any] = {
        "id": event.order_id, "pair": event.pair, "side": event.side, "type": event.type,
        "status": event.status, "wallet_type": event.wallet_type,
        "amount": event.base_amount if event.base_amount is not None else Decimal(0),
        "price": event.limit_price, "amount_filled": event.amount_filled or Decimal(0),
        "amount_canceled": event.amount_cancelled or Decimal(0),
        "stop_price": event.stop_price, "stop_operator": event.stop_operator,
    }
    if previous is not None:
        return previous.model_copy(update=fields)
    return Order(**fields)


def balance_from_event(event: WalletEvent) -> Balance:
    """A balance row from a ``w`` frame."""
    return Balance(balance=event.balance, reserve=event.reserve, currency=event.currency,
                   wallet_type=event.wallet_type, pair=event.pair)


def trade_from_event(event: TradeEvent) -> PublicTrade:
    """A public-trades row from a ``t`` frame."""
    return PublicTrade(id=event.trade_id, pair=event.pair, amount=event.amount,
                       price=event.price, timestamp=Decimal(event.ts), type=event.side)


def ticker_from_item(item: TickerItem, ts: int, previous: Ticker | None) -> Ticker:
    """A ticker from a ``tk`` row, keeping what only REST carries (open, precisions)."""
    fields = {"pair": item.pair, "last": item.close, "vol": item.base_volume,
              "buy": item.bid, "sell": item.ask, "high": item.high, "low": item.low,
              "diff_percent": item.change_percent}
    if previous is not None:
        if previous.timestamp and item.close == previous.last:
            fields["timestamp"] = previous.timestamp
        else:
            fields["timestamp"] = Decimal(ts)
        return previous.model_copy(update=fields)
    return Ticker(**fields, timestamp=Decimal(ts))


def balance_key(b: Balance) -> tuple[str, str, str | None]:
    return (b.currency, str(b.wallet_type), b.pair)


def topic_of(event: AnyEvent) -> str | None:
    """The polled topic a frame moves on (None for frames that move none)."""
    if isinstance(event, TradeEvent):
        return "trades"
    if isinstance(event, TickerEvent):
        return "tickers"
    if isinstance(event, OrderEvent):
        return "orders"
    if isinstance(event, WalletEvent):
        return "balances"
    return None


class StreamMemory:
    """The stream-side copies of the trades, tickers, open orders and balances."""

    def __init__(self) -> None:
        self.trades: deque[PublicTrade] = deque(maxlen=TRADES_KEPT)
        self.tickers: dict[str, Ticker] = {}
        self.orders: dict[int, Order] = {}
        self.balances: dict[tuple[str, str, str | None], Balance] = {}

    def seed(self, name: str, data: Any) -> None:
        """Replace topic ``name``'s copy with a REST answer."""
        if name == "trades":
            self.trades = deque(data[:TRADES_KEPT], maxlen=TRADES_KEPT)
        elif name == "tickers":
            self.tickers = {t.pair: t for t in getattr(data, "tickers", [])}
        elif name == "orders":
            self.orders = {o.id: o for o in data}
        elif name == "balances":
            self.balances = {balance_key(b): b for b in data}

    def current(self, name: str) -> Any:
        """Topic ``name``'s copy, shaped as its REST answer."""
        if name == "trades":
            return list(self.trades)
        if name == "tickers":
            return MarketSnapshot(tickers=list(self.tickers.values()))
        if name == "orders":
            return sorted(self.orders.values(), key=lambda o: -o.id)
        if name == "balances":
            return list(self.balances.values())
        raise KeyError(name)

    def drop_private(self) -> None:
        """Forget the open orders and balances (e.g. the stream's auth was refused)."""
        self.orders.clear()
        self.balances.clear()

    def apply(self, event: AnyEvent) -> bool:
        """Move the copy on by one frame; False when it changed nothing."""
        if isinstance(event, TradeEvent):
            if any(t.id == event.trade_id for t in list(self.trades)[:5]):
                return False  # already in the REST answer
            self.trades.appendleft(trade_from_event(event))
        elif isinstance(event, TickerEvent):
            for item in event.items:
                self.tickers[item.pair] = ticker_from_item(item, event.ts,
                                                           self.tickers.get(item.pair))
        elif isinstance(event, OrderEvent):
            if event.is_open:
                self.orders[event.order_id] = order_from_event(
                    event, self.orders.get(event.order_id))
            else:
                self.orders.pop(event.order_id, None)
        elif isinstance(event, WalletEvent):
            row = balance_from_event(event)
            previous = self.balances.get(balance_key(row))
            if previous is not None:
                row = previous.model_copy(update={"balance": row.balance,
                                                  "reserve": row.reserve})
            self.balances[balance_key(row)] = row
        else:
            return False
        return True
