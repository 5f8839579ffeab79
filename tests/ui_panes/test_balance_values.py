"""The Balances' Value column is valued at the prices the total uses (the account's), so the
rows add up to the assets in the total line; it used the prices of the last balances
answer, up to 30 s old, while the total moved every second. On price moves alone the
values follow every 10 s (a value redrawn redraws the whole table); new amounts, at once."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from textual.widgets import DataTable, Static

from alp_tui.ui.panes.balances import REVALUE_S, BalancesPane
from tests.support.pane_data import BTC_USDT
from tests.ui_panes.test_account_panes import Host, _text, account, tick

KEY = "ISOLATED_MARGIN BTC_USDT:BTC"  # 0.0333 BTC


def _values(table: DataTable[Any]) -> list[D]:
    return [D(str(table.get_cell(k, "value")).replace(",", "")) for k in table.rows]


def _pane() -> tuple[BalancesPane, list[float]]:
    """A balances pane on a clock the test moves (``now[0]``)."""
    now = [1000.0]
    pane = BalancesPane(id="balances")
    pane.clock = lambda: now[0]  # type: ignore[method-assign]
    return pane, now


async def test_values_follow_the_prices_of_the_total() -> None:
    pane, now = _pane()
    async with Host(pane).run_test(size=(150, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        first = account("90000")
        pane.set_tickers([tick("88000")])  # the market's own list lags the account's
        pane.show_data(list(first.balances))
        pane.show_account(first)
        await pilot.pause()
        table = pane.query_one("#balances-table", DataTable)
        assert str(table.get_cell(KEY, "value")) == "2,997.00"  # at the total's 90,000
        assert sum(_values(table)) == D("12997.06") == first.assets
        now[0] += 3
        moved = account("95000")  # a price move, no new balances answer
        pane.show_account(moved)
        await pilot.pause()
        assert "assets 13,163.56" in _text(pane.query_one("#balances-total", Static))
        assert str(table.get_cell(KEY, "value")) == "2,997.00"  # the values wait…
        now[0] += REVALUE_S
        pane.show_account(account("95000"))
        await pilot.pause()
        assert str(table.get_cell(KEY, "value")) == "3,163.50"  # …then follow
        assert moved.assets is not None
        assert sum(_values(table)) == moved.assets.quantize(D("0.01"))


async def test_a_balances_answer_is_valued_at_the_prices_of_now() -> None:
    pane, now = _pane()
    async with Host(pane).run_test(size=(150, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(list(account("90000").balances))
        pane.show_account(account("90000"))
        now[0] += 1
        pane.show_account(account("92000"))
        pane.show_data(list(account("92000").balances))  # new amounts: valued now
        await pilot.pause()
        table = pane.query_one("#balances-table", DataTable)
        assert str(table.get_cell(KEY, "value")) == "3,063.60"  # 0.0333 at 92,000
