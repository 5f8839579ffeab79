"""One WebSocket connection of :class:`~alp_tui.api.stream.StreamClient` (a "shard") and
the frame helpers it needs: connect, authenticate (again after a refusal), subscribe in
frames under the server's size limit, watch for silence, reconnect with backoff.

Split out of :mod:`alp_tui.api.stream`, which re-exports ``StreamState``, ``StreamError``,
``topics_of`` and the limits. The JWT is never logged or shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import time
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException
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

log = logging.getLogger("alp_tui.api.stream")

MAX_TOPICS_PER_CONNECTION = 20
MAX_COMMAND_BYTES = 700  # the live server closes on inbound frames over ~800 bytes
PRIVATE_TOPIC = "private"  # pseudo-topic under which o/w/ta events are reported



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


def other_feed_path(url: str) -> str:
    """``…/ws`` ↔ ``…/alp-ws``; any other URL is kept."""
    if url.endswith("/alp-ws"):
        return url[: -len("/alp-ws")] + "/ws"
    if url.endswith("/ws"):
        return url[: -len("/ws")] + "/alp-ws"
    return url


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

    def __init__(self, client: Any, index: int) -> None:
        # ``client`` is the owning StreamClient (typed loosely: the two modules must not
        # import each other).
        self.client = client
        self.index = index
        self.topics: list[str] = []
        self.acked: set[str] = set()
        self.refused: dict[str, str] = {}
        self.state = StreamState.IDLE
        self.ws: _TrackingConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.last_frame_at = 0.0
        self.last_data_at = 0.0  # last frame that carried data (not an ack, not a ping)
        self.connects = 0
        self.authed = False
        self.auth_sent_at: float | None = None
        self.auth_refused = False
        self.auth_attempts = 0  # refused or failed auths in a row, for the backoff
        self._auth_token: str | None = None  # the JWT last sent; never logged or shown
        self._reauth_task: asyncio.Task[None] | None = None
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
            tried = client.url
            try:
                async with connect(
                    tried,
                    create_connection=_TrackingConnection,
                    open_timeout=client.open_timeout_s,
                    ping_interval=None,
                    close_timeout=1,
                    max_size=2**22,
                    max_queue=None,
                    proxy=None if _is_loopback(tried) else True,
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
                            if topics_of(event):
                                self.last_data_at = self.last_frame_at
                            client._dispatch(event)
                    finally:
                        watchdog.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await watchdog
            except asyncio.CancelledError:
                raise
            except InvalidStatus as exc:
                status = exc.response.status_code
                log.info("feed connection %d refused: HTTP %d", self.index, status)
                if status in (401, 403, 404, 405) and client.url == tried:
                    # The feed lives at /ws (live) or /alp-ws (the official client's
                    # path); a server without this one may have the other. Another
                    # connection may have switched already.
                    client.url = other_feed_path(tried)
            except (OSError, WebSocketException, TimeoutError, AlpError) as exc:
                log.info("feed connection %d lost: %s", self.index, type(exc).__name__)
            except Exception:
                log.exception("feed connection %d failed", self.index)
            finally:
                self.ws = None
                if self._reauth_task is not None:
                    self._reauth_task.cancel()
                    self._reauth_task = None
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
                async with asyncio.timeout(delay):  # not wait_for: it can swallow a cancel
                    await self.wake.wait()
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
        if self.wants_auth and not await self.send_auth():
            self._schedule_reauth()
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

    async def send_auth(self) -> bool:
        """Send ``["auth", jwt]``; False when no token could be had (or no connection)."""
        ws = self.ws
        provider = self.client.token_provider
        if ws is None or provider is None:
            return False
        try:
            token = await provider()
        except Exception as exc:
            log.info("feed: no token for auth (%s)", type(exc).__name__)
            return False
        self._auth_token = token
        self.auth_refused = False
        await ws.send(json.dumps(["auth", token]))
        self.auth_sent_at = time.monotonic()
        return True

    def _schedule_reauth(self) -> None:
        """Try ``auth`` again on this connection after a backoff (one try pending at most)."""
        if self._reauth_task is not None and not self._reauth_task.done():
            return
        delay = self.client.auth_backoff_delay(self.auth_attempts)
        self.auth_attempts += 1
        self._reauth_task = asyncio.get_running_loop().create_task(
            self._reauth(delay, self.ws))

    async def _reauth(self, delay: float, ws: _TrackingConnection | None) -> None:
        await asyncio.sleep(delay)
        if ws is None or self.ws is not ws or self.client.closed or self.authed:
            return
        self._reauth_task = None
        if not await self.send_auth():
            self._schedule_reauth()

    def _auth_refused(self) -> None:
        self.auth_refused = True
        self.client.auth_refusals += 1
        log.info("feed refused authentication; re-authenticating with a new token")
        token, self._auth_token = self._auth_token, None
        refused = self.client.token_refused
        if token is not None and refused is not None:
            try:
                refused(token)
            except Exception:
                log.exception("feed: forgetting the refused token failed")
        self._schedule_reauth()

    def _track(self, event: AnyEvent) -> None:
        if isinstance(event, SubscribeAck):
            self.acked.update(event.topics)
            for topic in event.topics:
                self.refused.pop(topic, None)
            if self._pending:
                self._pending.pop(0)
        elif isinstance(event, AuthAck):
            self.authed = True
            self.auth_refused = False
            self.auth_attempts = 0
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
                self._auth_refused()


_background: set[asyncio.Task[None]] = set()


