"""Fixtures for the trading tests: a client, a journal and a service against the simulator,
plus a helper to trade against our orders from another account."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.api.models import PairInfo
from alp_tui.services.journal import Journal
from alp_tui.services.trading import TradingService
from alp_tui.sim.server import SimServer


class Counterparty:
    """Another account on the same simulated exchange, placing orders directly."""

    def __init__(self, server: SimServer) -> None:
        self.exchange = server.exchange
        self.account_id = self.exchange.create_account(
            email="mm@example.test", name="Market maker",
            funds={"USDT": Decimal(10_000_000), "BTC": Decimal(1000), "ETH": Decimal(10_000)})

    def limit(self, side: str, price: str, amount: str, pair: str = "BTC_USDT") -> int:
        """Rest (or fill against us) a GTC limit order."""
        ids = self.exchange.place_order(self.account_id, {
            "pair": pair, "order_type": OrderType.LIMIT, "order_side": OrderSide.parse(side),
            "wallet_type": WalletType.SPOT, "base_amount": Decimal(amount),
            "limit_price": Decimal(price), "tif": TimeInForce.GTC,
        })
        return int(ids[0])


@pytest.fixture
def counterparty(sim_server: SimServer) -> Counterparty:
    """A market maker account on the simulator."""
    return Counterparty(sim_server)


@pytest.fixture
async def client(sim_server: SimServer) -> AsyncIterator[AlpClient]:
    """A client logged in to the simulator's demo account."""
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         timeout_s=5) as c:
        yield c


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    """A journal in a temporary directory."""
    return Journal(tmp_path / "journal.sqlite3")


@pytest.fixture
def service(client: AlpClient, journal: Journal) -> TradingService:
    """The trading service with quick lookups."""
    return TradingService(client, journal, lookup_delays=(0.0, 0.2))


@pytest.fixture
async def btc(client: AlpClient) -> PairInfo:
    """BTC_USDT as the exchange lists it."""
    pairs = {p.name: p for p in await client.pairs()}
    return pairs["BTC_USDT"]


def find(items: list[Any], **attrs: Any) -> list[Any]:
    """Items whose attributes equal ``attrs``."""
    return [i for i in items if all(getattr(i, k) == v for k, v in attrs.items())]


# --- a small app hosting the trading panes, fed like the real feed would ----------------

from textual.app import App, ComposeResult  # noqa: E402
from textual.binding import Binding  # noqa: E402

from alp_tui.ui.modals.order_form import OrderFormModal  # noqa: E402
from alp_tui.ui.panes.balances import BalancesPane  # noqa: E402
from alp_tui.ui.panes.open_orders import OpenOrdersPane  # noqa: E402
from alp_tui.ui.trading_messages import AccountChanged  # noqa: E402


class TradingHarness(App[None]):
    """Open orders and balances panes, ``b``/``s`` open the order form; an
    :class:`AccountChanged` refreshes orders and balances at once (as the app does)."""

    BINDINGS = [Binding("b", "trade('BID')", "Buy", id="t.buy"),
                Binding("s", "trade('ASK')", "Sell", id="t.sell")]

    def __init__(self, service: TradingService, pair: PairInfo) -> None:
        super().__init__()
        self.trading = service
        self.pair = pair
        self.changes: list[AccountChanged] = []

    def compose(self) -> ComposeResult:
        yield OpenOrdersPane(self.trading, pairs={self.pair.name: self.pair}, id="orders")
        yield BalancesPane(pairs=[self.pair], id="balances")

    async def on_mount(self) -> None:
        for pane in (self.query_one(OpenOrdersPane), self.query_one(BalancesPane)):
            pane.set_pair(self.pair)
        await self.refresh_account()

    async def refresh_account(self) -> None:
        orders = await self.trading.open_orders()
        balances = await self.trading.balances()
        self.query_one(OpenOrdersPane).show_data(orders)
        self.query_one(BalancesPane).show_data(balances)

    def action_trade(self, side: str) -> None:
        self.push_screen(OrderFormModal(self.trading, self.pair, side))

    async def on_account_changed(self, message: AccountChanged) -> None:
        self.changes.append(message)
        await self.refresh_account()


@pytest.fixture
def harness(service: TradingService, btc: PairInfo) -> TradingHarness:
    """The harness app against the simulator."""
    return TradingHarness(service, btc)


@pytest.fixture
def new_harness(service: TradingService, btc: PairInfo) -> Callable[[], TradingHarness]:
    """Makes a fresh harness app per call (for tests that run the app more than once).

    Tests take it from here rather than ``from conftest import``: with several conftest.py
    files, the module named ``conftest`` is whichever was imported last (under xdist,
    tests/ui's), and the import fails or picks the wrong one.
    """
    return lambda: TradingHarness(service, btc)
