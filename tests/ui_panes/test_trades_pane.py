"""Pilot tests of the trades pane."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from alp_tui.api.models import PublicTrade
from alp_tui.feed.state import FeedState
from alp_tui.ui.panes.trades import TradesPane
from alp_tui.ui.widgets.pane_status import PaneStatus
from tests.support.pane_data import BTC_USDT, ETH_USDT, make_trades
from tests.support.panes import PaneHarness

D = Decimal


def trade(trade_id: int, side: str, price: str, amount: str, ts: int, pair: str = "BTC_USDT"):
    return PublicTrade(
        id=trade_id, pair=pair, amount=D(amount), price=D(price), timestamp=D(ts), type=side
    )


async def test_newest_first_with_local_time_and_precision() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        ts = 1_795_000_000
        pane.show_data(
            [trade(1, "buy", "45000.1", "0.5", ts), trade(2, "sell", "44999", "1.25", ts + 5)]
        )
        await pilot.pause()
        rows = pane.tape.row_texts()
        assert rows[0].split()[:2] == ["Time", "Price"]
        local = datetime.fromtimestamp(ts + 5).strftime("%H:%M:%S")
        assert rows[1].split() == [local, "▼44,999.00", "1.250000"]
        assert rows[2].split()[1:] == ["▲45,000.10", "0.500000"]


async def test_buy_green_sell_red() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data([trade(1, "buy", "1", "1", 10), trade(2, "sell", "1", "1", 20)])
        await pilot.pause()
        tape = pane.tape
        sell_line, buy_line = tape.render_line(1), tape.render_line(2)
        buy_colour = tape.get_component_rich_style("trade-tape--buy").color
        sell_colour = tape.get_component_rich_style("trade-tape--sell").color
        assert buy_colour != sell_colour
        assert any(seg.style and seg.style.color == buy_colour for seg in buy_line)
        assert any(seg.style and seg.style.color == sell_colour for seg in sell_line)
        assert not any(seg.style and seg.style.color == sell_colour for seg in buy_line)


async def test_only_new_trades_are_added_and_rendered() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 30)) as pilot:
        pane.set_pair(BTC_USDT)
        first = make_trades(20, first_id=1)
        assert pane.show_data(first) == 20
        await pilot.pause()
        tape = pane.tape
        rendered = tape.strips_rendered
        assert rendered == 20
        # The next poll overlaps: 18 old trades and 2 new ones.
        second = make_trades(22, first_id=1)[:20]
        assert pane.show_data(second) == 2
        await pilot.pause()
        assert tape.strips_rendered == rendered + 2
        assert [t.id for t in tape.trades[:3]] == [22, 21, 20]
        assert pane.show_data(second) == 0  # nothing new: nothing happens


async def test_other_pair_trades_ignored_and_set_pair_clears() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(make_trades(5))
        pane.set_pair(ETH_USDT)
        assert pane.tape.trades == []
        assert pane.border_title == "Trades ETH_USDT"
        assert pane.show_data(make_trades(5, pair="BTC_USDT")) == 0  # a late answer
        await pilot.pause()
        assert not any("45," in r for r in pane.tape.row_texts())
        assert pane.show_data(make_trades(3, pair="ETH_USDT")) == 3


async def test_empty_states() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        await pilot.pause()
        assert any("waiting for BTC_USDT trades" in r for r in pane.tape.row_texts())
        pane.show_data([])
        await pilot.pause()
        assert any("no trades yet" in r for r in pane.tape.row_texts())


async def test_keeps_at_most_max_trades() -> None:
    pane = TradesPane(id="trades", max_trades=10)
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(make_trades(8, first_id=1))
        pane.show_data(make_trades(8, first_id=9))
        await pilot.pause()
        assert [t.id for t in pane.tape.trades] == list(range(16, 6, -1))


async def test_narrow_pane_drops_time_column() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(24, 12)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data([trade(1, "buy", "45000.1", "0.5", 100)])
        await pilot.pause()
        row = pane.tape.row_texts()[1]
        assert row.split() == ["▲45,000.10", "0.500000"]


async def test_feed_state_reaches_status_line() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 20)) as pilot:
        state = FeedState().fresh()
        pane.set_feed_state(state)
        await pilot.pause()
        assert pane.query_one(PaneStatus).state == state


async def test_data_given_before_mount_is_shown() -> None:
    """The app may route data to a pane before it is mounted."""
    from alp_tui.ui.panes.chart import ChartPane
    from alp_tui.ui.panes.orderbook import OrderBookPane
    from tests.support.pane_data import make_book, make_candles

    trades, book, chart = TradesPane(id="trades"), OrderBookPane(id="ob"), ChartPane(id="chart")
    state = FeedState().fresh()
    for pane in (trades, book, chart):
        pane.set_pair(BTC_USDT)
        pane.set_feed_state(state)
    trades.show_data(make_trades(3))
    book.show_data(make_book(5))
    chart.show_data(make_candles(30))
    app = PaneHarness(trades, book, chart)
    async with app.run_test(size=(150, 30)) as pilot:
        await pilot.pause()
        assert len(trades.tape.trades) == 3
        assert book.ladder.book is not None and len(book.ladder.book.asks) == 5
        assert len(chart.candles) == 30
        for pane in (trades, book, chart):
            assert pane.query_one(PaneStatus).state == state
