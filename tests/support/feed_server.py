"""The simulator's WebSocket feed hub (plus a minimal order-book REST route) served over
real loopback HTTP, on a fake exchange, and the fixtures ``feed_server`` (in both the
simulator's and the live exchange's behaviour) and ``sim_feed`` (the simulator's only);
``live_feed`` (the live exchange's only); ``tests/conftest.py`` makes the fixtures
available to every test."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from alp_tui.api.models import OrderBook
from alp_tui.sim.ws import FeedHub, FeedOptions, feed_routes
from tests.support.feed_exchange import FakeExchange


class FeedServer:
    """uvicorn on a free loopback port in a thread, serving ``hub`` at /ws and /alp-ws."""

    def __init__(self, exchange: Any, options: FeedOptions | None = None,
                 authenticate: Any = None, ping_interval: float | None = 20.0) -> None:
        self.exchange = exchange
        self.hub = FeedHub(exchange, options=options, authenticate=authenticate)
        routes = [*feed_routes(self.hub), Route("/api/v3/orderbook", self._orderbook)]
        self.app = Starlette(routes=routes)
        self.ping_interval = ping_interval
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    async def _orderbook(self, request: Request) -> JSONResponse:
        book = self.exchange.orderbook(request.query_params["pair"], limit_buy=20, limit_sell=20)
        return JSONResponse({side: [{"price": str(lv["price"]), "amount": str(lv["amount"])}
                                    for lv in book[side]] for side in ("buy", "sell")})

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> FeedServer:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                ws="websockets-sansio", ws_ping_interval=self.ping_interval,
                                ws_ping_timeout=self.ping_interval)
        server = uvicorn.Server(config)
        self._server = server
        ready = threading.Event()

        async def serve() -> None:
            self.loop = asyncio.get_running_loop()
            task = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                await asyncio.sleep(0.01)
            ready.set()
            await task

        self._thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
        self._thread.start()
        assert ready.wait(10)
        return self

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the server loop and wait for its result."""
        assert self.loop is not None

        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(5)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        with contextlib.suppress(Exception):
            pass


async def rest_book(server: FeedServer, pair: str) -> OrderBook:
    """The fake exchange's book as the REST client would see it (direct read)."""
    raw = server.exchange.orderbook(pair, limit_buy=20, limit_sell=20)
    return OrderBook.model_validate(raw)


def _auth(token: str) -> int | None:
    return 7 if token == "good-token" else None


@pytest.fixture(params=[False, True], ids=["sim", "live-quirks"])
def feed_server(request: pytest.FixtureRequest) -> Iterator[FeedServer]:
    """A feed over a fake exchange, in the simulator's and the live exchange's behaviour."""
    options = FeedOptions(live_quirks=request.param, depth_grid_s=0.2, depth_offset_s=0.05,
                          rates_interval_s=0.05)
    server = FeedServer(FakeExchange(), options=options, authenticate=_auth).start()
    yield server
    server.stop()


@pytest.fixture
def live_feed() -> Iterator[FeedServer]:
    """The live exchange's behaviour only (its quirks)."""
    options = FeedOptions(live_quirks=True, depth_grid_s=0.2, depth_offset_s=0.05,
                          rates_interval_s=0.05)
    server = FeedServer(FakeExchange(), options=options, authenticate=_auth).start()
    yield server
    server.stop()


@pytest.fixture
def sim_feed() -> Iterator[FeedServer]:
    """The simulator behaviour only."""
    server = FeedServer(FakeExchange(), options=FeedOptions(rates_interval_s=0.05),
                        authenticate=_auth).start()
    yield server
    server.stop()
