"""Market data as the dashboard sees it: pairs, tickers, selection, markets-table rows.

No textual here: sorting, filtering and watchlist pinning are plain functions, unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from alp_tui.api.enums import normalize_pair
from alp_tui.api.models import MarketSnapshot as MarketSnapshot  # re-exported: its old home
from alp_tui.api.models import PairInfo, Ticker
from alp_tui.services.format import format_compact, format_decimal, format_signed_percent


class SortKey(StrEnum):
    """Columns of the markets table, in display order."""

    PAIR = "pair"
    LAST = "last"
    CHANGE = "change"
    HIGH = "high"
    LOW = "low"
    VOLUME = "volume"

    @property
    def label(self) -> str:
        """Column header text."""
        return {"change": "24h %", "volume": "Vol"}.get(self.value, self.value.title())


@dataclass(frozen=True, slots=True)
class MarketRow:
    """One row of the markets table, already formatted."""

    pair: str
    watched: bool
    cells: tuple[str, str, str, str, str, str]
    change: Decimal | None


def _sort_value(key: SortKey, name: str, ticker: Ticker | None) -> tuple[int, object]:
    if key is SortKey.PAIR:
        return (0, name)
    if ticker is None or (key is not SortKey.VOLUME and not ticker.has_trades):
        return (1, Decimal(0))  # no trades: always after pairs that have a value
    value = {
        SortKey.LAST: ticker.last,
        SortKey.CHANGE: ticker.change_percent,
        SortKey.HIGH: ticker.high,
        SortKey.LOW: ticker.low,
        SortKey.VOLUME: ticker.vol,
    }[key]
    return (0, value) if value is not None else (1, Decimal(0))


def build_rows(
    names: Iterable[str],
    tickers: dict[str, Ticker],
    pairs: dict[str, PairInfo],
    watchlist: list[str],
    *,
    sort: SortKey = SortKey.PAIR,
    reverse: bool = False,
    query: str = "",
) -> list[MarketRow]:
    """Rows filtered by ``query`` (substring, case-insensitive, ``/`` or ``_`` alike),
    watchlist first, each group sorted by ``sort``; pairs with no value sort last."""
    needle = normalize_pair(query) if query else ""
    watched = set(watchlist)
    chosen = [n for n in names if needle in n]

    def order(group: list[str]) -> list[str]:
        with_value = [n for n in group if _sort_value(sort, n, tickers.get(n))[0] == 0]
        without = [n for n in group if _sort_value(sort, n, tickers.get(n))[0] == 1]
        with_value.sort(key=lambda n: (_sort_value(sort, n, tickers.get(n))[1], n),
                        reverse=reverse)
        return with_value + sorted(without)

    ordered = order([n for n in chosen if n in watched]) + order(
        [n for n in chosen if n not in watched]
    )
    return [row_for(n, tickers.get(n), pairs.get(n), n in watched) for n in ordered]


def row_for(name: str, ticker: Ticker | None, info: PairInfo | None, watched: bool) -> MarketRow:
    """Format one pair's row at its own price precision."""
    if ticker is None:
        return MarketRow(name, watched, (name, "—", "—", "—", "—", "—"), None)
    places = info.price_precision if info else (ticker.price_precision or 2)
    if not ticker.has_trades:
        return MarketRow(
            name, watched, (name, "no trades", "—", "—", "—", format_compact(ticker.vol)), None
        )
    change = ticker.change_percent
    return MarketRow(
        name,
        watched,
        (
            name,
            format_decimal(ticker.last, places),
            format_signed_percent(change),
            format_decimal(ticker.high, places),
            format_decimal(ticker.low, places),
            format_compact(ticker.vol),
        ),
        change,
    )


class MarketService:
    """Holds the latest pairs and tickers, the selected pair and the watchlist."""

    def __init__(self, pair: str, watchlist: list[str]) -> None:
        self.selected = normalize_pair(pair)
        self.watchlist = [normalize_pair(p) for p in watchlist]
        self.pairs: dict[str, PairInfo] = {}
        self.tickers: dict[str, Ticker] = {}
        self.version = 0

    def apply(self, snapshot: MarketSnapshot) -> bool:
        """Take in one ``tickers`` answer; True when the pair list itself changed."""
        pairs_changed = False
        if snapshot.pairs is not None:
            new = {p.name: p for p in snapshot.pairs}
            pairs_changed = new.keys() != self.pairs.keys()
            self.pairs = new
        self.tickers = {t.pair: t for t in snapshot.tickers}
        self.version += 1
        return pairs_changed

    @property
    def names(self) -> list[str]:
        """Every known pair name (pairs list, plus any ticker not in it)."""
        names = dict.fromkeys(self.pairs)
        names.update(dict.fromkeys(self.tickers))
        return list(names)

    def info(self, name: str | None = None) -> PairInfo | None:
        """PairInfo of ``name`` (default: the selected pair), when known."""
        return self.pairs.get(self.selected if name is None else normalize_pair(name))

    def ticker(self, name: str | None = None) -> Ticker | None:
        """Latest ticker of ``name`` (default: the selected pair)."""
        return self.tickers.get(self.selected if name is None else normalize_pair(name))

    def toggle_watch(self, name: str) -> bool:
        """Add or remove ``name`` from the watchlist; True when it is now watched."""
        name = normalize_pair(name)
        if name in self.watchlist:
            self.watchlist.remove(name)
            return False
        self.watchlist.append(name)
        return True
