"""The project's own AlpClient against the simulator: every method, and the errors the
simulator's faults and auth checks produce arrive as the client's typed errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alp_tui.api import AlpClient
from alp_tui.api import errors as e
from alp_tui.api.enums import ChartInterval, OrderStatus
from alp_tui.sim.exchange import ApiKeyRecord
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer


def _client(server: SimServer, **kw) -> AlpClient:
    kw.setdefault("api_key", server.api_key)
    kw.setdefault("api_secret", server.api_secret)
    return AlpClient(base_url=server.base_url, timeout_s=10, **kw)


async def test_public_methods(sim_server: SimServer) -> None:
    async with _client(sim_server) as c:
        assert await c.currencies()
        pairs = await c.pairs()
        assert "BTC_USDT" in [p.name for p in pairs]
        assert isinstance((await c.ticker("BTC_USDT")).last, Decimal)
        assert await c.ticker()
        book = await c.orderbook("BTC_USDT")
        assert book.buy is not None
        await c.charts("BTC_USDT", ChartInterval.HOUR, limit=10)
        await c.trades("BTC_USDT", limit=5)
        assert (await c.server_time()).serverTime > 0
        assert "BTC" in await c.currency_rates()


async def test_private_methods(sim_server: SimServer) -> None:
    async with _client(sim_server) as c:
        assert (await c.accounts())[0].id == sim_server.account_id
        balances = await c.balances()
        usdt = next(b for b in balances if b.currency == "USDT" and b.wallet_type == "SPOT")
        await c.fees()
        ids = await c.place_order(pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
                                  base_amount="0.001", limit_price="10000")
        assert len(ids) == 1
        after = next(b for b in await c.balances()
                     if b.currency == "USDT" and b.wallet_type == "SPOT")
        assert after.reserve > usdt.reserve
        assert ids[0] in [o.id for o in await c.orders(pair="BTC_USDT", open_only=True)]
        assert await c.cancel_orders(order_ids=ids) == {ids[0]: OrderStatus.CANCELLED}
        await c.account_trades(pair="BTC_USDT")
        await c.activity(currency="USDT")
        assert await c.deposit_methods("USDT")
        await c.deposits()
        assert await c.withdraw_methods("USDT")
        await c.withdrawals()
        await c.loans(cross_margin=True)
        for history in (c.margin_transfers, c.borrows, c.repays, c.interests,
                        c.liquidations):
            await history()


async def test_typed_errors(sim_server: SimServer) -> None:
    async with _client(sim_server) as c:
        with pytest.raises(e.ValidationError):
            await c.place_order(pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
                                base_amount="100000", limit_price="10000")
        with pytest.raises(e.AlpError):
            await c.orderbook("NOPE_USDT")
    async with _client(sim_server, api_secret="wrong") as c:
        with pytest.raises(e.AuthError):
            await c.balances()


async def test_forbidden_names_permission(sim_server: SimServer) -> None:
    sim_server.exchange.add_api_key(ApiKeyRecord("ro", "ro-secret", sim_server.account_id,
                                                 can_trade=False))
    async with _client(sim_server, api_key="ro", api_secret="ro-secret") as c:
        with pytest.raises(e.ForbiddenError) as info:
            await c.place_order(pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
                                base_amount="0.001", limit_price="10000")
        assert "Trade" in str(info.value) or info.value.status == 403
        with pytest.raises(e.ForbiddenError):
            await c.withdraw_methods("USDT")


async def test_faults_reach_client_as_typed_errors(sim_server: SimServer) -> None:
    faults = sim_server.faults
    async with _client(sim_server) as c:
        faults.add(FaultRule(kind="rate_limit", path="/api/v3/accounts/balances",
                             retry_after=0, count=1_000))
        with pytest.raises(e.RateLimitedError) as info:
            await c.balances()
        assert info.value.retry_after in (0, None)
        faults.clear()
        faults.add(FaultRule(kind="status", path="/api/v3/accounts/balances", status=502,
                             count=1_000))
        with pytest.raises(e.ServerError):
            await c.balances()
        faults.clear()
        faults.add(FaultRule(kind="malformed", path="/api/v3/accounts/balances",
                             variant="invalid_json", count=1_000))
        with pytest.raises(e.BadResponseError):
            await c.balances()
        faults.clear()
        faults.add(FaultRule(kind="drop", path="/api/v3/accounts/balances", count=1_000))
        with pytest.raises(e.NetworkError):
            await c.balances()
        faults.clear()
        faults.add(FaultRule(kind="unauthorized", path="/api/v3/accounts/balances",
                             count=1_000))
        with pytest.raises(e.AuthError):
            await c.balances()
        faults.clear()
        assert await c.balances()


async def test_survives_server_restart(make_sim_server, tmp_path) -> None:
    server = make_sim_server(state_path=str(tmp_path / "state.sqlite"))
    async with _client(server) as c:
        ids = await c.place_order(pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
                                  base_amount="0.001", limit_price="10000")
        server.restart()
        orders = await c.orders(open_only=True)
        assert ids[0] in [o.id for o in orders]
