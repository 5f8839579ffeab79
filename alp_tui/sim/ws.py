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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

log = logging.getLogger(__name__)

Levels = list[tuple[Decimal, Decimal]]
Authenticate = Callable[[str], int | None]

MAX_TOPICS = 20
MAX_FRAME_BYTES = 800
BOOK_DEPTH = 20
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
CLOSE_RESTART = 1012


@dataclass
class FeedOptions:
    """How the feed behaves. Intervals are injectable so tests can use small values."""

    live_quirks: bool = False
    max_topics: int = MAX_TOPICS
    max_frame_bytes: int = MAX_FRAME_BYTES
    book_depth: int = BOOK_DEPTH
    depth_grid_s: float = 1.0  # live quirks: p frames on this grid...
    depth_offset_s: float = 0.6  # ...this long after each grid point
    rates_interval_s: float = 1.0  # rates.* sent at most this often, when a trade happened
    ping_interval_s: float = 20.0  # announced in the welcome frame
    ping_timeout_s: float = 20.0
    send_queue_max: int = 20_000  # a client further behind than this is disconnected


@dataclass
class FeedFaults:
    """Switches for fault injection; flip them while the server runs."""

    silent: bool = False
    refuse_connections: bool = False
    drop_diffs: dict[str, int] = field(default_factory=dict)


def _s(value: Any) -> str | None:
    """A money value as the feed's string ("12.5", never exponent notation)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _dumps(frame: list[Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


def _now() -> int:
    return int(time.time())


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _levels_from(rows: Any) -> Levels:
    out: Levels = []
    for row in rows or []:
        if isinstance(row, dict):
            out.append((Decimal(str(row["price"])), Decimal(str(row["amount"]))))
        else:
            out.append((Decimal(str(row[0])), Decimal(str(row[1]))))
    return out


def book_diff(old: Levels, new: Levels) -> Levels:
    """Per-price amount deltas turning ``old`` into ``new`` (in ``new``'s price order,
    then vanished prices)."""
    before = dict(old)
    after = dict(new)
    out: Levels = []
    for price, amount in new:
        delta = amount - before.get(price, Decimal(0))
        if delta != 0:
            out.append((price, delta))
    for price, amount in old:
        if price not in after:
            out.append((price, -amount))
    return out


class _Conn:
    """One client connection: its topics, its account after auth and its send queue."""

    def __init__(self, hub: FeedHub, websocket: WebSocket) -> None:
        self.hub = hub
        self.ws = websocket
        self.topics: set[str] = set()
        self.account_id: int | None = None
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.closed = False
        self.close_code: int | None = None
        self.done = asyncio.Event()
        self.text_pings_out = 0  # text "1" pings sent and not yet answered with "2"
        self.text_pongs = 0

    def send(self, text: str) -> None:
        if self.closed or self.hub.faults.silent:
            return
        if self.queue.qsize() >= self.hub.options.send_queue_max:
            log.info("feed client too slow, disconnecting")
            self.close(CLOSE_POLICY)
            return
        self.queue.put_nowait(text)

    def close(self, code: int) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self.done.set()
        self.queue.put_nowait(None)


class FeedHub:
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
        self._conns: set[_Conn] = set()
        self._by_topic: dict[str, set[_Conn]] = {}
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

    # --- faults -------------------------------------------------------------------------
    def _on_loop(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Run ``fn`` on the server loop; True when it ran here and now."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            fn(*args)
            return True
        loop.call_soon_threadsafe(fn, *args)
        return False

    def drop_connections(self, code: int = CLOSE_RESTART) -> int:
        """Close every connection (fault injection; callable from any thread); returns how
        many there were."""
        count = len(self._conns)

        def drop() -> None:
            for conn in list(self._conns):
                conn.close(code)

        self._on_loop(drop)
        return count

    def send_text_pings(self) -> int:
        """Send the documented text ping ``1`` to every client (the live server never
        does; a client must answer ``2``). Returns how many were sent."""
        conns = [c for c in self._conns if not c.closed]

        def ping() -> None:
            for conn in conns:
                conn.text_pings_out += 1
                conn.send("1")

        self._on_loop(ping)
        return len(conns)

    @property
    def text_pongs(self) -> int:
        """Text ``2`` answers received over all current connections."""
        return sum(c.text_pongs for c in self._conns)

    def diff_seq(self, pair: str) -> int:
        """The sequence number of ``pair``'s latest diff (0 before the first)."""
        return self._seq.get(pair, 0)

    def drop_next_diffs(self, pair: str, count: int = 1) -> None:
        """Withhold the next ``count`` diff frames of ``pair`` (a gap in the sequence)."""
        self.faults.drop_diffs[pair] = self.faults.drop_diffs.get(pair, 0) + count

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
                self._private(event, self._order_frame(event))
            elif kind == "wallet":
                self._private(event, self._wallet_frame(event))
            elif kind == "account_trade":
                self._private(event, self._account_trade_frame(event))
        except Exception:  # one bad event must not stop the feed
            log.exception("feed: could not handle exchange event %r", event.get("type"))

    def _mark(self, dirty: set[str], pair: str) -> None:
        dirty.add(pair)
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _subscribers(self, *topics: str) -> set[_Conn]:
        out: set[_Conn] = set()
        for topic in topics:
            out |= self._by_topic.get(topic, set())
        return out

    def _broadcast(self, conns: set[_Conn], frame: list[Any]) -> None:
        if not conns:
            return
        text = _dumps(frame)
        for conn in conns:
            conn.send(text)
        self.frames_sent += len(conns)

    def _on_trade(self, event: dict[str, Any]) -> None:
        pair = event["pair"]
        ts = int(Decimal(str(event.get("ts") or _now())))
        side = str(_enum_value(event.get("side", "buy"))).lower()
        side = {"bid": "buy", "ask": "sell"}.get(side, side)
        frame = ["t", ts, int(event["id"]), pair, _s(event["amount"]), _s(event["price"]), side]
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
        return _levels_from(book.get("buy"))[:depth], _levels_from(book.get("sell"))[:depth]

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
        ts = _now()
        if old is not None:
            d_bids = book_diff(old[0], bids)
            d_asks = book_diff(old[1], asks)
            seq = self._seq.get(pair, 0) + 1
            self._seq[pair] = seq
            withheld = self.faults.drop_diffs.get(pair, 0)
            if withheld:
                self.faults.drop_diffs[pair] = withheld - 1
            elif not self.options.live_quirks:
                frame = ["d", ts, pair, [[[_s(p), _s(a)] for p, a in d_asks],
                                         [[_s(p), _s(a)] for p, a in d_bids]], seq]
                self._broadcast(diff_subs, frame)
        if not self.options.live_quirks:
            self._broadcast(depth_subs, self._depth_frame(ts, pair, bids, asks))

    def _depth_frame(self, ts: int, pair: str, bids: Levels, asks: Levels) -> list[Any]:
        return ["p", ts, {
            "Asks": [[_s(p), _s(a)] for p, a in asks],
            "Bids": [[_s(p), _s(a)] for p, a in bids],
            "Symbol": pair,
            "TotalAsks": _s(sum((a for _, a in asks), Decimal(0))),
            "TotalBids": _s(sum((a for _, a in bids), Decimal(0))),
        }]

    def _ticker_row(self, pair: str) -> list[Any] | None:
        t = self.exchange.ticker(pair)
        if not t:
            return None
        last = Decimal(str(t.get("last") or 0))
        diff = Decimal(str(t.get("diff") or 0))
        pct = t.get("diff_percent")
        if pct is None:
            base = last - diff
            pct = (diff / base * 100).quantize(Decimal("0.01")) if last and base else Decimal(0)
        vol = Decimal(str(t.get("vol") or 0))
        quote_vol = t.get("quote_vol")
        if quote_vol is None:
            quote_vol = vol * last
        return [pair, _s(last), _s(vol), _s(Decimal(str(quote_vol))), _s(Decimal(str(pct))),
                _s(t.get("high") or 0), _s(t.get("low") or 0), _s(t.get("buy") or 0),
                _s(t.get("sell") or 0)]

    def _flush_tickers(self, pairs: set[str]) -> None:
        all_subs = self._subscribers("ticker.*")
        ts = _now()
        rows: list[list[Any]] = []
        for pair in sorted(pairs):
            pair_subs = set() if self.options.live_quirks else self._subscribers(f"ticker.{pair}")
            if not all_subs and not pair_subs:
                continue
            row = self._ticker_row(pair)
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

    def send_rates(self, conns: set[_Conn] | None = None) -> None:
        """Send ``r`` frames to ``rates.*`` / ``rates.CUR_CUR`` subscribers (or ``conns``)."""
        rate_topics = [t for t in self._by_topic if t.startswith("rates.") and self._by_topic[t]]
        if not rate_topics and conns is None:
            return
        rates = self.exchange.currency_rates()
        rows = [[_s(Decimal(str(v))), str(k), "USDT"] for k, v in sorted(rates.items())]
        ts = _now()
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
                self._broadcast(subs, self._depth_frame(stamp, pair, bids, asks))

    # --- private frames -----------------------------------------------------------------
    def _private(self, event: dict[str, Any], frame: list[Any] | None) -> None:
        if frame is None:
            return
        account = event.get("account_id")
        conns = {c for c in self._conns if c.account_id is not None and c.account_id == account}
        self._broadcast(conns, frame)

    @staticmethod
    def _order_frame(event: dict[str, Any]) -> list[Any]:
        o = event["order"]
        amount = o.get("amount", o.get("base_amount"))
        filled = o.get("amount_filled") or Decimal(0)
        cancelled = o.get("amount_canceled", o.get("amount_cancelled")) or Decimal(0)
        unfilled = o.get("amount_unfilled")
        if unfilled is None and amount is not None:
            unfilled = Decimal(str(amount)) - Decimal(str(filled)) - Decimal(str(cancelled))
        done_at = o.get("done_at")
        if done_at is not None and not isinstance(done_at, int | Decimal):
            done_at = _to_unix(done_at)
        # The official client's handler types every field but the id and the times as a
        # string: an absent price, stop or quote amount travels as "", not null; an order
        # not done yet has done_at 0.
        return ["o", _now(), int(o["id"]), o["pair"], _enum_value(o["side"]),
                _enum_value(o["type"]), _s(amount) or "",
                _s(o.get("price", o.get("limit_price"))) or "", _s(unfilled) or "",
                _s(filled), _s(cancelled), _s(o.get("value_filled")) or "0",
                _s(o.get("price_avg")) or "", done_at or 0, _enum_value(o["status"]),
                _s(o.get("quote_amount")) or "", _enum_value(o.get("wallet_type", "SPOT")),
                _s(o.get("stop_price")) or "", _enum_value(o.get("stop_operator")) or ""]

    @staticmethod
    def _wallet_frame(event: dict[str, Any]) -> list[Any]:
        return ["w", _now(), event["currency"], _enum_value(event["wallet_type"]),
                event.get("pair"), _s(event["balance"]), _s(event["reserve"])]

    @staticmethod
    def _account_trade_frame(event: dict[str, Any]) -> list[Any]:
        t = event.get("trade", event)
        when = t.get("ts", t.get("timestamp"))
        if when is None and t.get("date") is not None:
            when = _to_unix(t["date"])
        return ["ta", _now(), int(t["id"]), t.get("order_id"), t["pair"],
                _enum_value(t.get("side")), _s(t["amount"]), _s(t["price"]),
                _s(t.get("fee_amount") or 0), t.get("fee_currency"), bool(t.get("is_maker")),
                _enum_value(t.get("wallet_type", "SPOT")), _s(when)]

    # --- connections --------------------------------------------------------------------
    async def serve(self, websocket: WebSocket) -> None:
        """Run one client connection until it closes."""
        self._ensure_started()
        await websocket.accept()
        if self.faults.refuse_connections:
            await websocket.close(CLOSE_RESTART)
            return
        conn = _Conn(self, websocket)
        self._conns.add(conn)
        opts = self.options
        conn.send(_dumps(["welcome", _now(), int(opts.ping_interval_s * 1e9),
                          int(opts.ping_timeout_s * 1e9), str(uuid.uuid4())]))
        sender = asyncio.get_running_loop().create_task(self._send_loop(conn))
        try:
            await self._receive_loop(conn)
        finally:
            self._forget(conn)
            conn.close(conn.close_code or 1000)
            with contextlib.suppress(Exception):
                await sender
            if websocket.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await websocket.close(conn.close_code or 1000)

    async def _send_loop(self, conn: _Conn) -> None:
        while True:
            text = await conn.queue.get()
            if text is None:
                with contextlib.suppress(Exception):
                    await conn.ws.close(conn.close_code or 1000)
                return
            try:
                await conn.ws.send_text(text)
            except Exception:  # peer gone
                conn.closed = True
                return

    async def _receive_loop(self, conn: _Conn) -> None:
        receive = asyncio.ensure_future(conn.ws.receive())
        closer = asyncio.ensure_future(conn.done.wait())
        try:
            while True:
                done, _ = await asyncio.wait({receive, closer},
                                             return_when=asyncio.FIRST_COMPLETED)
                if closer in done or conn.closed:
                    return
                message = receive.result()
                if message["type"] == "websocket.disconnect":
                    return
                raw = message.get("text")
                if raw is None:
                    raw_bytes = message.get("bytes") or b""
                    size = len(raw_bytes)
                    raw = raw_bytes.decode("utf-8", "replace")
                else:
                    size = len(raw.encode("utf-8"))
                if size > self.options.max_frame_bytes:
                    conn.close(CLOSE_TOO_BIG)
                    return
                if not self._handle(conn, raw):
                    conn.close(CLOSE_POLICY)
                    return
                receive = asyncio.ensure_future(conn.ws.receive())
        except WebSocketDisconnect:
            return
        finally:
            for fut in (receive, closer):
                if not fut.done():
                    fut.cancel()

    def _forget(self, conn: _Conn) -> None:
        self._conns.discard(conn)
        for topic in conn.topics:
            subs = self._by_topic.get(topic)
            if subs is not None:
                subs.discard(conn)
                if not subs:
                    del self._by_topic[topic]
        conn.topics.clear()

    def _handle(self, conn: _Conn, raw: str) -> bool:
        """Handle one inbound frame; False means close the connection."""
        if raw.strip() == "2" and conn.text_pings_out > 0:
            conn.text_pings_out -= 1
            conn.text_pongs += 1
            return True
        if raw.strip() in ("1", "2"):
            return False  # the live server drops clients that ping on their own
        try:
            frame = json.loads(raw)
        except ValueError:
            return False
        if not isinstance(frame, list) or not frame or not isinstance(frame[0], str):
            return False
        command, args = frame[0], frame[1:]
        ts = _now()
        if command == "subscribe":
            self._subscribe(conn, [str(a) for a in args], ts)
        elif command == "unsubscribe":
            topics = [str(a) for a in args]
            for topic in topics:
                conn.topics.discard(topic)
                subs = self._by_topic.get(topic)
                if subs is not None:
                    subs.discard(conn)
            conn.send(_dumps(["unsubscribe", ts, *topics]))
        elif command == "auth":
            account = None
            if args and isinstance(args[0], str) and self.authenticate is not None:
                try:
                    account = self.authenticate(args[0])
                except Exception:  # any failure is "unauthorized"
                    account = None
            if account is None:
                conn.send(_dumps(["error", ts, "Unauthorized", "auth"]))
            else:
                conn.account_id = account
                conn.send(_dumps(["auth", ts]))
        else:
            conn.send(_dumps(["error", ts, f"Unknown command: {command[:40]}", command[:40]]))
        return True

    def _valid_topic(self, topic: str) -> bool:
        kind, _, arg = topic.partition(".")
        if kind in ("ticker", "trade", "rates") and arg == "*":
            return True
        if kind in ("ticker", "trade", "market_depth", "diff"):
            return arg in self.pairs()
        if kind == "rates":
            base, _, quote = arg.partition("_")
            return bool(base and quote)
        return False

    def _subscribe(self, conn: _Conn, topics: list[str], ts: int) -> None:
        for topic in topics:
            if not self._valid_topic(topic):
                conn.send(_dumps(["error", ts, f"Invalid topic: {topic[:60]}", "subscribe"]))
                return
        if len(conn.topics | set(topics)) > self.options.max_topics:
            conn.send(_dumps(["error", ts, "Too many topics", "subscribe"]))
            return
        for topic in topics:
            conn.topics.add(topic)
            self._by_topic.setdefault(topic, set()).add(conn)
            kind, _, pair = topic.partition(".")
            if kind in ("diff", "market_depth") and pair not in self._books:
                # The baseline diffs are computed against; later changes diff from it.
                self._books[pair] = self.read_book(pair)
        conn.send(_dumps(["subscribe", ts, *topics]))


def _to_unix(value: Any) -> int | None:
    from datetime import datetime

    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    return None


def feed_routes(hub: FeedHub) -> list[WebSocketRoute]:
    """Starlette routes serving the feed at ``/ws`` and ``/alp-ws``."""
    return [WebSocketRoute("/ws", hub.serve), WebSocketRoute("/alp-ws", hub.serve)]
