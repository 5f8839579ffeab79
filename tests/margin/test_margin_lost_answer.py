"""A margin request whose answer is lost is never sent again: the history settles it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.services.journal import EntryState, Journal
from alp_tui.services.margin import LoanRequest, MarginRequestError, MarginService
from alp_tui.sim.faults import FaultRule


@pytest.fixture
async def service(sim_server: Any, tmp_path: Path) -> AsyncIterator[MarginService]:
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         timeout_s=3) as client:
        await client.margin_transfer("CROSS_MARGIN", "ADD", Decimal(1000), "USDT")
        journal = Journal(tmp_path / "journal.sqlite3")
        yield MarginService(client, journal=journal)
        journal.close()


def _borrow_count(sim_server: Any) -> int:
    ex = sim_server.exchange
    return len(ex.borrows(ex.find_api_key(sim_server.api_key).account_id))


async def test_answer_lost_after_processing_is_found_in_history(
    sim_server: Any, service: MarginService
) -> None:
    sim_server.faults.add(FaultRule(kind="drop_mid", path="/api/v3/margin/borrow",
                                    method="POST", count=1))
    req = LoanRequest.build(wallet_type="CROSS_MARGIN", amount="250", currency="USDT")
    result = await service.borrow(req)
    assert result.operation_id is not None
    assert _borrow_count(sim_server) == 1  # done once, never resent
    (entry,) = service.journal.entries()
    assert entry.state is EntryState.DONE and "found_in_history" in entry.response


async def test_answer_lost_before_processing_stays_unknown_and_is_not_resent(
    sim_server: Any, service: MarginService
) -> None:
    sim_server.faults.add(FaultRule(kind="drop", path="/api/v3/margin/borrow",
                                    method="POST", count=1))
    req = LoanRequest.build(wallet_type="CROSS_MARGIN", amount="250", currency="USDT")
    with pytest.raises(MarginRequestError) as info:
        await service.borrow(req)
    assert "nothing was sent again" in info.value.message.lower()
    # said once, not twice ("may or may not have been processed… may or may not have
    # done it")
    assert info.value.message.count("may or may not") == 1
    assert _borrow_count(sim_server) == 0
    (entry,) = service.journal.entries()
    assert entry.state is EntryState.UNKNOWN
