"""Streaming client for the ALP.COM WebSocket feed (the ``websockets`` library).

:class:`StreamClient` keeps a set of topics subscribed across as many connections
("shards") as the per-connection limit requires (20 topics each), and

* reconnects after any failure with exponential backoff and full jitter, then
  resubscribes every topic of that shard and re-authenticates (a fresh JWT from
  ``token_provider`` on each connect) — private updates ride on shard 0;
* declares a connection dead after ``dead_timeout_s`` (45 s by default) without any frame
  or protocol ping from the server, and reconnects;
* answers a text ``1`` with ``2`` and never sends ``2`` otherwise (the live server
  disconnects clients that ping on their own);
* hands every parsed :mod:`~alp_tui.api.stream_events` event to the listeners, in order,
  on the event loop; a listener's exception is logged, never fatal.

The JWT is sent in the ``auth`` frame only; it never appears in logs, reprs or errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.frames import Frame, Opcode

from alp_tui.api.errors import AlpError
from alp_tui.api.stream_events import (
    AccountTradeEvent,
    AnyEvent,
    AuthAck,
    DepthEvent,
    DiffEvent,
    ErrorEvent,
    OrderEvent,
    RatesEvent,
    SubscribeAck,
    TickerEvent,
    TradeEvent,
    WalletEvent,
    Welcome,
    parse_frame,
)

log = logging.getLogger(__name__)

MAX_TOPICS_PER_CONNECTION = 20
MAX_COMMAND_BYTES = 700  # the live server closes on inbound frames over ~800 bytes
PRIVATE_TOPIC = "private"  # pseudo-topic under which o/w/ta events are reported

TokenProvider = Callable[[], Awaitable[str]]
Listener = Callable[[AnyEvent], None]


class StreamState(StrEnum):
    """Where one connection (or the whole client) stands."""

    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKOFF = "backoff"
    CLOSED = "closed"


class StreamError(AlpError):
    """A feed-level failure (refused subscription, dead connection...)."""


class _TrackingConnection(ClientConnection):
    """A client connection that remembers when the server last pinged."""

    last_ping_at: float = 0.0

    def process_event(self, event: Any) -> None:
        if isinstance(event, Frame) and event.opcode is Opcode.PING:
            self.last_ping_at = time.monotonic()
        super().process_event(event)


def _is_loopback(url: str) -> bool:
    """True for ws://127.x / [::1] / localhost URLs (never routed through a proxy)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def topics_of(event: AnyEvent) -> list[str]:
    """The subscription topics an event answers (``private`` for o/w/ta)."""
    if isinstance(event, TradeEvent):
        return ["trade.*", f"trade.{event.pair}"]
    if isinstance(event, TickerEvent):
        return ["ticker.*", *(f"ticker.{item.pair}" for item in event.items)]
    if isinstance(event, DiffEvent):
        return [f"diff.{event.pair}"]
    if isinstance(event, DepthEvent):
        return [f"market_depth.{event.pair}"]
    if isinstance(event, RatesEvent):
        return ["rates.*", *(f"rates.{r.base}_{r.quote}" for r in event.rates)]
    if isinstance(event, OrderEvent | WalletEvent | AccountTradeEvent):
        return [PRIVATE_TOPIC]
    return []


def _chunks(command: str, topics: list[str], limit: int) -> list[str]:
    """``[command, topic, ...]`` frames, each at most ``limit`` bytes."""
    frames: list[str] = []
    batch: list[str] = []
    for topic in topics:
        candidate = json.dumps([command, *batch, topic])
        if batch and len(candidate.encode()) > limit:
            frames.append(json.dumps([command, *batch]))
            batch = []
        batch.append(topic)
    if batch:
        frames.append(json.dumps([command, *batch]))
    return frames


class _Shard:
    """One connection and the topics it carries."""

    def __init__(self, client: StreamClient, index: int) -> None:
        self.client = client
        self.index = index
        self.topics: list[str] = []
        self.acked: set[str] = set()
        self.refused: dict[str, str] = {}
        self.state = StreamState.IDLE
        self.ws: _TrackingConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.last_frame_at = 0.0
        self.connects = 0
        self.authed = False
        self.auth_sent_at: float | None = None
        self.auth_refused = False
        self._pending: list[list[str]] = []  # subscribe batches awaiting their ack
        self.wake = asyncio.Event()

    @property
    def wants_auth(self) -> bool:
        return self.index == 0 and self.client.token_provider is not None

    def __repr__(self) -> str:
        return f"_Shard({self.index}, {self.state.value}, topics={len(self.topics)})"

    def _set_state(self, state: StreamState) -> None:
        if state is not self.state:
            self.state = state
            self.client._state_changed()

    async def run(self) -> None:
        attempt = 0
        client = self.client
        while not client.closed:
            self._set_state(StreamState.CONNECTING)
            welcomed = False
            try:
                async with connect(
                    client.url,
                    create_connection=_TrackingConnection,
                    open_timeout=client.open_timeout_s,
                    ping_interval=None,
                    close_timeout=1,
                    max_size=2**22,
                    max_queue=None,
                    proxy=None if _is_loopback(client.url) else True,
                ) as ws:
                    self.ws = ws  # type: ignore[assignment]
                    self.last_frame_at = time.monotonic()
                    watchdog = asyncio.get_running_loop().create_task(self._watchdog(ws))
                    try:
                        self.connects += 1
                        await self._on_open(ws)
                        self._set_state(StreamState.CONNECTED)
                        async for raw in ws:
                            self.last_frame_at = time.monotonic()
                            if isinstance(raw, bytes):
                                raw = raw.decode("utf-8", "replace")
                            if raw == "1":
                                await ws.send("2")
                                continue
                            try:
                                event = parse_frame(raw)
                            except AlpError as exc:
                                log.info("feed frame dropped: %s", exc)
                                continue
                            if isinstance(event, Welcome):
                                welcomed = True
                                attempt = 0
                            self._track(event)
                            client._dispatch(event)
                    finally:
                        watchdog.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await watchdog
            except asyncio.CancelledError:
                raise
            except (OSError, WebSocketException, TimeoutError, AlpError) as exc:
                log.info("feed connection %d lost: %s", self.index, type(exc).__name__)
            except Exception:
                log.exception("feed connection %d failed", self.index)
            finally:
                self.ws = None
                self.acked.clear()
                self.authed = False
                self.auth_sent_at = None
                self.auth_refused = False
                self._pending.clear()
            if client.closed:
                break
            if welcomed:
                attempt = 0
            delay = client.backoff_delay(attempt)
            attempt += 1
            self._set_state(StreamState.BACKOFF)
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=delay)
        self._set_state(StreamState.CLOSED)

    async def _watchdog(self, ws: _TrackingConnection) -> None:
        timeout = self.client.dead_timeout_s
        while True:
            seen = max(self.last_frame_at, ws.last_ping_at)
            remaining = seen + timeout - time.monotonic()
            if remaining <= 0:
                log.info("feed connection %d silent for %.0fs, reconnecting", self.index, timeout)
                self.client.dead_detections += 1
                ws.transport.abort()
                return
            await asyncio.sleep(remaining)

    async def _on_open(self, ws: _TrackingConnection) -> None:
        if self.wants_auth:
            await self.send_auth()
        # Topics added while this ran are picked up too: the state turns CONNECTED right
        # after the last check, with no await in between, so none can slip through.
        sent: set[str] = set()
        while missing := [t for t in self.topics if t not in sent]:
            sent.update(missing)
            await self.send_subscribe(missing)

    async def send_subscribe(self, topics: list[str]) -> None:
        ws = self.ws
        if ws is None:
            return
        for frame in _chunks("subscribe", topics, MAX_COMMAND_BYTES):
            self._pending.append(json.loads(frame)[1:])
            await ws.send(frame)

    async def send_unsubscribe(self, topics: list[str]) -> None:
        ws = self.ws
        if ws is None:
            return
        for frame in _chunks("unsubscribe", topics, MAX_COMMAND_BYTES):
            await ws.send(frame)

    async def send_auth(self) -> None:
        ws = self.ws
        provider = self.client.token_provider
        if ws is None or provider is None:
            return
        try:
            token = await provider()
        except Exception as exc:
            log.info("feed: no token for auth (%s)", type(exc).__name__)
            return
        await ws.send(json.dumps(["auth", token]))
        self.auth_sent_at = time.monotonic()

    def _track(self, event: AnyEvent) -> None:
        if isinstance(event, SubscribeAck):
            self.acked.update(event.topics)
            for topic in event.topics:
                self.refused.pop(topic, None)
            if self._pending:
                self._pending.pop(0)
        elif isinstance(event, AuthAck):
            self.authed = True
        elif isinstance(event, ErrorEvent):
            if event.command in ("subscribe", None) and self._pending:
                batch = self._pending.pop(0)
                log.info("feed refused a subscription: %s", event.message)
                prefix = "Invalid topic: "
                bad = event.message[len(prefix):] if event.message.startswith(prefix) else None
                if bad is not None and bad in batch:
                    # The command is refused whole: keep the bad topic out, retry the rest.
                    self.refused[bad] = event.message
                    rest = [t for t in batch if t != bad and t in self.topics]
                    if rest:
                        task = asyncio.get_running_loop().create_task(self.send_subscribe(rest))
                        _background.add(task)
                        task.add_done_callback(_background.discard)
                else:
                    for topic in batch:
                        self.refused[topic] = event.message
            elif event.command == "auth":
                self.auth_refused = True
                log.info("feed refused authentication")


_background: set[asyncio.Task[None]] = set()


class StreamClient:
    """Subscribes topics over sharded WebSocket connections and dispatches typed events.

    Use as ``async with StreamClient(url, token_provider=...) as stream:`` or call
    :meth:`start` / :meth:`aclose`. All waits are injectable for tests.
    """

    def __init__(
        self,
        url: str,
        *,
        token_provider: TokenProvider | None = None,
        max_topics: int = MAX_TOPICS_PER_CONNECTION,
        dead_timeout_s: float = 45.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        open_timeout_s: float = 10.0,
        auth_grace_s: float = 3.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.token_provider = token_provider
        self.max_topics = max_topics
        self.dead_timeout_s = dead_timeout_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.open_timeout_s = open_timeout_s
        self.auth_grace_s = auth_grace_s
        self._rng = rng or random.Random()
        self._shards: list[_Shard] = []
        self._listeners: list[Listener] = []
        self._state_listeners: list[Callable[[StreamState], None]] = []
        self.closed = False
        self.started = False
        self.dead_detections = 0
        self.last_event_at: dict[str, float] = {}
        self._state = StreamState.IDLE

    def __repr__(self) -> str:
        return f"StreamClient({self.url!r}, state={self.state.value}, shards={len(self._shards)})"

    # --- lifecycle ----------------------------------------------------------------------
    async def __aenter__(self) -> StreamClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Open the connections needed for the topics so far (at least one)."""
        if self.started:
            return
        self.started = True
        self.closed = False
        if not self._shards:
            self._shards.append(_Shard(self, 0))
        for shard in self._shards:
            self._launch(shard)

    def _launch(self, shard: _Shard) -> None:
        if shard.task is None or shard.task.done():
            shard.task = asyncio.get_running_loop().create_task(shard.run())

    async def aclose(self) -> None:
        """Close every connection and stop reconnecting."""
        self.closed = True
        for shard in self._shards:
            shard.wake.set()
            if shard.ws is not None:
                with contextlib.suppress(Exception):
                    await shard.ws.close()
        for shard in self._shards:
            if shard.task is not None:
                shard.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await shard.task
            shard.state = StreamState.CLOSED
        self.started = False
        self._state_changed()

    # --- listeners ----------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every event, in arrival order."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def add_state_listener(self, listener: Callable[[StreamState], None]) -> None:
        """Call ``listener(state)`` when the overall state changes."""
        self._state_listeners.append(listener)

    def _dispatch(self, event: AnyEvent) -> None:
        now = time.monotonic()
        for topic in topics_of(event):
            self.last_event_at[topic] = now
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("feed listener failed on %s", type(event).__name__)

    def _state_changed(self) -> None:
        state = self.state
        if state is self._state:
            return
        self._state = state
        for listener in list(self._state_listeners):
            try:
                listener(state)
            except Exception:
                log.exception("feed state listener failed")

    # --- state --------------------------------------------------------------------------
    @property
    def state(self) -> StreamState:
        """CONNECTED only when every connection is; CLOSED/IDLE when not running."""
        if self.closed:
            return StreamState.CLOSED
        if not self.started or not self._shards:
            return StreamState.IDLE
        states = {s.state for s in self._shards}
        if states == {StreamState.CONNECTED}:
            return StreamState.CONNECTED
        if StreamState.BACKOFF in states:
            return StreamState.BACKOFF
        return StreamState.CONNECTING

    @property
    def topics(self) -> list[str]:
        """Every topic wanted, over all connections."""
        return [t for s in self._shards for t in s.topics]

    @property
    def shard_count(self) -> int:
        """Connections in use."""
        return len(self._shards)

    @property
    def connects(self) -> int:
        """Successful connections opened so far, over all shards."""
        return sum(s.connects for s in self._shards)

    @property
    def authenticated(self) -> bool:
        """True when the private connection's auth was acknowledged — or, for a server
        that acknowledges nothing (the live exchange's answer is undocumented), when it was
        sent ``auth_grace_s`` ago and not refused."""
        if not self._shards:
            return False
        shard = self._shards[0]
        if shard.authed:
            return True
        if shard.auth_refused or shard.auth_sent_at is None or shard.state is not \
                StreamState.CONNECTED:
            return False
        return time.monotonic() - shard.auth_sent_at >= self.auth_grace_s

    def topic_live(self, topic: str) -> bool:
        """True when ``topic``'s connection is up and the server acknowledged it."""
        for shard in self._shards:
            if topic in shard.topics:
                return shard.state is StreamState.CONNECTED and topic in shard.acked
        return False

    def refused(self) -> dict[str, str]:
        """Topics the server refused, with its message."""
        return {t: m for s in self._shards for t, m in s.refused.items()}

    def backoff_delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff: uniform in [base/2, base]."""
        base = min(self.backoff_max_s, self.backoff_initial_s * (2 ** min(attempt, 30)))
        return base * (0.5 + 0.5 * self._rng.random())

    # --- topics -------------------------------------------------------------------------
    async def subscribe(self, *topics: str) -> None:
        """Add topics; each goes to the first connection with room, or a new one."""
        new = [t for t in dict.fromkeys(topics) if t not in self.topics]
        if not self._shards:
            self._shards.append(_Shard(self, 0))
        per_shard: dict[int, list[str]] = {}
        for topic in new:
            shard = next((s for s in self._shards if len(s.topics) < self.max_topics), None)
            if shard is None:
                shard = _Shard(self, len(self._shards))
                self._shards.append(shard)
            shard.topics.append(topic)
            per_shard.setdefault(shard.index, []).append(topic)
        for index, batch in per_shard.items():
            shard = self._shards[index]
            if self.started:
                if shard.task is None:
                    self._launch(shard)
                elif shard.state is StreamState.CONNECTED:
                    await shard.send_subscribe(batch)

    async def unsubscribe(self, *topics: str) -> None:
        """Drop topics (their connections stay open)."""
        for shard in self._shards:
            gone = [t for t in topics if t in shard.topics]
            if not gone:
                continue
            shard.topics = [t for t in shard.topics if t not in gone]
            shard.acked.difference_update(gone)
            if shard.state is StreamState.CONNECTED:
                await shard.send_unsubscribe(gone)

    async def set_topics(self, topics: Iterable[str]) -> None:
        """Make the subscribed set exactly ``topics``."""
        wanted = list(dict.fromkeys(topics))
        current = self.topics
        await self.unsubscribe(*[t for t in current if t not in wanted])
        await self.subscribe(*[t for t in wanted if t not in current])

    async def reconnect_now(self) -> None:
        """Skip any backoff wait (e.g. the user asked to retry)."""
        for shard in self._shards:
            shard.wake.set()
