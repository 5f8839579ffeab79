"""Child process for the kill -9 matrix row: places one order through the trading service
and waits for an answer that the test's simulator holds back; the test SIGKILLs it.

Usage: ``python place_and_wait.py BASE_URL JOURNAL_PATH`` with ``ALP_API_KEY`` and
``ALP_API_SECRET`` in the environment."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, TimeInForce
from alp_tui.services.journal import Journal
from alp_tui.services.order_draft import OrderDraft
from alp_tui.services.trading import TradingService


async def main(base_url: str, journal_path: str) -> None:
    """Place the order; print the outcome if an answer ever comes (it should not)."""
    draft = OrderDraft(pair="BTC_USDT", side=OrderSide.BID, order_type=OrderType.LIMIT,
                       base_amount=Decimal("0.01"), limit_price=Decimal("90000.00"),
                       tif=TimeInForce.GTC)
    async with AlpClient(base_url, os.environ["ALP_API_KEY"], os.environ["ALP_API_SECRET"],
                         timeout_s=60) as client:
        service = TradingService(client, Journal(journal_path))
        print("sending", flush=True)
        result = await service.place(draft)
        print(f"answered: {result.outcome}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
