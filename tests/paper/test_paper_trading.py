"""Paper trading through the real client against a paper server whose upstream is the
project's simulator (a separate uvicorn server on another port, every request recorded)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderType
from alp_tui.paper.gateway import PUBLIC_TTL
from alp_tui.sim.server import SimServer
from tests.support.wait import wait_until_sync

from .conftest import Recorder

PAIR = "BTC_USDT"


def seed_book(up: SimServer) -> int:
    """Resting liquidity on the upstream: asks 0.01 @ 90000 and 0.02 @ 90010.50, a bid
    0.05 @ 89900. Returns the liquidity account."""
    ex = up.exchange
    lp = ex.create_account(email="lp@up", name="lp",
                           funds={"BTC": D("10"), "USDT": D("1000000")})
    for side, amount, price in (("ASK", "0.01", "90000"), ("ASK", "0.02", "90010.50"),
                                ("BID", "0.05", "89900")):
        ex.place_order(lp, {"pair": PAIR, "order_type": OrderType.LIMIT, "order_side": side,
                            "base_amount": D(amount), "limit_price": D(price)})
    return lp


def balances(rows: list[Any]) -> dict[str, D]:
    return {b.currency: b.balance for b in rows if b.wallet_type == "SPOT"}


def client_for(paper: Any) -> AlpClient:
    return AlpClient(paper.base_url, paper.api_key, paper.api_secret)


async def test_a_market_buy_walks_the_upstream_asks_and_fees_add_up(
        upstream: tuple[SimServer, Recorder], make_paper: Any) -> None:
    up, _ = upstream
    seed_book(up)
    paper = make_paper(up.base_url)
    async with client_for(paper) as client:
        assert balances(await client.balances()) == {"USDT": D("10000"), "BTC": D("0.1")}
        await client.place_order(PAIR, "BID", "MARKET", base_amount=D("0.025"))
        fills = sorted((t.price, t.amount, t.fee_amount, t.is_maker)
                       for t in await client.account_trades(PAIR))
        assert fills == [(D("90000"), D("0.01"), D("0.00002"), False),
                         (D("90010.50"), D("0.015"), D("0.00003"), False)]
        # 900 + 1350.1575 USDT paid; 0.025 BTC less 0.2 % taker fee received.
        assert balances(await client.balances()) == {"USDT": D("7749.8425"),
                                                     "BTC": D("0.12495")}
    # The real market never saw it: its best ask still has its full size.
    assert up.exchange.orderbook(PAIR)["sell"][0] == {"amount": D("0.01"),
                                                      "price": D("90000")}


async def test_a_resting_bid_fills_when_the_market_trades_through_it(
        upstream: tuple[SimServer, Recorder], make_paper: Any) -> None:
    up, _ = upstream
    lp = seed_book(up)
    paper = make_paper(up.base_url)
    async with client_for(paper) as client:
        [oid] = await client.place_order(PAIR, "BID", "LIMIT", base_amount=D("0.01"),
                                         limit_price=D("89950"))
        assert (await client.orders(PAIR))[0].status == "OPEN"
        # Upstream, someone sells 0.004 into the 89900 bid: a print below our bid.
        seller = up.exchange.create_account(email="s@up", name="s", funds={"BTC": D("1")})
        up.exchange.place_order(seller, {"pair": PAIR, "order_type": OrderType.MARKET,
                                         "order_side": "ASK", "base_amount": D("0.004")})

        async def status() -> Any:
            return next(o for o in await client.orders(PAIR) if o.id == oid)

        order = await _eventually(status, lambda o: o.amount_filled > 0)
        assert order.status == "PARTIAL_FILLED"
        assert order.amount_filled == D("0.004")  # the size the market showed
        # Then the upstream's best ask drops through our bid: the rest fills there.
        up.exchange.place_order(lp, {"pair": PAIR, "order_type": OrderType.LIMIT,
                                     "order_side": "ASK", "base_amount": D("0.02"),
                                     "limit_price": D("89940")})
        order = await _eventually(status, lambda o: o.status == "FILLED")
        fills = [(t.price, t.amount, t.fee_amount, t.is_maker)
                 for t in await client.account_trades(PAIR)]
        # As maker, at our own price, with the maker fee (0.15 %).
        assert sorted(fills) == [(D("89950"), D("0.004"), D("0.000006"), True),
                                 (D("89950"), D("0.006"), D("0.000009"), True)]
        assert balances(await client.balances()) == {"USDT": D("9100.5"),
                                                     "BTC": D("0.109985")}


async def test_restart_keeps_the_paper_account(upstream: tuple[SimServer, Recorder],
                                               make_paper: Any, tmp_path: Path) -> None:
    up, _ = upstream
    seed_book(up)
    paper = make_paper(up.base_url, root=tmp_path / "keep")
    async with client_for(paper) as client:
        await client.place_order(PAIR, "BID", "MARKET", base_amount=D("0.01"))
        [oid] = await client.place_order(PAIR, "BID", "LIMIT", base_amount=D("0.01"),
                                         limit_price=D("80000"))
        before = balances(await client.balances())
    paper.stop()
    again = make_paper(up.base_url, root=tmp_path / "keep")
    async with client_for(again) as client:
        assert balances(await client.balances()) == before
        assert [o.id for o in await client.orders(PAIR, open_only=True)] == [oid]
    assert oct((tmp_path / "keep").stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "keep" / "paper.sqlite3").stat().st_mode & 0o777) == "0o600"


async def test_nothing_private_ever_goes_upstream(upstream: tuple[SimServer, Recorder],
                                                  make_paper: Any) -> None:
    up, recorder = upstream
    seed_book(up)
    paper = make_paper(up.base_url)
    async with client_for(paper) as client:
        await client.place_order(PAIR, "BID", "MARKET", base_amount=D("0.01"))
        await client.place_order(PAIR, "ASK", "LIMIT", base_amount=D("0.01"),
                                 limit_price=D("95000"))
        await client.cancel_orders(all=True)
        await client.margin_transfer("CROSS_MARGIN", "ADD", D("100"), "USDT")
        await client.borrow(D("10"), "USDT", "CROSS_MARGIN")
        await client.repay(D("10"), "USDT", "CROSS_MARGIN")
        await client.fees()
        await client.deposits()
        await client.orderbook(PAIR)
        await client.ticker(PAIR)
        await client.trades(PAIR)
    wait_until_sync(lambda: paper.driver.ticks >= 2)
    seen = recorder.requests
    assert seen, "the paper server must have read the upstream market"
    public = {"/api/v3" + path for path in PUBLIC_TTL}
    assert [r for r in seen if r[0] != "http" or r[1] != "GET" or r[2] not in public
            or r[3]] == []


async def _eventually(read: Any, done: Any, timeout: float = 10.0) -> Any:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time: {value!r}")
        await asyncio.sleep(0.05)


async def test_when_the_exchange_goes_away_orders_use_the_last_book_or_are_refused(
        upstream: tuple[SimServer, Recorder], make_paper: Any) -> None:
    import pytest

    from alp_tui.api.errors import AlpError

    up, _ = upstream
    seed_book(up)
    paper = make_paper(up.base_url)
    async with client_for(paper) as client:
        await client.place_order(PAIR, "BID", "MARKET", base_amount=D("0.01"))
        up.stop()
        with pytest.raises(AlpError, match="cannot be reached"):
            await client.orderbook("ETH_USDT")
        # BTC_USDT's book was seen: the order meets it as last seen (its best level taken).
        await client.place_order(PAIR, "BID", "MARKET", base_amount=D("0.005"))
        prices = sorted(t.price for t in await client.account_trades(PAIR))
        assert prices == [D("90000"), D("90010.50")]
        # ETH_USDT's never was: nothing is placed, and the answer says why.
        with pytest.raises(AlpError, match="no live order book for ETH_USDT"):
            await client.place_order("ETH_USDT", "BID", "MARKET", base_amount=D("0.01"))
        assert await client.orders("ETH_USDT") == []
