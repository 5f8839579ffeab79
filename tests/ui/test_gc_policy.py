"""The collector's settings while the dashboard runs, and back when it closes (issue #12)."""

from __future__ import annotations

import gc
from typing import Any

from alp_tui.ui.gc_policy import YOUNG_THRESHOLD, settle_collector
from tests.support.dashboard import sim_app


def test_settling_widens_the_young_generation_and_restores_it() -> None:
    before = gc.get_threshold()
    restore = settle_collector()
    try:
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    finally:
        restore()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_the_dashboard_leaves_the_collector_as_it_found_it(sim_server: Any) -> None:
    before = gc.get_threshold()
    app = sim_app(sim_server, start_feed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
