"""The topics the dashboard polls and how each is fetched from the client.

Add a topic: write an ``async def fetch(params) -> data`` using the client, add a
:class:`TopicSpec` in :func:`default_topics` (and a ``[polling]`` key in config), then give
a pane that ``topic`` (see ``alp_tui/ui/panes/registry.py``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from alp_tui.config import PollingConfig
from alp_tui.feed.poller import FeedParams, TopicSpec
from alp_tui.services.margin import fetch_margin_snapshot
from alp_tui.services.market import MarketSnapshot

BOOK_DEPTH = 50
CANDLES = 200
TRADES = 50
PAIRS_REFRESH_S = 300.0

PUBLIC_TOPICS = ("tickers", "orderbook", "chart", "trades")
PRIVATE_TOPICS = ("balances", "orders", "history", "margin")


class _PairsCache:
    def __init__(self) -> None:
        self.loaded_at: float | None = None


def default_topics(client: Any, polling: PollingConfig) -> list[TopicSpec]:
    """Every topic the dashboard knows, bound to ``client``."""
    cache = _PairsCache()

    async def tickers(params: FeedParams) -> MarketSnapshot:
        now = time.monotonic()
        if cache.loaded_at is None or now - cache.loaded_at > PAIRS_REFRESH_S:
            pairs, ticks = await asyncio.gather(client.pairs(), client.tickers())
            cache.loaded_at = now
            return MarketSnapshot(tickers=ticks, pairs=pairs)
        return MarketSnapshot(tickers=await client.tickers())

    async def orderbook(params: FeedParams) -> Any:
        return await client.orderbook(
            params.pair,
            group=1 if params.grouped else None,
            limit_buy=BOOK_DEPTH,
            limit_sell=BOOK_DEPTH,
        )

    async def chart(params: FeedParams) -> Any:
        return await client.charts(params.pair, params.interval, limit=CANDLES)

    async def trades(params: FeedParams) -> Any:
        return await client.trades(params.pair, limit=TRADES)

    async def balances(params: FeedParams) -> Any:
        return await client.balances()

    async def orders(params: FeedParams) -> Any:
        return await client.orders(open_only=True)

    async def history(params: FeedParams) -> Any:
        return await client.orders(pair=params.pair or None)

    async def margin(params: FeedParams) -> Any:
        # Loans of both kinds + balances + tickers: the pane works out margin levels.
        return await fetch_margin_snapshot(client)

    pair = frozenset({"pair"})
    return [
        TopicSpec("tickers", tickers, polling.tickers),
        TopicSpec("orderbook", orderbook, polling.orderbook, depends_on=pair | {"grouped"}),
        TopicSpec("chart", chart, polling.chart, depends_on=pair | {"interval"}),
        TopicSpec("trades", trades, polling.trades, depends_on=pair),
        TopicSpec("balances", balances, polling.balances, private=True),
        TopicSpec("orders", orders, polling.orders, private=True),
        TopicSpec("history", history, polling.history, private=True, depends_on=pair),
        TopicSpec("margin", margin, polling.margin, private=True),
    ]
