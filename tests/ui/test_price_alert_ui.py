"""Price alerts from the UI against the simulator: `a` on a book level opens the form at
that level's price, Enter adds the alert and saves it as [[alerts.price]] in the config
file, it fires as a toast once the price is past it; the palette's remove form takes it
out of the file again."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import Input, RadioButton, Static

from alp_tui.services.format import format_decimal
from alp_tui.session import AlertKind
from alp_tui.ui.modals.price_alert import PriceAlertModal
from alp_tui.ui.modals.remove_price_alert import RemovePriceAlertModal
from tests.support.dashboard import all_fresh, fast_config, sim_app
from tests.support.wait import wait_until

SIZE = (160, 48)


def _saved(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return tomllib.loads(path.read_text()).get("alerts", {}).get("price", [])


def _notes(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_alert_added_from_a_book_level_saved_fired_and_removed(
        market_sim: Any, tmp_path: Path) -> None:
    config_path = tmp_path / "config.toml"
    app = sim_app(market_sim, config=fast_config(), config_path=config_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh market")
        await pilot.press("1", "A")  # on a market row: upper case, not the filter's
        await wait_until(pilot, lambda: isinstance(app.screen, PriceAlertModal),
                         what="form from the markets")
        assert app.screen.query_one("#alert-pair", Input).value == "BTC_USDT"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PriceAlertModal),
                         what="closed")
        assert not _saved(config_path)
        await pilot.press("2", "down", "down")  # the book, the second bid (under last)
        await wait_until(pilot, lambda: app.selected_level is not None, what="a level")
        bid = app.selected_level[1]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, PriceAlertModal), what="form")
        form = app.screen
        assert form.query_one("#alert-pair", Input).value == "BTC_USDT"
        assert Decimal(form.query_one("#alert-level", Input).value) == bid
        assert form.query_one("#alert-below", RadioButton).value  # the bid is under last

        # a wrong level is said in words, the form stays
        level_input = form.query_one("#alert-level", Input)
        level_input.value = "12abc"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        assert "not a number" in str(form.query_one("#alert-error", Static).render())
        level_input.value = f"{bid}"
        await pilot.press("enter")
        await wait_until(pilot, lambda: _saved(config_path), what="saved to the config")
        assert _saved(config_path) == [{"pair": "BTC_USDT", "below": f"{bid.normalize():f}"}]
        assert not isinstance(app.screen, PriceAlertModal)

        assert not [a for a in app.session.alert_log if a.kind is AlertKind.PRICE]
        market_sim.exchange.set_last_price("BTC_USDT", bid * Decimal("0.98"))
        fired = f"below {format_decimal(bid, 2)}"  # at BTC_USDT's price precision
        await wait_until(pilot, lambda: any(n.startswith("BTC_USDT at ") and n.endswith(fired)
                                            for n in _notes(app)), what="the alert's toast")

        remove = next(c for c in app.palette_commands() if c.name == "Remove price alert…")
        remove.run()
        await wait_until(pilot, lambda: isinstance(app.screen, RemovePriceAlertModal),
                         what="remove form")
        await pilot.press("down", "enter")  # highlight the only alert, remove it
        await wait_until(pilot, lambda: not _saved(config_path), what="removed from the file")
        assert not app.session.alerts.rules
