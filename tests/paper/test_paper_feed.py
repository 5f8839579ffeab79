"""The paper server's WebSocket feed: market frames relayed from the upstream's feed,
paper account events from the paper account, and never an ``auth`` sent upstream."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D
from typing import Any

from websockets.asyncio.client import connect

from alp_tui.api.enums import OrderType
from alp_tui.sim.server import SimServer
from tests.support.wait import wait_until_sync

from .conftest import Recorder
from .test_paper_trading import PAIR, client_for, seed_book


async def _frame(ws: Any, wanted: Any, timeout: float = 10.0) -> list[Any]:
    async def scan() -> list[Any]:
        async for raw in ws:
            frame = json.loads(raw)
            if wanted(frame):
                return frame  # type: ignore[no-any-return]
        raise AssertionError("the feed closed")
    return await asyncio.wait_for(scan(), timeout)


async def test_market_frames_come_from_upstream_and_orders_from_the_paper_account(
        upstream: tuple[SimServer, Recorder], make_paper: Any) -> None:
    up, recorder = upstream
    lp = seed_book(up)
    paper = make_paper(up.base_url)
    ws_url = paper.base_url.replace("http://", "ws://").replace("/api/v3", "/ws")
    async with client_for(paper) as client, connect(ws_url) as ws:
        await ws.send(json.dumps(["auth", await client.bearer_token()]))
        await ws.send(json.dumps(["subscribe", f"market_depth.{PAIR}", f"trade.{PAIR}"]))
        await _frame(ws, lambda f: f[0] == "subscribe")
        # The upstream's book changes: its depth frame reaches the paper feed. (The relay
        # subscribes upstream on the first local subscriber: a change in between is only
        # in the next frame, so the book changes until one arrives.)
        wait_until_sync(lambda: any("market_depth" in f for f in recorder.ws_frames))
        depth: list[Any] = []
        for step in range(1, 20):
            price = D(90000) + step
            up.exchange.place_order(lp, {"pair": PAIR, "order_type": OrderType.LIMIT,
                                         "order_side": "ASK", "base_amount": D("0.03"),
                                         "limit_price": price})
            try:
                depth = await _frame(ws, lambda f: f[0] == "p", timeout=0.5)
                break
            except TimeoutError:
                continue
        assert depth and ["90001", "0.03"] in depth[2]["Asks"]
        # A paper fill is an order event on the feed, never a public trade frame.
        await client.place_order(PAIR, "BID", "MARKET", base_amount=D("0.01"))
        order = await _frame(ws, lambda f: f[0] in ("o", "t"))
        assert order[0] == "o"
    assert not [f for f in recorder.ws_frames if "auth" in f]
    assert all(not r[3] for r in recorder.requests)
