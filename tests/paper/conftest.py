"""Paper mode against the project's simulator acting as the "live" upstream.

``upstream`` is a started SimServer whose every request is recorded (method and path) in
``upstream.requests``; ``make_paper(upstream, **kw)`` starts a PaperServer on it with its
state in a temporary directory and stops it at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alp_tui.paper.server import PaperServer
from alp_tui.sim.catalog import PAIR_BY_NAME
from alp_tui.sim.exchange import Exchange
from alp_tui.sim.server import SimServer


class Recorder:
    """ASGI middleware noting every request (type, method, path, has-auth) it passes on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str, str, bool]] = []
        self.ws_frames: list[str] = []  # every text frame a WebSocket client sent

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {k.lower() for k, _ in scope.get("headers", [])}
            self.requests.append((scope["type"], scope.get("method", ""), scope["path"],
                                  b"authorization" in headers or b"x-sign" in headers))
        if scope["type"] == "websocket":
            inner_receive = receive

            async def receive() -> Any:
                message = await inner_receive()
                if message.get("text"):
                    self.ws_frames.append(message["text"])
                return message
        await self.app(scope, receive, send)


# The "live" exchange lists two pairs: enough for the tests, and its first all-pairs
# ticker (which builds every listed pair's chart history) stays quick.
UPSTREAM_PAIRS = tuple(PAIR_BY_NAME[name] for name in ("BTC_USDT", "ETH_USDT"))


def _upstream_exchange(**kwargs: Any) -> Exchange:
    return Exchange(pairs=UPSTREAM_PAIRS, **kwargs)


def start_upstream(**kwargs: Any) -> tuple[SimServer, Recorder]:
    """A started SimServer with a Recorder in front."""
    kwargs.setdefault("seed", 7)
    kwargs.setdefault("market_life", False)
    kwargs.setdefault("exchange_factory", _upstream_exchange)
    server = SimServer(**kwargs)
    recorder = Recorder(server.asgi())
    server.app = recorder
    server.start()
    return server, recorder


@pytest.fixture
def upstream() -> Iterator[tuple[SimServer, Recorder]]:
    """The "live" exchange (market life off: tests move it by hand), recorded."""
    server, recorder = start_upstream()
    yield server, recorder
    server.stop()


@pytest.fixture
def make_paper(tmp_path: Path) -> Iterator[Callable[..., PaperServer]]:
    """Factory: ``make_paper(upstream_url, **kwargs)`` → a started PaperServer."""
    servers: list[PaperServer] = []

    def factory(url: str, **kwargs: Any) -> PaperServer:
        kwargs.setdefault("root", tmp_path / "paper")
        kwargs.setdefault("tick_s", 0.1)
        server = PaperServer(url, **kwargs)
        servers.append(server)
        server.start()
        return server

    yield factory
    for server in reversed(servers):
        server.stop()
