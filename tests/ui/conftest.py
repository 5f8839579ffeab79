"""Fixtures for UI tests: a simulator with a filled market that does not move."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from alp_tui.sim.exchange import Exchange


@pytest.fixture
def market_sim(make_sim_server: Callable[..., Any]) -> Any:
    """Seed 1, books and trades warmed up; no ticking and a stopped wall clock during the
    test, so the 24 h figures cannot drift between the app's poll and the assertion."""
    now = time.time()

    def exchange_factory(**kwargs: Any) -> Exchange:
        return Exchange(clock=lambda: now, **kwargs)

    return make_sim_server(seed=1, market_life=True, tick_s=3600,
                           exchange_factory=exchange_factory)
