"""Stops and margin on paper follow the upstream's live last price."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from alp_tui.api.enums import OrderType
from alp_tui.sim.server import SimServer

from .conftest import Recorder
from .test_paper_trading import PAIR, _eventually, client_for, seed_book


async def test_a_stop_triggers_on_the_live_last_price_then_fills_on_the_live_book(
        upstream: tuple[SimServer, Recorder], make_paper: Any) -> None:
    up, _ = upstream
    lp = seed_book(up)
    paper = make_paper(up.base_url)
    async with client_for(paper) as client:
        [oid] = await client.place_order(PAIR, "BID", "STOP_LIMIT", base_amount=D("0.01"),
                                         limit_price=D("96000"), stop_price=D("95000"),
                                         stop_operator="GTE")

        async def order() -> Any:
            return next(o for o in await client.orders(PAIR) if o.id == oid)

        assert (await order()).status == "PENDING"
        up.exchange.set_last_price(PAIR, D("95500"))  # the live market trades up there
        assert (await _eventually(order, lambda o: o.status != "PENDING")).status == "OPEN"
        # The upstream then shows an ask below the stop's limit: it fills there.
        up.exchange.place_order(lp, {"pair": PAIR, "order_type": OrderType.LIMIT,
                                     "order_side": "ASK", "base_amount": D("0.01"),
                                     "limit_price": D("95800")})
        done = await _eventually(order, lambda o: o.status == "FILLED")
        assert done.amount_filled == D("0.01")


async def test_a_margin_position_is_liquidated_at_the_live_price(
        upstream: tuple[SimServer, Recorder], make_paper: Any) -> None:
    up, _ = upstream
    seed_book(up)
    paper = make_paper(up.base_url)
    async with client_for(paper) as client:
        await client.margin_transfer("CROSS_MARGIN", "ADD", D("1000"), "USDT")
        await client.borrow(D("0.04"), "BTC", "CROSS_MARGIN")
        assert [loan.currency for loan in await client.loans()] == ["BTC"]
        # Short 0.04 BTC against 1000 USDT: the live price tripling sinks the margin level
        # below the 1.1 maintenance line.
        up.exchange.set_last_price(PAIR, D("260000"))
        rows = await _eventually(client.liquidations, bool)
        assert rows[0].wallet_type == "CROSS_MARGIN"
