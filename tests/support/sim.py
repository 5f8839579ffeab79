"""The simulator for tests: fixtures starting a real SimServer on loopback, its ledger, and
a SimServer whose order answers can be held back.

``sim_server`` is a started :class:`~alp_tui.sim.server.SimServer` with ``seed=1`` and
market life off, so every test sees the same deterministic exchange; ``make_sim_server``
builds one with other options (``make_sim_server(market_life=True, state_path=...)``).
Both stop their servers at teardown. Useful attributes: ``.base_url``, ``.api_key``,
``.api_secret``, ``.exchange``, ``.faults`` and ``.token()`` (a JWT without HTTP).
``tests/conftest.py`` makes the two fixtures available to every test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from alp_tui.api.enums import OrderSide, OrderType, TimeInForce, WalletType
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


def ledger_orders(server: SimServer, coid: str | None = None) -> list[dict[str, Any]]:
    """The demo account's orders as the simulator's ledger holds them."""
    assert server.account_id is not None
    rows = server.exchange.orders(server.account_id)
    return [r for r in rows if coid is None or r.get("client_order_id") == coid]


class HoldAnswers:
    """ASGI wrapper: lets a matching request be *processed*, then holds its answer until
    released (or ``hold_s`` passes) — the order exists, the client hears nothing.

    The simulator's own latency fault waits *before* processing; this is the other case.
    ``arm(n)`` makes the next ``n`` matching requests held; ``processed`` is set once one
    has been handled by the exchange."""

    def __init__(self, app: Any, path: str, method: str = "POST", hold_s: float = 30.0) -> None:
        self.app = app
        self.path = path
        self.method = method
        self.hold_s = hold_s
        self.armed = 0
        self.processed = threading.Event()
        self.release = threading.Event()

    def arm(self, count: int = 1, hold_s: float | None = None) -> None:
        """Hold the next ``count`` matching answers."""
        if hold_s is not None:
            self.hold_s = hold_s
        self.processed.clear()
        self.release.clear()
        self.armed = count

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (scope.get("type") != "http" or self.armed <= 0
                or scope.get("path") != self.path or scope.get("method") != self.method):
            await self.app(scope, receive, send)
            return
        self.armed -= 1
        held: list[dict[str, Any]] = []

        async def keep(message: dict[str, Any]) -> None:
            held.append(message)

        await self.app(scope, receive, keep)
        self.processed.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.hold_s
        while not self.release.is_set() and loop.time() < deadline:
            await asyncio.sleep(0.02)
        try:
            for message in held:
                await send(message)
        except Exception:  # the client is long gone (timed out or killed)
            pass


class HoldingSimServer(SimServer):
    """A SimServer whose POST /trading/order answers can be held (see HoldAnswers)."""

    hold: HoldAnswers

    def _open_exchange(self) -> None:
        super()._open_exchange()
        if not isinstance(self.app, HoldAnswers):
            self.hold = HoldAnswers(self.app, "/api/v3/trading/order")
            self.app = self.hold


def offer(server: Any, pair: str = "BTC_USDT", amount: str = "0.05",
          price: Decimal | None = None) -> None:
    """Another account rests a sell of ``amount`` on ``pair`` at ``price`` (default: the
    last price): market life is off in the test simulator, so nobody else would."""
    ex = server.exchange
    base = pair.split("_")[0]
    seller = ex.create_account(email=f"seller-{pair}@example.test", name="Seller",
                               funds={base: Decimal(10)})
    ex.place_order(seller, {
        "pair": pair, "order_type": OrderType.LIMIT, "order_side": OrderSide.ASK,
        "wallet_type": WalletType.SPOT, "base_amount": Decimal(amount),
        "limit_price": price or ex.last_price(pair), "tif": TimeInForce.GTC,
    })
