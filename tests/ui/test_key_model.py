"""One key model: a letter typed in the markets pane filters (it never opens a form), the
filter clears once a pair is chosen and says when nothing matches, and 1-5 focus panes
even inside the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.panes.markets import MarketsPane
from alp_tui.ui.widgets.markets_table import MarketsTable
from tests.support.dashboard import all_fresh, sim_app, trading_app
from tests.support.wait import wait_until

SIZE = (160, 48)


async def test_typing_sol_in_markets_filters_and_opens_no_form(market_sim: Any,
                                                              tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app) and app.trading is not None,
                         what="fresh, trading on")
        markets = app.query_one(MarketsPane)
        table = app.query_one("#markets-table", MarketsTable)
        table.focus()
        await pilot.press("s", "o", "l")
        await pilot.pause()
        assert not isinstance(app.screen, OrderFormModal)  # `s` did not open a SELL form
        assert markets.filter_text == "sol"
        assert [r.pair for r in markets.rows] and all("SOL" in r.pair for r in markets.rows)
        top = markets.rows[0].pair
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.market.selected == top, what="SOL chosen")
        # the filter has done its job: cleared, every pair back, the chosen one under the cursor
        await wait_until(pilot, lambda: markets.filter_text == "", what="filter cleared")
        assert app.query_one("#markets-filter", Input).value == ""
        assert len(markets.rows) == len(app.market.names)
        await wait_until(pilot, lambda: table.highlighted == top, what="cursor on it")
        # no match: the table says so
        table.focus()
        await pilot.press("q", "q", "z")
        await pilot.pause()
        assert markets.rows == [] and "no matches for “qqz”" in table.empty_text
        line = "".join(seg.text for seg in table.render_line(1))
        assert "no matches" in line
        # `/` selects the old text: typing replaces it instead of appending
        await pilot.press("escape")
        markets.query_one("#markets-filter", Input).value = "eth"
        table.focus()
        await pilot.press("slash", "b", "t", "c")
        await pilot.pause()
        assert markets.filter_text == "btc"


async def test_digits_focus_panes_even_in_the_chart(market_sim: Any) -> None:
    app = sim_app(market_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        await pilot.press("3")
        (chart,) = app.data_panes("chart")
        assert chart.has_focus or chart.has_focus_within
        interval = app.interval
        await pilot.press("1")
        await pilot.pause()
        assert app.query_one("#markets-table").has_focus  # `1` is Markets, not 5m candles
        assert app.interval == interval
        await pilot.press("3", "right_square_bracket")  # the interval steps with ] instead
        await wait_until(pilot, lambda: app.interval != interval, what="next interval")
