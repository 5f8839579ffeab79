"""Public endpoints of the ALP.COM v3 API (no key needed): currencies, pairs, tickers,
the order book, candles, public trades and currency rates."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any, overload

from alp_tui.api.client_engine import RequestEngine
from alp_tui.api.enums import ChartInterval, normalize_pair
from alp_tui.api.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    RequestError,
    ValidationError,
)
from alp_tui.api.models import Candle, Currency, OrderBook, PairInfo, PublicTrade, Ticker
from alp_tui.api.transport import to_count, to_currency, to_pair, to_unix

log = logging.getLogger("alp_tui.api")


def _interval(value: Any) -> ChartInterval:
    """ChartInterval from the enum, minutes (int or str), a name (``HOUR``) or ``1h``/``1D``."""
    if isinstance(value, ChartInterval):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return ChartInterval(value)
        except ValueError:
            pass
    elif isinstance(value, str):
        text = value.strip()
        try:
            return ChartInterval(text)
        except ValueError:
            for member in ChartInterval:
                if member.label.lower() == text.lower():
                    return member
    allowed = ", ".join(str(m.value) for m in ChartInterval)
    raise RequestError(f"interval must be one of {allowed} (minutes); got {value!r}.",
                       field="interval")


class PublicEndpoints(RequestEngine):
    """GET endpoints anyone may call."""

    _book_path: str | None = None  # "/orderbook" or "/order_book" once known

    async def currencies(self) -> list[Currency]:
        """GET /currencies: every listed currency."""
        return await self._get(list[Currency], "/currencies")

    async def pairs(self, currency1: str | None = None,
                    currency2: str | None = None) -> list[PairInfo]:
        """GET /pairs, optionally filtered by base (currency1) or quote (currency2)."""
        params = {
            "currency1": to_currency(currency1, "currency1") if currency1 is not None else None,
            "currency2": to_currency(currency2, "currency2") if currency2 is not None else None,
        }
        return await self._get(list[PairInfo], "/pairs", params)

    @overload
    async def ticker(self, pair: None = None, *, pair_id: None = None) -> list[Ticker]: ...
    @overload
    async def ticker(self, pair: str, *, pair_id: None = None) -> Ticker: ...
    @overload
    async def ticker(self, pair: None = None, *, pair_id: int) -> Ticker: ...

    async def ticker(self, pair: str | None = None, *,
                     pair_id: int | None = None) -> Ticker | list[Ticker]:
        """GET /ticker: one Ticker for ``pair`` (or the reference's ``pair_id``), or the
        list of all when neither is given."""
        if pair is None and pair_id is None:
            return await self.tickers()
        if pair is not None:
            wanted: str | None = to_pair(pair)
            params: dict[str, Any] = {"pair": wanted}
        else:
            wanted = None
            params = {"pair_id": to_count(pair_id, "pair_id", minimum=1)}
        data = await self._request("GET", "/ticker", params=params)
        if isinstance(data, list):
            # Some servers answer a list even for one pair: pick the one asked for, and
            # never a ticker of another pair.
            rows = [r for r in data if isinstance(r, dict) and isinstance(r.get("pair"), str)
                    and (wanted is None or normalize_pair(r["pair"]) == wanted)]
            if len(rows) == 1:
                data = rows[0]
            elif len(data) == 1 and isinstance(data[0], dict) and "pair" not in data[0]:
                data = data[0]
            else:
                what = wanted or f"pair_id {pair_id}"
                raise BadResponseError(
                    f"The exchange's answer to GET /ticker held no single ticker for {what}.",
                    endpoint="/ticker",
                )
        return self._parse(Ticker, data, "GET", "/ticker")

    async def tickers(self) -> list[Ticker]:
        """GET /ticker without a pair: every pair's ticker."""
        return await self._get(list[Ticker], "/ticker")

    async def orderbook(self, pair: str, group: bool | int | None = None,
                        limit_buy: int | None = None,
                        limit_sell: int | None = None) -> OrderBook:
        """GET /orderbook (falls back once to the reference's /order_book when the server
        does not know /orderbook: 401, 404 or 405)."""
        params = {
            "pair": to_pair(pair),
            "group": None if group is None else int(bool(group)),
            "limit_buy": None if limit_buy is None else to_count(limit_buy, "limit_buy",
                                                                  minimum=1),
            "limit_sell": None if limit_sell is None else to_count(limit_sell, "limit_sell",
                                                                    minimum=1),
        }
        path = self._book_path or "/orderbook"
        try:
            data = await self._request("GET", path, params=params)
        except (NotFoundError, AuthError, ValidationError) as exc:
            # A server with only the reference's /order_book answers the unknown path 404,
            # 405 or, like the live exchange does for any unknown path, 401.
            if self._book_path is not None or exc.status not in (401, 404, 405):
                raise
            path = "/order_book"
            data = await self._request("GET", path, params=params)
        self._book_path = path
        return self._parse(OrderBook, data, "GET", path)

    async def charts(self, pair: str, interval: ChartInterval | int | str,
                     since: int | datetime | None = None, until: int | datetime | None = None,
                     limit: int | None = None) -> list[Candle]:
        """GET /charts: candles of ``interval`` (enum, minutes, name or label like ``1h``)."""
        params = {
            "pair": to_pair(pair),
            "interval": _interval(interval).value,
            "since": None if since is None else to_unix(since, "since"),
            "until": None if until is None else to_unix(until, "until"),
            "limit": None if limit is None else to_count(limit, "limit", minimum=1),
        }
        return await self._get(list[Candle], "/charts", params)

    async def trades(self, pair: str, limit: int | None = None,
                     offset: int | None = None) -> list[PublicTrade]:
        """GET /trades: the pair's latest public trades."""
        params = {
            "pair": to_pair(pair),
            "limit": None if limit is None else to_count(limit, "limit", minimum=1),
            "offset": None if offset is None else to_count(offset, "offset"),
        }
        return await self._get(list[PublicTrade], "/trades", params)

    async def currency_rates(self) -> dict[str, Decimal]:
        """GET /currency-rates (later edition): currency → rate, as exact Decimals."""
        data = await self._request("GET", "/currency-rates")
        if not isinstance(data, dict):
            raise BadResponseError(
                "The exchange's answer to GET /currency-rates is not an object.",
                endpoint="/currency-rates",
            )
        rates: dict[str, Decimal] = {}
        for name, value in data.items():
            try:
                rate = Decimal(value.strip()) if isinstance(value, str) else None
                if isinstance(value, Decimal | int) and not isinstance(value, bool):
                    rate = Decimal(value)
            except ArithmeticError:
                rate = None
            if rate is None or not rate.is_finite():
                # One odd entry among hundreds should not cost the whole table.
                log.debug("Skipping a non-numeric currency rate for %s.", name)
                continue
            rates[str(name)] = rate
        return rates
