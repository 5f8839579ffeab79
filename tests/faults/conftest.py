"""Fixtures for the fault matrix: a recorded client against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.sim.server import SimServer
from tests.support.dashboard import Recorder


@pytest.fixture
def sim_server(make_sim_server: Callable[..., SimServer]) -> SimServer:
    """Seed 1 with a filled market (books, trades) that does not move during the test."""
    return make_sim_server(seed=1, market_life=True, tick_s=3600)


@pytest.fixture
def recorder() -> Recorder:
    """Every request record of the test's clients."""
    return Recorder()


@pytest.fixture
async def client(sim_server: SimServer, recorder: Recorder) -> AsyncIterator[AlpClient]:
    """A keyed client with a 1 s timeout, recording its requests."""
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         timeout_s=1.0) as c:
        c.add_observer(recorder)
        yield c
