"""The simulator's WebSocket feed: protocol, limits, topics, private updates, faults."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from alp_tui.api.stream_events import (
    AccountTradeEvent,
    DepthEvent,
    DiffEvent,
    OrderEvent,
    RatesEvent,
    TickerEvent,
    TradeEvent,
    WalletEvent,
    parse_frame,
)
from alp_tui.sim.ws import book_diff

D = Decimal
WAIT = 5.0


async def recv(ws: Any) -> list[Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def recv_type(ws: Any, kind: str) -> list[Any]:
    while True:
        frame = await recv(ws)
        if frame[0] == kind:
            return frame


async def open_ws(server: Any, path: str = "/ws") -> Any:
    ws = await connect(f"ws://127.0.0.1:{server.port}{path}", proxy=None)
    welcome = await recv(ws)
    assert welcome[0] == "welcome"
    assert isinstance(welcome[1], int) and isinstance(welcome[2], int)
    assert isinstance(welcome[4], str)
    return ws


async def test_welcome_on_both_paths(feed_server: Any) -> None:
    for path in ("/ws", "/alp-ws"):
        ws = await open_ws(feed_server, path)
        await ws.close()


async def test_subscribe_ack_unsubscribe_and_errors(feed_server: Any) -> None:
    ws = await open_ws(feed_server)
    await ws.send(json.dumps(["subscribe", "trade.*", "diff.BTC_USDT"]))
    ack = await recv(ws)
    assert ack[0] == "subscribe" and ack[2:] == ["trade.*", "diff.BTC_USDT"]
    await ws.send(json.dumps(["subscribe", "diff.NOPE_USDT"]))
    err = await recv(ws)
    assert err[0] == "error" and err[2] == "Invalid topic: diff.NOPE_USDT" and err[3] == "subscribe"
    await ws.send(json.dumps(["unsubscribe", "trade.*"]))
    assert (await recv(ws))[2:] == ["trade.*"]
    await ws.send(json.dumps(["frobnicate"]))
    assert (await recv(ws))[0] == "error"
    await ws.close()


async def test_twenty_topics_then_the_21st_refused_whole(feed_server: Any) -> None:
    ws = await open_ws(feed_server)
    topics = [f"rates.C{i}_USDT" for i in range(20)]
    await ws.send(json.dumps(["subscribe", *topics[:10]]))
    await recv_type(ws, "subscribe")
    await ws.send(json.dumps(["subscribe", *topics[10:]]))
    await recv_type(ws, "subscribe")
    await ws.send(json.dumps(["subscribe", "trade.*"]))
    err = await recv(ws)
    assert err[0] == "error" and err[2] == "Too many topics"
    # an already-held topic does not count twice
    await ws.send(json.dumps(["subscribe", topics[0]]))
    assert (await recv(ws))[0] == "subscribe"
    await ws.close()


@pytest.mark.parametrize("payload,code", [
    ("x" * 900, 1009),
    (json.dumps(["subscribe", *["trade.BTC_USDT"] * 60]), 1009),
    ('{"subscribe": "trade.*"}', 1008),
    ("not json", 1008),
    ("[]", 1008),
    ("1", 1008),
    ("2", 1008),
])
async def test_bad_frames_close_the_socket(sim_feed: Any, payload: str, code: int) -> None:
    ws = await open_ws(sim_feed)
    await ws.send(payload)
    with pytest.raises(ConnectionClosed) as info:
        await recv(ws)
    assert info.value.rcvd is not None and info.value.rcvd.code == code


async def test_every_public_event_parses(feed_server: Any) -> None:
    quirks = feed_server.hub.options.live_quirks
    ex = feed_server.exchange
    ws = await open_ws(feed_server)
    topics = ["ticker.*", "trade.BTC_USDT", "market_depth.BTC_USDT", "diff.BTC_USDT", "rates.*"]
    await ws.send(json.dumps(["subscribe", *topics]))
    await recv_type(ws, "subscribe")
    ex.set_level("BTC_USDT", "buy", "100.5", "2")
    ex.set_level("BTC_USDT", "sell", "101", "1.25")
    ex.trade("BTC_USDT", "101", "0.5", "buy")
    seen: dict[str, Any] = {}
    want = {"tk", "t", "p", "r"} | (set() if quirks else {"d"})
    while not want <= set(seen):
        raw = await asyncio.wait_for(ws.recv(), WAIT)
        event = parse_frame(raw)
        seen.setdefault(json.loads(raw)[0], event)
    assert isinstance(seen["t"], TradeEvent) and seen["t"].price == D("101") and seen["t"].is_buy
    assert isinstance(seen["tk"], TickerEvent) and seen["tk"].items[0].pair == "BTC_USDT"
    assert isinstance(seen["p"], DepthEvent) and seen["p"].pair == "BTC_USDT"
    assert isinstance(seen["r"], RatesEvent)
    assert seen["r"].rates[0].rate in (D("45000"), D("3000.5"))
    if not quirks:
        assert isinstance(seen["d"], DiffEvent) and seen["d"].seq == 1
        assert seen["d"].bids == ((D("100.5"), D("2")),)
    await ws.close()


async def test_quirks_keep_diff_and_ticker_pair_silent(live_feed: Any) -> None:
    ex = live_feed.exchange
    ws = await open_ws(live_feed)
    await ws.send(json.dumps(["subscribe", "diff.BTC_USDT", "ticker.BTC_USDT", "trade.*"]))
    await recv_type(ws, "subscribe")
    ex.set_level("BTC_USDT", "buy", "100", "1")
    ex.trade("BTC_USDT", "100", "1")
    ex.trade("BTC_USDT", "100", "2")
    # the two trades arrive and nothing else does
    assert (await recv(ws))[0] == "t"
    assert (await recv(ws))[0] == "t"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), 0.5)
    await ws.close()


async def test_depth_on_grid_only_when_changed(live_feed: Any) -> None:
    ex = live_feed.exchange
    ws = await open_ws(live_feed)
    await ws.send(json.dumps(["subscribe", "market_depth.BTC_USDT"]))
    await recv_type(ws, "subscribe")
    for i in range(5):
        ex.set_level("BTC_USDT", "buy", str(100 + i), "1")
    frame = await recv_type(ws, "p")
    assert len(frame[2]["Bids"]) == 5  # one frame for the whole burst
    assert frame[2]["TotalBids"] == "5"
    with pytest.raises(TimeoutError):  # unchanged book: no frame on the next grid points
        await asyncio.wait_for(ws.recv(), 0.5)
    await ws.close()


async def test_private_updates_after_auth(sim_feed: Any) -> None:
    ex = sim_feed.exchange
    ws = await open_ws(sim_feed)
    await ws.send(json.dumps(["auth", "bad"]))
    err = await recv(ws)
    assert err[0] == "error" and err[3] == "auth"
    await ws.send(json.dumps(["auth", "good-token"]))
    assert (await recv(ws))[0] == "auth"
    order = {"id": 5, "pair": "BTC_USDT", "side": "BID", "type": "LIMIT", "amount": D("1"),
             "price": D("100"), "amount_filled": D("0.25"), "amount_canceled": D(0),
             "status": "PARTIAL_FILLED", "wallet_type": "SPOT"}
    ex.emit_private({"type": "order", "account_id": 7, "order": order})
    ex.emit_private({"type": "order", "account_id": 8, "order": order})  # not ours
    ex.emit_private({"type": "wallet", "account_id": 7, "currency": "USDT",
                     "wallet_type": "SPOT", "pair": None, "balance": D("1000.5"),
                     "reserve": D("75")})
    ex.emit_private({"type": "account_trade", "account_id": 7, "id": 9, "order_id": 5,
                     "pair": "BTC_USDT", "side": "BID", "amount": D("0.25"),
                     "price": D("100"), "fee_amount": D("0.01"), "fee_currency": "USDT",
                     "is_maker": True, "wallet_type": "SPOT"})
    o = parse_frame(await asyncio.wait_for(ws.recv(), WAIT))
    assert isinstance(o, OrderEvent)
    assert o.amount_unfilled == D("0.75") and o.status.value == "PARTIAL_FILLED"
    w = parse_frame(await asyncio.wait_for(ws.recv(), WAIT))
    assert isinstance(w, WalletEvent) and w.available == D("925.5")
    ta = parse_frame(await asyncio.wait_for(ws.recv(), WAIT))
    assert isinstance(ta, AccountTradeEvent) and ta.is_maker and ta.fee_amount == D("0.01")
    await ws.close()


def test_book_diff_round_trip() -> None:
    old = [(D(1), D(2)), (D(2), D(1))]
    new = [(D(1), D(3)), (D(3), D(1))]
    delta = dict(book_diff(old, new))
    assert delta == {D(1): D(1), D(3): D(1), D(2): D(-1)}
