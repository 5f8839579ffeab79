"""The feed layer against the real simulator: stream when delivering, REST when not, and
back; private updates at once; the badge."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.api.models import Order, OrderBook
from alp_tui.feed.poller import FeedParams
from alp_tui.feed.stream_feed import Badge, StreamFeed, StreamTimings, ws_url_for
from alp_tui.sim.server import SimServer
from tests.support.wait import wait_until

D = Decimal
PAIR = "BTC_USDT"


class Rest:
    """Counts the REST calls a poller would make for one topic."""

    def __init__(self, fn: Callable[[FeedParams], Any]) -> None:
        self.fn = fn
        self.calls = 0

    async def __call__(self, params: FeedParams) -> Any:
        self.calls += 1
        return await self.fn(params)


def place(server: SimServer, side: OrderSide, price: str, amount: str) -> int:
    ids = server.exchange.place_order(server.account_id, {
        "pair": PAIR, "order_type": OrderType.LIMIT, "order_side": side,
        "wallet_type": WalletType.SPOT, "base_amount": D(amount), "limit_price": D(price)})
    return int(ids[0])


async def make_feed(server: SimServer, **timings: Any) -> tuple[StreamFeed, AlpClient,
                                                                 list[tuple[str, Any]]]:
    client = AlpClient(server.base_url, server.api_key, server.api_secret)
    updates: list[tuple[str, Any]] = []
    feed = StreamFeed(client, on_update=lambda t, p, d: updates.append((t, d)),
                      timings=StreamTimings(**timings))
    feed.stream.backoff_initial_s = 0.01
    feed.stream.backoff_max_s = 0.05
    await feed.start()
    return feed, client, updates


def test_ws_url_for() -> None:
    assert ws_url_for("https://www.alp.com/api/v3") == "wss://www.alp.com/ws"
    assert ws_url_for("http://127.0.0.1:81/api/v3/") == "ws://127.0.0.1:81/ws"


@pytest.mark.parametrize("quirks", [False, True], ids=["sim", "live-quirks"])
async def test_book_streams_falls_back_to_polling_and_returns(
        make_sim_server: Callable[..., SimServer], quirks: bool) -> None:
    server = make_sim_server(live_quirks=quirks)
    place(server, OrderSide.BID, "90000", "0.01")
    feed, client, updates = await make_feed(server)
    params = FeedParams(pair=PAIR, grouped=True)  # a price-grouped book is streamed
    rest = Rest(lambda p: client.orderbook(p.pair, group=1, limit_buy=50, limit_sell=50))
    try:
        first = await feed.fetch("orderbook", params, rest)  # pair chosen: REST answers
        assert isinstance(first, OrderBook) and rest.calls == 1
        await wait_until(None, lambda: feed.is_streaming("orderbook"), what="streaming")
        assert feed.badge() is Badge.STREAM
        place(server, OrderSide.BID, "90100", "0.02")
        await wait_until(None, lambda: any(t == "orderbook" and d.buy
                               and d.buy[0].price == D("90100")
                                           for t, d in updates), what="pushed book")
        served = await feed.fetch("orderbook", params, rest)
        assert rest.calls == 1 and served.buy[0].price == D("90100")  # no request made

        hub = server.feed
        assert hub is not None
        hub.faults.refuse_connections = True
        hub.drop_connections()
        await wait_until(None, lambda: feed.badge() is Badge.POLLING, what="polling badge")
        assert not feed.is_streaming("orderbook")
        place(server, OrderSide.BID, "90200", "0.03")
        polled = await feed.fetch("orderbook", params, rest)
        assert rest.calls == 2 and polled.buy[0].price == D("90200")

        hub.faults.refuse_connections = False
        await wait_until(None, lambda: feed.badge() is Badge.STREAM, what="stream again")
        await wait_until(None, lambda: feed.is_streaming("orderbook"), what="book streaming again")
        again = await feed.fetch("orderbook", params, rest)
        assert rest.calls == 2 and again.buy[0].price == D("90200")
    finally:
        await feed.aclose()
        await client.aclose()


async def test_silent_topic_falls_back_while_connected(sim_server: SimServer) -> None:
    feed, client, _ = await make_feed(sim_server, book_silence_s=0.3)
    params = FeedParams(pair=PAIR, grouped=True)
    rest = Rest(lambda p: client.orderbook(p.pair, group=1))
    try:
        await feed.fetch("orderbook", params, rest)
        await wait_until(None, lambda: feed.is_streaming("orderbook"))
        assert sim_server.feed is not None
        sim_server.feed.faults.silent = True
        await wait_until(None, lambda: not feed.is_streaming("orderbook"), what="silence noticed")
        assert feed.badge() is Badge.STREAM  # the connection itself is still up
        await feed.fetch("orderbook", params, rest)
        assert rest.calls == 2
        sim_server.feed.faults.silent = False
        place(sim_server, OrderSide.ASK, "95000", "0.01")
        await wait_until(None, lambda: feed.is_streaming("orderbook"), what="delivering again")
    finally:
        await feed.aclose()
        await client.aclose()


async def test_orders_and_balances_follow_private_events(sim_server: SimServer) -> None:
    feed, client, updates = await make_feed(sim_server)
    params = FeedParams(pair=PAIR)
    orders_rest = Rest(lambda p: client.orders(open_only=True))
    balances_rest = Rest(lambda p: client.balances())
    try:
        # signed in first: a REST answer confirms a topic for its silence window only
        await wait_until(None, lambda: feed.badge() is Badge.STREAM, what="stream signed in")
        assert await feed.fetch("orders", params, orders_rest) == []
        balances = await feed.fetch("balances", params, balances_rest)
        usdt = next(b for b in balances if b.currency == "USDT")
        await wait_until(None, lambda: feed.is_streaming("orders")
                               and feed.is_streaming("balances"),
                               what="private stream")
        order_id = place(sim_server, OrderSide.BID, "50000", "0.1")

        def open_orders() -> list[Order]:
            pushed = [d for t, d in updates if t == "orders"]
            return pushed[-1] if pushed else []

        await wait_until(None, lambda: [o.id for o in open_orders()] == [order_id],
                         what="order pushed")
        assert open_orders()[0].amount == D("0.1") and open_orders()[0].price == D("50000")

        def usdt_reserve() -> Decimal | None:
            pushed = [d for t, d in updates if t == "balances"]
            if not pushed:
                return None
            return next(b.reserve for b in pushed[-1] if b.currency == "USDT")

        await wait_until(None, lambda: usdt_reserve() == usdt.reserve + D("5000"), what="reserve")
        assert orders_rest.calls == 1 and balances_rest.calls == 1  # no polling needed
        served = await feed.fetch("orders", params, orders_rest)
        assert [o.id for o in served] == [order_id] and orders_rest.calls == 1

        await client.cancel_orders(order_ids=[order_id])
        await wait_until(None, lambda: open_orders() == [], what="cancel pushed")
    finally:
        await feed.aclose()
        await client.aclose()


async def test_reconcile_polls_even_while_streaming(sim_server: SimServer) -> None:
    feed, client, _ = await make_feed(sim_server, reconcile_s=0.0)
    params = FeedParams(pair=PAIR)
    rest = Rest(lambda p: client.balances())
    try:
        # Signed in first: a REST answer confirms the topic for its silence window only, so
        # a stream slower than that to sign in (a loaded machine) would never count as live.
        await wait_until(None, lambda: feed.badge() is Badge.STREAM, what="stream signed in")
        await feed.fetch("balances", params, rest)
        await wait_until(None, lambda: feed.is_streaming("balances"), what="balances streamed")
        await feed.fetch("balances", params, rest)
        assert rest.calls == 2
    finally:
        await feed.aclose()
        await client.aclose()


async def test_trades_and_tickers_stream(sim_server: SimServer) -> None:
    feed, client, updates = await make_feed(sim_server)
    params = FeedParams(pair=PAIR)
    trades_rest = Rest(lambda p: client.trades(p.pair, limit=50))
    tickers_rest = Rest(lambda p: client.tickers())

    async def snapshot(p: FeedParams) -> Any:
        from alp_tui.services.market import MarketSnapshot

        return MarketSnapshot(tickers=await tickers_rest(p))

    try:
        await feed.fetch("trades", params, trades_rest)
        await feed.fetch("tickers", params, snapshot)
        await wait_until(None, lambda: feed.is_streaming("trades") and feed.is_streaming("tickers"))
        place(sim_server, OrderSide.BID, "91000", "0.01")
        place(sim_server, OrderSide.ASK, "91000", "0.01")
        await wait_until(None, lambda: any(t == "trades" and d and d[0].price == D("91000")
                                           for t, d in updates), what="trade row")
        await wait_until(None, lambda: any(t == "tickers" and any(
            x.pair == PAIR and x.last == D("91000") for x in d.tickers) for t, d in updates),
                         what="ticker row")
        assert trades_rest.calls == 1 and tickers_rest.calls == 1
    finally:
        await feed.aclose()
        await client.aclose()


async def test_pair_switch_moves_subscriptions_and_book(sim_server: SimServer) -> None:
    feed, client, updates = await make_feed(sim_server)
    rest = Rest(lambda p: client.orderbook(p.pair, group=1))
    try:
        await feed.fetch("orderbook", FeedParams(pair=PAIR, grouped=True), rest)
        await wait_until(None, lambda: feed.is_streaming("orderbook"))
        eth = FeedParams(pair="ETH_USDT", grouped=True)
        await feed.fetch("orderbook", eth, rest)
        assert feed.pair == "ETH_USDT"
        await wait_until(None, lambda: feed.stream.topic_live("market_depth.ETH_USDT")
                               and "market_depth.BTC_USDT" not in feed.stream.topics)
        await wait_until(None, lambda: feed.is_streaming("orderbook"))
        sim_server.exchange.place_order(sim_server.account_id, {
            "pair": "ETH_USDT", "order_type": OrderType.LIMIT, "order_side": OrderSide.BID,
            "wallet_type": WalletType.SPOT, "base_amount": D("0.01"), "limit_price": D(2000)})
        await wait_until(None, lambda: any(t == "orderbook" and d.buy and d.buy[0].price == D(2000)
                                           for t, d in updates), what="new pair's book")
        pushed = [d for t, d in updates if t == "orderbook"]
        assert feed.topics["orderbook"].params == eth and pushed
    finally:
        await feed.aclose()
        await client.aclose()
