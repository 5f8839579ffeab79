"""Streaming beside polling: per topic, the WebSocket feed when it delivers, REST otherwise.

:class:`StreamFeed` is textual-free. It plugs into the polling :class:`~alp_tui.feed.poller.Feed`
without changing it, by wrapping each topic's ``fetch``:

* while the stream is connected and delivering for a topic, the wrapped fetch answers from
  the stream's state (no request); the stream also pushes every change through
  ``on_update`` at once, coalesced to at most one update per topic per frame
  (``min_emit_interval_s``), so panes see the same data types whether streamed or polled;
* while the stream is down, or silent for a topic longer than its silence window, the
  wrapped fetch calls REST as before — the user notices nothing but the badge;
* open orders and balances follow ``o`` / ``w`` events at once, and are still reconciled
  from REST every ``reconcile_s`` (30 s) so a missed event never leaves a wrong number;
* :meth:`badge` is ``STREAM`` (stream connected), ``POLLING`` (stream down, REST working)
  or ``OFFLINE`` (neither).

Wiring (see the module's report): ``stream = StreamFeed(client, on_update=...)``,
``Feed(stream.wrap(default_topics(client, polling)), on_update=..., ...)``,
``await stream.start()``; show ``stream.badge()`` in the header (``on_badge`` is called
when it changes); ``await stream.aclose()`` on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from alp_tui.api.errors import NetworkError
from alp_tui.api.local_book import BookSync, LocalBook
from alp_tui.api.models import Balance, Order, OrderBook, PublicTrade, Ticker
from alp_tui.api.stream import PRIVATE_TOPIC, StreamClient, StreamState, TokenProvider
from alp_tui.api.stream_events import (
    AnyEvent,
    OrderEvent,
    SubscribeAck,
    TickerEvent,
    TickerItem,
    TradeEvent,
    WalletEvent,
)
from alp_tui.services.market import MarketSnapshot

log = logging.getLogger(__name__)

UpdateFn = Callable[[str, Any, Any], None]
BOOK_LEVELS = 50
TRADES_KEPT = 50


class Badge(StrEnum):
    """The header's connection badge."""

    STREAM = "STREAM"
    POLLING = "POLLING"
    OFFLINE = "OFFLINE"


@dataclass(frozen=True)
class StreamTimings:
    """How long a topic may stay silent before polling takes over, and other waits."""

    book_silence_s: float = 5.0
    trades_silence_s: float = 10.0
    tickers_silence_s: float = 10.0
    reconcile_s: float = 30.0
    book_verify_s: float = 30.0
    min_emit_interval_s: float = 1 / 60
    # The markets table costs ~100 ms a redraw on this machine: tickers at most once a
    # second keeps a trade's row (and key presses) from queueing behind it.
    tickers_emit_interval_s: float = 1.0


def ws_url_for(base_url: str) -> str:
    """The feed URL beside a REST base: ``https://h/api/v3`` → ``wss://h/ws``."""
    url = base_url.rstrip("/")
    for suffix in ("/api/v3", "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    if url.startswith("https://"):
        url = "wss://" + url[len("https://"):]
    elif url.startswith("http://"):
        url = "ws://" + url[len("http://"):]
    return url + "/ws"


def token_provider_for(client: Any) -> TokenProvider | None:
    """A JWT source from an :class:`~alp_tui.api.client.AlpClient` with credentials."""
    if not getattr(client, "has_credentials", False):
        return None
    return client.bearer_token  # type: ignore[no-any-return]


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


def _balance_key(b: Balance) -> tuple[str, str, str | None]:
    return (b.currency, str(b.wallet_type), b.pair)


class _Topic:
    """Stream-side state of one polled topic."""

    def __init__(self, name: str, silence_s: float | None) -> None:
        self.name = name
        self.silence_s = silence_s  # None: silence is normal (private topics)
        self.params: Any = None
        self.last_rest_at: float | None = None
        self.events = 0
        self.last_emit = 0.0
        self.emit_handle: asyncio.TimerHandle | None = None
        self.seeded = False


class StreamFeed:
    """Chooses streaming or polling per topic and turns stream events into pane data."""

    STREAMED = ("orderbook", "trades", "tickers", "orders", "balances")

    def __init__(
        self,
        client: Any,
        *,
        on_update: UpdateFn,
        ws_url: str | None = None,
        has_credentials: bool | None = None,
        timings: StreamTimings | None = None,
        on_badge: Callable[[Badge], None] | None = None,
        stream: StreamClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.on_update = on_update
        self.on_badge = on_badge
        self.timings = timings or StreamTimings()
        self.clock = clock
        creds = getattr(client, "has_credentials", False) if has_credentials is None \
            else has_credentials
        self.private = bool(creds)
        url = ws_url or ws_url_for(str(client.base_url))
        self.stream = stream or StreamClient(
            url, token_provider=token_provider_for(client) if self.private else None)
        self.stream.add_listener(self._on_event)
        self.stream.add_state_listener(lambda _s: self._badge_changed())
        t = self.timings
        self.topics: dict[str, _Topic] = {
            "orderbook": _Topic("orderbook", t.book_silence_s),
            "trades": _Topic("trades", t.trades_silence_s),
            "tickers": _Topic("tickers", t.tickers_silence_s),
            "orders": _Topic("orders", None),
            "balances": _Topic("balances", None),
        }
        self.pair: str | None = None
        self.book: BookSync | None = None
        self.trades: deque[PublicTrade] = deque(maxlen=TRADES_KEPT)
        self.tickers: dict[str, Ticker] = {}
        self.orders: dict[int, Order] = {}
        self.balances: dict[tuple[str, str, str | None], Balance] = {}
        self.rest_ok: bool | None = None
        self._acked_at: dict[str, float] = {}
        self._badge: Badge = Badge.POLLING
        self._verify_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stream_updates = 0  # pushes made from stream events (for stats/benchmarks)
        self.rest_calls = 0

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Subscribe the public topics (private after auth) and connect."""
        await self.stream.subscribe("ticker.*")
        if self.pair:
            await self.stream.subscribe(*self._pair_topics(self.pair))
        await self.stream.start()
        self._verify_task = asyncio.get_running_loop().create_task(self._verify_loop())

    async def aclose(self) -> None:
        """Disconnect and stop background work."""
        if self._verify_task is not None:
            self._verify_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._verify_task
        for topic in self.topics.values():
            if topic.emit_handle is not None:
                topic.emit_handle.cancel()
        await self.stream.aclose()

    async def _verify_loop(self) -> None:
        while True:
            await asyncio.sleep(self.timings.book_verify_s)
            if self.book is not None and self.is_streaming("orderbook"):
                await self.book.verify()

    # --- the choice ---------------------------------------------------------------------
    def _stream_topics(self, name: str) -> list[str]:
        pair = self.pair
        if name == "orderbook" and pair:
            return [f"market_depth.{pair}", f"diff.{pair}"]
        if name == "trades" and pair:
            return [f"trade.{pair}"]
        if name == "tickers":
            return ["ticker.*"]
        if name in ("orders", "balances"):
            return [PRIVATE_TOPIC]
        return []

    def is_streaming(self, name: str) -> bool:
        """True when topic ``name`` is served by the stream right now."""
        topic = self.topics.get(name)
        if topic is None or self.stream.state is not StreamState.CONNECTED:
            return False
        if name in ("orders", "balances"):
            return self.private and self.stream.authenticated and topic.seeded
        wanted = self._stream_topics(name)
        if not wanted or not any(self.stream.topic_live(t) for t in wanted):
            return False
        if name == "orderbook" and (self.book is None or not self.book.book.seeded):
            return False
        if not topic.seeded:
            return False
        # Delivering: an event, or the acknowledgement, within the silence window.
        now = self.clock()
        last = max(max(self.stream.last_event_at.get(t, 0.0), self._acked_at.get(t, 0.0))
                   for t in wanted)
        return now - last <= (topic.silence_s or 0.0)

    def badge(self) -> Badge:
        """STREAM when the feed is connected; POLLING when REST works; else OFFLINE."""
        if self.stream.state is StreamState.CONNECTED:
            return Badge.STREAM
        if self.rest_ok is False:
            return Badge.OFFLINE
        return Badge.POLLING

    def _badge_changed(self) -> None:
        badge = self.badge()
        if badge is not self._badge:
            self._badge = badge
            if self.on_badge is not None:
                self.on_badge(badge)

    # --- wrapping the pollers' fetches --------------------------------------------------
    def wrap(self, specs: list[Any]) -> list[Any]:
        """The same topic specs, with the streamed topics' fetch going through the stream."""
        out = []
        for spec in specs:
            if spec.name in self.topics:
                spec = replace(spec, fetch=self._wrapped(spec.name, spec.fetch)) \
                    if hasattr(spec, "__dataclass_fields__") else spec
            out.append(spec)
        return out

    def _wrapped(self, name: str, fetch: Callable[[Any], Awaitable[Any]]
                 ) -> Callable[[Any], Awaitable[Any]]:
        async def wrapped(params: Any) -> Any:
            return await self.fetch(name, params, fetch)

        return wrapped

    async def fetch(self, name: str, params: Any,
                    rest: Callable[[Any], Awaitable[Any]]) -> Any:
        """Answer topic ``name``: from the stream when it delivers, else REST (which also
        seeds the stream state)."""
        topic = self.topics[name]
        topic.params = params
        pair = getattr(params, "pair", None)
        if pair and name in ("orderbook", "trades") and pair != self.pair:
            await self.set_pair(pair)
        now = self.clock()
        due = topic.last_rest_at is None or now - topic.last_rest_at >= self.timings.reconcile_s
        if self.is_streaming(name) and not due:
            return self._current(name)
        events_before = topic.events
        try:
            data = await rest(params)
        except NetworkError:
            self.rest_ok = False
            self._badge_changed()
            raise
        self.rest_calls += 1
        self.rest_ok = True
        self._badge_changed()
        topic.last_rest_at = self.clock()
        if topic.events != events_before and topic.seeded and self.is_streaming(name):
            return self._current(name)  # the stream moved on while REST was answering
        self._seed(name, data)
        return data

    def _seed(self, name: str, data: Any) -> None:
        topic = self.topics[name]
        if name == "trades":
            self.trades = deque(data[:TRADES_KEPT], maxlen=TRADES_KEPT)
        elif name == "tickers":
            self.tickers = {t.pair: t for t in getattr(data, "tickers", [])}
        elif name == "orders":
            self.orders = {o.id: o for o in data}
        elif name == "balances":
            self.balances = {_balance_key(b): b for b in data}
        elif name == "orderbook":
            pass  # the local book seeds itself from REST on each subscription ack
        topic.seeded = True

    def _current(self, name: str) -> Any:
        if name == "orderbook":
            assert self.book is not None
            return self.book.book.snapshot(BOOK_LEVELS)
        if name == "trades":
            return list(self.trades)
        if name == "tickers":
            return MarketSnapshot(tickers=list(self.tickers.values()))
        if name == "orders":
            return sorted(self.orders.values(), key=lambda o: -o.id)
        if name == "balances":
            return list(self.balances.values())
        raise KeyError(name)

    # --- pair ---------------------------------------------------------------------------
    def _pair_topics(self, pair: str) -> list[str]:
        return [f"market_depth.{pair}", f"diff.{pair}", f"trade.{pair}"]

    async def set_pair(self, pair: str) -> None:
        """Follow another selected pair: swap subscriptions and the local book."""
        if pair == self.pair:
            return
        old = self.pair
        self.pair = pair
        self.trades.clear()
        self.topics["trades"].seeded = False
        self.topics["trades"].last_rest_at = None
        self.book = BookSync(pair, self._book_fetch,
                             on_change=lambda _b: self._emit("orderbook"))
        if old is not None:
            await self.stream.unsubscribe(*self._pair_topics(old))
        await self.stream.subscribe(*self._pair_topics(pair))
        self.topics["orderbook"].seeded = True

    async def _book_fetch(self, pair: str) -> OrderBook:
        book: OrderBook = await self.client.orderbook(pair, group=1, limit_buy=20,
                                                      limit_sell=20)
        return book

    # --- stream events ------------------------------------------------------------------
    def _on_event(self, event: AnyEvent) -> None:
        if self.book is not None:
            self.book.on_event(event)
        if isinstance(event, SubscribeAck):
            now = self.clock()
            for topic in event.topics:
                self._acked_at[topic] = now
        if isinstance(event, TradeEvent):
            self._on_trade(event)
        elif isinstance(event, TickerEvent):
            self._on_tickers(event)
        elif isinstance(event, OrderEvent):
            self._on_order(event)
        elif isinstance(event, WalletEvent):
            self._on_wallet(event)

    def _on_trade(self, event: TradeEvent) -> None:
        if event.pair != self.pair or not self.topics["trades"].seeded:
            return
        if any(t.id == event.trade_id for t in list(self.trades)[:5]):
            return  # already in the REST answer
        self.trades.appendleft(trade_from_event(event))
        self._touch("trades")

    def _on_tickers(self, event: TickerEvent) -> None:
        if not self.topics["tickers"].seeded:
            return
        for item in event.items:
            self.tickers[item.pair] = ticker_from_item(item, event.ts,
                                                       self.tickers.get(item.pair))
        self._touch("tickers")

    def _on_order(self, event: OrderEvent) -> None:
        if not self.topics["orders"].seeded:
            return
        if event.is_open:
            self.orders[event.order_id] = order_from_event(event,
                                                           self.orders.get(event.order_id))
        else:
            self.orders.pop(event.order_id, None)
        self._touch("orders")

    def _on_wallet(self, event: WalletEvent) -> None:
        if not self.topics["balances"].seeded:
            return
        row = balance_from_event(event)
        previous = self.balances.get(_balance_key(row))
        if previous is not None:
            row = previous.model_copy(update={"balance": row.balance, "reserve": row.reserve})
        self.balances[_balance_key(row)] = row
        self._touch("balances")

    def _touch(self, name: str) -> None:
        self.topics[name].events += 1
        self._emit(name)

    def _emit(self, name: str) -> None:
        """Push ``name``'s stream state to the panes: at once if the last push is older
        than one frame, else once at the end of the frame (bursts coalesce)."""
        topic = self.topics[name]
        if topic.params is None or topic.emit_handle is not None:
            return
        if name == "orderbook" and (self.book is None or not self.book.book.seeded):
            return
        now = self.clock()
        interval = (self.timings.tickers_emit_interval_s if name == "tickers"
                    else self.timings.min_emit_interval_s)
        wait = topic.last_emit + interval - now
        if wait <= 0:
            self._push(name)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        topic.emit_handle = loop.call_later(wait, self._push, name)

    def _push(self, name: str) -> None:
        topic = self.topics[name]
        topic.emit_handle = None
        topic.last_emit = self.clock()
        if name == "orderbook" and (self.book is None or not self.book.book.seeded):
            return
        self.stream_updates += 1
        try:
            self.on_update(name, topic.params, self._current(name))
        except Exception:
            log.exception("stream feed: update of %s failed", name)

    # --- introspection ------------------------------------------------------------------
    @property
    def local_book(self) -> LocalBook | None:
        """The selected pair's local book, if any."""
        return self.book.book if self.book is not None else None

    def modes(self) -> dict[str, str]:
        """Per topic: ``stream`` or ``poll`` (for a debug screen)."""
        return {n: ("stream" if self.is_streaming(n) else "poll") for n in self.topics}


def make_stream_feed(
    client: Any,
    *,
    on_update: UpdateFn,
    has_credentials: bool,
    on_badge: Callable[[Badge], None] | None = None,
    enabled: bool = True,
) -> StreamFeed | None:
    """A :class:`StreamFeed` for a real :class:`~alp_tui.api.client.AlpClient`, or None
    (streaming off, or a stand-in client without a REST base URL — e.g. in tests)."""
    from alp_tui.api.client import AlpClient

    if not enabled or not isinstance(client, AlpClient):
        return None
    return StreamFeed(client, on_update=on_update, has_credentials=has_credentials,
                      on_badge=on_badge)
