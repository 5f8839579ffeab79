"""The trading service against the simulator: every order type, cancels, lost answers."""

from __future__ import annotations

import os
import stat
import time
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderStatus, OrderType
from alp_tui.api.models import PairInfo
from alp_tui.services.journal import EntryState, Journal
from alp_tui.services.order_draft import FormInput, build_draft
from alp_tui.services.reconcile import reconcile
from alp_tui.services.trading import Outcome, TradingService
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer


async def draft_for(service: TradingService, pair: PairInfo, **form: str):
    ctx = await service.market_context(pair)
    result = build_draft(FormInput(**form), ctx)
    assert result.ok, result.errors
    return result.draft


async def test_limit_place_cancel_journaled(service: TradingService, btc: PairInfo,
                                            journal: Journal) -> None:
    draft = await draft_for(service, btc, side="BUY", amount="0.01", price="90000")
    res = await service.place(draft)
    assert res.outcome is Outcome.DONE and len(res.order_ids) == 1
    assert res.orders and res.orders[0].status is OrderStatus.OPEN
    entry = journal.get(res.entry_id)
    assert entry is not None and entry.state is EntryState.DONE
    assert entry.client_order_id == res.client_order_id
    assert entry.request["limit_price"] == "90000.00"
    cancel = await service.cancel(res.order_ids, pair="BTC_USDT")
    assert cancel.statuses == {res.order_ids[0]: OrderStatus.CANCELLED}
    assert not await service.open_orders("BTC_USDT")
    mode = stat.S_IMODE(os.stat(journal.path).st_mode)
    assert mode == 0o600


async def test_market_by_base_and_quote_fill(service: TradingService, btc: PairInfo,
                                             counterparty,
                                             client: AlpClient) -> None:
    counterparty.limit("SELL", "91300", "1")
    counterparty.limit("BUY", "91200", "1")
    before = {(b.currency, b.wallet_type.value): b.balance for b in await client.balances()}
    buy = await draft_for(service, btc, side="BUY", order_type="MARKET", amount="0.01")
    res = await service.place(buy)
    assert res.outcome is Outcome.DONE
    by_quote = await draft_for(service, btc, side="SELL", order_type="MARKET",
                               amount="500", amount_in="quote")
    assert by_quote.quote_amount == Decimal("500.00")
    res2 = await service.place(by_quote)
    assert res2.outcome is Outcome.DONE
    orders = {o.id: o for o in await client.orders(pair="BTC_USDT")}
    assert orders[res.order_ids[0]].status is OrderStatus.FILLED
    assert orders[res2.order_ids[0]].amount_filled > 0
    after = {(b.currency, b.wallet_type.value): b.balance for b in await client.balances()}
    assert after[("BTC", "SPOT")] != before[("BTC", "SPOT")]
    trades = await service.history("trades", *_window())
    assert len(trades) >= 2


def _window():
    from datetime import UTC, datetime, timedelta

    end = datetime.now(tz=UTC) + timedelta(minutes=1)
    return end - timedelta(days=30), end


async def test_stop_orders_place_and_cancel(service: TradingService, btc: PairInfo) -> None:
    stop_limit = await draft_for(service, btc, side="BUY", order_type="STOP_LIMIT",
                                 amount="0.01", price="95100", stop_price="95000")
    res = await service.place(stop_limit)
    assert res.outcome is Outcome.DONE
    stop_market = await draft_for(service, btc, side="SELL", order_type="STOP_MARKET",
                                  amount="0.01", stop_price="85000")
    res2 = await service.place(stop_market)
    assert res2.outcome is Outcome.DONE
    open_ids = {o.id: o for o in await service.open_orders("BTC_USDT")}
    assert open_ids[res.order_ids[0]].type is OrderType.STOP_LIMIT
    assert open_ids[res2.order_ids[0]].type is OrderType.STOP_MARKET
    result = await service.cancel_pair("BTC_USDT", expected_ids=list(open_ids))
    assert set(result.cancelled_ids) == set(open_ids)
    assert not await service.open_orders("BTC_USDT")


async def test_cancel_all(service: TradingService, btc: PairInfo, client: AlpClient) -> None:
    eth = {p.name: p for p in await client.pairs()}["ETH_USDT"]
    await service.place(await draft_for(service, btc, side="BUY", amount="0.01",
                                        price="80000"))
    await service.place(await draft_for(service, eth, side="SELL", amount="0.1",
                                        price="4000"))
    result = await service.cancel_all()
    assert len(result.cancelled_ids) == 2
    assert not await service.open_orders()


async def test_server_field_errors_map_to_form(service: TradingService, btc: PairInfo) -> None:
    draft = await draft_for(service, btc, side="BUY", amount="0.01", price="90000")
    from dataclasses import replace

    bad = replace(draft, base_amount=Decimal("50"))  # beyond our balance
    res = await service.place(bad)
    assert res.outcome is Outcome.REJECTED
    assert "amount" in res.field_errors
    assert "insufficient" in res.field_errors["amount"]


async def test_drop_after_processing_reports_placed_without_duplicate(
        service: TradingService, btc: PairInfo, sim_server: SimServer,
        journal: Journal) -> None:
    draft = await draft_for(service, btc, side="BUY", amount="0.01", price="90000")
    sim_server.faults.add(FaultRule(kind="drop_mid", path="/api/v3/trading/order",
                                    method="POST", count=1))
    res = await service.place(draft)
    assert res.outcome is Outcome.DONE and res.by_lookup
    assert "not resent" in res.message.lower()
    orders = await service.open_orders("BTC_USDT")
    assert [o.id for o in orders] == res.order_ids  # exactly one order: no duplicate
    assert journal.get(res.entry_id).state is EntryState.DONE  # type: ignore[union-attr]


async def test_drop_before_processing_reports_not_placed(
        service: TradingService, btc: PairInfo, sim_server: SimServer,
        journal: Journal) -> None:
    draft = await draft_for(service, btc, side="BUY", amount="0.01", price="90000")
    sim_server.faults.add(FaultRule(kind="drop", path="/api/v3/trading/order",
                                    method="POST", count=1))
    res = await service.place(draft)
    assert res.outcome is Outcome.NOT_PLACED
    assert not await service.open_orders("BTC_USDT")
    entry = journal.get(res.entry_id)
    assert entry is not None and entry.state is EntryState.FAILED


async def test_lookup_by_attributes_when_list_lacks_client_order_id(
        service: TradingService, btc: PairInfo, monkeypatch) -> None:
    """The real exchange may not list client_order_id: match by the order's attributes."""
    draft = await draft_for(service, btc, side="SELL", amount="0.02", price="99000")
    ids = await service.client.place_order(**draft.request_kwargs("someone-else"))
    real_orders = service.client.orders

    async def orders_without_coid(*a, **kw):
        return [o.model_copy(update={"client_order_id": None}) for o in await real_orders(*a, **kw)]

    monkeypatch.setattr(service.client, "orders", orders_without_coid)
    since = time.time() - 10
    outcome, found, _cands, note = await service.find_placed(draft, "tui-x", since,
                                                             delays=(0.0,))
    assert outcome is Outcome.DONE and found == ids and "matched" in note
    # Two identical orders: unknown, with both as candidates.
    ids2 = await service.client.place_order(**draft.request_kwargs("someone-else-2"))
    outcome, found, cands, _ = await service.find_placed(draft, "tui-x", since,
                                                         delays=(0.0,))
    assert outcome is Outcome.UNKNOWN and {c.id for c in cands} == {ids[0], ids2[0]}


async def test_cancel_timeout_requeries_status(service: TradingService, btc: PairInfo,
                                               sim_server: SimServer) -> None:
    res = await service.place(await draft_for(service, btc, side="BUY", amount="0.01",
                                              price="90000"))
    sim_server.faults.add(FaultRule(kind="drop_mid", path="/api/v3/trading/order",
                                    method="DELETE", count=1))
    cancel = await service.cancel(res.order_ids, pair="BTC_USDT")
    assert cancel.by_lookup
    assert cancel.statuses == {res.order_ids[0]: OrderStatus.CANCELLED}


async def test_replace_moves_price_one_tick(service: TradingService, btc: PairInfo) -> None:
    res = await service.place(await draft_for(service, btc, side="BUY", amount="0.01",
                                              price="90000"))
    order = res.orders[0]
    moved = await service.replace(order, order.price + btc.price_tick, btc)  # type: ignore[operator]
    assert moved.replaced, moved.message
    open_orders = await service.open_orders("BTC_USDT")
    assert [(o.price, o.amount) for o in open_orders] == [(Decimal("90000.01"),
                                                           Decimal("0.010000"))]


async def test_reconcile_unanswered_entries(service: TradingService, btc: PairInfo,
                                            journal: Journal) -> None:
    """A crash between journaling and the answer: the next start settles both cases."""
    draft = await draft_for(service, btc, side="BUY", amount="0.01", price="90000")
    placed_coid = "tui-reconcile-placed"
    lost_coid = "tui-reconcile-lost"
    e1 = journal.begin("place", draft.summary(), client_order_id=placed_coid,
                       venue=service.venue)
    await service.client.place_order(**draft.request_kwargs(placed_coid))
    other = await draft_for(service, btc, side="SELL", amount="0.5", price="99999")
    e2 = journal.begin("place", other.summary(), client_order_id=lost_coid,
                       venue=service.venue)
    reports = await reconcile(service)
    by_entry = {r.entry_id: r for r in reports}
    assert by_entry[e1].outcome is Outcome.DONE and by_entry[e1].ids
    assert by_entry[e2].outcome is Outcome.NOT_PLACED
    assert journal.unanswered(venue=service.venue) == []
    assert len(await service.open_orders("BTC_USDT")) == 1  # nothing was resent
    assert await reconcile(service) == []


async def test_refused_connection_is_not_placed_without_lookup(journal: Journal,
                                                               btc: PairInfo) -> None:
    """Nothing listens: the request never left, so it is 'not placed' at once."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    from alp_tui.services.order_draft import OrderDraft

    async with AlpClient(f"http://127.0.0.1:{port}/api/v3", "k", "s", timeout_s=2) as client:
        service = TradingService(client, journal, lookup_delays=(0.0,))
        draft = OrderDraft.from_summary({"pair": "BTC_USDT", "side": "BUY", "type": "LIMIT",
                                         "base_amount": "0.01", "limit_price": "90000",
                                         "tif": "GTC"})
        res = await service.place(draft)
    assert res.outcome is Outcome.REJECTED and not res.by_lookup
    assert journal.get(res.entry_id).state is EntryState.FAILED  # type: ignore[union-attr]


async def test_journal_entry_is_written_before_the_request_leaves(
        service: TradingService, btc: PairInfo, journal: Journal, monkeypatch) -> None:
    draft = await draft_for(service, btc, side="BUY", amount="0.01", price="90000")
    seen: list[list[str]] = []
    real = service.client.place_order

    async def spy(**kwargs):
        # At the moment the request goes out, the journal already holds it as pending.
        seen.append([e.client_order_id for e in journal.unanswered()])
        assert kwargs["client_order_id"] in seen[-1]
        return await real(**kwargs)

    monkeypatch.setattr(service.client, "place_order", spy)
    res = await service.place(draft)
    assert seen == [[res.client_order_id]]
    assert journal.unanswered() == []


_JUNK = st.one_of(st.text(max_size=10),
                  st.sampled_from(["", "1e2", "-3", "0", "1,5", "0.1234567891"]))
_AMOUNT = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("1.5"), places=6)
_QUOTE = st.decimals(min_value=Decimal("5"), max_value=Decimal("20000"), places=2)
_PRICE = st.decimals(min_value=Decimal("80000"), max_value=Decimal("100000"), places=2)
_TEXT = st.one_of(_JUNK, *(st.one_of(_AMOUNT, _QUOTE, _PRICE).map(str),) * 4)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(otype=st.sampled_from(["LIMIT", "MARKET", "STOP_LIMIT", "STOP_MARKET"]),
       side=st.sampled_from(["BUY", "SELL"]), amount=_TEXT, price=_TEXT, stop=_TEXT,
       amount_in=st.sampled_from(["base", "quote"]),
       tif=st.sampled_from(["GTC", "IOC", "FOK", "AON"]))
async def test_whatever_validates_the_simulator_accepts(
        service: TradingService, btc: PairInfo, otype: str, side: str, amount: str,
        price: str, stop: str, amount_in: str, tif: str) -> None:
    ctx = await service.market_context(btc)
    result = build_draft(FormInput(side=side, order_type=otype, amount=amount, price=price,
                                   stop_price=stop, amount_in=amount_in, tif=tif), ctx)
    if not result.ok:
        return
    assert result.draft is not None
    event(f"sent {otype}")
    placed = await service.place(result.draft)
    assert placed.outcome is Outcome.DONE, (placed.message, placed.field_errors)
