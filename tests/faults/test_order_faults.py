"""Matrix rows: an order POST that times out or loses its connection after sending, and a
cancel DELETE that times out. The service never resends; it looks the order up and says
placed (id) / not placed / unknown (candidates). The simulator's ledger proves there is
never a duplicate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderStatus
from alp_tui.services.journal import EntryState, Journal
from alp_tui.services.trading import Outcome, TradingService
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from tests.support.dashboard import Recorder, buy_draft
from tests.support.sim import HoldingSimServer, ledger_orders

ORDER = "/api/v3/trading/order"


class WithoutClientIds:
    """The client, except that its order list does not carry ``client_order_id`` (as on
    exchanges whose list omits it), so lookups must match by the order's fields."""

    def __init__(self, client: AlpClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def orders(self, *args: Any, **kwargs: Any) -> Any:
        rows = await self._client.orders(*args, **kwargs)
        return [o.model_copy(update={"client_order_id": None}) for o in rows]


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    """A journal on disk."""
    return Journal(tmp_path / "journal.sqlite3")


def _service(client: Any, journal: Journal) -> TradingService:
    return TradingService(client, journal, lookup_delays=(0.0, 0.5, 1.0))


async def test_timeout_after_the_order_was_placed(
        make_sim_server: Any, recorder: Recorder, journal: Journal) -> None:
    server = HoldingSimServer(seed=1, market_life=False)
    server.start()
    try:
        server.hold.arm(1, hold_s=3.0)  # processed at once, answered after 3 s
        async with AlpClient(server.base_url, server.api_key, server.api_secret,
                             timeout_s=1.0) as client:
            client.add_observer(recorder)
            result = await _service(client, journal).place(buy_draft())
        assert server.hold.processed.is_set()
        assert result.outcome is Outcome.DONE, result.message
        assert "did not answer" in result.message and "found by client order id" in result.message
        assert [o["id"] for o in ledger_orders(server)] == result.order_ids
        assert len(recorder.to("/trading/order", "POST")) == 1
    finally:
        server.hold.release.set()
        server.stop()


@pytest.mark.parametrize("fault,expected", [
    # held past the client's timeout *before* processing: the client gave up and closed the
    # connection, so the exchange never took it
    (FaultRule(kind="latency", path=ORDER, method="POST", latency_s=2.0, count=1),
     Outcome.NOT_PLACED),
    # processed, then the connection dropped mid-answer
    (FaultRule(kind="drop_mid", path=ORDER, method="POST", count=1), Outcome.DONE),
    # the connection dropped before the server saw the request
    (FaultRule(kind="drop", path=ORDER, method="POST", count=1), Outcome.NOT_PLACED),
    # a 502 from a proxy: the request never reached the exchange
    (FaultRule(kind="status", path=ORDER, method="POST", status=502, count=1),
     Outcome.NOT_PLACED),
], ids=["timeout-before-processing", "drop-after-send", "drop-before", "502"])
async def test_lost_place_answer_is_looked_up_never_resent(
        sim_server: SimServer, client: AlpClient, recorder: Recorder, journal: Journal,
        fault: FaultRule, expected: Outcome) -> None:
    service = _service(client, journal)
    before = len(ledger_orders(sim_server))
    sim_server.faults.add(fault)
    result = await service.place(buy_draft())
    assert result.outcome is expected, result.message
    assert result.by_lookup
    assert len(recorder.to("/trading/order", "POST")) == 1  # never resent
    mine = ledger_orders(sim_server, result.client_order_id)
    if expected is Outcome.DONE:
        assert [o["id"] for o in mine] == result.order_ids
        assert "placed" in result.message and f"#{result.order_ids[0]}" in result.message
        assert journal.get(result.entry_id).state is EntryState.DONE  # type: ignore[union-attr]
    else:
        assert mine == [] and "not placed" in result.message
        assert journal.get(result.entry_id).state is EntryState.FAILED  # type: ignore[union-attr]
    assert len(ledger_orders(sim_server)) == before + len(mine)  # no duplicate


async def test_lookup_by_fields_when_the_list_has_no_client_ids(
        sim_server: SimServer, client: AlpClient, recorder: Recorder,
        journal: Journal) -> None:
    service = _service(WithoutClientIds(client), journal)
    sim_server.faults.add(FaultRule(kind="drop_mid", path=ORDER, method="POST", count=1))
    result = await service.place(buy_draft())
    assert result.outcome is Outcome.DONE, result.message
    assert "matched by pair, side, type, amount, price and time" in result.message
    assert [o["id"] for o in ledger_orders(sim_server)] == result.order_ids
    assert len(recorder.to("/trading/order", "POST")) == 1


async def test_ambiguous_lookup_reports_unknown_with_candidates(
        sim_server: SimServer, client: AlpClient, recorder: Recorder,
        journal: Journal) -> None:
    service = _service(WithoutClientIds(client), journal)
    twin = await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                    limit_price="90000.00")  # same fields, not journaled
    sim_server.faults.add(FaultRule(kind="drop_mid", path=ORDER, method="POST", count=1))
    result = await service.place(buy_draft())
    assert result.outcome is Outcome.UNKNOWN, result.message
    ours = ledger_orders(sim_server, result.client_order_id)
    assert len(ours) == 1
    assert sorted(c.id for c in result.candidates) == sorted([twin[0], ours[0]["id"]])
    assert "candidates" in result.message and "nothing was resent" in result.message
    assert journal.get(result.entry_id).state is EntryState.UNKNOWN  # type: ignore[union-attr]
    assert len(recorder.to("/trading/order", "POST")) == 2  # the twin's and ours, once each
    assert len(ledger_orders(sim_server)) == 2


@pytest.mark.parametrize("fault,status", [
    (FaultRule(kind="drop_mid", path=ORDER, method="DELETE", count=1), OrderStatus.CANCELLED),
    (FaultRule(kind="drop", path=ORDER, method="DELETE", count=1), OrderStatus.OPEN),
], ids=["processed", "never-arrived"])
async def test_cancel_with_lost_answer_reports_the_real_status(
        sim_server: SimServer, client: AlpClient, recorder: Recorder, journal: Journal,
        fault: FaultRule, status: OrderStatus) -> None:
    service = _service(client, journal)
    placed = await service.place(buy_draft())
    (oid,) = placed.order_ids
    sim_server.faults.add(fault)
    result = await service.cancel([oid], pair="BTC_USDT")
    assert result.by_lookup and result.outcome is Outcome.DONE
    assert result.statuses == {oid: status}
    assert f"#{oid}" in result.message or "cancelled" in result.message
    (row,) = [o for o in ledger_orders(sim_server) if o["id"] == oid]
    assert OrderStatus(row["status"]) is status
    assert len(recorder.to("/trading/order", "DELETE")) == 1


async def test_cancel_timeout_after_processing_reports_cancelled(
        recorder: Recorder, journal: Journal) -> None:
    server = HoldingSimServer(seed=1, market_life=False)
    server.start()
    try:
        async with AlpClient(server.base_url, server.api_key, server.api_secret,
                             timeout_s=1.0) as client:
            client.add_observer(recorder)
            service = _service(client, journal)
            (oid,) = (await service.place(buy_draft())).order_ids
            server.hold.method = "DELETE"
            server.hold.arm(1, hold_s=3.0)
            result = await service.cancel([oid], pair="BTC_USDT")
        assert result.by_lookup and "did not answer" in result.message
        assert result.statuses == {oid: OrderStatus.CANCELLED}
        (row,) = ledger_orders(server)
        assert row["status"] == OrderStatus.CANCELLED.value
        assert len(recorder.to("/trading/order", "DELETE")) == 1
    finally:
        server.hold.release.set()
        server.stop()


async def test_cancel_timeout_before_processing_reports_open(
        sim_server: SimServer, client: AlpClient, recorder: Recorder,
        journal: Journal) -> None:
    service = _service(client, journal)
    (oid,) = (await service.place(buy_draft())).order_ids
    rule = sim_server.faults.add(FaultRule(kind="latency", path=ORDER, method="DELETE",
                                           latency_s=2.0, count=1))
    result = await service.cancel([oid], pair="BTC_USDT")
    assert result.by_lookup and "did not answer" in result.message
    assert result.statuses == {oid: OrderStatus.OPEN}
    assert rule.fired == 1
    await asyncio.sleep(2.0)  # the held request's own delay: it still never lands
    (row,) = [o for o in ledger_orders(sim_server) if o["id"] == oid]
    assert row["status"] == OrderStatus.OPEN.value
    assert len(recorder.to("/trading/order", "DELETE")) == 1
