"""Snapshot tests of the main screen at two sizes.

Stable because: the simulator is seeded (seed 1) with its wall clock frozen and no ticking
after the warm-up; the dashboard's monotonic clock is frozen so every age reads 0ms; the
feed is stopped once every market pane has data; public-only (no token); TZ is UTC.
"""

from __future__ import annotations

import time
import types
from typing import Any

import pytest
from textual.pilot import Pilot

from alp_tui.config import Config
from alp_tui.feed import state as feed_state
from alp_tui.sim.exchange import Exchange
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app
from tests.support.dashboard import all_fresh
from tests.support.wait import wait_until, workers_done

FROZEN_WALL = 1_795_600_000.0  # 2026-11-25
FROZEN_MONO = 1000.0


@pytest.fixture
def frozen_sim(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(feed_state, "time", types.SimpleNamespace(monotonic=lambda: FROZEN_MONO))

    def exchange_factory(**kwargs: Any) -> Exchange:
        return Exchange(clock=lambda: FROZEN_WALL, **kwargs)

    server = SimServer(seed=1, market_life=True, tick_s=3600, exchange_factory=exchange_factory)
    server.start()
    yield server
    server.stop()
    time.tzset()


def _app(server: Any) -> Any:
    return create_app(Config(), base_url=server.base_url, api_key="", api_secret="",
                      mode="demo", clock=lambda: FROZEN_MONO)


async def _settle(pilot: Pilot) -> None:
    app: Any = pilot.app
    await wait_until(pilot, lambda: all_fresh(app), what="market panes fresh")
    await app.session.stop_polling()
    await pilot.pause()
    # whatever the panes still build (the chart renders in a thread, and may start a new
    # build after a refresh) finishes before the shot: quiet for three pauses in a row
    quiet = 0
    for _ in range(200):
        await workers_done(app)
        await pilot.pause()
        quiet = quiet + 1 if not any(w.is_running for w in app.workers) else 0
        if quiet >= 3:
            break


def test_main_screen_160x48(frozen_sim: Any, snap_compare: Any) -> None:
    assert snap_compare(_app(frozen_sim), terminal_size=(160, 48), run_before=_settle)


def test_main_screen_100x30(frozen_sim: Any, snap_compare: Any) -> None:
    assert snap_compare(_app(frozen_sim), terminal_size=(100, 30), run_before=_settle)
