"""The simulated exchange's facade: one method per endpoint, used by the HTTP app.

The work is done by desks that talk through narrow interfaces (:mod:`alp_tui.sim.ports`):
:mod:`~alp_tui.sim.trading` (orders, matching, settlement; entry checks in
:mod:`~alp_tui.sim.order_entry`), :mod:`~alp_tui.sim.margin`, :mod:`~alp_tui.sim.funding`,
:mod:`~alp_tui.sim.quotes` (books, tape, candles, tickers), :mod:`~alp_tui.sim.accounts`,
with ids, history and the change journal in :mod:`~alp_tui.sim.journal`. This class owns
the lock, the end-of-call flush (persist, then report) and the public method surface.

CONTRACT (shared by the core and the HTTP layer; keep the signatures stable):
- Inputs are already-typed Python values (``Decimal``, wire enums from
  ``alp_tui.api.enums``, aware ``datetime``); the HTTP layer converts from the wire and
  enforces formats and the 30-day window. The core enforces business rules.
- Every refusal is a :class:`alp_tui.sim.errors.SimError` whose ``form_errors`` keys are the
  wire field names (``base_amount``, ``limit_price``, ``amount``, ...).
- Return values are JSON-ready: dicts/lists whose money values are ``Decimal`` (the HTTP
  layer writes them as JSON numbers with their exact digits), pair names ``BTC_USDT``, times
  as RFC 3339 strings (or Unix seconds where the reference shows numbers), shaped exactly as
  the reference's example responses plus the wire notes.
- Thread-safe: every public method takes the exchange lock, and each mutating call is one
  SQLite transaction when persistence is on.
- ``step()`` advances market life by one tick (market makers/takers, stop triggers, interest,
  liquidations, deposit/withdrawal progression); the server calls it about once a second.
- ``add_listener(fn)`` registers ``fn(event: dict)`` called after each change (trade, book,
  ticker, order, wallet) — the WebSocket feed builds on it.

Listener events (delivered at the end of the public call that caused them, in order,
still under the exchange lock — a listener must not block; hand the event to your own
queue, e.g. ``loop.call_soon_threadsafe``):

- ``{"type": "trade", "pair", "id", "price", "amount", "side": "buy"|"sell", "ts"}`` —
  one per public trade (``side`` is the taker's; ``ts`` float seconds).
- ``{"type": "book", "pair"}`` — the pair's book changed (once per call per pair).
- ``{"type": "ticker", "pair"}`` — the pair traded (once per call per pair).
- ``{"type": "order", "account_id", "order": <dict as in orders()>}`` — a user order
  changed (once per call per order; market-maker orders are not reported).
- ``{"type": "wallet", "account_id", "currency", "wallet_type", "pair", "balance",
  "reserve"}`` — a user wallet changed (once per call per wallet).
- ``{"type": "account_trade", "account_id", "trade": <dict as in account_trades()>}``.

Behaviour decisions (where the reference leaves room):

- Order book: ``limit_buy``/``limit_sell`` default to 50 rows and are capped at 100; with
  ``group`` one row per price (amounts summed), without it one row per resting order.
- Orders (time in force, holds, fees, cancels, statuses): see :mod:`alp_tui.sim.trading`.
- ``withdraw()`` returns the new withdrawal row (as in ``withdrawals()``); ``close_position``
  returns the list of repay ids it created.
- Margin: see :mod:`alp_tui.sim.margin` (cross 5x, isolated 10x, maintenance 1.1).
- Funding: see :mod:`alp_tui.sim.funding`. Charts: see :mod:`alp_tui.sim.candles`.
  Market life: see :mod:`alp_tui.sim.market`.
- Persistence (``state_path``, :mod:`alp_tui.sim.persist`): accounts, keys, user orders,
  wallets, all history and the id counters are written through at the end of every call
  (one SQLite transaction, before the call returns). Market makers' orders, public trades
  and candles are regenerated on start from the seed and the persisted last prices.

Extensions beyond the wire (for the CLI, the demo and tests): ``margin_level()``,
``set_last_price(pair, price)`` / ``move_market(pair, factor)`` (trade the market to a
price, then run margin checks), ``simulate_deposit(account, currency, amount)``,
``totals()`` (every currency over all wallets), ``accounts_list()``, and the market-life
helpers ``last_price()``, ``is_resting()``, ``system_order()``. For paper mode (see
:mod:`alp_tui.paper`): the listing (``pairs``, ``currencies``, ``fee_schedule``) can be given
instead of the catalog's, ``apply_market_price()`` sets a last price from outside and
``transact(fn)`` runs a driver's helper calls as one exchange call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any, TypeVar

from alp_tui.api.enums import WalletType
from alp_tui.sim.accounts import DEMO_FUNDS, Accounts, ApiKeyRecord
from alp_tui.sim.calls import CTX, api
from alp_tui.sim.catalog import CurrencySpec, FeeEntry, Listing, PairSpec
from alp_tui.sim.endpoints import Endpoints
from alp_tui.sim.engine import Order, OrderBook
from alp_tui.sim.errors import SimError
from alp_tui.sim.funding import Funding
from alp_tui.sim.hooks import trade_to_price
from alp_tui.sim.journal import Journal
from alp_tui.sim.ledger import (
    EPHEMERAL_ACCOUNTS,
    HOUSE_ID,
    LENDER_ID,
    MAKER_ID,
    SYSTEM_ACCOUNTS,
    TAKER_ID,
    Ledger,
    Record,
)
from alp_tui.sim.margin import MarginDesk
from alp_tui.sim.market import MarketLife
from alp_tui.sim.order_views import order_public
from alp_tui.sim.persist import meta, restore, serialize
from alp_tui.sim.quotes import MarketData
from alp_tui.sim.store import StateFileError, Store
from alp_tui.sim.trading import OrderDesk

__all__ = ["DEMO_FUNDS", "ApiKeyRecord", "Exchange"]

_T = TypeVar("_T")

Json = Any
log = logging.getLogger(__name__)

ZERO = Decimal(0)
WARMUP_STEPS = 20

# Value in USDT each system account is funded with per currency.
SYSTEM_FUNDING_USDT = {HOUSE_ID: Decimal(10_000_000), LENDER_ID: Decimal(50_000_000),
                       MAKER_ID: Decimal(100_000_000), TAKER_ID: Decimal(100_000_000)}
SYSTEM_NAMES = {HOUSE_ID: "house", LENDER_ID: "lender", MAKER_ID: "market maker",
                TAKER_ID: "market taker"}

class Exchange(Endpoints):
    """The whole simulated exchange: accounts, ledger, matching, margin, market life."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        state_path: str = ":memory:",
        clock: Callable[[], float] | None = None,
        market_life: bool = True,
        pairs: Sequence[PairSpec] | None = None,
        currencies: Sequence[CurrencySpec] | None = None,
        fee_schedule: Sequence[FeeEntry] | None = None,
    ) -> None:
        # What is listed: the catalog's unless given (paper mode lists the live exchange's).
        self.listing = listing = Listing(pairs, currencies, fee_schedule)
        self.pair_specs = listing.pairs
        self.pair_by_name = listing.pair_by_name
        self.currency_specs = listing.currencies
        self.currency_by_name = listing.currency_by_name
        self.fee_schedule = listing.fee_schedule
        self._lock = threading.RLock()
        self._depth = 0
        self._clock = clock or time.time
        self.seed = 0 if seed is None else seed
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._store = Store(state_path)
        self._market_life = market_life
        self._rolling_back = False
        self._build(self._clock())

    # --- building the desks -------------------------------------------------------------
    def _build(self, now: float) -> None:
        """Every desk, from the state file (or fresh), then market life's warm-up."""
        self.journal = journal = Journal(EPHEMERAL_ACCOUNTS, SYSTEM_ACCOUNTS)
        journal.listening = bool(self._listeners)
        self.ledger = Ledger(journal.next_id, journal.wallet_changed)
        self.ledger.quiet_accounts.update(SYSTEM_ACCOUNTS)
        self.market = MarketData(self._clock, self.seed, self.listing)
        self.accounts_desk = Accounts(journal)
        self.order_desk = OrderDesk(self.ledger, journal, self.market, self._clock,
                                    SYSTEM_ACCOUNTS)
        self.started_at = now
        with self._lock, localcontext(CTX):
            self._depth += 1
            try:
                loaded = self._store.load()
                if loaded:
                    restore(loaded, journal, self.market, self.accounts_desk, self.ledger,
                            self.order_desk, source=self._store.path)
                else:
                    self._bootstrap(now)
                self._fund_ephemeral(now)
            except StateFileError:
                self._store.close()  # nothing is written back into a file that can't be read
                raise
            finally:
                self._depth -= 1
                self._flush()
        # Generated chart history ends where live trading (warm-up included) begins.
        self.market.start_history(int((now - WARMUP_STEPS - 1) // 60 * 60))
        self.funding = Funding(self.ledger, journal, self._clock,
                               self.listing.currency_by_name)
        self.margin = MarginDesk(self.ledger, journal, self.market, self.order_desk,
                                 self.listing.currency_by_name)
        self.order_desk.margin = self.margin
        self.life: MarketLife | None = None
        if self._market_life:
            with self._lock, localcontext(CTX):
                self._depth += 1
                try:
                    self.life = MarketLife(self.order_desk, MAKER_ID, TAKER_ID, self.seed)
                    for spec in self.listing.pairs:
                        self.life.requote(self.life.pairs[spec.name], now - WARMUP_STEPS)
                    # A short warm-up in the recent past, so the trade tape is not empty.
                    for i in range(WARMUP_STEPS, 0, -1):
                        self.life.step(now - i + 1)
                finally:
                    self._depth -= 1
                    self._flush()

    def _bootstrap(self, now: float) -> None:
        for account_id, name in SYSTEM_NAMES.items():
            row = {"id": account_id, "email": f"{name}@sim.local", "name": name,
                   "parent_id": None}
            self.accounts_desk.rows[account_id] = row
            if account_id not in EPHEMERAL_ACCOUNTS:
                self.journal.mark("account", account_id, row)
                self._fund_system(account_id, now)

    def _fund_ephemeral(self, now: float) -> None:
        for account_id in EPHEMERAL_ACCOUNTS:
            self.accounts_desk.rows.setdefault(account_id, {
                "id": account_id, "email": f"system{account_id}@sim.local",
                "name": SYSTEM_NAMES[account_id], "parent_id": None})
            self._fund_system(account_id, now)

    def _fund_system(self, account_id: int, now: float) -> None:
        value = SYSTEM_FUNDING_USDT[account_id]
        for cur in self.listing.currencies:
            rate = self.market.rate(cur.short_name) or Decimal(1)
            amount = (value / rate).quantize(Decimal(1), rounding=ROUND_DOWN)
            wallet = self.ledger.get(account_id, WalletType.SPOT, cur.short_name, now=now)
            self.ledger.apply(wallet, amount, ZERO, "DEPOSIT", now)

    # --- the end of a call: persist, then report ------------------------------------------
    def _now(self) -> float:
        return self._clock()

    def _flush(self) -> None:
        """Persist what changed (one transaction), then tell the listeners."""
        journal = self.journal
        if journal.fees_due:
            # Fees of the whole call reach the house in one move per currency.
            now = self._now()
            for currency, fee in journal.fees_due.items():
                house = self.ledger.get(HOUSE_ID, WalletType.SPOT, currency, now=now)
                self.ledger.apply(house, fee, ZERO, "FEE", now)
            journal.fees_due.clear()
        dirty = journal.take_changes()
        if dirty and self._store.enabled:
            try:
                rows = [(kind, oid, serialize(kind, oid, obj))
                        for (kind, oid), obj in dirty.items() if kind != "meta"]
                rows.append(("meta", 0, meta(journal, self.market)))
                self._store.write(rows)
            except Exception as exc:
                self._write_failed(exc)
        if not self._listeners:
            # Nobody listens: skip building the events (the hot path of benchmarks/tests).
            journal.clear_reports()
            return
        events = journal.events
        for order in journal.orders.values():
            events.append({"type": "order", "account_id": order.account_id,
                           "order": order_public(order)})
        for wallet in journal.wallets.values():
            events.append({"type": "wallet", "account_id": wallet.account_id,
                           "currency": wallet.currency,
                           "wallet_type": wallet.wallet_type.value, "pair": wallet.pair,
                           "balance": wallet.balance, "reserve": wallet.reserve})
        for pair in journal.book_pairs:
            events.append({"type": "book", "pair": pair})
        for pair in journal.ticker_pairs:
            events.append({"type": "ticker", "pair": pair})
        journal.clear_reports()
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # a broken listener must not break trading
                    log.exception("exchange listener failed")

    def _write_failed(self, exc: Exception) -> None:
        """A call's changes could not be saved: undo them by going back to what the state
        file holds (every earlier call is there), and fail only this call."""
        log.error("simulator: saving state failed (%s: %s); the call is undone",
                  type(exc).__name__, exc)
        if self._rolling_back:
            # Even the rebuilt state could not be saved (market life moved the counters):
            # memory is ahead of the file by market life only; the next call retries.
            return
        self._rolling_back = True
        try:
            self._build(self._clock())
        finally:
            self._rolling_back = False
        raise SimError(503, "the simulator could not save this change, so it was undone; "
                            "try again", code="SERVICE_UNAVAILABLE") from None

    # --- state the tests and market life read --------------------------------------------
    @property
    def books(self) -> dict[str, OrderBook]:
        """Every pair's order book."""
        return self.market.books

    @property
    def last(self) -> dict[str, Decimal]:
        """Last trade price per pair."""
        return self.market.last

    @property
    def stops(self) -> dict[str, dict[int, Order]]:
        """Stop orders waiting for their trigger, per pair."""
        return self.order_desk.stops

    @property
    def _orders(self) -> dict[int, Order]:
        return self.order_desk.orders

    @property
    def orders_by_account(self) -> dict[int, list[Order]]:
        """User orders per account, oldest first."""
        return self.order_desk.orders_by_account

    @property
    def keys(self) -> dict[str, ApiKeyRecord]:
        """Every API key by its key string."""
        return self.accounts_desk.keys

    @property
    def records(self) -> dict[str, dict[int, list[Record]]]:
        """History rows by kind and account."""
        return self.journal.records

    def last_price(self, pair: str) -> Decimal:
        """Last trade price of ``pair`` (its start price before any trade)."""
        return self.market.last[pair]

    def is_resting(self, order: Order) -> bool:
        """True while ``order`` sits in its book."""
        return self.order_desk.is_resting(order)

    def system_order(self, account_id: int, pair: str, is_bid: bool, type: Any,
                     amount: Decimal, price: Decimal | None, now: float) -> Order | None:
        """Place a market-life order without validation or history; None if unfunded."""
        return self.order_desk.system_order(account_id, pair, is_bid, type, amount, price,
                                            now)

    def cancel_system_order(self, order: Order, now: float) -> None:
        """Cancel a market-life order."""
        self.order_desk.cancel(order, now)

    # --- accounts and keys -------------------------------------------------------------
    @api
    def create_account(self, *, email: str, name: str, funds: dict[str, Decimal] | None = None,
                       parent_id: int | None = None) -> int:
        """Create an account with SPOT balances ``funds``; returns its id."""
        now = self._now()
        account_id = self.accounts_desk.create(email, name, parent_id)
        for currency, amount in (funds or {}).items():
            if currency not in self.listing.currency_by_name:
                raise SimError.field("currency", f"unknown currency {currency}")
            amount = Decimal(amount)
            if amount > 0:
                wallet = self.ledger.get(account_id, WalletType.SPOT, currency, now=now)
                self.ledger.apply(wallet, amount, ZERO, "DEPOSIT", now)
        return account_id

    @api
    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Register (or replace) an API key."""
        self.accounts_desk.add_key(record)

    @api
    def find_api_key(self, api_key: str) -> ApiKeyRecord | None:
        """The key's record, or None."""
        return self.accounts_desk.keys.get(api_key)

    @api
    def create_demo_account(self, api_key: str, api_secret: str) -> int:
        """An account funded for a demo (USDT, BTC, ETH... on SPOT) with a full-permission
        key; idempotent for the same key. Returns the account id."""
        existing = self.accounts_desk.keys.get(api_key)
        if existing is not None:
            if existing.api_secret != api_secret:
                self.add_api_key(ApiKeyRecord(api_key, api_secret, existing.account_id,
                                              True, True, True))
            return existing.account_id
        account_id = self.create_account(email="demo@alp-tui.local", name="Demo Trader",
                                         funds=DEMO_FUNDS)
        self.add_api_key(ApiKeyRecord(api_key, api_secret, account_id, True, True, True))
        self.funding.seed_demo_history(account_id)
        return account_id

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call ``listener(event)`` after each change; see module docstring."""
        with self._lock:
            self._listeners.append(listener)
            self.journal.listening = True

    def step(self, now: float | None = None) -> None:
        """Advance market life by one tick.

        Each pair's tick takes the lock on its own, so a request waits for at most one
        pair's work rather than the whole market's (~1 ms instead of ~20 ms).
        """
        now = self._now() if now is None else now
        if self.life is not None:
            dt = self._begin_life_step(now)
            for name in list(self.life.pairs):
                self._step_pair(name, now, dt)
        self._step_accounts(now)

    @api
    def _begin_life_step(self, now: float) -> float:
        assert self.life is not None
        return self.life.begin_step(now)

    @api
    def _step_pair(self, name: str, now: float, dt: float) -> None:
        assert self.life is not None
        # Market life consumes ids; keep the counters on disk in step with memory.
        self.journal.mark_meta()
        self.life.step_pair(name, now, dt)

    @api
    def _step_accounts(self, now: float) -> None:
        self.journal.mark_meta()
        self.order_desk.expire(now)
        self.funding.step(now)
        self.margin.step(now)

    @api
    def close(self) -> None:
        """Flush and close persistence."""
        self._flush()
        self._store.close()

    # --- private: trading --------------------------------------------------------------
    @api
    def place_order(self, account_id: int, order: dict[str, Any]) -> Json:
        """``order`` holds typed values under the wire field names (pair, order_type,
        order_side, wallet_type, client_order_id, side_effect, base_amount, quote_amount,
        limit_price, stop_price, stop_operator, tif, expire_after, valid_till).
        Returns the list of created order ids."""
        self._account(account_id)
        return self.order_desk.place(account_id, order, self._now())

    @api
    def cancel_orders(self, account_id: int, order_ids: list[int] | None = None,
                      all: bool = False, pair: str | None = None) -> Json:
        """Returns {"<order id>": "<new status>", ...}."""
        self._account(account_id)
        return self.order_desk.cancel_many(account_id, order_ids, all, pair, self._now())

    # --- test and demo hooks -----------------------------------------------------------
    @api
    def set_last_price(self, pair: str, price: Decimal) -> None:
        """Extension: trade the market to ``price`` (the house crosses the book there),
        then run margin checks, so tests can drive stops and liquidations."""
        spec = self.market.spec(pair)
        price = Decimal(price).quantize(spec.price_tick)
        now = self._now()
        trade_to_price(self.order_desk, spec, price, now)
        if self.life is not None:
            self.life.pairs[spec.name].fair = float(price)
        self.margin.step(now)

    @api
    def apply_market_price(self, pair: str, price: Decimal, ts: float | None = None) -> None:
        """Extension: the market's last price is now ``price``, set from outside (paper mode
        follows the live exchange). Stops trigger at it and valuations (margin, rates) use
        it; unlike ``set_last_price`` it trades nothing by itself. A price <= 0 (a pair
        without trades) is ignored."""
        spec = self.market.spec(pair)
        if price <= 0:
            return
        now = self._now()
        self.market.last[spec.name] = Decimal(price)
        self.market.last_ts[spec.name] = now if ts is None else ts
        self.journal.mark_meta()
        self.order_desk.trigger_stops(spec.name, now)

    @api
    def transact(self, fn: Callable[[], _T]) -> _T:
        """Extension: run ``fn()`` as one exchange call — under the lock, its changes
        written in one transaction and the listeners told at the end — for drivers outside
        this module that use the market-life helpers (``system_order``,
        ``cancel_system_order``, ``is_resting``), such as paper mode's book mirror."""
        return fn()

    @api
    def move_market(self, pair: str, factor: Decimal) -> None:
        """Extension: ``set_last_price(pair, last × factor)``."""
        spec = self.market.spec(pair)
        self.set_last_price(spec.name, self.market.last[spec.name] * Decimal(factor))

    @api
    def totals(self) -> dict[str, Decimal]:
        """Extension for tests: every currency summed over all wallets."""
        return self.ledger.totals()
