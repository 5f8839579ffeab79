"""Shared pieces of the fault-matrix tests: a dashboard against a SimServer with short
polling intervals and a recording sleep, request recorders and pane-status readers.

Wait with :func:`tests.support.wait.wait_until`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, TimeInForce
from alp_tui.api.request_gate import RequestRecord
from alp_tui.config import Config, ExchangeConfig, PollingConfig
from alp_tui.feed.poller import event_sleep
from alp_tui.feed.state import Freshness
from alp_tui.services.order_draft import OrderDraft
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import AlpApp, create_app
from alp_tui.ui.widgets.pane_status import PaneStatus
from tests.support.wait import wait_until as support_wait_until

__all__ = [
    "SIZE",
    "FastSleep",
    "Recorder",
    "buy_draft",
    "dashboard",
    "fast_config",
    "pane_text",
    "status_of",
    "wait_until",
]

SIZE = (160, 48)
PAIR = "BTC_USDT"


def fast_config(timeout_s: float = 5.0) -> Config:
    """Short polling intervals (the minimum each key allows) and a short timeout."""
    polling = PollingConfig(tickers=0.2, orderbook=0.2, chart=0.5, trades=0.2,
                            balances=0.5, orders=0.5, history=0.5, margin=0.5)
    return Config(polling=polling, exchange=ExchangeConfig(timeout_s=timeout_s))


class FastSleep:
    """The feed's ``sleep(delay, wake)``: records each asked delay, waits at most ``cap``.

    Backoff and polling delays are kept (for assertions) but the test does not wait them
    out; a rate-limit pause is still honoured because the poller re-checks the pause on
    the real monotonic clock after every short wait."""

    def __init__(self, cap: float = 0.1) -> None:
        self.cap = cap
        self.delays: list[float] = []

    async def __call__(self, delay: float, wake: asyncio.Event) -> None:
        self.delays.append(delay)
        await event_sleep(min(delay, self.cap), wake)


@dataclass
class Recorder:
    """Collects every :class:`RequestRecord` a client reports."""

    records: list[RequestRecord] = field(default_factory=list)

    def __call__(self, record: RequestRecord) -> None:
        self.records.append(record)

    def to(self, path: str, method: str | None = None) -> list[RequestRecord]:
        """Records of one endpoint path (``/orderbook``), optionally one method."""
        return [r for r in self.records
                if r.path == path and (method is None or r.method == method)]

    def count(self, path: str, method: str | None = None) -> int:
        """How many attempts went to ``path``."""
        return len(self.to(path, method))


def dashboard(server: SimServer, *, keys: bool = False, timeout_s: float = 5.0,
              sleep: FastSleep | None = None, recorder: Recorder | None = None,
              config: Config | None = None, **kwargs: Any) -> AlpApp:
    """The dashboard against ``server`` with fast polling; every client request recorded."""
    config = config or fast_config(timeout_s)
    key = server.api_key if keys else None
    secret = server.api_secret if keys else None
    url = server.base_url

    def factory() -> AlpClient:
        client = AlpClient(url, key, secret, timeout_s)
        if recorder is not None:
            client.add_observer(recorder)
        return client

    return create_app(config, client_factory=factory, mode="demo",
                      api_key=key or "", api_secret=secret or "",
                      sleep=sleep or FastSleep(), **kwargs)


async def wait_until(pilot: Any, condition: Callable[[], bool], *, tries: int | None = None,
                     **kwargs: Any) -> None:
    """Kept for tests written before :mod:`tests.support.wait` (#18); use that module's
    ``wait_until``. ``tries`` is ignored: the support helper waits up to a deadline."""
    await support_wait_until(pilot, condition, **kwargs)


def status_of(app: AlpApp, topic: str) -> str:
    """The text of ``topic``'s pane status line as shown on screen."""
    panes = app.data_panes(topic)
    assert panes, f"no pane for {topic}"
    return " ".join(str(s.render()) for s in panes[0].query(PaneStatus))


def pane_text(app: AlpApp, topic: str) -> str:
    """Same as :func:`status_of`, refreshed first (the status redraws on its own timer)."""
    for pane in app.data_panes(topic):
        for status in pane.query(PaneStatus):
            status._refresh_text()
    return status_of(app, topic)


def kind_of(app: AlpApp, topic: str) -> Freshness | None:
    """The topic's current state kind as the app routed it."""
    state = app.topic_states.get(topic)
    return None if state is None else state.kind


def buy_draft(amount: str = "0.01", price: str = "90000.00") -> OrderDraft:
    """A small GTC limit buy of BTC_USDT, far from the market so it rests."""
    return OrderDraft(pair=PAIR, side=OrderSide.BID, order_type=OrderType.LIMIT,
                      base_amount=Decimal(amount), limit_price=Decimal(price),
                      tif=TimeInForce.GTC)


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
