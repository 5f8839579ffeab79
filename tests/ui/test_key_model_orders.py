"""One key model, the trader's side: q asks while orders are open (ctrl+q does not), 5 lands
on the open account tab's table (again: the next tab), a modal's footer shows its own keys,
[keys] remaps through set_keymap, the chosen theme is saved, and the help reads in words."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, TabbedContent

from alp_tui.config import Config
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.quick_order import QuickOrderModal
from alp_tui.ui.screens.help import HelpScreen
from tests.support.dashboard import all_fresh, sim_app, trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)




def _footer(screen: Any) -> dict[str, str]:
    return {getattr(k, "key", ""): getattr(k, "description", "")
            for k in screen.query("FooterKey")}


async def test_q_asks_while_orders_are_open_and_ctrl_q_does_not(market_sim: Any,
                                                              tmp_path: Path) -> None:
    market_sim.exchange.place_order(market_sim.account_id, {
        "pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
        "base_amount": Decimal("0.01"), "limit_price": Decimal("80000")})
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        orders = app.main.query("OpenOrdersPane").first()
        await wait_until(pilot, lambda: len(orders._orders) == 1, what="the open order")
        await pilot.press("3", "q")  # from the chart (on the markets table q filters)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="asked")
        body = str(app.screen.query_one("#confirm-body").render())
        assert "1 open order" in body and "ctrl+q" in body
        await wait_until(pilot, lambda: _footer(app.screen).get("escape") == "Back",
                         what="the modal's keys in its footer")
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ConfirmModal)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, what="quit at once")


async def test_q_quits_with_nothing_at_stake(market_sim: Any) -> None:
    app = sim_app(market_sim)  # no keys: no orders can be open
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        await pilot.press("3", "q")
        await wait_until(pilot, lambda: not app.is_running, what="quit")


async def test_a_form_shows_its_own_keys(market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form")
        form = app.screen
        await wait_until(pilot, lambda: _footer(form).get("escape") == "Close",
                         what="the form's keys in its footer, not the dashboard's")
        assert "B" not in _footer(form)
        # q and a form with input: tests/ui/test_order_quit.py


async def test_5_focuses_the_account_table_then_the_next_tab(market_sim: Any,
                                                            tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        seen = []
        for _ in range(4):
            await pilot.press("5")
            await wait_until(pilot, lambda: isinstance(app.focused, DataTable)
                             and app.focused not in seen, what="the next account table")
            seen.append(app.focused)
        # roomy: balances, open orders, margin side by side, then the history tabs
        names = [t.id for t in seen]
        assert names[:2] == ["balances-table", "orders-table"], names
        tabs = app.main.query_one("#account-tabs", TabbedContent)
        assert tabs.active_pane in seen[-1].ancestors


async def test_keys_from_config_and_theme_saved(market_sim: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[dashboard]\nwatchlist = ["BTC_USDT"]\n', encoding="utf-8")
    config = Config(keys={"app.quick_order": "ctrl+o", "app.no_such_thing": "f9"})
    app = trading_app(market_sim, tmp_path, config=config, config_path=path)
    notes: list[str] = []
    shown = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), shown(message, **kw))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await trading_ready(pilot)
        assert any("app.no_such_thing" in n for n in notes)  # named, not silently dropped
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, QuickOrderModal), what="line")
        await pilot.press("escape")
        await pilot.pause()
        app.theme = "nord"
        await wait_until(pilot, lambda: tomllib.loads(path.read_text())["dashboard"].get(
            "theme") == "nord", what="theme saved")
        assert tomllib.loads(path.read_text())["dashboard"]["watchlist"] == ["BTC_USDT"]
        # the help says ctrl+o for the quick order, words for keys and panes
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = app.screen.plain()
        lines = {line.strip() for line in text.splitlines()}
        assert any(line.startswith("ctrl+o") and "Type an order" in line for line in lines)
        assert "plus" not in text and "equals_sign" not in text and "Pane" not in text
        assert any(line.startswith("+ =") for line in lines)
        assert "Balances" in text and "Open orders" in text
