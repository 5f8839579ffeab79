"""Fixtures for UI tests: a simulator with a filled market that does not move."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def market_sim(make_sim_server: Callable[..., Any]) -> Any:
    """Seed 1, books and trades warmed up, no ticking during the test."""
    return make_sim_server(seed=1, market_life=True, tick_s=3600)
