"""The dashboard against a simulator, for pilot tests: :func:`sim_app` (default polling)
and :func:`dashboard` (short polling intervals, a recording sleep, every request recorded),
:func:`all_fresh`, pane-status readers and a small resting order draft.

Wait with :func:`tests.support.wait.wait_until`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
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
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.withdraw import WithdrawModal
from alp_tui.ui.widgets.pane_status import PaneStatus
from tests.support.wait import wait_until

SIZE = (160, 48)
PAIR = "BTC_USDT"
MARKET_TOPICS = ("tickers", "orderbook", "chart", "trades")


def sim_app(server: Any, *, keys: bool = False, config: Config | None = None,
            config_path: Path | None = None, **kwargs: Any) -> AlpApp:
    """The dashboard against ``server`` (public-only unless ``keys``)."""
    return create_app(
        config or Config(),
        base_url=server.base_url,
        api_key=server.api_key if keys else "",
        api_secret=server.api_secret if keys else "",
        mode="demo",
        config_path=config_path,
        **kwargs,
    )


def all_fresh(app: AlpApp, topics: tuple[str, ...] = MARKET_TOPICS) -> bool:
    """Every topic has had a good answer."""
    return all(
        (s := app.topic_states.get(t)) is not None and s.updated_at is not None
        and s.kind is Freshness.FRESH
        for t in topics
    )


def trading_app(server: Any, tmp_path: Path, **kwargs: Any) -> AlpApp:
    """The dashboard with the server's keys (trading on), its journal under ``tmp_path``."""
    app = sim_app(server, keys=True, **kwargs)
    app.journal_path = tmp_path / "journal.sqlite3"
    return app


async def trading_ready(pilot: Any) -> None:
    """Wait until the market topics are fresh, trading is on and the pair's listing known."""
    app = pilot.app
    await wait_until(pilot, lambda: all_fresh(app) and app.trading is not None
                     and app.market.info() is not None, what="fresh, trading")


async def open_order_form(pilot: Any, *keys: str) -> OrderFormModal:
    """Press ``keys`` (default ``B``: buy from anywhere) and wait for the order form."""
    app = pilot.app
    await pilot.press(*(keys or ("B",)))
    await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form")
    return app.screen  # type: ignore[no-any-return]


async def open_withdraw_form(pilot: Any, currency: str = "USDT") -> WithdrawModal:
    """Once the balances hold ``currency``, open the withdraw form for it and wait for its
    networks."""
    app = pilot.app
    balances = app.main.query("BalancesPane").first()
    await wait_until(pilot, lambda: balances.available_of(currency), what="balances")
    app.trading_ui.withdraw(currency)
    await wait_until(pilot, lambda: isinstance(app.screen, WithdrawModal)
                     and app.screen.query("#method")
                     and app.screen.method() is not None, what="withdraw, networks")
    return app.screen  # type: ignore[no-any-return]


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
