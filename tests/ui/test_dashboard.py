"""Pilot tests of the dashboard against the simulator: data, keys and mouse."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from textual.widgets import DataTable, TabbedContent

from alp_tui.api.models import OrderBook
from alp_tui.config import Config, load_config, write_config
from alp_tui.feed.state import Freshness
from alp_tui.services.market import SortKey
from alp_tui.ui.messages import FeedData
from alp_tui.ui.panes.header import HeaderPane
from alp_tui.ui.panes.markets import MarketsPane
from alp_tui.ui.screens.error_log import ErrorLogScreen
from alp_tui.ui.screens.health import HealthScreen
from alp_tui.ui.screens.help import HelpScreen
from alp_tui.ui.widgets.markets_table import MarketsTable
from tests.support.dashboard import all_fresh, sim_app
from tests.support.wait import wait_until

SIZE = (160, 48)
COMPACT = (140, 44)  # below 160x48 every account pane is a tab (at SIZE three are in view)


def _hits(app: Any) -> int:
    lists = app.screen.query("CommandList")
    return lists.first().option_count if lists else 0


def _plain(widget: Any) -> str:
    return str(widget.render())


async def test_every_pane_fills_with_the_simulators_data(market_sim):
    messages: list[Any] = []
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="market panes fresh")
        exchange = market_sim.exchange
        pairs = [p["name"] for p in exchange.pairs()]
        markets = app.query_one(MarketsPane)
        assert sorted(r.pair for r in markets.rows) == sorted(pairs)
        assert app.query_one("#markets-table", MarketsTable).row_count == len(pairs)
        # header: the selected pair's last price at its precision, 24 h change
        ticker = exchange.ticker("BTC_USDT")
        header = _plain(app.query_one("#header-market"))
        assert "BTC_USDT" in header
        assert f"{ticker['last']:,.2f}" in header
        assert f"{Decimal(ticker['diff_percent']):+.2f}%" in header
        assert "DEMO" in _plain(app.query_one("#header-badge"))
        # markets row for BTC_USDT shows the same figures
        row = next(r for r in markets.rows if r.pair == "BTC_USDT")
        assert row.cells[1] == f"{ticker['last']:,.2f}"
        # order book, chart, trades: what reached the panes is the simulator's state
        data = {m.topic: m for m in messages if isinstance(m, FeedData)}
        book = data["orderbook"].data
        assert isinstance(book, OrderBook) and book.buy and book.sell
        sim_book = exchange.orderbook("BTC_USDT")
        assert book.buy[0].price == Decimal(sim_book["buy"][0]["price"])
        assert book.sell[0].price == Decimal(sim_book["sell"][0]["price"])
        assert data["trades"].data and data["trades"].data[0].pair == "BTC_USDT"
        assert data["chart"].data and data["chart"].params.interval == 60
        for topic in ("orderbook", "chart", "trades"):
            (pane,) = app.data_panes(topic)
            assert pane.pair is not None and pane.pair.name == "BTC_USDT"
        # account tabs, public-only: they say how to add keys
        assert app.topic_states["balances"].kind is Freshness.DISABLED


async def test_private_topics_poll_with_keys(market_sim):
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=COMPACT) as pilot:
        await wait_until(pilot, lambda: all_fresh(app, ("tickers", "balances")),
                         what="balances fresh")
        assert "PUBLIC" not in _plain(app.query_one("#header-badge"))
        # the margin tab is hidden, yet loans and margin levels are watched (slower);
        # the history, a shown-only topic, is not polled while its tab is hidden
        assert app.feed is not None
        margin = app.feed.pollers["margin"]
        assert margin.active and margin.spec.interval_s == 15
        await wait_until(pilot, lambda: margin.requests >= 1, what="margin polled hidden")
        assert not app.feed.pollers["history"].active
        assert app.feed.pollers["history"].requests == 0


async def test_pair_switch_by_enter_and_click_never_shows_old_pair(market_sim):
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        (book_pane,) = app.data_panes("orderbook")
        shown: list[tuple[str, Any]] = []
        original = book_pane.show_data

        def record(data: Any) -> None:
            shown.append((book_pane.pair.name if book_pane.pair else "", data))
            original(data)

        book_pane.show_data = record  # type: ignore[method-assign]
        markets = app.query_one(MarketsPane)
        eth_row = [r.pair for r in markets.rows].index("ETH_USDT")
        table = app.query_one("#markets-table", MarketsTable)
        table.focus()
        table.move_cursor(row=eth_row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.market.selected == "ETH_USDT", what="ETH selected")
        await wait_until(pilot, lambda: any(p == "ETH_USDT" for p, _ in shown),
                         what="ETH book shown")
        # every book shown sits under its own pair's name, never the other's
        for pair, book in shown:
            last = app.market.tickers[pair].last
            assert abs(book.buy[0].price - last) < last / 10, pair
        assert shown[-1][0] == "ETH_USDT"
        assert "ETH_USDT" in _plain(app.query_one("#header-market"))
        # now by mouse: one click on the BTC row selects it
        btc_row = [r.pair for r in markets.rows].index("BTC_USDT")
        await pilot.click("#markets-table", offset=(4, btc_row + 1))
        await wait_until(pilot, lambda: app.market.selected == "BTC_USDT", what="BTC by click")
        await wait_until(pilot, lambda: book_pane.pair is not None
                         and book_pane.pair.name == "BTC_USDT", what="book follows")


async def test_sort_by_key_and_header_click(market_sim):
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        markets = app.query_one(MarketsPane)
        app.query_one("#markets-table").focus()
        await pilot.press("greater_than_sign")
        assert markets.sort_key is SortKey.LAST and markets.sort_reverse
        rest = [r for r in markets.rows if not r.watched]
        lasts = [app.market.tickers[r.pair].last for r in rest]
        assert lasts == sorted(lasts, reverse=True)
        watched = [r.pair for r in markets.rows if r.watched]
        assert [r.pair for r in markets.rows[: len(watched)]] == watched  # pinned on top
        await pilot.press("tilde")
        assert not markets.sort_reverse
        # header click on "24h %": sort by change, again reverses
        table = app.query_one("#markets-table", MarketsTable)
        x = table.column_x(2) + 2
        await pilot.click("#markets-table", offset=(x, 0))
        await wait_until(pilot, lambda: markets.sort_key is SortKey.CHANGE, what="sorted")
        changes = [r.change for r in markets.rows if not r.watched and r.change is not None]
        assert changes == sorted(changes, reverse=markets.sort_reverse)
        first = markets.sort_reverse
        x = table.column_x(2) + 3
        await pilot.click("#markets-table", offset=(x, 0))  # moved: not a double click
        await wait_until(pilot, lambda: markets.sort_reverse != first, what="reversed")
        assert markets.sort_key is SortKey.CHANGE


async def test_type_to_filter(market_sim):
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        markets = app.query_one(MarketsPane)
        app.query_one("#markets-table").focus()
        await pilot.press("e", "t", "h")
        await wait_until(pilot, lambda: markets.filter_text == "eth", what="filter")
        assert markets.rows and all("ETH" in r.pair for r in markets.rows)
        top = markets.rows[0].pair
        await pilot.press("enter")  # back to the table; the top match is selected
        assert app.query_one("#markets-table").has_focus
        await wait_until(pilot, lambda: app.market.selected == top, what="top match selected")
        await pilot.press("slash", "escape")
        assert markets.filter_text == ""
        assert len(markets.rows) == len(app.market.names)


async def test_watchlist_toggle_is_saved_to_config(market_sim, tmp_path):
    path = tmp_path / "config.toml"
    write_config(path, Config())
    app = sim_app(market_sim, config_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        markets = app.query_one(MarketsPane)
        table = app.query_one("#markets-table", MarketsTable)
        table.focus()
        table.move_cursor(row=[r.pair for r in markets.rows].index("XRP_USDT"))
        await pilot.press("asterisk")
        await wait_until(pilot, lambda: "XRP_USDT" in app.market.watchlist, what="watched")
        await wait_until(
            pilot, lambda: "XRP_USDT" in load_config(path, env={}).dashboard.watchlist,
            what="watchlist saved",
        )
        assert markets.rows[2].pair == "XRP_USDT" and markets.rows[2].watched


async def test_interval_switch_refetches_chart(market_sim):
    messages: list[Any] = []
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        await pilot.press("right_square_bracket")
        assert app.interval.value == 240
        await wait_until(
            pilot,
            lambda: any(isinstance(m, FeedData) and m.topic == "chart"
                        and m.params.interval == 240 for m in messages),
            what="4h candles",
        )
        candles = [m for m in messages if isinstance(m, FeedData) and m.topic == "chart"][-1]
        times = [c.time for c in candles.data]
        assert all(b - a == 240 * 60 for a, b in itertools.pairwise(times))


async def test_help_health_errors_and_palette(market_sim):
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="help closed")
        await pilot.press("f2")
        assert isinstance(app.screen, HealthScreen)
        endpoints = app.screen.query_one("#health-endpoints", DataTable)
        assert endpoints.row_count >= 4
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="health closed")
        await pilot.press("f3")
        assert isinstance(app.screen, ErrorLogScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="log closed")
        # palette: switch pair
        await pilot.press("ctrl+p")
        await pilot.press(*"ethusdt")
        await wait_until(pilot, lambda: _hits(app) > 0, what="palette hits")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.market.selected == "ETH_USDT", what="palette pair")
        # palette: interval and focus
        await pilot.press("ctrl+p", *"val15m")
        await wait_until(pilot, lambda: _hits(app) > 0, what="palette hits")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.interval.value == 15, what="15m")


async def test_help_by_mouse_and_tab_click(market_sim):
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=COMPACT) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        await pilot.click("#--content-tab-orders")
        tabs = app.query_one("#account-tabs", TabbedContent)
        await wait_until(pilot, lambda: tabs.active == "orders", what="orders tab")
        assert app.feed is not None
        pollers = app.feed.pollers
        assert pollers["orders"].active and pollers["orders"].spec.interval_s == 2
        # balances are watched: still polled with their tab hidden, only slower
        assert pollers["balances"].active and pollers["balances"].spec.interval_s == 10
        # the footer's Help key is clickable
        await pilot.click("FooterKey.-command-palette")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette",
                         what="palette by mouse")
        await pilot.press("escape")


async def test_header_after_pair_switch_shows_no_old_figures(market_sim):
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        btc_last = f"{app.market.tickers['BTC_USDT'].last:,.2f}"
        app.select_pair("ETH_USDT")
        await pilot.pause()
        header = app.query_one(HeaderPane)
        assert header.pair == "ETH_USDT"
        assert btc_last not in _plain(app.query_one("#header-market"))


async def test_chart_keys_book_click_and_help_by_mouse(market_sim):
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        # the interval keys reach the feed from the chart
        await pilot.press("3")
        (chart,) = app.data_panes("chart")
        assert chart.has_focus or chart.has_focus_within
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: app.interval.value == 30, what="30m from the chart")
        assert app.feed is not None and app.feed.params.interval == 30
        # a click on a book level selects its price
        await pilot.click("#orderbook-ladder", offset=(3, 1))
        await wait_until(pilot, lambda: app.selected_level is not None, what="level picked")
        # help from the footer, by mouse
        help_key = next(k for k in app.screen.query("FooterKey")
                        if getattr(k, "key", "") == "question_mark")
        await pilot.click(help_key)
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help by mouse")
