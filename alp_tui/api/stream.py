"""Streaming client for the ALP.COM WebSocket feed (the ``websockets`` library; one
connection's work is in :mod:`alp_tui.api.stream_shard`).

:class:`StreamClient` keeps a set of topics subscribed across as many connections
("shards") as the per-connection limit requires (20 topics each), and

* reconnects after any failure with exponential backoff and full jitter, then
  resubscribes every topic of that shard and re-authenticates (a fresh JWT from
  ``token_provider`` on each connect) — private updates ride on shard 0;
* when the server refuses ``auth`` (e.g. it restarted with a new signing key), tells
  ``token_refused`` (the client forgets that token) and re-authenticates with a new token,
  with exponential backoff and jitter while refusals repeat;
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
import logging
import random
import time
from collections.abc import Awaitable, Callable

from alp_tui.api.stream_events import AnyEvent
from alp_tui.api.stream_shard import (
    MAX_COMMAND_BYTES,
    MAX_TOPICS_PER_CONNECTION,
    PRIVATE_TOPIC,
    StreamError,
    StreamState,
    _chunks,
    _Shard,
    topics_of,
)

__all__ = [
    "MAX_COMMAND_BYTES",
    "MAX_TOPICS_PER_CONNECTION",
    "PRIVATE_TOPIC",
    "Listener",
    "StreamClient",
    "StreamError",
    "StreamState",
    "TokenProvider",
    "_chunks",
    "topics_of",
]

log = logging.getLogger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
Listener = Callable[[AnyEvent], None]


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
        token_refused: Callable[[str], None] | None = None,
        max_topics: int = MAX_TOPICS_PER_CONNECTION,
        dead_timeout_s: float = 45.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        open_timeout_s: float = 10.0,
        auth_grace_s: float = 3.0,
        auth_backoff_max_s: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.token_provider = token_provider
        self.token_refused = token_refused
        self.auth_backoff_max_s = auth_backoff_max_s
        self.auth_refusals = 0
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

    def last_data_at(self, topic: str = PRIVATE_TOPIC) -> float:
        """``time.monotonic()`` of the last data frame (any topic) on the connection that
        carries ``topic`` (private updates ride on the first), 0 when it is not connected:
        while data flows on it, that topic's updates would have arrived too. Pings do not
        count: they prove the socket, not the server's publishing."""
        shard = self._shards[0] if topic == PRIVATE_TOPIC and self._shards else next(
            (s for s in self._shards if topic in s.topics), None)
        if shard is None or shard.state is not StreamState.CONNECTED:
            return 0.0
        return shard.last_data_at

    def auth_backoff_delay(self, attempt: int) -> float:
        """Wait before re-sending ``auth``: 0.5-1 s, then doubling (jittered) up to
        ``auth_backoff_max_s``."""
        base = min(self.auth_backoff_max_s, 1.0 * (2 ** min(attempt, 30)))
        return base * (0.5 + 0.5 * self._rng.random())

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
