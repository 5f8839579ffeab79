"""Fixtures for the streaming tests: a fake-exchange feed server in both behaviours."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stream_fake_exchange import FakeExchange
from stream_harness import FeedServer

from alp_tui.sim.ws import FeedOptions


def _auth(token: str) -> int | None:
    return 7 if token == "good-token" else None


@pytest.fixture(params=[False, True], ids=["sim", "live-quirks"])
def feed_server(request: pytest.FixtureRequest) -> Iterator[FeedServer]:
    """A feed over a fake exchange, in the simulator's and the live exchange's behaviour."""
    options = FeedOptions(live_quirks=request.param, depth_grid_s=0.2, depth_offset_s=0.05,
                          rates_interval_s=0.05)
    server = FeedServer(FakeExchange(), options=options, authenticate=_auth).start()
    yield server
    server.stop()


@pytest.fixture
def sim_feed() -> Iterator[FeedServer]:
    """The simulator behaviour only."""
    server = FeedServer(FakeExchange(), options=FeedOptions(rates_interval_s=0.05),
                        authenticate=_auth).start()
    yield server
    server.stop()
