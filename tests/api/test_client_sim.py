"""The client against the real simulator over loopback HTTP: every endpoint, permissions,
server-side validation, and the failure modes of issue 8 injected by the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from alp_tui.api import (
    AlpClient,
    AuthError,
    BadResponseError,
    ForbiddenError,
    RateLimitedError,
    RequestRecord,
    RequestTimeoutError,
    ServerError,
    ValidationError,
)
from alp_tui.api import models as m
from alp_tui.api.enums import OrderStatus, WalletType
from alp_tui.sim.exchange import ApiKeyRecord
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[SimServer]:
    """One simulator for the fault tests (they only read); faults cleared after each."""
    server = SimServer(seed=1, market_life=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_sim(shared_sim: SimServer) -> Iterator[SimServer]:
    """The shared simulator with no fault rules before or after the test."""
    shared_sim.faults.clear()
    yield shared_sim
    shared_sim.faults.clear()


def client_for(server, **kw) -> AlpClient:
    kw.setdefault("api_key", server.api_key)
    kw.setdefault("api_secret", server.api_secret)
    return AlpClient(server.base_url, **kw)


async def test_every_read_endpoint(sim_server) -> None:
    now = datetime.now(UTC)
    async with client_for(sim_server) as c:
        assert all(isinstance(x, m.Currency) for x in await c.currencies())
        pairs = await c.pairs()
        assert any(p.name == "BTC_USDT" for p in pairs)
        assert all(p.currency1 == "BTC" for p in await c.pairs(currency1="BTC"))
        t = await c.ticker("BTC_USDT")
        assert isinstance(t, m.Ticker) and t.pair == "BTC_USDT"
        assert len(await c.tickers()) == len(pairs) or await c.ticker()
        assert isinstance(await c.orderbook("BTC_USDT", limit_buy=5, limit_sell=5), m.OrderBook)
        candles = await c.charts("BTC_USDT", "HOUR", limit=10)
        assert candles and all(isinstance(k.close, Decimal) for k in candles)
        assert isinstance(await c.trades("BTC_USDT", limit=5), list)
        st = await c.server_time()
        assert abs(st.serverTime - now.timestamp()) < 3600
        rates = await c.currency_rates()
        assert rates["USDT"] == Decimal("1") and isinstance(rates["BTC"], Decimal)
        [acct] = await c.accounts()
        assert acct.id == sim_server.account_id
        assert await c.accounts(include_subaccounts=True)
        balances = await c.balances()
        assert any(b.currency == "USDT" and b.wallet_type is WalletType.SPOT for b in balances)
        assert all(isinstance(f, m.FeeInfo) for f in await c.fees())
        window = {"start_time": now - timedelta(days=29), "end_time": now + timedelta(hours=1)}
        assert isinstance(await c.orders(open_only=True, side="BUY", **window), list)
        assert isinstance(await c.account_trades(pair="BTC_USDT", **window), list)
        assert isinstance(await c.activity(currency="USDT"), list)
        assert await c.deposit_methods("USDT")
        assert isinstance(await c.deposits(currency="USDT"), list)
        assert await c.withdraw_methods("USDT")
        assert isinstance(await c.withdrawals(), list)
        assert isinstance(await c.loans(), list)
        assert isinstance(await c.loans(isolated_margin=True), list)
        for history in (c.margin_transfers, c.borrows, c.repays, c.interests, c.liquidations):
            assert isinstance(await history(currency="USDT"), list)
        assert c.auth_count == 1


async def test_trading_round_trip(sim_server) -> None:
    async with client_for(sim_server) as c:
        cid = c.new_client_order_id()
        ids = await c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                  limit_price="1000.00", client_order_id=cid)
        assert len(ids) == 1
        open_orders = await c.orders(pair="BTC_USDT", open_only=True)
        mine = [o for o in open_orders if o.id == ids[0]]
        assert mine and mine[0].status.is_open and mine[0].price == Decimal("1000.00")
        assert await c.cancel_orders([ids[0]]) == {ids[0]: OrderStatus.CANCELLED}
        ids2 = await c.place_order("BTC_USDT", "SELL", "LIMIT", base_amount="0.02",
                                   limit_price="999999")
        result = await c.cancel_orders(pair="BTC_USDT")
        assert ids2[0] in result
        with pytest.raises(ValidationError) as info:
            await c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.0000001",
                                limit_price="1000")
        assert info.value.field_errors or info.value.code


async def test_margin_round_trip(sim_server) -> None:
    async with client_for(sim_server) as c:
        assert isinstance(await c.margin_transfer("CROSS_MARGIN", "ADD", "100", "USDT"), int)
        borrow_id = await c.borrow("10", "USDT", "MARGIN_CROSS")
        assert isinstance(borrow_id, int)
        loans = await c.loans(cross_margin=True)
        assert any(loan.currency == "USDT" for loan in loans)
        assert isinstance(await c.repay("5", "USDT", "CROSS_MARGIN"), int)
        await c.close_position("CROSS_MARGIN")
        assert await c.margin_transfers(currency="USDT")
        assert await c.borrows(currency="USDT")
        assert await c.repays(currency="USDT")


async def test_withdraw(sim_server) -> None:
    async with client_for(sim_server) as c:
        [method, *_] = await c.withdraw_methods("USDT")
        address = "T" + "a1" * 16 + "b"
        receipt = await c.withdraw("20", method.id, {"address": address},
                                   client_order_id="w-1")
        assert receipt.id is not None
        assert any(w.id == receipt.id for w in await c.withdrawals(currency="USDT"))


async def test_missing_permissions_are_named(sim_server) -> None:
    sim_server.exchange.add_api_key(ApiKeyRecord("trade-only", "trade-only-secret",
                                                 sim_server.account_id, can_trade=True,
                                                 can_withdraw=False, can_margin=False))
    async with client_for(sim_server, api_key="trade-only",
                          api_secret="trade-only-secret") as c:
        assert await c.balances()
        with pytest.raises(ForbiddenError, match="Can Withdraw"):
            await c.withdraw_methods("USDT")
        with pytest.raises(ForbiddenError, match="Margin"):
            await c.loans()


async def test_wrong_secret_is_auth_error(sim_server) -> None:
    async with client_for(sim_server, api_secret="not-the-secret") as c:
        with pytest.raises(AuthError) as info:
            await c.balances()
    assert "not-the-secret" not in str(info.value)


async def test_concurrent_full_refresh(sim_server) -> None:
    records: list[RequestRecord] = []
    async with client_for(sim_server) as c:
        c.add_observer(records.append)
        results = await asyncio.gather(
            c.ticker("BTC_USDT"), c.orderbook("BTC_USDT"), c.charts("BTC_USDT", 60),
            c.trades("BTC_USDT"), c.balances(), c.orders(open_only=True), c.loans(),
        )
    assert len(results) == 7
    assert sum(r.path == "/auth" for r in records) == 1
    assert all(r.status == 200 for r in records)


async def test_short_lived_tokens_are_refreshed(make_sim_server) -> None:
    server = make_sim_server(token_ttl_s=30.0)
    async with client_for(server) as c:
        await c.balances()
        clock = c._tokens._clock
        c._tokens._clock = lambda: clock() + 25.0  # 5 s left: inside the 6 s margin
        await c.balances()
        assert c.auth_count == 2


# ------------------------------------------------------------------------- injected faults


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_fault_html_status(fault_sim, status: int) -> None:
    fault_sim.faults.add(FaultRule(kind="status", path="/api/v3/ticker", status=status,
                                    count=1))
    async with client_for(fault_sim) as c:
        with pytest.raises(ServerError) as info:
            await c.tickers()
        assert info.value.status == status and "<" not in str(info.value)
        assert await c.tickers()  # the fault fired once


@pytest.mark.parametrize("fmt", ["seconds", "http-date"])
async def test_fault_rate_limit(fault_sim, fmt: str) -> None:
    fault_sim.faults.add(FaultRule(kind="rate_limit", path="/api/v3/currencies",
                                    retry_after=3, retry_after_format=fmt, count=1))
    async with client_for(fault_sim) as c:
        with pytest.raises(RateLimitedError) as info:
            await c.currencies()
        assert info.value.retry_after is not None and 1 <= info.value.retry_after <= 6
        assert c.paused_for() > 0


async def test_fault_rate_limit_without_retry_after(fault_sim) -> None:
    fault_sim.faults.add(FaultRule(kind="rate_limit", path="/api/v3/currencies", count=1))
    async with client_for(fault_sim) as c:
        with pytest.raises(RateLimitedError) as info:
            await c.currencies()
        assert info.value.retry_after is None and c.paused_for() > 0


async def test_fault_drop_mid_response(fault_sim) -> None:
    fault_sim.faults.add(FaultRule(kind="drop_mid", path="/api/v3/orderbook", count=1))
    async with client_for(fault_sim) as c:
        with pytest.raises(RequestTimeoutError):
            await c.orderbook("BTC_USDT")
        assert isinstance(await c.orderbook("BTC_USDT"), m.OrderBook)


async def test_fault_drop_before_answer(fault_sim) -> None:
    # A GET dropped before any answer is retried once on a fresh connection...
    fault_sim.faults.add(FaultRule(kind="drop", path="/api/v3/currencies", count=1))
    async with client_for(fault_sim) as c:
        assert await c.currencies()
        # ...twice in a row is an error; an order POST is never resent.
        fault_sim.faults.add(FaultRule(kind="drop", path="/api/v3/currencies", count=2))
        with pytest.raises(RequestTimeoutError):
            await c.currencies()
        fault_sim.faults.add(FaultRule(kind="drop", path="/api/v3/trading/order",
                                        method="POST", count=1))
        records: list[RequestRecord] = []
        c.add_observer(records.append)
        with pytest.raises(RequestTimeoutError, match="may or may not"):
            await c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                limit_price="1000")
        assert sum(r.path == "/trading/order" for r in records) == 1


@pytest.mark.parametrize("variant", ["invalid_json", "empty", "wrong_shape", "wrong_type"])
async def test_fault_malformed(fault_sim, variant: str) -> None:
    fault_sim.faults.add(FaultRule(kind="malformed", path="/api/v3/ticker",
                                    variant=variant, count=1))
    async with client_for(fault_sim) as c:
        with pytest.raises(BadResponseError, match="GET /ticker"):
            await c.tickers()
        assert await c.tickers()


async def test_fault_unauthorized_once_then_twice(fault_sim) -> None:
    async with client_for(fault_sim) as c:
        await c.balances()
        fault_sim.faults.add(FaultRule(kind="unauthorized", path="/api/v3/accounts/balances",
                                        count=1))
        assert await c.balances()
        assert c.auth_count == 2
        fault_sim.faults.add(FaultRule(kind="unauthorized", path="/api/v3/accounts/balances",
                                        count=2))
        with pytest.raises(AuthError):
            await c.balances()
        assert c.auth_count == 3
