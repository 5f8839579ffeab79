"""Every REST answer and every WebSocket event the simulator sends parses with the official
client's models (restated in :mod:`official_models`), after a session that produced one of
each kind of row: resting, market, by-quote, stop and cancelled orders, fills, margin
transfers with and without a note, borrows, repays, interest, a liquidation, deposits and
withdrawals."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel
from websockets.asyncio.client import connect

from alp_tui.sim.server import SimServer

from . import official_models as om
from .helpers import Raw, body

D = Decimal
ISO = "ISOLATED_MARGIN"
WAIT = 5.0


def _session(server: SimServer) -> None:
    """One of every kind of row for the demo account."""
    ex = server.exchange
    acc = server.account_id
    assert acc is not None
    order = {"pair": "BTC_USDT", "order_side": "BID", "base_amount": D("0.001")}
    ex.place_order(acc, {**order, "order_type": "LIMIT", "limit_price": D(40000),
                         "client_order_id": "resting"})
    ex.place_order(acc, {**order, "order_type": "MARKET"})
    ex.place_order(acc, {**order, "order_type": "MARKET", "base_amount": None,
                         "quote_amount": D(50)})
    ex.place_order(acc, {**order, "order_type": "STOP_LIMIT", "limit_price": D(200000),
                         "stop_price": D(190000), "stop_operator": "GTE"})
    [cancelled] = ex.place_order(acc, {**order, "order_type": "LIMIT",
                                       "limit_price": D(30000)})
    ex.cancel_orders(acc, order_ids=[cancelled])
    ex.margin_transfer(acc, "CROSS_MARGIN", "ADD", D(100), "USDT")
    ex.margin_transfer(acc, "CROSS_MARGIN", "ADD", D(100), "USDT", note="for margin")
    ex.borrow(acc, D(50), "USDT", "CROSS_MARGIN")
    ex.repay(acc, D(10), "USDT", "CROSS_MARGIN")
    ex.margin_transfer(acc, ISO, "ADD", D(1000), "USDT", pair="BTC_USDT")
    ex.borrow(acc, D(5000), "USDT", ISO, pair="BTC_USDT")
    ex.place_order(acc, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
                         "wallet_type": ISO, "quote_amount": D(5900)})
    ex.simulate_deposit(acc, "USDT", D(500))
    ex.withdraw(acc, D(50), 3, {"address": "T" + "a" * 33})
    ex.step(time.time() + 2 * 3600)  # interest on the cross loan; the deposit confirms
    ex.move_market("BTC_USDT", D("0.95"))
    ex.move_market("BTC_USDT", D("0.95"))
    assert ex.liquidations(acc), "the isolated wallet should have been liquidated"


def _rows(model: type[BaseModel], rows: Any, *, at_least: int = 1) -> None:
    assert isinstance(rows, list) and len(rows) >= at_least, (model.__name__, rows)
    for row in rows:
        model(**row)


@pytest.fixture
def busy(make_sim_server: Callable[..., SimServer]) -> SimServer:
    server = make_sim_server(market_life=True)
    _session(server)
    return server


def test_every_rest_answer_parses(busy: SimServer) -> None:
    raw = Raw(busy)
    try:
        def g(path: str, **query: Any) -> Any:
            return body(raw.get(path, query))

        _rows(om.Currency, body(raw.get("/currencies", auth=False)))
        _rows(om.Pair, body(raw.get("/pairs", auth=False)))
        om.Ticker(**body(raw.get("/ticker", {"pair": "BTC_USDT"}, auth=False)))
        _rows(om.Ticker, body(raw.get("/ticker", auth=False)))
        om.Orderbook(**body(raw.get("/orderbook", {"pair": "BTC_USDT"}, auth=False)))
        _rows(om.Candle, body(raw.get("/charts", {"pair": "BTC_USDT", "interval": 60},
                                      auth=False)))
        _rows(om.Trade, body(raw.get("/trades", {"pair": "BTC_USDT"}, auth=False)))
        _rows(om.Account, g("/accounts/accounts"))
        _rows(om.Balance, g("/accounts/balances"))
        _rows(om.AccountFee, g("/accounts/feeinfo"))
        _rows(om.Order, g("/accounts/order"), at_least=6)
        _rows(om.AccountTrade, g("/accounts/trades"))
        _rows(om.WalletMotion, g("/accounts/activity"))
        _rows(om.DepositMethod, g("/deposit/methods", currency="USDT"))
        _rows(om.Deposit, g("/deposit"), at_least=2)
        _rows(om.WithdrawMethod, g("/withdraw/methods", currency="USDT"))
        _rows(om.Withdraw, g("/withdraw"))
        _rows(om.Loan, g("/margin", cross_margin=True))
        _rows(om.MarginTransfer, g("/margin/transfer"), at_least=3)
        _rows(om.Borrow, g("/margin/borrow"), at_least=2)
        _rows(om.Repay, g("/margin/repay"), at_least=2)
        _rows(om.Interest, g("/margin/interest"))
        _rows(om.Liquidation, g("/margin/liquidation"))
    finally:
        raw.close()


async def _frames(server: SimServer, seen: dict[str, list[Any]]) -> None:
    ws = await connect(f"ws://127.0.0.1:{server.port}/alp-ws", proxy=None)
    try:
        await ws.send(json.dumps(["auth", server.token()]))
        await ws.send(json.dumps(["subscribe", "ticker.*", "trade.*", "rates.*",
                                  "diff.BTC_USDT", "market_depth.BTC_USDT"]))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        wanted = {"tk", "t", "r", "d", "p", "o", "w"}
        traded = False
        while not wanted <= seen.keys():
            assert loop.time() < deadline, f"never saw {wanted - seen.keys()}"
            frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            if isinstance(frame, list):
                seen.setdefault(frame[0], []).append(frame)
            if not traded and frame[0] == "subscribe":
                traded = True
                # Private updates: an order with no stop and no price, and its wallets.
                await asyncio.to_thread(_session_orders, server)
    finally:
        await ws.close()


def _session_orders(server: SimServer) -> None:
    acc = server.account_id
    assert acc is not None
    server.exchange.place_order(acc, {"pair": "BTC_USDT", "order_type": "MARKET",
                                      "order_side": "BID", "base_amount": D("0.001")})
    server.exchange.place_order(acc, {"pair": "BTC_USDT", "order_type": "STOP_LIMIT",
                                      "order_side": "BID", "base_amount": D("0.001"),
                                      "limit_price": D(200000), "stop_price": D(190000),
                                      "stop_operator": "GTE"})


async def test_every_websocket_event_parses(
        make_sim_server: Callable[..., SimServer]) -> None:
    server = await asyncio.to_thread(make_sim_server, market_life=True)
    seen: dict[str, list[Any]] = {}
    await _frames(server, seen)
    for frame in seen["tk"]:
        for row in frame[2:]:
            om.ws_check(om.WS_TICKER_ROW, row, exact=False)
    for frame in seen["t"]:
        om.ws_check(om.WS_TRADE, frame[1:], exact=False)
    for frame in seen["r"]:
        for row in frame[2]:
            om.ws_check(om.WS_RATE_ROW, row, exact=False)
    for frame in seen["d"]:
        assert isinstance(frame[2], str) and len(frame[3]) == 2
    for frame in seen["p"]:
        assert set(om.WS_DEPTH_KEYS) <= frame[2].keys()
    for frame in seen["w"]:
        om.ws_check(om.WS_WALLET, frame[1:], exact=True)
    for frame in seen["o"]:
        om.ws_check(om.WS_ORDER, frame[1:], exact=True)
