"""An order whose answer timed out, looked up while the exchange still does not answer: the
trader waits for one lookup, not three (each waits the whole timeout again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alp_tui.api.errors import RequestTimeoutError, ServerError
from alp_tui.services.journal import EntryState, Journal
from alp_tui.services.order_draft import OrderDraft
from alp_tui.services.trading import Outcome, TradingService

DRAFT = {"pair": "BTC_USDT", "side": "BUY", "type": "LIMIT", "base_amount": "0.01",
         "limit_price": "90000", "tif": "GTC"}


class Frozen:
    """An exchange that takes the order and then never answers (a frozen server)."""

    def __init__(self, lookup_error: Exception) -> None:
        self.lookups = 0
        self.lookup_error = lookup_error

    async def place_order(self, **_: Any) -> list[int]:
        raise RequestTimeoutError("The exchange did not answer POST /trading/order within 10 s.")

    async def orders(self, **_: Any) -> list[Any]:
        self.lookups += 1
        raise self.lookup_error


async def test_a_timed_out_lookup_is_not_repeated(tmp_path: Path) -> None:
    client = Frozen(RequestTimeoutError("no answer to GET /accounts/order within 10 s"))
    journal = Journal(tmp_path / "journal.sqlite3")
    service = TradingService(client, journal, lookup_delays=(0.0, 0.0, 0.0))  # type: ignore[arg-type]
    res = await service.place(OrderDraft.from_summary(DRAFT))
    assert client.lookups == 1
    assert res.outcome is Outcome.UNKNOWN and "nothing was resent" in res.message
    assert journal.get(res.entry_id).state is EntryState.UNKNOWN  # type: ignore[union-attr]


async def test_other_lookup_errors_are_still_retried(tmp_path: Path) -> None:
    client = Frozen(ServerError("502 from the gateway"))  # the exchange answers, badly
    service = TradingService(client, Journal(tmp_path / "j.sqlite3"),  # type: ignore[arg-type]
                             lookup_delays=(0.0, 0.0, 0.0))
    res = await service.place(OrderDraft.from_summary(DRAFT))
    assert client.lookups == 3 and res.outcome is Outcome.UNKNOWN
