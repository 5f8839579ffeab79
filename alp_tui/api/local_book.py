"""A local copy of one pair's order book, kept from the WebSocket feed.

The live feed sends no snapshot on subscribe, so the book is seeded from REST after the
subscription is acknowledged, then

* replaced whole by each ``market_depth`` (``p``) frame, or
* updated by each ``diff`` (``d``) frame: ``[price, amount_delta]`` per side; a level whose
  amount reaches zero disappears.

What makes the book untrustworthy, and is detected here:

* a gap in the simulator's per-pair diff sequence number (``seq``, exact detection);
* a crossed book (best bid >= best ask) or a negative amount after a diff;
* a difference from REST found by :meth:`BookSync.verify` (run periodically by the
  owner); only compared when no diff arrived while the REST request was in flight, so a
  moving market does not cause false alarms.

Without ``seq`` (the live exchange sends no diffs at all; a foreign server might send them
without numbers) a lost diff that neither crosses the book nor drives an amount negative
is found only by the periodic REST comparison. Any of these triggers a resync from REST.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from enum import StrEnum

from sortedcontainers import SortedDict

from alp_tui.api.models import BookLevel, OrderBook
from alp_tui.api.stream_events import AnyEvent, DepthEvent, DiffEvent, SubscribeAck

log = logging.getLogger(__name__)

BOOK_DEPTH = 20


class DiffOutcome(StrEnum):
    """What applying a diff did."""

    APPLIED = "applied"
    IGNORED = "ignored"  # not seeded yet, or another pair
    GAP = "gap"
    CROSSED = "crossed"
    NEGATIVE = "negative"


class LocalBook:
    """One pair's book: asks ascending, bids descending, exact ``Decimal`` amounts."""

    def __init__(self, pair: str) -> None:
        self.pair = pair
        self._asks: SortedDict = SortedDict()
        self._bids: SortedDict = SortedDict()  # keyed by -price for descending order
        self.seeded = False
        self.last_seq: int | None = None
        self.version = 0  # bumps on every change; lets a UI skip unchanged redraws

    # --- whole-book replacement ---------------------------------------------------------
    def replace(
        self,
        bids: Iterable[tuple[Decimal, Decimal]],
        asks: Iterable[tuple[Decimal, Decimal]],
    ) -> None:
        """Replace both sides; rows at one price are summed (an ungrouped REST book has a
        row per order), zero or negative levels skipped."""
        new_asks: SortedDict = SortedDict()
        new_bids: SortedDict = SortedDict()
        for side, sign, rows in ((new_asks, 1, asks), (new_bids, -1, bids)):
            for price, amount in rows:
                if amount > 0:
                    key = price * sign
                    side[key] = side.get(key, Decimal(0)) + amount
        self._asks = new_asks
        self._bids = new_bids
        self.seeded = True
        self.last_seq = None
        self.version += 1

    def seed(self, book: OrderBook) -> None:
        """Replace the book with a REST answer."""
        self.replace(((lv.price, lv.amount) for lv in book.buy),
                     ((lv.price, lv.amount) for lv in book.sell))

    def apply_depth(self, event: DepthEvent) -> None:
        """Replace the book with a ``p`` frame's top of book."""
        self.replace(event.bids, event.asks)

    def clear(self) -> None:
        """Forget everything (e.g. the pair changed or a resync is pending)."""
        self._asks.clear()
        self._bids.clear()
        self.seeded = False
        self.last_seq = None
        self.version += 1

    # --- incremental --------------------------------------------------------------------
    def apply_diff(self, event: DiffEvent) -> DiffOutcome:
        """Apply a ``d`` frame. On any outcome other than APPLIED/IGNORED the book is no
        longer trustworthy: the caller resyncs (the book is left as it was for GAP)."""
        if event.pair != self.pair or not self.seeded:
            return DiffOutcome.IGNORED
        if event.seq is not None:
            if self.last_seq is not None and event.seq != self.last_seq + 1:
                if event.seq <= self.last_seq:
                    return DiffOutcome.IGNORED  # a duplicate / replay
                return DiffOutcome.GAP
            self.last_seq = event.seq
        negative = False
        for side, key_sign, levels in ((self._asks, 1, event.asks), (self._bids, -1, event.bids)):
            for price, delta in levels:
                key = price * key_sign
                amount = side.get(key, Decimal(0)) + delta
                if amount > 0:
                    side[key] = amount
                else:
                    side.pop(key, None)
                    if amount < 0:
                        negative = True
        self.version += 1
        if negative:
            return DiffOutcome.NEGATIVE
        if self.crossed:
            return DiffOutcome.CROSSED
        return DiffOutcome.APPLIED

    # --- reading ------------------------------------------------------------------------
    @property
    def crossed(self) -> bool:
        """True when the best bid is at or above the best ask."""
        if not self._asks or not self._bids:
            return False
        return -self._bids.peekitem(0)[0] >= self._asks.peekitem(0)[0]

    def best_bid(self) -> Decimal | None:
        """Highest bid price."""
        return -self._bids.peekitem(0)[0] if self._bids else None

    def best_ask(self) -> Decimal | None:
        """Lowest ask price."""
        return self._asks.peekitem(0)[0] if self._asks else None

    def levels(self, limit: int | None = BOOK_DEPTH) -> tuple[list[tuple[Decimal, Decimal]],
                                                           list[tuple[Decimal, Decimal]]]:
        """(bids best first, asks best first), at most ``limit`` a side."""
        bids = [(-k, v) for k, v in self._bids.items()[:limit]]
        asks = list(self._asks.items()[:limit])
        return bids, asks

    def snapshot(self, limit: int | None = BOOK_DEPTH) -> OrderBook:
        """The book as the shared :class:`OrderBook` model."""
        bids, asks = self.levels(limit)
        return OrderBook(
            buy=[BookLevel(price=p, amount=a) for p, a in bids],
            sell=[BookLevel(price=p, amount=a) for p, a in asks],
        )

    def matches(self, book: OrderBook, limit: int = BOOK_DEPTH) -> bool:
        """True when the top ``limit`` levels equal ``book``'s (exact Decimal equality)."""
        bids, asks = self.levels(limit)
        other_bids = [(lv.price, lv.amount) for lv in book.buy[:limit]]
        other_asks = [(lv.price, lv.amount) for lv in book.sell[:limit]]
        return bids == other_bids and asks == other_asks

    def __repr__(self) -> str:
        return (f"LocalBook({self.pair!r}, bids={len(self._bids)}, asks={len(self._asks)}, "
                f"seeded={self.seeded}, seq={self.last_seq})")


BookFetcher = Callable[[str], Awaitable[OrderBook]]


class BookSync:
    """Keeps a :class:`LocalBook` right: seeds and resyncs it from REST, applies frames.

    ``fetch(pair)`` returns the REST book. ``on_change(book)`` is called after every change
    that leaves the book trustworthy. Diffs arriving while a REST fetch is in flight are
    dropped (the snapshot is assumed to contain them); if that guess was wrong, the next
    sequence check or :meth:`verify` finds the difference and resyncs.
    """

    def __init__(
        self,
        pair: str,
        fetch: BookFetcher,
        on_change: Callable[[LocalBook], None] | None = None,
    ) -> None:
        self.book = LocalBook(pair)
        self._fetch = fetch
        self._on_change = on_change
        self._lock = asyncio.Lock()
        self._fetching = False
        self.resyncs = 0
        self.last_resync_reason: str | None = None

    @property
    def pair(self) -> str:
        """The pair kept."""
        return self.book.pair

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.book)

    async def resync(self, reason: str = "seed") -> bool:
        """Replace the book with a REST snapshot. False when the fetch failed."""
        async with self._lock:
            self._fetching = True
            try:
                snapshot = await self._fetch(self.pair)
            except Exception as exc:  # any failure means "not seeded"
                log.info("order book resync for %s failed: %s", self.pair, type(exc).__name__)
                self.book.clear()
                return False
            finally:
                self._fetching = False
            self.book.seed(snapshot)
            if reason != "seed":
                self.resyncs += 1
            self.last_resync_reason = reason
        self._changed()
        return True

    def on_event(self, event: AnyEvent) -> None:
        """Feed every stream event here: an acknowledgement of this pair's ``diff`` or
        ``market_depth`` topic (re)seeds from REST — the feed sends no snapshot, and a
        reconnect may have missed changes — and ``d`` / ``p`` frames update the book."""
        if isinstance(event, DiffEvent):
            self.on_diff(event)
        elif isinstance(event, DepthEvent):
            self.on_depth(event)
        elif isinstance(event, SubscribeAck) and any(
            t in (f"diff.{self.pair}", f"market_depth.{self.pair}") for t in event.topics
        ):
            self.book.seeded = False
            self._schedule_resync("seed")

    def on_depth(self, event: DepthEvent) -> None:
        """A ``p`` frame replaces the book."""
        if event.pair != self.pair:
            return
        self.book.apply_depth(event)
        self._changed()

    def on_diff(self, event: DiffEvent) -> DiffOutcome:
        """Apply a ``d`` frame; schedules a resync when the book went wrong."""
        if event.pair != self.pair:
            return DiffOutcome.IGNORED
        if self._fetching:
            return DiffOutcome.IGNORED
        outcome = self.book.apply_diff(event)
        if outcome is DiffOutcome.APPLIED:
            self._changed()
        elif outcome in (DiffOutcome.GAP, DiffOutcome.CROSSED, DiffOutcome.NEGATIVE):
            log.info("order book %s: %s, resyncing from REST", self.pair, outcome.value)
            self.book.seeded = False
            self._schedule_resync(outcome.value)
        return outcome

    def _schedule_resync(self, reason: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.resync(reason))
        _background.add(task)
        task.add_done_callback(_background.discard)

    async def verify(self) -> bool | None:
        """Compare with REST; resync on a difference. None when the comparison was skipped
        (a diff arrived while the request was in flight, or the fetch failed)."""
        if not self.book.seeded or self._lock.locked():
            return None
        version = self.book.version
        try:
            snapshot = await self._fetch(self.pair)
        except Exception:
            return None
        if self.book.version != version or not self.book.seeded:
            return None
        if self.book.matches(snapshot):
            return True
        log.info("order book %s differs from REST, resyncing", self.pair)
        self.book.seed(snapshot)
        self.resyncs += 1
        self.last_resync_reason = "verify"
        self._changed()
        return False


_background: set[asyncio.Task[object]] = set()
