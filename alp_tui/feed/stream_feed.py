"""Streaming beside polling: per topic, the WebSocket feed when it delivers, REST otherwise.

:class:`StreamFeed` is textual-free. It plugs into the polling :class:`~alp_tui.feed.poller.Feed`
without changing it, by wrapping each topic's ``fetch``:

* while the stream is connected and delivering for a topic, the wrapped fetch answers from
  the stream's state (no request); the stream also pushes every change through
  ``on_update``, coalesced to at most one update per topic per frame
  (``min_emit_interval_s``) on a 0.5 s grid for the book and trades (``emit_grid_s``:
  what arrives together is drawn together), so panes see the same data types whether
  streamed or polled;
* while the stream is down, or silent for a topic longer than its silence window, the
  wrapped fetch calls REST as before — the user notices nothing but the badge;
* open orders and balances follow ``o`` / ``w`` events at once, and are still reconciled
  from REST every ``reconcile_s`` (30 s) so a missed event never leaves a wrong number;
* every streamed topic has a silence limit (at most two of its polling intervals): without
  a frame confirming it for that long, a poll runs, and the pane's age is the age of the
  last confirmation (a frozen server shows stale data as stale, never "fresh 1ms");
* the order book is one book whatever feeds it: grouped by price, the stream serves it
  (seeded from REST with the same grouping and depth as the poller asks for); ungrouped (one
  row per resting order, which the stream's per-price diffs cannot give) it is polled;
* a refused ``auth`` drops the stream's private data at once and re-authenticates with a
  new token (see :mod:`alp_tui.api.stream`); private topics are polled meanwhile;
* :meth:`badge` tells the truth per side: ``STREAM`` (all streamed), ``STREAM·POLL``
  (public streamed, private polled), ``POLLING`` (stream down, REST working) or
  ``OFFLINE`` (neither).

Wiring: ``stream = StreamFeed(client, on_update=...)``,
``Feed(stream.wrap(default_topics(client, polling)), on_update=..., ...)``,
``await stream.start()``; show ``stream.badge()`` in the header (``on_badge`` is called
when it changes); ``await stream.aclose()`` on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from alp_tui.api.errors import NetworkError
from alp_tui.api.local_book import BookSync, LocalBook
from alp_tui.api.models import OrderBook
from alp_tui.api.stream import PRIVATE_TOPIC, StreamClient, StreamState, ws_url_for
from alp_tui.api.stream_events import (
    AnyEvent,
    AuthAck,
    ErrorEvent,
    OrderEvent,
    SubscribeAck,
    WalletEvent,
)
from alp_tui.feed.poller import Confirmed
from alp_tui.feed.stream_memory import (
    StreamMemory,
    balance_from_event,
    order_from_event,
    ticker_from_item,
    token_provider_for,
    token_refused_for,
    topic_of,
    trade_from_event,
)

__all__ = [  # the converters moved to stream_memory; these names stay importable here
    "Badge", "StreamFeed", "StreamTimings", "balance_from_event", "make_stream_feed",
    "order_from_event", "ticker_from_item", "token_provider_for", "trade_from_event",
    "ws_url_for",
]

log = logging.getLogger(__name__)

UpdateFn = Callable[[str, Any, Any], None]
# The exchange's REST book and its ``p`` frames both stop at 20 levels a side (wire
# notes), whatever depth is asked: the stream's book is cut to what REST gives (at least 20).
BOOK_WIRE_LEVELS = 20
BOOK_DEPTH = 50  # rows a side asked for, as the poller's REST book does (session/topics.py)
PRIVATE = ("orders", "balances")


class Badge(StrEnum):
    """The header's connection badge."""

    STREAM = "STREAM"
    STREAM_POLL = "STREAM·POLL"  # public data streamed, private data polled
    POLLING = "POLLING"
    OFFLINE = "OFFLINE"


@dataclass(frozen=True)
class StreamTimings:
    """How long a topic may stay silent before polling takes over, and other waits."""

    book_silence_s: float = 5.0
    trades_silence_s: float = 10.0
    tickers_silence_s: float = 10.0
    # Private updates come only when something changes; any data frame on the connection
    # (e.g. tickers) proves it alive, so the private data is still right.
    private_silence_s: float = 10.0
    reconcile_s: float = 30.0
    book_verify_s: float = 30.0
    min_emit_interval_s: float = 1 / 60
    # The markets table costs ~100 ms a redraw on this machine: tickers at most once a
    # second keeps a trade's row (and key presses) from queueing behind it.
    tickers_emit_interval_s: float = 1.0
    # The book and the trades go out on a grid of this step (of the monotonic clock): a
    # trade and the book change it made, arriving a few ms apart, redraw in one frame, and
    # the slot on the whole second shares the UI's once-a-second frame. Each frame
    # re-renders most of the screen (issue #12, CPU at rest); at most 0.5 s later, twice a
    # second as exchange sites refresh a book (0.25 s cost ~15 more frames a minute).
    emit_grid_s: float = 0.5


class _Topic:
    """Stream-side state of one polled topic."""

    def __init__(self, name: str, silence_s: float) -> None:
        self.name = name
        self.silence_s = silence_s  # without a confirming frame or poll for this long: poll
        self.params: Any = None
        self.from_stream = False  # the last fetch was answered from the stream
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
            url, token_provider=token_provider_for(client) if self.private else None,
            token_refused=token_refused_for(client) if self.private else None)
        self.stream.add_listener(self._on_event)
        self.stream.add_state_listener(lambda _s: self._badge_changed())
        t = self.timings
        self.topics: dict[str, _Topic] = {
            "orderbook": _Topic("orderbook", t.book_silence_s),
            "trades": _Topic("trades", t.trades_silence_s),
            "tickers": _Topic("tickers", t.tickers_silence_s),
            "orders": _Topic("orders", t.private_silence_s),
            "balances": _Topic("balances", t.private_silence_s),
        }
        self.book_grouped = True  # the grouping the poller asks for (FeedParams.grouped)
        self.book_levels = BOOK_WIRE_LEVELS  # rows a side, as deep as REST answers
        self.pair: str | None = None
        self.book: BookSync | None = None
        self.memory = StreamMemory()
        self.rest_ok: bool | None = None
        self._acked_at: dict[str, float] = {}
        self._badge: Badge = Badge.POLLING
        self._verify_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.auth_refusals = 0
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

    def _last_confirmed(self, name: str) -> float:
        """When topic ``name``'s stream data was last confirmed: a frame of its own, its
        acknowledgement, any data frame on its connection (it would have carried this
        topic's changes too), or a REST answer."""
        topic = self.topics[name]
        wanted = self._stream_topics(name)
        seen = [topic.last_rest_at or 0.0]
        for t in wanted:
            seen += [self.stream.last_event_at.get(t, 0.0), self._acked_at.get(t, 0.0),
                     self.stream.last_data_at(t)]
        return max(seen)

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
        if name in PRIVATE:
            if not (self.private and self.stream.authenticated and topic.seeded):
                return False
        else:
            wanted = self._stream_topics(name)
            if not wanted or not any(self.stream.topic_live(t) for t in wanted):
                return False
            if name == "orderbook" and (self.book is None or not self.book.book.seeded
                                        or not self.book_grouped):
                return False
            if not topic.seeded:
                return False
        # Delivering: confirmed by a frame (or a poll) within the silence window.
        return self.clock() - self._last_confirmed(name) <= topic.silence_s

    def badge(self) -> Badge:
        """STREAM when the feed is connected (and authenticated, with keys); STREAM·POLL
        when connected but private data is polled; POLLING when REST works; else OFFLINE."""
        if self.stream.state is StreamState.CONNECTED:
            if self.private and not self.stream.authenticated:
                return Badge.STREAM_POLL
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
                topic = self.topics[spec.name]
                interval = getattr(spec, "interval_s", None)
                if isinstance(interval, int | float) and interval > 0:
                    # Never silent for longer than two polls: the pane turns stale after
                    # three (feed/state.py), so a poll confirms the data before that.
                    topic.silence_s = min(topic.silence_s, 2 * float(interval))
                spec = replace(spec, fetch=self._wrapped(spec.name, spec.fetch)) \
                    if hasattr(spec, "__dataclass_fields__") else spec
            out.append(spec)
        return out

    def _wrapped(self, name: str, fetch: Callable[[Any], Awaitable[Any]]
                 ) -> Callable[[Any], Awaitable[Any]]:
        async def wrapped(params: Any) -> Any:
            data = await self.fetch(name, params, fetch)
            if self.topics[name].from_stream:
                # Answered from memory: the pane's age is that of the last confirmation.
                return Confirmed(data, max(0.0, self.clock() - self._last_confirmed(name)))
            return data

        return wrapped

    async def fetch(self, name: str, params: Any,
                    rest: Callable[[Any], Awaitable[Any]]) -> Any:
        """Answer topic ``name``: from the stream when it delivers, else REST (which also
        seeds the stream state)."""
        topic = self.topics[name]
        topic.params = params
        topic.from_stream = False
        pair = getattr(params, "pair", None)
        if pair and name in ("orderbook", "trades") and pair != self.pair:
            await self.set_pair(pair)
        if name == "orderbook":
            await self._set_grouping(bool(getattr(params, "grouped", False)))
        now = self.clock()
        due = topic.last_rest_at is None or now - topic.last_rest_at >= self.timings.reconcile_s
        if self.is_streaming(name) and not due:
            topic.from_stream = True
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
            topic.from_stream = True
            return self._current(name)  # the stream moved on while REST was answering
        self._seed(name, data)
        return data

    def _seed(self, name: str, data: Any) -> None:
        # The local book seeds itself from REST on each subscription ack.
        if name != "orderbook":
            self.memory.seed(name, data)
        self.topics[name].seeded = True

    def _current(self, name: str) -> Any:
        if name == "orderbook":
            assert self.book is not None
            return self.book.book.snapshot(self.book_levels)
        return self.memory.current(name)

    # --- pair ---------------------------------------------------------------------------
    def _pair_topics(self, pair: str) -> list[str]:
        return [f"market_depth.{pair}", f"diff.{pair}", f"trade.{pair}"]

    async def set_pair(self, pair: str) -> None:
        """Follow another selected pair: swap subscriptions and the local book."""
        if pair == self.pair:
            return
        old = self.pair
        self.pair = pair
        self.memory.trades.clear()
        self.topics["trades"].seeded = False
        self.topics["trades"].last_rest_at = None
        self.book = BookSync(pair, self._book_fetch,
                             on_change=lambda _b: self._emit("orderbook"))
        if old is not None:
            await self.stream.unsubscribe(*self._pair_topics(old))
        await self.stream.subscribe(*self._pair_topics(pair))
        self.topics["orderbook"].seeded = True

    async def _book_fetch(self, pair: str) -> OrderBook:
        # The same grouping and depth as the poller's REST book (session/topics.py): the pane
        # must not change shape with its source.
        book: OrderBook = await self.client.orderbook(pair, group=1, limit_buy=BOOK_DEPTH,
                                                      limit_sell=BOOK_DEPTH)
        self.book_levels = max(BOOK_WIRE_LEVELS, len(book.buy), len(book.sell))
        return book

    async def _set_grouping(self, grouped: bool) -> None:
        """Follow the book pane's grouping (``g``): grouped, the stream serves the book and
        it is re-read from REST now (it was not checked while ungrouped); ungrouped, the
        book is polled."""
        if grouped == self.book_grouped:
            return
        self.book_grouped = grouped
        if grouped and self.book is not None:
            await self.book.resync("grouping")

    # --- stream events ------------------------------------------------------------------
    def _on_event(self, event: AnyEvent) -> None:
        if self.book is not None:
            self.book.on_event(event)
        if isinstance(event, AuthAck):
            self._private_reset()  # events may have been missed: re-read from REST first
            self._badge_changed()
        elif isinstance(event, ErrorEvent) and event.command == "auth":
            # Refused: whatever private data the stream held may be another account's (or
            # stale); drop it and poll until a re-auth (api/stream.py) is acknowledged.
            self.auth_refusals += 1
            self._private_reset(drop=True)
            self._badge_changed()
        elif isinstance(event, OrderEvent | WalletEvent) and not self.stream.authenticated:
            return  # not (or no longer) ours to show
        if isinstance(event, SubscribeAck):
            now = self.clock()
            for topic in event.topics:
                self._acked_at[topic] = now
        name = topic_of(event)
        if name is None or not self.topics[name].seeded:
            return
        if name == "trades" and getattr(event, "pair", None) != self.pair:
            return
        if self.memory.apply(event):
            self._touch(name)

    def _private_reset(self, *, drop: bool = False) -> None:
        for name in PRIVATE:
            topic = self.topics[name]
            topic.last_rest_at = None  # the next fetch asks REST
            if drop:
                topic.seeded = False
        if drop:
            self.memory.drop_private()

    def _touch(self, name: str) -> None:
        self.topics[name].events += 1
        self._emit(name)

    def _emit(self, name: str) -> None:
        """Push ``name``'s stream state to the panes: at once if the last push is older
        than one frame, else once at the end of the frame (bursts coalesce)."""
        topic = self.topics[name]
        if topic.params is None or topic.emit_handle is not None:
            return
        if name == "orderbook" and (self.book is None or not self.book.book.seeded
                                    or not self.book_grouped):
            return  # an ungrouped book is polled (see module doc)
        now = self.clock()
        interval = (self.timings.tickers_emit_interval_s if name == "tickers"
                    else self.timings.min_emit_interval_s)
        wait = topic.last_emit + interval - now
        grid = self.timings.emit_grid_s
        if name != "tickers" and grid > 0:
            wait = max(wait, math.ceil(now / grid) * grid - now)
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
        if name == "orderbook" and (self.book is None or not self.book.book.seeded
                                    or not self.book_grouped):
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
