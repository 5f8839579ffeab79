"""The paper server's front door: public GETs go upstream, everything else stays local.

:class:`PaperGateway` wraps the simulator's ASGI app (auth, accounts, trading, margin,
funding, the WebSocket feed) and answers the public market-data paths itself by forwarding
them to the configured exchange with :class:`UpstreamForwarder` — the path and query only,
never a header or a body, from a client that holds no credentials. Answers are cached for
about a second (the live book changes at most once a second), concurrent identical
requests share one upstream call, and upstream bodies pass through byte for byte.

Before ``POST /trading/order`` it lets the driver refresh that pair's mirrored book, so
the order meets the market as it is now.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from alp_tui.api.enums import normalize_pair
from alp_tui.paper.driver import MarketDriver
from alp_tui.paper.relay import UpstreamFeed

log = logging.getLogger(__name__)

PREFIX = "/api/v3"
# Public paths and how long (s) an answer stays fresh.
PUBLIC_TTL: dict[str, float] = {
    "/time": 1.0, "/ticker": 1.0, "/orderbook": 1.0, "/order_book": 1.0, "/trades": 1.0,
    "/charts": 5.0, "/currency-rates": 5.0, "/pairs": 60.0, "/currencies": 60.0,
}
ORDER_PATH = PREFIX + "/trading/order"
# How long an order waits for a fresh upstream book before the last one seen is used.
ENSURE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Answer:
    """An upstream answer as forwarded."""

    status: int
    body: bytes
    content_type: str
    at: float


class UpstreamForwarder:
    """GETs public paths from the upstream base URL, with a short cache."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._transport = transport
        self._clock = clock
        self._http: httpx.AsyncClient | None = None
        self._cache: dict[tuple[str, str], Answer] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[Answer]] = {}

    def _client(self) -> httpx.AsyncClient:
        # Created in the serving loop on first use (an AsyncClient belongs to one loop).
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 5.0)),
                follow_redirects=False, verify=True, transport=self._transport,
                headers={"Accept": "application/json", "User-Agent": "alp-tui-paper"})
        return self._http

    async def get(self, path: str, query: str) -> Answer:
        """The upstream's answer to ``GET {base}{path}?{query}`` (cached per ``PUBLIC_TTL``)."""
        key = (path, query)
        hit = self._cache.get(key)
        if hit is not None and self._clock() - hit.at < PUBLIC_TTL.get(path, 1.0):
            return hit
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            answer = await self._fetch(path, query)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(answer)
        if answer.status == 200:
            self._cache[key] = answer
        return answer

    async def _fetch(self, path: str, query: str) -> Answer:
        url = self.base_url + path + (f"?{query}" if query else "")
        try:
            response = await self._client().get(url)
        except httpx.HTTPError as exc:
            host = httpx.URL(self.base_url).host
            body = json.dumps({"code": "SERVICE_UNAVAILABLE",
                               "message": f"paper mode: the exchange at {host} cannot be "
                                          f"reached for market data ({type(exc).__name__})"})
            return Answer(503, body.encode(), "application/json", self._clock())
        return Answer(response.status_code, response.content,
                      response.headers.get("content-type", "application/json"), self._clock())

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None


class PaperGateway:
    """ASGI app: public GETs forwarded upstream, the rest to the local paper exchange."""

    def __init__(self, inner: Any, forwarder: UpstreamForwarder, driver: MarketDriver,
                 *, feed: UpstreamFeed | None = None, run_driver: bool = True) -> None:
        self.inner = inner
        self.forwarder = forwarder
        self.driver = driver
        self.feed = feed
        self.run_driver = run_driver
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def _ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        self._loop = loop
        self._task = loop.create_task(self._lifetime(), name="alp-paper:driver")

    async def _lifetime(self) -> None:
        """The driver's run, then (when the serving loop ends and cancels it) the upstream
        clients closed in the loop they belong to."""
        try:
            if self.run_driver:
                await self.driver.run()
            else:
                await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await self.forwarder.aclose()
            if self.feed is not None:
                with contextlib.suppress(Exception):
                    await self.feed.aclose()
            with contextlib.suppress(Exception):
                await self.driver.client.aclose()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.inner(scope, receive, send)
            return
        self._ensure_started()
        if scope["type"] == "websocket" and self.feed is not None:
            await self._websocket(scope, receive, send)
            return
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        if scope["type"] == "http" and path.startswith(PREFIX):
            sub = path[len(PREFIX):]
            if method == "GET" and sub in PUBLIC_TTL:
                await self._forward(sub, scope, send)
                return
            if method == "POST" and path == ORDER_PATH:
                receive = await self._before_order(receive, send)
                if receive is None:
                    return
        await self.inner(scope, receive, send)

    async def _forward(self, sub: str, scope: dict[str, Any], send: Any) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        answer = await self.forwarder.get(sub, query)
        await _respond(send, answer.status, answer.body, answer.content_type)

    async def _before_order(self, receive: Any, send: Any) -> Any:
        """Read the body, bring the pair's mirrored book up to date, then hand the same body
        on. Returns the replaying ``receive``, or None when the order was refused here."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        pair = _pair_of(body)
        if pair is not None and pair in self.driver.ex.books:
            try:
                # Bounded well inside the client's own timeout: a slow upstream must not
                # leave the order's fate unknown to the dashboard.
                await asyncio.wait_for(self.driver.ensure(pair), ENSURE_TIMEOUT_S)
            except Exception as exc:
                log.warning("paper: no fresh book for %s before an order: %s", pair, exc)
                if not self.driver.mirror.has_book(pair):
                    text = json.dumps({"code": "SERVICE_UNAVAILABLE",
                                       "message": f"paper mode: no live order book for {pair} "
                                                  "yet (the exchange cannot be reached); "
                                                  "nothing was placed"})
                    await _respond(send, 503, text.encode(), "application/json")
                    return None
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # type: ignore[no-any-return]

        return replay


    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The local feed (paper account events) with the upstream's market frames merged
        into the same connection for the market topics it subscribes to."""
        assert self.feed is not None
        feed = self.feed
        lock = asyncio.Lock()  # one frame at a time on the socket, whoever sends it
        state = {"open": False}
        pending: set[asyncio.Task[None]] = set()

        async def push(text: str) -> None:
            async with lock:
                if state["open"]:
                    with contextlib.suppress(Exception):
                        await send({"type": "websocket.send", "text": text})

        def deliver(text: str) -> None:
            task = asyncio.get_running_loop().create_task(push(text))
            pending.add(task)
            task.add_done_callback(pending.discard)

        async def relay_receive() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "websocket.receive":
                command, topics = _command_of(message.get("text"))
                if command == "subscribe":
                    feed.subscribe(deliver, topics)
                elif command == "unsubscribe":
                    feed.unsubscribe(deliver, topics)
            return message

        async def relay_send(message: dict[str, Any]) -> None:
            async with lock:
                if message["type"] == "websocket.accept":
                    state["open"] = True
                elif message["type"] == "websocket.close":
                    state["open"] = False
                await send(message)

        try:
            await self.inner(scope, relay_receive, relay_send)
        finally:
            state["open"] = False
            feed.unsubscribe(deliver)
            for task in list(pending):
                task.cancel()


def _command_of(text: Any) -> tuple[str | None, list[str]]:
    """``("subscribe", [topics])`` from a client frame; (None, []) for anything else."""
    if not isinstance(text, str) or len(text) > 4096:
        return None, []
    try:
        frame = json.loads(text)
    except ValueError:
        return None, []
    if not isinstance(frame, list) or not frame or not isinstance(frame[0], str):
        return None, []
    return frame[0], [t for t in frame[1:] if isinstance(t, str)]


def _pair_of(body: bytes) -> str | None:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None
    raw = data.get("pair") if isinstance(data, dict) else None
    return normalize_pair(raw) if isinstance(raw, str) and raw else None


async def _respond(send: Any, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode("latin-1")),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
