"""The account state: balances, open orders, loans and what follows from them.

Fed by the session with each topic's data (polled or streamed); answers an
:class:`~alp_tui.session.events.AccountSnapshot` for the UI and the alert engine, and the
fills found in the account's own trades. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from alp_tui.api.models import AccountTrade, Balance, Loan, Order, Ticker
from alp_tui.services.margin_alerts import MarginThresholds, WalletKey
from alp_tui.services.margin_math import USDT, MarginSnapshot, PriceBook, wallet_key
from alp_tui.services.trade_results import AccountChange
from alp_tui.session.events import AccountSnapshot, FillEvent, WalletLevel

HOLD_S = 5.0
"""How long an order the user's own action placed or removed overrides older answers (a
poll sent before the action can answer after it)."""


class AccountState:
    """What the session knows of the account, updated topic by topic."""

    def __init__(self, thresholds: MarginThresholds | None = None, quote: str = USDT) -> None:
        self.thresholds = thresholds or MarginThresholds()
        self.quote = quote
        self.balances: tuple[Balance, ...] = ()
        self.open_orders: tuple[Order, ...] = ()
        self.loans: tuple[Loan, ...] = ()
        self.tickers: dict[str, Ticker] = {}
        self.pair = ""
        self.known: set[str] = set()
        self._seen_trades: set[Any] = set()  # told, by the stream or by a poll
        self._primed = False  # the first poll only remembers (no replay at start)
        # id → (the order as we placed it, or None: gone; when we learned it)
        self._held: dict[int, tuple[Order | None, float]] = {}
        # A margin wallet's balances moved (a borrow, repay, transfer or fill, here or in
        # another client) since its loans were last read: its rows as they were before,
        # which still go with the loans held, and the count of the last move. The loans
        # come later (polled) than the balances (often streamed); mixing them showed a
        # borrow's level far too high for seconds, a repay's too low (a false alert).
        self._before: dict[WalletKey, tuple[Balance, ...]] = {}
        self._moved_at: dict[WalletKey, int] = {}
        self.moves = 0  # margin-wallet balance moves so far
        self._asked: int | None = None  # self.moves when the loans now read were asked
        self.snapshot = AccountSnapshot()

    # --- inputs -------------------------------------------------------------------------
    def set_balances(self, balances: Iterable[Balance], *, with_loans: bool = False) -> bool:
        """Every wallet's balances (spot and margin). True when a margin wallet's balances
        moved while loans are known: its loans are worth reading now, and until they are
        (:meth:`set_loans`) its level stays the one of its last balances that went with
        them. ``with_loans``: read in one answer with the loans (nothing to wait for)."""
        new = tuple(b for b in balances if isinstance(b, Balance))
        old, self.balances = self.balances, new
        first = "balances" not in self.known
        self.known.add("balances")
        if with_loans:
            self._before.clear()
            self._moved_at.clear()
            return False
        if first or "loans" not in self.known:
            return False
        was, now = _margin_rows(old), _margin_rows(new)
        moved = {k for k in was.keys() | now.keys()
                 if _amounts(was.get(k, ())) != _amounts(now.get(k, ()))}
        for key in moved:
            self.moves += 1
            self._before.setdefault(key, was.get(key, ()))
            self._moved_at[key] = self.moves
        return bool(moved)

    def set_open_orders(self, orders: Iterable[Order], now: float | None = None
                        ) -> frozenset[int]:
        """The open orders; answers the ids of those that filled further or left the list
        (a fill or a cancel: the fills are worth a look now), empty at the first reading.
        Orders the user's own action placed or removed (:meth:`apply_change`) stay so
        until an answer agrees or ``HOLD_S`` has passed (``now``: the session's clock)."""
        new = self._with_held(tuple(o for o in orders if isinstance(o, Order)), now)
        before = {o.id: o.amount_filled for o in self.open_orders}
        self.open_orders = new
        first = "orders" not in self.known
        self.known.add("orders")
        if first:
            return frozenset()
        now = {o.id: o.amount_filled for o in new}
        return frozenset(i for i, filled in before.items()
                         if i not in now or now[i] > filled)

    def apply_change(self, change: AccountChange, now: float) -> None:
        """The user's own action placed or removed orders: show it now, ahead of the
        next answer (an order not open any more, e.g. filled at once, is gone)."""
        for order in change.orders:
            self._held[order.id] = (order if order.status.is_open else None, now)
        for oid in change.gone_ids:
            self._held[oid] = (None, now)
        if change.orders or change.gone_ids:
            self.open_orders = self._with_held(self.open_orders, None)

    def _with_held(self, orders: tuple[Order, ...], now: float | None) -> tuple[Order, ...]:
        """``orders`` with the held changes over them; a hold ends once an answer agrees
        with it or it is ``HOLD_S`` old (never ended without ``now``)."""
        if not self._held:
            return orders
        by_id = {o.id: o for o in orders}
        for oid, (held, since) in list(self._held.items()):
            if now is not None and ((held is None) != (oid in by_id) or now - since > HOLD_S):
                del self._held[oid]  # the answer agrees, or the hold is old
            elif held is None:
                by_id.pop(oid, None)
            elif oid not in by_id:
                by_id[oid] = held
        return tuple(by_id.values())

    def asking_loans(self) -> None:
        """The loans are being asked for now: a margin wallet whose balances move from now
        on is not in step with their answer."""
        self._asked = self.moves

    def set_loans(self, loans: Iterable[Loan]) -> None:
        """The open loans of both kinds. Wallets whose balances moved before they were
        asked for (:meth:`asking_loans`; unsaid: just now) are in step again."""
        self.loans = tuple(x for x in loans if isinstance(x, Loan))
        self.known.add("loans")
        asked, self._asked = self._asked, None
        for key, at in list(self._moved_at.items()):
            if asked is None or at <= asked:
                del self._moved_at[key]
                self._before.pop(key, None)

    def set_margin(self, snap: MarginSnapshot) -> None:
        """A full margin reading (loans, balances and prices together)."""
        self.set_loans(snap.loans)
        if snap.complete:
            self.set_balances(snap.balances, with_loans=True)
            self.set_tickers(snap.tickers)

    @property
    def updating(self) -> frozenset[WalletKey]:
        """Margin wallets whose balances moved and whose loans are being read again."""
        return frozenset(self._before)

    def in_step_balances(self) -> tuple[Balance, ...]:
        """The balances that go with the loans held: the latest, except a moved margin
        wallet's rows, which are those from before its move until its loans are read."""
        if not self._before:
            return self.balances
        kept = tuple(b for b in self.balances
                     if wallet_key(b.wallet_type, b.pair) not in self._before)
        return kept + tuple(b for rows in self._before.values() for b in rows)

    def set_tickers(self, tickers: Iterable[Ticker]) -> None:
        """Last prices (every pair's, or some: merged)."""
        for t in tickers:
            if isinstance(t, Ticker):
                self.tickers[t.pair] = t

    # --- fills --------------------------------------------------------------------------
    def new_fills(self, trades: Sequence[AccountTrade]) -> list[FillEvent]:
        """Fills of a poll not told before, one event per order with the volume-weighted
        average price. The first poll only remembers what is there (no replay at start)."""
        keys = [_trade_key(t) for t in trades]
        if not self._primed:
            self._primed = True
            self._seen_trades.update(keys)
            return []
        return self._fills(self._unseen(keys, trades), {})

    def stream_fills(self, trades: Sequence[AccountTrade],
                     still_open: Mapping[int, bool]) -> list[FillEvent]:
        """Fills the private stream told (``ta`` frames), less those a poll told already;
        ``still_open`` is whether each order can still fill, from its latest ``o`` frame
        (a ``ta`` frame does not say; without one the open orders' list decides)."""
        return self._fills(self._unseen([_trade_key(t) for t in trades], trades),
                           still_open)

    def _unseen(self, keys: list[Any], trades: Sequence[AccountTrade]
                ) -> dict[Any, list[AccountTrade]]:
        """The trades not told yet (now remembered as told), grouped by order."""
        grouped: dict[Any, list[AccountTrade]] = {}
        for key, trade in zip(keys, trades, strict=True):
            if key in self._seen_trades:
                continue
            self._seen_trades.add(key)
            group = trade.order_id if trade.order_id is not None else ("trade", key)
            grouped.setdefault(group, []).append(trade)
        return grouped

    def _fills(self, grouped: dict[Any, list[AccountTrade]],
               still_open: Mapping[int, bool]) -> list[FillEvent]:
        open_ids = {o.id for o in self.open_orders}
        events = []
        for group in grouped.values():
            amount = sum((t.amount for t in group), Decimal(0))
            if amount <= 0:
                continue
            value = sum((t.amount * t.price for t in group), Decimal(0))
            last = group[-1]
            unfilled = [t.amount_unfilled for t in group if t.amount_unfilled is not None]
            if unfilled:
                partial = min(unfilled) > 0
            elif last.order_id is not None and last.order_id in still_open:
                partial = still_open[last.order_id]
            else:
                partial = last.order_id in open_ids
            side = last.side.value if last.side is not None else ""
            ticker = self.tickers.get(last.pair)
            places = ticker.price_precision if ticker is not None else None
            events.append(FillEvent(last.order_id, last.pair, side, amount, value / amount,
                                    partial, price_places=places))
        return events

    # --- output -------------------------------------------------------------------------
    def margin_snapshot(self) -> MarginSnapshot | None:
        """Loans with the latest balances and prices (None before loans are read)."""
        if "loans" not in self.known:
            return None
        complete = "balances" in self.known and bool(self.tickers)
        return MarginSnapshot(self.loans, self.in_step_balances(),
                              tuple(self.tickers.values()), complete=complete)

    def build(self) -> AccountSnapshot:
        """Work the snapshot out from the current inputs (and keep it)."""
        margin = self.margin_snapshot()
        prices = PriceBook(self.tickers.values())
        positions = margin.positions() if margin is not None and margin.complete else {}
        updating = self.updating
        levels = tuple(WalletLevel(k, p.level, self.thresholds.band(p.level), k in updating)
                       for k, p in positions.items())
        with_debt = [w for w in levels if w.level is not None]
        worst = min(with_debt, key=lambda w: w.level) if with_debt else None  # type: ignore
        liquidation = ()
        if margin is not None and margin.complete and self.pair:
            liquidation = tuple(margin.liquidation_distances(self.pair,
                                                             self.thresholds.liquidation))
        unpriced: set[str] = set()
        rates: dict[str, Decimal] = {}
        assets: Decimal | None = None
        if "balances" in self.known and self.tickers:
            assets = self._value(((b.currency, b.balance) for b in self.in_step_balances()),
                                 prices, unpriced, rates)
        debt = self._value(((x.currency, x.borrowed + x.interest) for x in self.loans),
                           prices, unpriced, rates)
        self.snapshot = AccountSnapshot(
            balances=self.balances, open_orders=self.open_orders, loans=self.loans,
            margin=margin, positions=positions, levels=levels, worst=worst,
            liquidation=liquidation, pair=self.pair, quote=self.quote, assets=assets,
            debt=debt, net_equity=None if assets is None else assets - debt,
            unpriced=tuple(sorted(unpriced)), known=frozenset(self.known), rates=rates,
        )
        return self.snapshot

    def _value(self, amounts: Iterable[tuple[str, Decimal]], prices: PriceBook,
               unpriced: set[str], rates: dict[str, Decimal]) -> Decimal:
        total = Decimal(0)
        for currency, amount in amounts:
            if not amount:
                continue
            rate = rates.get(currency) or prices.rate(currency, self.quote)
            if rate is None:
                unpriced.add(currency)
            else:
                rates[currency] = rate
                total += amount * rate
        return total


def _margin_rows(balances: Iterable[Balance]) -> dict[WalletKey, tuple[Balance, ...]]:
    """The margin wallets' rows, by wallet (spot rows left out)."""
    rows: dict[WalletKey, list[Balance]] = {}
    for b in balances:
        key = wallet_key(b.wallet_type, b.pair)
        if key is not None:
            rows.setdefault(key, []).append(b)
    return {k: tuple(v) for k, v in rows.items()}


def _amounts(rows: Iterable[Balance]) -> dict[str, Decimal]:
    """What a wallet holds per currency (a reserve alone moving is no borrow or repay)."""
    return {b.currency: b.balance for b in rows if b.balance}


def _trade_key(trade: AccountTrade) -> Any:
    """A trade's identity: its id (the same in ``ta`` frames and /accounts/trades), else
    what it is made of."""
    if trade.id is not None:
        return trade.id
    return (trade.id, trade.order_id, trade.date, trade.amount, trade.price)


def band_moved(old: AccountSnapshot, new: AccountSnapshot) -> bool:
    """A wallet changed band or the account's make-up changed: show it at once."""
    return ([w.band for w in old.levels], old.known) != ([w.band for w in new.levels],
                                                          new.known)


def differs(old: AccountSnapshot, new: AccountSnapshot) -> bool:
    """Net equity, a level or a liquidation distance moved (prices alone move them)."""
    return (old.net_equity, old.levels, old.liquidation, old.known) != (
        new.net_equity, new.levels, new.liquidation, new.known)
