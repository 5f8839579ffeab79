"""Market topics of the paper server's WebSocket feed, relayed from the upstream's feed.

The paper server's own feed (the simulator's) carries the paper account's ``o`` / ``w`` /
``ta`` events; its market topics would describe the mirrored book and paper fills, so
:class:`~alp_tui.paper.account.PaperExchange` keeps them silent. :class:`UpstreamFeed`
fills them from the exchange instead: one unauthenticated WebSocket connection to the
upstream (it never sends ``auth``), subscribed to the union of the market topics the
dashboard's connections asked for, whose ``p`` / ``d`` / ``t`` / ``tk`` frames are passed on
verbatim to the connections subscribed to them. Where the upstream delivers nothing (the
live exchange sends only ``market_depth``, ``trade`` and ``ticker.*``), the dashboard polls
as it does against the live exchange. The connection comes back with a growing pause after
a drop, and re-subscribes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from websockets.asyncio.client import connect

log = logging.getLogger(__name__)

MARKET_KINDS = frozenset({"ticker", "trade", "market_depth", "diff"})
MAX_TOPICS = 20  # the live exchange refuses a 21st topic on one connection
Deliver = Callable[[str], None]


def market_topics(topics: Iterable[Any]) -> list[str]:
    """The market-data topics among ``topics`` (``ticker.*``, ``market_depth.BTC_USDT``...)."""
    out = []
    for topic in topics:
        if isinstance(topic, str) and topic.partition(".")[0] in MARKET_KINDS:
            out.append(topic)
    return out


def topics_of(frame: list[Any]) -> list[str]:
    """The topics an upstream data frame belongs to (empty for anything else)."""
    kind = frame[0] if frame else None
    try:
        if kind == "p":
            pair = str(frame[2].get("Symbol", ""))
            return [f"market_depth.{pair}"]
        if kind == "d":
            return [f"diff.{frame[2]}"]
        if kind == "t":
            return ["trade.*", f"trade.{frame[3]}"]
        if kind == "tk":
            return ["ticker.*", *(f"ticker.{row[0]}" for row in frame[2:]
                                  if isinstance(row, list) and row)]
    except (IndexError, AttributeError, TypeError):
        return []
    return []


class UpstreamFeed:
    """One upstream feed connection shared by every local subscriber."""

    def __init__(self, ws_url: str, *, retry_s: float = 1.0, max_retry_s: float = 30.0) -> None:
        self.ws_url = ws_url
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self._subs: dict[str, set[Deliver]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ws: Any = None
        self._sent: set[str] = set()  # topics subscribed upstream on this connection

    # --- local subscribers -----------------------------------------------------------
    def subscribe(self, deliver: Deliver, topics: Iterable[str]) -> None:
        """``deliver(text)`` gets the upstream frames of ``topics`` from now on."""
        for topic in market_topics(topics):
            self._subs.setdefault(topic, set()).add(deliver)
        self._ensure_running()
        self._request_topics()

    def unsubscribe(self, deliver: Deliver, topics: Iterable[str] | None = None) -> None:
        """Stop delivering ``topics`` (all when None) to ``deliver``."""
        for topic in list(self._subs if topics is None else market_topics(topics)):
            subs = self._subs.get(topic)
            if subs is not None:
                subs.discard(deliver)
                if not subs:
                    del self._subs[topic]

    # --- the upstream connection --------------------------------------------------------
    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(),
                                                                name="alp-paper:feed")

    def _request_topics(self) -> None:
        ws = self._ws
        if ws is None:
            return
        room = MAX_TOPICS - len(self._sent)
        new = [t for t in self._subs if t not in self._sent][:max(room, 0)]
        if new:
            self._sent.update(new)
            asyncio.get_running_loop().create_task(self._send(ws, ["subscribe", *new]))

    @staticmethod
    async def _send(ws: Any, frame: list[Any]) -> None:
        with contextlib.suppress(Exception):  # a dead connection is noticed by _run
            await ws.send(json.dumps(frame))

    async def _run(self) -> None:
        pause = self.retry_s
        while self._subs:
            try:
                async with connect(self.ws_url, open_timeout=10, ping_interval=20,
                                   max_size=2**22) as ws:
                    self._ws, self._sent = ws, set()
                    pause = self.retry_s
                    self._request_topics()
                    async for raw in ws:
                        self._dispatch(ws, raw)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # refused, dropped, timed out: try again later
                log.info("paper: upstream feed %s: %s", self.ws_url, exc)
            finally:
                self._ws = None
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.max_retry_s)

    def _dispatch(self, ws: Any, raw: Any) -> None:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        if text.strip() == "1":  # a text ping: answer it, as the live server expects
            asyncio.get_running_loop().create_task(self._send_text(ws, "2"))
            return
        try:
            frame = json.loads(text)
        except ValueError:
            return
        if not isinstance(frame, list):
            return
        targets: set[Deliver] = set()
        for topic in topics_of(frame):
            targets |= self._subs.get(topic, set())
        for deliver in targets:
            deliver(text)

    @staticmethod
    async def _send_text(ws: Any, text: str) -> None:
        with contextlib.suppress(Exception):
            await ws.send(text)

    async def aclose(self) -> None:
        """Stop the connection."""
        self._subs.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
