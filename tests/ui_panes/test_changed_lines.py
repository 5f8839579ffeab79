"""Only the lines whose text changed are drawn again, and the screen is right afterwards
(issue #12, CPU at rest: Textual re-renders every line of a widget refreshed as a whole).

Which lines are drawn is recorded by a spy on the widget's ``render_line``; what is on
screen is the screen's composed lines (the cached lines of every widget, as the terminal
has them): a line not drawn again after it changed would show there as a stale row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static, TabbedContent, TabPane

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Balance, Loan, Ticker
from alp_tui.services.format import format_decimal
from alp_tui.services.market import MarketRow
from alp_tui.session.account import AccountState
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.panes.balances import REVALUE_S, BalancesPane
from alp_tui.ui.panes.chart import ChartPane
from alp_tui.ui.widgets.markets_table import MarketsTable
from tests.support.pane_data import BTC_USDT, make_candles
from tests.support.panes import APP_CSS, PaneHarness
from tests.support.wait import settle, wait_until

D = Decimal


class _Drawn:
    """The content lines of a widget drawn again (its ``render_line`` calls)."""

    def __init__(self, widget: Any) -> None:
        self.lines: set[int] = set()
        original = widget.render_line

        def render_line(y: int) -> Any:
            self.lines.add(y)
            return original(y)

        widget.render_line = render_line

    def take(self) -> set[int]:
        """The lines drawn since the last call."""
        lines, self.lines = self.lines, set()
        return lines


class _Repainted(_Drawn):
    """Every line of a widget rendered again, borders too (its styles cache's renders)."""

    def __init__(self, widget: Any) -> None:
        self.lines = set()
        cache = widget._styles_cache
        original = cache.render_line

        def render_line(styles: Any, y: int, *args: Any) -> Any:
            self.lines.add(y)
            return original(styles, y, *args)

        cache.render_line = render_line


def screen_lines(app: Any) -> list[str]:
    """The screen's text as the terminal has it, one string per line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def widget_lines(app: Any, widget: Any) -> list[str]:
    """The lines of ``widget``'s content region on screen."""
    region = widget.content_region
    return [line[region.x:region.right]
            for line in screen_lines(app)[region.y:region.bottom]]


def _label(price: Decimal) -> str:
    return f" {format_decimal(price, 2)} "


# --- the chart: the last-price line ----------------------------------------------------------

async def test_a_price_move_draws_only_the_lines_the_last_price_left_and_reached() -> None:
    candles = make_candles(200)
    close = candles[-1].close
    pane = ChartPane(id="chart")
    app = PaneHarness(pane)
    async with app.run_test(size=(120, 34)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(candles)
        await wait_until(pilot, lambda: pane.build_count == 1 and pane.shown_build,
                         what="first build")
        await settle(pilot)
        build = pane.shown_build
        assert build is not None
        old_row = build.price_row(close)
        assert old_row is not None
        step = D(str((build.y_hi - build.y_lo) / 6)).quantize(D("0.01"))
        new = close - step if close - step > D(str(build.y_lo)) else close + step
        new_row = build.price_row(new)
        assert new_row is not None and new_row != old_row
        drawn = _Drawn(pane.canvas)
        pane.set_last_price(new)
        await settle(pilot)
        assert drawn.take() == {old_row, new_row}  # not the whole canvas
        shown = widget_lines(app, pane.canvas)
        assert _label(new) in shown[new_row] and "╌" in shown[new_row]
        assert [y for y, line in enumerate(shown) if "╌" in line] == [new_row]  # no ghost
        assert not any(_label(close) in line for line in shown)
        assert shown == pane.canvas.text().splitlines()[:len(shown)]

        pane.set_last_price(new + D("0.01"))  # the same row: that line alone
        await settle(pilot)
        assert drawn.take() == {new_row}
        assert _label(new + D("0.01")) in widget_lines(app, pane.canvas)[new_row]


async def test_a_new_picture_leaves_no_line_of_the_old_one() -> None:
    candles = make_candles(200)
    pane = ChartPane(id="chart")
    app = PaneHarness(pane)
    async with app.run_test(size=(120, 34)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(candles)
        await wait_until(pilot, lambda: pane.build_count == 1, what="first build")
        await settle(pilot)
        last = candles[-1]
        moved = last.model_copy(update={"close": last.open})  # within the range
        drawn = _Drawn(pane.canvas)
        pane.show_data([*candles[:-1], moved])  # the candle poll: a new build
        await wait_until(pilot, lambda: pane.build_count == 2, what="second build")
        await settle(pilot)
        assert 0 < len(drawn.take()) < pane.canvas.size.height  # what moved, not all
        assert widget_lines(app, pane.canvas) == pane.canvas.text().splitlines()


async def test_a_candle_poll_with_nothing_new_draws_nothing() -> None:
    candles = make_candles(200)
    pane = ChartPane(id="chart")
    app = PaneHarness(pane)
    async with app.run_test(size=(120, 34)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(candles)
        await wait_until(pilot, lambda: pane.build_count == 1, what="first build")
        await settle(pilot)
        info = pane.query_one("#chart-info")
        before = widget_lines(app, info)
        drawn, info_drawn = _Drawn(pane.canvas), _Drawn(info)
        pane.show_data(list(candles))  # the 10 s poll: the same candles
        await settle(pilot)
        assert (drawn.take(), info_drawn.take()) == (set(), set())
        assert widget_lines(app, info) == before and "C " in before[0]


# --- the markets table: rows whose prices moved --------------------------------------------

class _Table(App[None]):
    def compose(self) -> ComposeResult:
        yield MarketsTable(id="markets-table")


def _row(n: int, last: str = "1.00", change: str = "+1.00%") -> MarketRow:
    cells = (f"C{n:02d}_USDT", last, change, "2.00", "0.50", "1.00K")
    return MarketRow(f"C{n:02d}_USDT", False, cells, D(change.rstrip("%")))


async def test_a_price_beat_draws_only_the_rows_whose_text_changed() -> None:
    app = _Table()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(MarketsTable)
        rows = [_row(n) for n in range(40)]  # more than fit: the last ones off screen
        table.set_rows(rows)
        await pilot.pause()
        drawn = _Drawn(table)
        moved = {2, 3, 5, 7, 8, 11, 13, 14, 17, 19, 30, 39}  # many, some off screen
        beat = [_row(n, "1.01", "-0.50%") if n in moved else rows[n] for n in range(40)]
        table.set_rows(beat)
        await pilot.pause()
        shown = widget_lines(app, table)
        on_screen = len(shown) - 1  # below the header
        assert drawn.take() == {n + 1 for n in moved if n < on_screen}
        for n in range(on_screen):
            cells = beat[n].cells
            assert [cells[0], cells[1], cells[2]] == shown[n + 1].split()[:3], n
        assert shown[0].split()[:2] == ["Pair", "▲"]  # the header stayed

        table.set_rows(beat)  # the same rows again: nothing to draw
        await pilot.pause()
        assert drawn.take() == set()


async def test_a_changed_row_is_drawn_in_its_place_when_the_table_is_scrolled() -> None:
    app = _Table()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(MarketsTable)
        rows = [_row(n) for n in range(40)]
        table.set_rows(rows)
        await pilot.pause()
        table.focus()
        await pilot.press("end")  # the cursor on the last row: scrolled to the bottom
        await wait_until(pilot, lambda: table.scroll_y > 0, what="scrolled")
        await pilot.pause()
        top = int(table.scroll_y)
        drawn = _Drawn(table)
        beat = [_row(n, "9.99") if n in (top, 35) else rows[n] for n in range(40)]
        table.set_rows(beat)
        await pilot.pause()
        assert drawn.take() == {1, 35 - top + 1}  # content lines below the header
        shown = widget_lines(app, table)
        for y, line in enumerate(shown[1:]):
            assert line.split()[:2] == [f"C{top + y:02d}_USDT", beat[top + y].cells[1]], y


# --- the balances strip: its total in the bottom border ------------------------------------

def make_ticker(pair: str, price: Decimal) -> Ticker:
    return Ticker(pair=pair, last=price, vol=D(1), high=price, low=price, timestamp=D(1))


def _account(btc: str) -> AccountSnapshot:
    """10,000 USDT and 0.5 BTC spot; 1,000 USDT owed by the cross wallet."""
    state = AccountState()
    state.pair = "BTC_USDT"
    state.set_tickers([make_ticker("BTC_USDT", D(btc))])
    state.set_balances([Balance(balance=D(a), reserve=D(0), currency=c,
                                wallet_type=WalletType.SPOT) for a, c in
                        (("10000", "USDT"), ("0.5", "BTC"))])
    state.set_loans([Loan(id=1, borrowed=D(1000), interest=D(0), currency="USDT",
                          wallet_type=WalletType.CROSS_MARGIN)])
    return state.build()


async def test_a_price_move_repaints_the_strips_moved_value_and_total_not_the_pane() -> None:
    pane = BalancesPane(id="balances-strip")
    pane.fit_columns = True  # as in the account strip: the total in the bottom border
    now = [1000.0]
    pane.clock = lambda: now[0]  # type: ignore[method-assign]
    app = PaneHarness(pane)
    async with app.run_test(size=(100, 12)) as pilot:
        pane.set_pair(BTC_USDT)
        snap = _account("90000")
        pane.show_data(list(snap.balances))
        pane.set_tickers([make_ticker("BTC_USDT", D(90000))])
        pane.show_account(snap)
        await settle(pilot)
        bottom = pane.outer_size.height - 1
        assert "Net equity ≈ 54,000.00 USDT" in screen_lines(app)[pane.region.bottom - 1]
        repainted = _Repainted(pane)
        now[0] += REVALUE_S  # the values follow the account's prices every 10 s
        pane.set_tickers([make_ticker("BTC_USDT", D(91000))])
        pane.show_account(_account("91000"))
        await settle(pilot)
        assert repainted.take() == {bottom}  # the border line; the rest of the pane stays
        shown = screen_lines(app)
        assert "Net equity ≈ 54,500.00 USDT" in shown[pane.region.bottom - 1]
        assert "54,000.00" not in "".join(shown)
        btc = next(line for line in shown if " BTC " in line)
        assert "45,500.00" in btc  # the BTC row's value at the new price


class _Tabs(App[None]):
    """The balances pane on a second tab, as on the dashboard's account tabs."""

    CSS_PATH = APP_CSS
    CSS = "BalancesPane { height: 1fr; }"

    def compose(self) -> ComposeResult:
        with TabbedContent(id="tabs"):
            with TabPane("Orders", id="orders"):
                yield Static("no orders")
            with TabPane("Balances", id="balances"):
                yield BalancesPane(id="balances-pane")


async def test_a_hidden_balances_tab_draws_nothing_and_shows_the_latest_total_when_opened(
) -> None:
    app = _Tabs()
    async with app.run_test(size=(120, 20)) as pilot:
        pane = app.query_one(BalancesPane)
        info = pane.query_one("#balances-total", Static)
        pane.show_data(list(_account("90000").balances))
        await settle(pilot)
        refreshed: list[object] = []
        original = info.refresh
        info.refresh = lambda *a, **k: refreshed.append(a) or original(*a, **k)  # type: ignore
        for price in ("90500", "91000"):  # prices move while another tab is open
            pane.set_tickers([make_ticker("BTC_USDT", D(price))])
            pane.show_account(_account(price))
            await settle(pilot)
        # a repaint of a widget off screen makes Textual rebuild its map of the whole screen
        assert refreshed == []
        app.query_one(TabbedContent).active = "balances"
        await settle(pilot)
        total = "".join(widget_lines(app, info))
        assert total.startswith("Net equity ≈ 54,500.00 USDT"), total
