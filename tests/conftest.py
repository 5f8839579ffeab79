"""Fixtures every test can use: ``sim_server`` and ``make_sim_server`` (a real simulator
over HTTP on loopback; see :mod:`tests.support.sim`), ``feed_server``, ``sim_feed`` and
``live_feed`` (the simulator's WebSocket feed on a fake exchange;
:mod:`tests.support.feed_server`), and a private cache home for every test."""

import pytest

from tests.support.feed_server import feed_server, live_feed, sim_feed
from tests.support.sim import make_sim_server, sim_server

__all__ = ["feed_server", "live_feed", "make_sim_server", "sim_feed", "sim_server"]


@pytest.fixture(autouse=True)
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A live-mode app caches its API token under $XDG_CACHE_HOME: never the user's own
    cache in tests (subprocesses inherit it too)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
