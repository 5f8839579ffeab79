"""Shared fixtures: a real simulator over HTTP on loopback.

``sim_server`` is a started :class:`~alp_tui.sim.server.SimServer` with ``seed=1`` and
market life off, so every test sees the same deterministic exchange; ``make_sim_server``
builds one with other options (``make_sim_server(market_life=True, state_path=...)``).
Both stop their servers at teardown. Useful attributes: ``.base_url``, ``.api_key``,
``.api_secret``, ``.exchange``, ``.faults`` and ``.token()`` (a JWT without HTTP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from alp_tui.sim.server import SimServer


@pytest.fixture
def make_sim_server() -> Iterator[Callable[..., SimServer]]:
    """Factory: ``make_sim_server(**kwargs)`` starts a SimServer (defaults ``seed=1``,
    ``market_life=False``) and stops it at teardown."""
    servers: list[SimServer] = []

    def factory(**kwargs: Any) -> SimServer:
        kwargs.setdefault("seed", 1)
        kwargs.setdefault("market_life", False)
        server = SimServer(**kwargs)
        servers.append(server)
        server.start()
        return server

    yield factory
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def sim_server(make_sim_server: Callable[..., SimServer]) -> SimServer:
    """A started, deterministic simulator (seed 1, no market life)."""
    return make_sim_server()


@pytest.fixture(autouse=True)
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A live-mode app caches its API token under $XDG_CACHE_HOME: never the user's own
    cache in tests (subprocesses inherit it too)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
