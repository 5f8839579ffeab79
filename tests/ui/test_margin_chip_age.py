"""The header's margin chip says how old its level is once the margin reading is stale (the
exchange froze: the panes said stale, the chip looked current), and is plain again once a
reading comes (pilot, against the simulator with its margin endpoint failing)."""

from __future__ import annotations

from typing import Any

from alp_tui.sim.faults import FaultRule
from alp_tui.ui.widgets.margin_chip import MarginChip
from tests.support.dashboard import sim_app
from tests.support.wait import wait_until
from tests.ui.test_account_view import SIZE, auto_borrow_buy


def _margin_poll_now(app: Any) -> None:
    app.session.feed.pollers["margin"].refresh_now()


async def test_margin_chip_shows_its_age_while_the_margin_reading_is_stale(
        market_sim: Any) -> None:
    auto_borrow_buy(market_sim)  # isolated BTC_USDT, level ~1.497
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=SIZE) as pilot:
        chip = app.query_one(MarginChip)
        await wait_until(pilot, lambda: chip.display and chip.text.startswith("margin 1."),
                         what="margin chip")
        assert "old" not in chip.text and not chip.has_class("-stale")
        level = chip.text.split()[1]

        market_sim.faults.add(FaultRule(kind="status", path="/api/v3/margin", status=503))
        _margin_poll_now(app)
        await wait_until(pilot, lambda: chip.has_class("-stale"), what="stale chip")
        assert chip.text.startswith(f"margin {level} isolated BTC_USDT")
        assert chip.text.endswith(" old")  # "… · 2s old"
        age = chip.text.split(" · ")[-1]
        await wait_until(pilot, lambda: chip.text.split(" · ")[-1] != age,
                         what="the age counts on")  # on the app's once-a-second beat

        market_sim.faults.clear()
        _margin_poll_now(app)
        await wait_until(pilot, lambda: not chip.has_class("-stale"), what="fresh chip")
        assert "old" not in chip.text and chip.text.startswith(f"margin {level} ")
