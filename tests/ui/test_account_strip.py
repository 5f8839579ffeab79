"""The account strip (balances, open orders, margin side by side from 160x48): every number it
shows is whole, with no horizontal scrollbar; the columns dropped for room are the least
important ones, and the tabs keep the full tables."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from alp_tui.api.enums import MarginDirection, OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.ui.panes.account_area import STRIP_TOPICS, AccountArea
from alp_tui.ui.panes.fit_columns import Column, fit, fit_pieces
from alp_tui.ui.widgets.pane_status import PaneStatus
from tests.support.dashboard import all_fresh, sim_app
from tests.support.wait import wait_until

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


def _plain(value: Any) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def _screen_lines(app: Any) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _cut_numbers(app: Any, widget: Any, source: str) -> list[str]:
    """Numbers on screen inside ``widget`` that are not whole numbers of ``source``."""
    region = app.screen.find_widget(widget).visible_region  # clipped by the pane
    whole = set(NUMBER.findall(source))
    lines = _screen_lines(app)[region.y:region.bottom]
    shown = " ".join(line[region.x:region.right] for line in lines)
    return [n for n in NUMBER.findall(shown) if n not in whole]


def _settled(app: Any) -> bool:
    """The strip's tables have measured their cells (DataTable does it when idle)."""
    tables = [t for topic in STRIP_TOPICS for t in app.query_one(f"#{topic}-strip").query(
        DataTable)]
    return not any(t._require_update_dimensions or t._updated_cells for t in tables)


async def _check(pilot: Any) -> None:
    await wait_until(pilot, lambda: _settled(pilot.app), what="tables measured")
    await pilot.pause()
    assert _problems(pilot.app) == []


def _problems(app: Any) -> list[str]:
    bad: list[str] = []
    for topic in STRIP_TOPICS:
        pane = app.query_one(f"#{topic}-strip")
        for table in pane.query(DataTable):
            if table.show_horizontal_scrollbar:
                bad.append(f"{topic}: horizontal scrollbar")
            if table.virtual_size.width > table.scrollable_content_region.width:
                bad.append(f"{topic}: table {table.virtual_size.width} wide in "
                           f"{table.scrollable_content_region.width}")
            cells = [_plain(c) for r in range(table.row_count) for c in table.get_row_at(r)]
            bad += [f"{topic}: cut {n!r}" for n in _cut_numbers(app, table, " ".join(cells))]
        border = pane.region  # the bottom border carries the balances' total
        line = _screen_lines(app)[border.bottom - 1][border.x:border.right]
        source = Text.from_markup(pane.border_subtitle or "").plain
        bad += [f"{topic}: cut {n!r} in the border" for n in NUMBER.findall(line)
                if n not in set(NUMBER.findall(source))]
        for static in pane.query(Static):
            if static.region.area and not isinstance(static, PaneStatus):  # ages tick
                bad += [f"{topic}: cut {n!r} in a line"
                        for n in _cut_numbers(app, static, _plain(static.render()))]
    return bad


def _columns(app: Any, topic: str) -> list[str]:
    table = app.query_one(f"#{topic}-strip").query(DataTable).last()
    return [str(c.key.value) for c in table.columns.values()]


def _account_with_orders_and_a_loan(server: Any) -> None:
    ex, account = server.exchange, server.account_id
    for side, price, amount in ((OrderSide.ASK, "120000", "0.0123"),
                                (OrderSide.BID, "45678.91", "0.123456"),
                                (OrderSide.BID, "51234.56", "1.5")):
        ex.place_order(account, {
            "pair": "BTC_USDT", "order_type": OrderType.LIMIT, "order_side": side,
            "wallet_type": WalletType.SPOT, "base_amount": Decimal(amount),
            "limit_price": Decimal(price), "tif": TimeInForce.GTC})
    ex.margin_transfer(account, WalletType.ISOLATED_MARGIN, MarginDirection.ADD,
                       Decimal("1000"), "USDT", "BTC_USDT")
    ex.borrow(account, Decimal("2345.678901"), "USDT", WalletType.ISOLATED_MARGIN, "BTC_USDT")


@pytest.mark.parametrize("size", [(160, 48), (200, 60)])
async def test_the_strip_shows_every_number_whole_without_a_horizontal_scrollbar(
        market_sim: Any, size: tuple[int, int]) -> None:
    _account_with_orders_and_a_loan(market_sim)
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=size) as pilot:
        area = app.query_one(AccountArea)

        def loaded() -> bool:
            orders = app.query_one("#orders-strip").query_one(DataTable)
            loans = app.query_one("#margin-strip").query_one(DataTable)
            return all_fresh(app) and area.roomy and orders.row_count == 3 \
                and loans.row_count == 1
        await wait_until(pilot, loaded, what="orders and the loan in the strip")
        await _check(pilot)
        # what a trader needs stays: side, price, amount; currency and what is owed
        assert {"side", "price", "amount"} <= set(_columns(app, "orders"))
        assert {"wallet", "currency", "owed"} <= set(_columns(app, "margin"))
        assert {"wallet", "currency", "total", "debt"} <= set(_columns(app, "balances"))
        orders = app.query_one("#orders-strip").query_one(DataTable)
        amounts = {_plain(orders.get_cell(str(k.value), "amount")) for k in orders.rows}
        assert "0.012300" in amounts

        # the tab's table keeps every column (it scrolls there)
        tab_orders = app.query_one("#orders-pane").query_one(DataTable)
        assert len(tab_orders.columns) == 10


async def test_the_strip_drops_columns_when_narrowed_and_brings_them_back(
        market_sim: Any) -> None:
    _account_with_orders_and_a_loan(market_sim)
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=(240, 60)) as pilot:
        orders = app.query_one("#orders-strip").query_one(DataTable)
        await wait_until(pilot, lambda: orders.row_count == 3, what="orders")
        await pilot.pause()
        wide = _columns(app, "orders")
        await pilot.resize_terminal(160, 48)
        await wait_until(pilot, lambda: len(_columns(app, "orders")) < len(wide),
                         what="fewer columns")
        await _check(pilot)
        await pilot.resize_terminal(240, 60)
        await wait_until(pilot, lambda: _columns(app, "orders") == wide, what="columns back")


def test_fit_keeps_rank_zero_then_what_fits_in_rank_order() -> None:
    cols = [Column("a", "A", 0), Column("b", "Bbbbbbbb", 2), Column("c", "C", 1),
            Column("d", "D", 3)]
    rows = [("1234", "x", "12", "y")]
    assert fit(cols, rows, None) == (0, 1, 2, 3)
    assert fit(cols, rows, 6) == (0,)  # "1234" + padding: the rank-0 column alone
    assert fit(cols, rows, 10) == (0, 2)  # then c (rank 1)
    assert fit(cols, rows, 13) == (0, 2, 3)  # b (10 wide) does not fit; d (3) does
    assert fit(cols, rows, 30) == (0, 1, 2, 3)
    # an empty column (no stop price on any order) gives way to one with values
    blank = [("1234", "x", "", "y")]
    assert fit(cols, blank, 9) == (0, 3)
    assert fit(cols, blank, 12) == (0, 2, 3)  # still shown when there is room


def test_fit_pieces_leaves_out_whole_pieces_only() -> None:
    pieces = [Text("Net ≈ 1,234.56"), Text(" · debt 2,000.00"),
              Text(" (cross 1,999.00, isolated BTC_USDT 1.00)"), Text(" · assets 3,234.56")]
    assert fit_pieces(pieces, None).plain == "".join(p.plain for p in pieces)
    assert fit_pieces(pieces, 32).plain == "Net ≈ 1,234.56 · debt 2,000.00"
    # the breakdown does not fit after the debt; the assets still do
    assert fit_pieces(pieces, 50).plain == "Net ≈ 1,234.56 · debt 2,000.00 · assets 3,234.56"
    assert fit_pieces(pieces, 5).plain == ""


async def test_v_on_a_strip_pane_shows_its_full_table_in_the_tabs(market_sim: Any) -> None:
    from textual.widgets import TabbedContent

    _account_with_orders_and_a_loan(market_sim)
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=(160, 48)) as pilot:
        strip = app.query_one("#orders-strip").query_one(DataTable)
        await wait_until(pilot, lambda: strip.row_count == 3, what="orders in the strip")
        assert len(strip.columns) < 10
        tabs = app.query_one("#account-tabs", TabbedContent)
        strip.focus()
        await pilot.press("v")
        await wait_until(pilot, lambda: tabs.active == "orders", what="orders tab")
        full = app.query_one("#orders-pane").query_one(DataTable)
        await wait_until(pilot, lambda: full.region.area > 0 and full.row_count == 3,
                         what="full table shown")
        assert len(full.columns) == 10  # Status, TIF, Age and the rest
        assert app.focused is full
        tabs.active = "history"
        await pilot.pause()
        tab = tabs.query_one("#--content-tab-orders")
        assert not tab.display  # back in the strip only


async def test_at_100x30_the_balances_total_keeps_whole_numbers_and_v_is_not_offered(
        market_sim: Any) -> None:
    _account_with_orders_and_a_loan(market_sim)
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one("#balances-pane")
        total = pane.query_one("#balances-total", Static)
        await wait_until(pilot, lambda: _plain(total.render()).startswith("Net equity"),
                         what="net equity shown")
        table = pane.query_one(DataTable)
        table.focus()
        await pilot.pause()
        shown = _plain(total.render())
        assert shown.startswith("Net equity")
        assert _cut_numbers(app, total, shown) == []
        assert total.region.right <= pane.region.right  # nothing beyond the pane's edge
        assert "full_table" not in {b.binding.action for b in app.active_bindings.values()
                                    if b.enabled and b.binding.show}


async def test_open_orders_of_other_pairs_are_counted_beside_the_selected_pairs(
        market_sim: Any) -> None:
    _account_with_orders_and_a_loan(market_sim)  # three BTC_USDT orders
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=(160, 48)) as pilot:
        strip = app.query_one("#orders-strip")
        info = app.query_one("#orders-pane").query_one("#orders-info", Static)  # the tab's
        await wait_until(pilot, lambda: _plain(info.render()).startswith("3 open · BTC_USDT"),
                         what="BTC orders")
        assert "other pairs" not in _plain(info.render()) and not strip.border_subtitle
        app.select_pair("ETH_USDT")
        await wait_until(pilot, lambda: _plain(info.render()).startswith(
            "0 open · ETH_USDT (+3 on other pairs: a)"), what="the others counted")
        # the strip's bar has no room for it: its bottom border says it, whole
        await wait_until(pilot, lambda: strip.border_subtitle == "+3 on other pairs: a",
                         what="the strip's border")
        await pilot.pause()
        border = strip.region
        assert "+3 on other pairs: a" in _screen_lines(app)[border.bottom - 1][
            border.x:border.right]


async def test_the_focus_follows_its_pane_between_the_strip_and_the_tabs(
        market_sim: Any) -> None:
    from textual.widgets import TabbedContent

    _account_with_orders_and_a_loan(market_sim)
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=(160, 48)) as pilot:
        area = app.query_one(AccountArea)
        await wait_until(pilot, lambda: area.roomy, what="strip")
        app.query_one("#orders-strip").query_one(DataTable).focus()
        await pilot.resize_terminal(100, 30)
        tabs = app.query_one("#account-tabs", TabbedContent)
        tab_table = app.query_one("#orders-pane").query_one(DataTable)
        await wait_until(pilot, lambda: app.focused is tab_table, what="focus in the tab")
        assert tabs.active == "orders"  # c, x, +/− still act on the orders
        await pilot.resize_terminal(160, 48)
        strip_table = app.query_one("#orders-strip").query_one(DataTable)
        await wait_until(pilot, lambda: app.focused is strip_table, what="focus in the strip")
