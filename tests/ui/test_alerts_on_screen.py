"""Alerts reach the screen whatever tab is open: the margin alert with the Balances tab
open (the margin pane hidden), as a toast, the bell and a banner that stays; a fill's
toast with its average price."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import TabbedContent

from alp_tui.session import AlertKind
from alp_tui.ui.widgets.alert_banner import AlertBanner
from tests.support.dashboard import fast_config, sim_app
from tests.support.sim import offer
from tests.support.wait import wait_until

SIZE = (130, 40)  # below the roomy size: the account panes are tabs, Balances open


def _notes(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_margin_alert_fires_with_the_balances_tab_open(sim_server: Any,
                                                             tmp_path: Path) -> None:
    app = sim_app(sim_server, keys=True, config=fast_config(timeout_s=30))
    app.journal_path = tmp_path / "journal.sqlite3"
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.main.query_one("#account-tabs", TabbedContent)
        await wait_until(pilot, lambda: app.session.started and tabs.active == "balances",
                         what="started, balances tab open")
        margin_panes = app.data_panes("margin")
        assert margin_panes and not any(p.region.area for p in margin_panes)  # hidden
        client = app.client
        await client.margin_transfer("ISOLATED_MARGIN", "ADD", Decimal(1000), "USDT",
                                     pair="BTC_USDT")
        offer(sim_server, amount="1")
        await client.place_order("BTC_USDT", "BID", "MARKET", wallet_type="ISOLATED_MARGIN",
                                 quote_amount=Decimal(2000), side_effect="AUTO_BORROW")
        app.session.after_action()
        await wait_until(pilot, lambda: app.session.account.snapshot.worst is not None,
                         what="the margin wallet watched with its tab hidden")
        assert not [a for a in app.session.alert_log if a.kind is AlertKind.MARGIN]
        # the market buy itself was a fill: told with its average price
        await wait_until(pilot, lambda: any(n.startswith("Filled BUY") and " avg" in n
                                            for n in _notes(app)), what="the fill toast")

        sim_server.exchange.move_market("BTC_USDT", Decimal("0.72"))  # level ~1.44
        await wait_until(pilot, lambda: any(a.kind is AlertKind.MARGIN
                                            for a in app.session.alert_log),
                         what="margin alert")
        await wait_until(pilot, lambda: any("isolated BTC_USDT" in n for n in _notes(app)),
                         what="the toast")
        assert tabs.active == "balances"  # nothing switched tabs to show it
        banner = app.main.query_one(AlertBanner)
        assert banner.display and "isolated BTC_USDT" in banner.messages[0]
        assert bells  # [alerts] bell = true
        await pilot.pause()
        assert banner.display  # it stays until dismissed


async def test_price_alert_added_and_removed_from_the_palette_is_saved(
        sim_server: Any, tmp_path: Path) -> None:
    import tomllib

    from alp_tui.ui.modals.price_alert import PriceAlertModal
    from alp_tui.ui.modals.remove_price_alert import RemovePriceAlertModal

    path = tmp_path / "config.toml"
    app = sim_app(sim_server, config=fast_config(timeout_s=30), config_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.session.market.ticker() is not None
                         and app.session.market.info() is not None, what="prices")
        commands = {c.name: c for c in app.palette_commands()}
        # one way each: the forms (no one-step "above…/below…" or per-alert entries)
        alert_entries = sorted(n for n in commands if "alert" in n.lower()
                               and n != "Alert log")
        assert alert_entries == ["Add price alert…", "Remove price alert…"]
        commands["Add price alert…"].run()
        await wait_until(pilot, lambda: isinstance(app.screen, PriceAlertModal)
                         and bool(app.screen.query("#alert-level")), what="form")
        last = app.session.market.ticker().last
        level = app.screen.query_one("#alert-level")
        assert level.value and Decimal(level.value) == last  # opens at the last price
        level.value = f"{last * 2}"
        await pilot.press("enter")
        await wait_until(pilot, lambda: path.exists() and app.session.alerts.rules,
                         what="saved")
        (rule,) = app.session.alerts.rules
        assert rule.above and rule.level == last * 2
        saved = tomllib.loads(path.read_text())["alerts"]["price"]
        assert saved == [{"pair": "BTC_USDT", "above": f"{rule.level.normalize():f}"}]
        commands = {c.name: c for c in app.palette_commands()}
        assert not any(n.startswith("Remove price alert BTC") for n in commands)
        commands["Remove price alert…"].run()
        await wait_until(pilot, lambda: isinstance(app.screen, RemovePriceAlertModal)
                         and app.screen.is_mounted, what="remove form")
        await pilot.pause()
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: not app.session.alerts.rules, what="removed")
        await wait_until(pilot, lambda: tomllib.loads(path.read_text())["alerts"]["price"]
                         == [], what="saved without it")
