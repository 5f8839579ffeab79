"""Fills told by the private stream, within a moment of the exchange's match.

The private stream sends a ``ta`` frame per trade of the account and an ``o`` frame per
order change (see the wire notes). :class:`StreamFills` gathers an order's ``ta`` frames
(a taker order matched against several resting orders is several frames) until that
order's ``o`` frame says where it stands, or :data:`GATHER_S` has passed, and hands them
on as :class:`~alp_tui.api.models.AccountTrade` rows, with whether each order can still
fill. The account state tells each trade once, whether the stream or a poll saw it first.

Until the stream has sent a first ``ta`` frame, an order that moved (filled further, or
left the list) has the fills read from REST at once, as without a stream: the ``ta``
frame's shape is this project's reading of the wire, and a stream that never sends it must
not make fills later. Once ``ta`` frames come, an order that moved without one within
:data:`CONFIRM_S` (one lost, a fill while the stream was down, a cancel) makes one REST read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from alp_tui.api.models import AccountTrade
from alp_tui.api.stream import StreamState
from alp_tui.api.stream_events import AccountTradeEvent, AnyEvent, OrderEvent

GATHER_S = 0.25  # an order's trades come in one burst; its ``o`` frame usually ends it
CONFIRM_S = 2.0  # an order moved with no ``ta`` frame this long: read the fills from REST
ORDERS_KEPT = 500  # how many orders' latest open/closed state is remembered

TradesFn = Callable[[list[AccountTrade], Mapping[int, bool]], None]


def trade_from_event(event: AccountTradeEvent) -> AccountTrade:
    """The /accounts/trades row a ``ta`` frame stands for (its id is the same)."""
    return AccountTrade(id=event.trade_id, order_id=event.order_id, pair=event.pair,
                        side=event.side, amount=event.amount, price=event.price,
                        fee_amount=event.fee_amount, fee_currency=event.fee_currency,
                        is_maker=event.is_maker, wallet_type=event.wallet_type)


class StreamFills:
    """Listens to a :class:`~alp_tui.api.stream.StreamClient` for the account's trades."""

    def __init__(self, stream: Any, *, on_trades: TradesFn, refresh: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic,
                 gather_s: float = GATHER_S, confirm_s: float = CONFIRM_S) -> None:
        self.stream = stream
        self.on_trades = on_trades
        self.refresh = refresh
        self.clock = clock
        self.gather_s = gather_s
        self.confirm_s = confirm_s
        self.told = 0  # trades handed on (for stats and tests)
        self.trades_seen = False  # the stream has sent a ``ta`` frame (it sends them)
        self._pending: list[AccountTrade] = []
        self._open: dict[int, bool] = {}
        self._trade_at: dict[int, float] = {}  # order id → when its last ``ta`` came
        self._flush_handle: asyncio.Handle | None = None
        self._confirm_handle: asyncio.TimerHandle | None = None
        self._unconfirmed: set[int] = set()
        stream.add_listener(self._on_event)

    def delivering(self) -> bool:
        """True while the private stream is connected and signed in."""
        return bool(self.stream.state is StreamState.CONNECTED and self.stream.authenticated)

    def close(self) -> None:
        """Stop listening and drop what is pending."""
        self.stream.remove_listener(self._on_event)
        for handle in (self._flush_handle, self._confirm_handle):
            if handle is not None:
                handle.cancel()
        self._flush_handle = self._confirm_handle = None
        self._pending.clear()

    # --- stream events ------------------------------------------------------------------
    def _on_event(self, event: AnyEvent) -> None:
        if not isinstance(event, AccountTradeEvent | OrderEvent):
            return
        if not self.stream.authenticated:
            return  # not (or no longer) this account's
        if isinstance(event, AccountTradeEvent):
            self.trades_seen = True
            self._pending.append(trade_from_event(event))
            if event.order_id is not None:
                self._trade_at[event.order_id] = self.clock()
                self._unconfirmed.discard(event.order_id)
            self._schedule(self.gather_s)
            return
        self._open[event.order_id] = event.is_open
        while len(self._open) > ORDERS_KEPT:
            self._open.pop(next(iter(self._open)))
        if any(t.order_id == event.order_id for t in self._pending):
            self._schedule(0.0)  # the order's own update closes its burst of trades

    def _schedule(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        if self._flush_handle is not None:
            if delay > 0:
                return  # a flush is due already
            self._flush_handle.cancel()
        self._flush_handle = (loop.call_soon(self._flush) if delay <= 0
                              else loop.call_later(delay, self._flush))

    def _flush(self) -> None:
        self._flush_handle = None
        trades, self._pending = self._pending, []
        if trades:
            self.told += len(trades)
            self.on_trades(trades, dict(self._open))
        while len(self._trade_at) > ORDERS_KEPT:
            self._trade_at.pop(next(iter(self._trade_at)))

    # --- orders that moved --------------------------------------------------------------
    def expect(self, order_ids: Iterable[int]) -> bool:
        """Orders that filled further or left the list. True when the stream is expected
        to tell their fills (a REST read follows only if it does not within
        ``confirm_s``); False when the caller should read the fills now."""
        if not (self.delivering() and self.trades_seen):
            return False
        now = self.clock()
        waiting = {i for i in order_ids
                   if now - self._trade_at.get(i, float("-inf")) > self.confirm_s}
        if waiting:
            self._unconfirmed |= waiting
            if self._confirm_handle is None:
                loop = asyncio.get_running_loop()
                self._confirm_handle = loop.call_later(self.confirm_s, self._confirm)
        return True

    def _confirm(self) -> None:
        self._confirm_handle = None
        if self._unconfirmed:
            # A cancel moves an order too (and has no trade): one REST read settles it.
            self._unconfirmed.clear()
            self.refresh()
