"""One WebSocket client of the simulator's feed: its connection, commands and topics.

:class:`FeedConn` is a connection's state and send queue (a client too far behind is
disconnected); :class:`FeedSessions`, mixed into the hub, runs a connection: the welcome
frame, the inbound frame rules (size, shape, text pings), ``subscribe`` /
``unsubscribe`` / ``auth`` and topic bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from alp_tui.sim.ws_frames import (
    BOOK_DEPTH,
    CLOSE_POLICY,
    CLOSE_RESTART,
    CLOSE_TOO_BIG,
    MAX_FRAME_BYTES,
    MAX_TOPICS,
    Levels,
    dumps,
    now_s,
)

if TYPE_CHECKING:
    from alp_tui.sim.ws_faults import FeedFaults

log = logging.getLogger(__name__)

Authenticate = Callable[[str], int | None]



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


class FeedConn:
    """One client connection: its topics, its account after auth and its send queue."""

    def __init__(self, hub: FeedSessions, websocket: WebSocket) -> None:
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


class FeedSessions:
    """Serving feed connections (a mixin of the hub)."""

    # Provided by the hub.
    options: FeedOptions
    faults: FeedFaults
    authenticate: Authenticate | None
    _conns: set[FeedConn]
    _by_topic: dict[str, set[FeedConn]]
    _books: dict[str, tuple[Levels, Levels]]

    if TYPE_CHECKING:
        def _ensure_started(self) -> None: ...
        def read_book(self, pair: str) -> tuple[Levels, Levels]: ...
        def pairs(self) -> set[str]: ...

    # --- connections --------------------------------------------------------------------
    async def serve(self, websocket: WebSocket) -> None:
        """Run one client connection until it closes."""
        self._ensure_started()
        await websocket.accept()
        if self.faults.refuse_connections:
            await websocket.close(CLOSE_RESTART)
            return
        conn = FeedConn(self, websocket)
        self._conns.add(conn)
        opts = self.options
        conn.send(dumps(["welcome", now_s(), int(opts.ping_interval_s * 1e9),
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

    async def _send_loop(self, conn: FeedConn) -> None:
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

    async def _receive_loop(self, conn: FeedConn) -> None:
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

    def _forget(self, conn: FeedConn) -> None:
        self._conns.discard(conn)
        for topic in conn.topics:
            subs = self._by_topic.get(topic)
            if subs is not None:
                subs.discard(conn)
                if not subs:
                    del self._by_topic[topic]
        conn.topics.clear()

    def _handle(self, conn: FeedConn, raw: str) -> bool:
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
        ts = now_s()
        if command == "subscribe":
            self._subscribe(conn, [str(a) for a in args], ts)
        elif command == "unsubscribe":
            topics = [str(a) for a in args]
            for topic in topics:
                conn.topics.discard(topic)
                subs = self._by_topic.get(topic)
                if subs is not None:
                    subs.discard(conn)
            conn.send(dumps(["unsubscribe", ts, *topics]))
        elif command == "auth":
            account = None
            if args and isinstance(args[0], str) and self.authenticate is not None:
                try:
                    account = self.authenticate(args[0])
                except Exception:  # any failure is "unauthorized"
                    account = None
            if account is None:
                conn.send(dumps(["error", ts, "Unauthorized", "auth"]))
            else:
                conn.account_id = account
                conn.send(dumps(["auth", ts]))
        else:
            conn.send(dumps(["error", ts, f"Unknown command: {command[:40]}", command[:40]]))
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

    def _subscribe(self, conn: FeedConn, topics: list[str], ts: int) -> None:
        for topic in topics:
            if not self._valid_topic(topic):
                conn.send(dumps(["error", ts, f"Invalid topic: {topic[:60]}", "subscribe"]))
                return
        if len(conn.topics | set(topics)) > self.options.max_topics:
            conn.send(dumps(["error", ts, "Too many topics", "subscribe"]))
            return
        for topic in topics:
            conn.topics.add(topic)
            self._by_topic.setdefault(topic, set()).add(conn)
            kind, _, pair = topic.partition(".")
            if kind in ("diff", "market_depth") and pair not in self._books:
                # The baseline diffs are computed against; later changes diff from it.
                self._books[pair] = self.read_book(pair)
        conn.send(dumps(["subscribe", ts, *topics]))
