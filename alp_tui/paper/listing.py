"""What the paper exchange lists: the upstream's pairs and currencies, saved for offline starts.

The listing is fetched once at start with a credential-less :class:`~alp_tui.api.AlpClient`
(three public GETs) and written to ``listing.json`` in the paper directory, so a restart
while the exchange is unreachable still knows the pairs its saved orders are on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from alp_tui.sim.catalog import CurrencySpec, FeeEntry, PairSpec

ZERO = Decimal(0)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Listing:
    """Pairs and currencies as the simulator's exchange takes them."""

    pairs: tuple[PairSpec, ...]
    currencies: tuple[CurrencySpec, ...]

    def to_json(self) -> str:
        """Exact text (decimals as strings)."""
        return json.dumps({
            "pairs": [{"name": p.name, "base": p.base, "quote": p.quote,
                       "amount_precision": p.amount_precision,
                       "price_precision": p.price_precision,
                       "minimum_order_size": str(p.minimum_order_size),
                       "maximum_order_size": str(p.maximum_order_size),
                       "minimum_order_value": str(p.minimum_order_value),
                       "start_price": str(p.start_price)} for p in self.pairs],
            "currencies": [{"short_name": c.short_name, "sign": c.sign, "name": c.name,
                            "precision": c.precision} for c in self.currencies],
        }, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Listing:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        pairs = tuple(PairSpec(
            row["name"], row["base"], row["quote"], int(row["amount_precision"]),
            int(row["price_precision"]), Decimal(row["minimum_order_size"]),
            Decimal(row["maximum_order_size"]), Decimal(row["minimum_order_value"]),
            Decimal(row["start_price"])) for row in data["pairs"])
        currencies = tuple(CurrencySpec(row["short_name"], row["sign"], row["name"],
                                        int(row["precision"])) for row in data["currencies"])
        return cls(pairs, currencies)

    def with_currencies(self, codes: list[str]) -> Listing:
        """The listing plus any of ``codes`` it lacks (so starting balances always fit)."""
        have = {c.short_name for c in self.currencies}
        extra = tuple(CurrencySpec(code, code[:1], code) for code in codes if code not in have)
        return Listing(self.pairs, self.currencies + extra) if extra else self

    def merged_over(self, older: Listing) -> Listing:
        """This listing plus the pairs and currencies only ``older`` has (a pair delisted
        upstream keeps its saved orders readable)."""
        names = {p.name for p in self.pairs}
        codes = {c.short_name for c in self.currencies}
        return Listing(self.pairs + tuple(p for p in older.pairs if p.name not in names),
                       self.currencies + tuple(c for c in older.currencies
                                               if c.short_name not in codes))


def fee_schedule(maker: Decimal, taker: Decimal) -> tuple[FeeEntry, ...]:
    """One schedule row for every pair."""
    return (FeeEntry(taker, maker, 0),)


def _pair_spec(row: Any, last: Decimal) -> PairSpec | None:
    """A PairSpec from a ``/pairs`` row (a PairInfo model); None when unusable."""
    name = str(row.name)
    base, _, quote = name.partition("_")
    if not base or not quote:
        return None
    base = str(getattr(row, "currency1", None) or base)
    quote = str(getattr(row, "currency2", None) or quote)
    return PairSpec(name, base.upper(), quote.upper(), int(row.amount_precision),
                    int(row.price_precision), Decimal(row.minimum_order_size),
                    Decimal(row.maximum_order_size), Decimal(row.minimum_order_value),
                    last if last > 0 else ZERO)


async def fetch_listing(client: Any) -> Listing:
    """Pairs, currencies and last prices from the upstream (public GETs only)."""
    pairs = await client.pairs()
    currencies = await client.currencies()
    last: dict[str, Decimal] = {}
    with contextlib.suppress(Exception):  # last prices only seed valuations; optional
        for ticker in await client.tickers():
            last[str(ticker.pair)] = Decimal(ticker.last)
    specs = [s for s in (_pair_spec(row, last.get(str(row.name), ZERO)) for row in pairs)
             if s is not None]
    cur = [CurrencySpec(str(c.short_name).upper(), str(c.sign or c.short_name[:1]),
                        str(getattr(c, "name", None) or c.short_name),
                        int(getattr(c, "precision", None) or 8)) for c in currencies]
    listing = Listing(tuple(specs), tuple(cur))
    # Every pair's currencies are listed, whatever /currencies said.
    return listing.with_currencies([code for p in specs for code in (p.base, p.quote)])


def run_blocking(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` to its end on a fresh loop in a helper thread (safe to call whether or
    not the caller's thread already runs an event loop)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="alp-paper:listing", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def save_listing(path: Path, listing: Listing) -> None:
    """Write ``listing.json`` (mode 0600) atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(listing.to_json())
    os.replace(tmp, path)


def load_listing(path: Path) -> Listing | None:
    """The saved listing, or None when there is none (or it is unreadable)."""
    try:
        return Listing.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
