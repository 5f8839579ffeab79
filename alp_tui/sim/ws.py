"""The simulator's WebSocket feed, served at ``/ws`` and ``/alp-ws`` beside the REST API.

Every frame is built from the same :class:`~alp_tui.sim.exchange.Exchange` the REST API
reads: the hub registers one exchange listener, hands each event to the server's event
loop thread-safely (``loop.call_soon_threadsafe``), coalesces changes within one loop
turn and reads the book / ticker back from the exchange, so REST and the feed never
disagree.

Protocol (see ``alp_tui/api/stream_events.py`` for every frame's positions):

* on connect ``["welcome", ts, ping_interval_ns, ping_timeout_ns, client_uuid]``;
* ``["subscribe", topic, ...]`` → ``["subscribe", ts, topic, ...]``; ``unsubscribe`` alike;
  an unknown topic → ``["error", ts, "Invalid topic: X", "subscribe"]`` and a request that
  would exceed 20 topics → ``["error", ts, "Too many topics", "subscribe"]`` (refused whole);
* ``["auth", jwt]`` → ``["auth", ts]`` (a simulator extension; the live answer is unknown)
  or ``["error", ts, "Unauthorized", "auth"]``; then the account's ``o``, ``ta`` and ``w``;
* an inbound frame over 800 bytes closes with 1009; a frame that is not a non-empty JSON
  array of which the first element is a string closes with 1008 (the live server drops
  the TCP connection, which a client sees as 1006; ASGI cannot do that); an unprompted
  text ``1`` or ``2`` closes with 1008 too;
* keepalive is the WebSocket protocol ping, sent by the ASGI server (uvicorn:
  ``ws_ping_interval``); the welcome frame announces it.

Topics: ``ticker.*``, ``ticker.PAIR``, ``trade.*``, ``trade.PAIR``, ``market_depth.PAIR``
(the whole top 20 a side on each change), ``diff.PAIR`` (``[price, amount_delta]`` per
side, plus a trailing per-pair sequence number — a simulator extension that makes a lost
diff detectable), ``rates.*`` / ``rates.CUR_CUR``.

``FeedOptions(live_quirks=True)`` behaves like the live exchange as measured: ``p`` frames
only on a one-second grid (``depth_offset_s`` after the second, only when the book
changed), ``diff.PAIR`` and ``ticker.PAIR`` acknowledged but silent.

Fault injection (:class:`FeedFaults`, at run time): drop every connection, refuse new
ones, go silent (no data frames; protocol pings still come from the ASGI server), or
withhold the next N diffs of a pair (their sequence numbers are still consumed).

Split by job: this module is the hub (exchange events → frames → subscribers); the frame
shapes are in :mod:`~alp_tui.sim.ws_frames`, one client's connection and commands in
:mod:`~alp_tui.sim.ws_session`, fault injection in :mod:`~alp_tui.sim.ws_faults`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from decimal import Decimal
from typing import Any

from starlette.routing import WebSocketRoute

from alp_tui.sim.ws_faults import FeedFaultControls, FeedFaults
from alp_tui.sim.ws_frames import (
    CLOSE_RESTART,
    Levels,
    account_trade_frame,
    book_diff,
    depth_frame,
    dumps,
    enum_value,
    levels_from,
    money,
    now_s,
    order_frame,
    ticker_row,
    wallet_frame,
)
from alp_tui.sim.ws_session import Authenticate, FeedConn, FeedOptions, FeedSessions

__all__ = ["CLOSE_RESTART", "FeedFaults", "FeedHub", "FeedOptions", "book_diff",
           "feed_routes"]

log = logging.getLogger(__name__)


class FeedHub(FeedSessions, FeedFaultControls):
    """Fans the exchange's events out to WebSocket clients by topic."""

    def __init__(
        self,
        exchange: Any,
        *,
        options: FeedOptions | None = None,
        authenticate: Authenticate | None = None,
    ) -> None:
        self.exchange = exchange
        self.options = options or FeedOptions()
        self.faults = FeedFaults()
        self.authenticate = authenticate
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conns: set[FeedConn] = set()
        self._by_topic: dict[str, set[FeedConn]] = {}
        self._pairs: set[str] | None = None
        self._books: dict[str, tuple[Levels, Levels]] = {}  # last book per pair (for d)
        self._depth_sent: dict[str, tuple[Levels, Levels]] = {}  # last p per pair (quirks)
        self._seq: dict[str, int] = {}
        self._dirty_books: set[str] = set()
        self._dirty_tickers: set[str] = set()
        self._rates_dirty = False
        self._flush_scheduled = False
        self._tasks: list[asyncio.Task[None]] = []
        self.frames_sent = 0
        self._listen(exchange)

    # --- lifecycle ----------------------------------------------------------------------
    def set_exchange(self, exchange: Any) -> None:
        """Follow another exchange instance (the server restarted with its state reloaded)."""
        self.exchange = exchange
        self._books.clear()
        self._depth_sent.clear()
        self._pairs = None
        self._listen(exchange)

    def _listen(self, exchange: Any) -> None:
        add = getattr(exchange, "add_listener", None)
        if add is None:
            log.warning("feed: the exchange has no add_listener; the feed stays silent")
            return
        add(self._listener)

    def _ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        # First connection, or the server restarted on a new loop: start afresh.
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self._conns.clear()
        self._by_topic.clear()
        self._books.clear()
        self._depth_sent.clear()
        self._dirty_books.clear()
        self._dirty_tickers.clear()
        self._flush_scheduled = False
        self._loop = loop
        self._tasks.append(self._loop.create_task(self._rates_loop()))
        if self.options.live_quirks:
            self._tasks.append(self._loop.create_task(self._depth_grid_loop()))

    async def aclose(self) -> None:
        """Close every connection and stop the background tasks."""
        for conn in list(self._conns):
            conn.close(1001)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._loop = None

    @property
    def connections(self) -> int:
        """How many clients are connected."""
        return len(self._conns)

    def pairs(self) -> set[str]:
        """Pair names the exchange lists."""
        if self._pairs is None:
            rows = self.exchange.pairs()
            self._pairs = {str(r["name"] if isinstance(r, dict) else r.name).replace("/", "_")
                           for r in rows}
        return self._pairs

    # --- exchange events (any thread) ---------------------------------------------------
    def _listener(self, event: dict[str, Any]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._on_event, event)
        except RuntimeError:  # loop shutting down
            pass

    def _on_event(self, event: dict[str, Any]) -> None:
        """Runs on the loop thread."""
        try:
            kind = event.get("type")
            if kind == "trade":
                self._on_trade(event)
            elif kind == "book":
                self._mark(self._dirty_books, event["pair"])
            elif kind == "ticker":
                self._mark(self._dirty_tickers, event["pair"])
            elif kind == "order":
                self._private(event, order_frame(event))
            elif kind == "wallet":
                self._private(event, wallet_frame(event))
            elif kind == "account_trade":
                self._private(event, account_trade_frame(event))
        except Exception:  # one bad event must not stop the feed
            log.exception("feed: could not handle exchange event %r", event.get("type"))

    def _mark(self, dirty: set[str], pair: str) -> None:
        dirty.add(pair)
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _subscribers(self, *topics: str) -> set[FeedConn]:
        out: set[FeedConn] = set()
        for topic in topics:
            out |= self._by_topic.get(topic, set())
        return out

    def _broadcast(self, conns: set[FeedConn], frame: list[Any]) -> None:
        if not conns:
            return
        text = dumps(frame)
        for conn in conns:
            conn.send(text)
        self.frames_sent += len(conns)

    def _on_trade(self, event: dict[str, Any]) -> None:
        pair = event["pair"]
        ts = int(Decimal(str(event.get("ts") or now_s())))
        side = str(enum_value(event.get("side", "buy"))).lower()
        side = {"bid": "buy", "ask": "sell"}.get(side, side)
        frame = ["t", ts, int(event["id"]), pair, money(event["amount"]),
                 money(event["price"]), side]
        self._broadcast(self._subscribers("trade.*", f"trade.{pair}"), frame)
        self._rates_dirty = True
        self._mark(self._dirty_tickers, pair)

    # --- coalesced flush of books and tickers (loop thread) -----------------------------
    def _flush(self) -> None:
        self._flush_scheduled = False
        books, self._dirty_books = self._dirty_books, set()
        tickers, self._dirty_tickers = self._dirty_tickers, set()
        for pair in books:
            try:
                self._flush_book(pair)
            except Exception:
                log.exception("feed: book flush failed for %s", pair)
        if tickers:
            try:
                self._flush_tickers(tickers)
            except Exception:
                log.exception("feed: ticker flush failed")

    def read_book(self, pair: str) -> tuple[Levels, Levels]:
        """(bids, asks) of the exchange's top of book, read now."""
        depth = self.options.book_depth
        book = self.exchange.orderbook(pair, group=True, limit_buy=depth, limit_sell=depth)
        return levels_from(book.get("buy"))[:depth], levels_from(book.get("sell"))[:depth]

    def _flush_book(self, pair: str) -> None:
        diff_subs = self._subscribers(f"diff.{pair}")
        depth_subs = self._subscribers(f"market_depth.{pair}")
        if not diff_subs and not depth_subs and pair not in self._books:
            return
        bids, asks = self.read_book(pair)
        old = self._books.get(pair)
        self._books[pair] = (bids, asks)
        if old is not None and old == (bids, asks):
            return
        ts = now_s()
        if old is not None:
            d_bids = book_diff(old[0], bids)
            d_asks = book_diff(old[1], asks)
            seq = self._seq.get(pair, 0) + 1
            self._seq[pair] = seq
            withheld = self.faults.drop_diffs.get(pair, 0)
            if withheld:
                self.faults.drop_diffs[pair] = withheld - 1
            elif not self.options.live_quirks:
                frame = ["d", ts, pair, [[[money(p), money(a)] for p, a in d_asks],
                                         [[money(p), money(a)] for p, a in d_bids]], seq]
                self._broadcast(diff_subs, frame)
        if not self.options.live_quirks:
            self._broadcast(depth_subs, depth_frame(ts, pair, bids, asks))

    def _flush_tickers(self, pairs: set[str]) -> None:
        all_subs = self._subscribers("ticker.*")
        ts = now_s()
        rows: list[list[Any]] = []
        for pair in sorted(pairs):
            pair_subs = set() if self.options.live_quirks else self._subscribers(f"ticker.{pair}")
            if not all_subs and not pair_subs:
                continue
            row = ticker_row(pair, self.exchange.ticker(pair))
            if row is None:
                continue
            rows.append(row)
            self._broadcast(pair_subs - all_subs, ["tk", ts, row])
        if rows:
            self._broadcast(all_subs, ["tk", ts, *rows])

    async def _rates_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.rates_interval_s)
            if not self._rates_dirty:
                continue
            self._rates_dirty = False
            try:
                self.send_rates()
            except Exception:
                log.exception("feed: rates failed")

    def send_rates(self, conns: set[FeedConn] | None = None) -> None:
        """Send ``r`` frames to ``rates.*`` / ``rates.CUR_CUR`` subscribers (or ``conns``)."""
        rate_topics = [t for t in self._by_topic if t.startswith("rates.") and self._by_topic[t]]
        if not rate_topics and conns is None:
            return
        rates = self.exchange.currency_rates()
        rows = [[money(Decimal(str(v))), str(k), "USDT"] for k, v in sorted(rates.items())]
        ts = now_s()
        targets = [(t, self._by_topic.get(t, set())) for t in rate_topics]
        for topic, subs in targets:
            if topic == "rates.*":
                self._broadcast(subs, ["r", ts, rows])
            else:
                base, _, quote = topic[len("rates."):].partition("_")
                chosen = [r for r in rows if r[1] == base and r[2] == quote]
                if chosen:
                    self._broadcast(subs, ["r", ts, chosen])

    async def _depth_grid_loop(self) -> None:
        grid = self.options.depth_grid_s
        while True:
            now = time.time()
            next_tick = (now // grid + 1) * grid
            await asyncio.sleep(next_tick + self.options.depth_offset_s - now)
            stamp = int(next_tick)
            for topic, subs in list(self._by_topic.items()):
                if not subs or not topic.startswith("market_depth."):
                    continue
                pair = topic[len("market_depth."):]
                try:
                    bids, asks = self.read_book(pair)
                except Exception:
                    log.exception("feed: depth read failed for %s", pair)
                    continue
                if self._depth_sent.get(pair) == (bids, asks):
                    continue
                self._depth_sent[pair] = (bids, asks)
                self._broadcast(subs, depth_frame(stamp, pair, bids, asks))

    # --- private frames -----------------------------------------------------------------
    def _private(self, event: dict[str, Any], frame: list[Any] | None) -> None:
        if frame is None:
            return
        account = event.get("account_id")
        conns = {c for c in self._conns if c.account_id is not None and c.account_id == account}
        self._broadcast(conns, frame)

def feed_routes(hub: FeedHub) -> list[WebSocketRoute]:
    """Starlette routes serving the feed at ``/ws`` and ``/alp-ws``."""
    return [WebSocketRoute("/ws", hub.serve), WebSocketRoute("/alp-ws", hub.serve)]
