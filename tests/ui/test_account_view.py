"""Pilot tests of what the trader sees of the account, against the simulator: own orders on
the book and the chart, net equity, the header's margin chip."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.text import Text

from alp_tui.api.enums import MarginDirection, OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.ui.panes.balances import BalancesPane
from alp_tui.ui.panes.chart import ChartPane
from alp_tui.ui.panes.orderbook import OrderBookPane
from alp_tui.ui.widgets.book_ladder import OWN_MARK
from tests.support.dashboard import all_fresh, sim_app
from tests.support.wait import wait_until

SIZE = (160, 48)


def rest(server: Any, side: OrderSide, price: Decimal, amount: str = "0.01",
         pair: str = "BTC_USDT") -> int:
    """A resting GTC limit order of the demo account, placed in the simulator directly."""
    ids = server.exchange.place_order(server.account_id, {
        "pair": pair, "order_type": OrderType.LIMIT, "order_side": side,
        "wallet_type": WalletType.SPOT, "base_amount": Decimal(amount),
        "limit_price": price, "tif": TimeInForce.GTC,
    })
    return int(ids[0])


def best(server: Any, pair: str = "BTC_USDT") -> tuple[Decimal, Decimal]:
    """(best bid, best ask) of the simulator's book."""
    book = server.exchange.orderbook(pair)
    return Decimal(book["buy"][0]["price"]), Decimal(book["sell"][0]["price"])


async def test_own_orders_are_marked_on_their_book_levels_and_cleared_on_pair_switch(
        market_sim: Any) -> None:
    bid, ask = best(market_sim)
    low_bid = Decimal(market_sim.exchange.orderbook("BTC_USDT")["buy"][1]["price"])  # joins it
    for side, price in ((OrderSide.BID, bid), (OrderSide.BID, low_bid), (OrderSide.ASK, ask)):
        rest(market_sim, side, price)
    rest(market_sim, OrderSide.BID, Decimal(100), amount="0.1", pair="ETH_USDT")  # elsewhere
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=SIZE) as pilot:
        book = app.query_one(OrderBookPane)
        wanted = {(OrderSide.BID, bid), (OrderSide.BID, low_bid), (OrderSide.ASK, ask)}
        await wait_until(pilot, lambda: all_fresh(app) and book.ladder.own_levels == wanted,
                         what="own orders marked")
        visible = set(book.ladder.visible_levels())
        assert wanted <= visible
        marked = [line for line in book.ladder.row_texts() if line.startswith(OWN_MARK)]
        assert len(marked) == 3  # one marker per level holding an order, none elsewhere
        chart = app.query_one(ChartPane)
        assert {(ln.side, ln.price) for ln in chart.order_lines} == wanted

        app.select_pair("ETH_USDT")
        assert book.ladder.own_levels == frozenset()  # at once, before any ETH book
        assert [(ln.side, ln.price) for ln in chart.order_lines] == [
            (OrderSide.BID, Decimal(100))]  # ETH's own order, not BTC's
        await wait_until(pilot, lambda: book.ladder.book is not None
                         and not book.ladder.book.is_empty, what="ETH book")
        await pilot.pause()
        assert not book.ladder.own_levels & wanted
        assert not [line for line in book.ladder.row_texts() if line.startswith(OWN_MARK)]


async def test_roomy_terminal_shows_balances_orders_and_margin_together(market_sim: Any) -> None:
    from textual.widgets import TabbedContent

    from alp_tui.ui.panes.account_area import STRIP_TOPICS, AccountArea

    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=SIZE) as pilot:
        area = app.query_one(AccountArea)
        tabs = app.query_one("#account-tabs", TabbedContent)

        def strip_shown() -> bool:
            strip = [app.query_one(f"#{t}-strip") for t in STRIP_TOPICS]
            return all(p.region.area > 0 for p in strip)

        def visible_tabs() -> list[str]:
            own = tabs.query_one("ContentTabs").query("ContentTab")  # not the history's tabs
            return [t.id.removeprefix("--content-tab-") for t in own if t.display]

        await wait_until(pilot, lambda: area.roomy and strip_shown(), what="strip shown")
        assert visible_tabs() == ["history", "margin_history"]  # the histories
        assert tabs.active == "history"
        # on screen together: three panes side by side, each with its table
        regions = [app.query_one(f"#{t}-strip").region for t in STRIP_TOPICS]
        assert regions[0].right <= regions[1].x and regions[1].right <= regions[2].x
        assert {"balances", "orders", "margin"} <= area.shown_topics()

        await pilot.resize_terminal(100, 30)
        await wait_until(pilot, lambda: not area.roomy, what="compact")
        await pilot.pause()
        assert not strip_shown()
        assert visible_tabs() == ["balances", "orders", "history", "margin",
                                  "margin_history"]


def auto_borrow_buy(server: Any, own_usdt: str = "1000", spend: str = "3000") -> None:
    """The demo account moves ``own_usdt`` into its isolated BTC_USDT wallet and market-buys
    BTC there for ``spend`` USDT, borrowing the rest (side effect AUTO_BORROW)."""
    ex, account = server.exchange, server.account_id
    ex.margin_transfer(account, WalletType.ISOLATED_MARGIN, MarginDirection.ADD,
                       Decimal(own_usdt), "USDT", "BTC_USDT")
    ex.place_order(account, {
        "pair": "BTC_USDT", "order_type": OrderType.MARKET, "order_side": OrderSide.BID,
        "wallet_type": WalletType.ISOLATED_MARGIN, "quote_amount": Decimal(spend),
        "side_effect": "AUTO_BORROW",
    })


async def test_balances_total_is_net_equity_after_an_auto_borrow_buy(market_sim: Any) -> None:
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("#balances-strip", BalancesPane)

        def shown() -> str:  # the strip's bottom border: as much of it as fits in whole words
            return Text.from_markup(pane.border_subtitle or "").plain

        await wait_until(pilot, lambda: shown().startswith("Net equity"), what="net equity")
        before = app.query_one(BalancesPane).total_text().plain
        assert "debt" not in before
        net_before = Decimal(before.split("≈ ")[1].split(" ")[0].replace(",", ""))

        auto_borrow_buy(market_sim)
        await wait_until(pilot, lambda: "debt" in shown(), what="debt in the total")
        assert shown().startswith("Net equity") and "debt" in shown()
        text = pane.total_text().plain  # all of it (the border has no room for the assets)
        net = Decimal(text.split("≈ ")[1].split(" ")[0].replace(",", ""))
        assets = Decimal(text.split("assets ")[1].split(" ")[0].replace(",", ""))
        debt = Decimal(text.split("debt ")[1].split(" ")[0].replace(",", ""))
        assert Decimal(1990) < debt < Decimal(2010)  # 2,000 borrowed (and interest)
        assert assets - debt == net
        # a market buy of 3,000 USDT: assets rise by the 2,000 loan, net equity does not
        # (it moves only by fees and the new last price revaluing the BTC held)
        assert assets > net_before + Decimal(1900)
        assert abs(net - net_before) < Decimal(1000)
        assert "isolated BTC_USDT" in text
        debt_cell = str(pane.query_one("#balances-table").get_cell(
            "ISOLATED_MARGIN BTC_USDT:USDT", "debt"))
        assert debt_cell.startswith("2,0") or debt_cell.startswith("1,99")
