"""The simulated exchange's facade: one method per endpoint, used by the HTTP app.

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
- Time in force: GTC rests; IOC fills what it can and cancels the rest; FOK fills
  completely at once or is cancelled untouched; AON fills completely at once, and if it
  cannot it rests whole and is later only ever filled whole (takers skip it otherwise;
  the public book leaves out an all-or-none order that crosses the other side).
  Market orders are always immediate (IOC); FOK and AON apply to orders sized in
  ``base_amount`` (a market order by ``quote_amount`` spends what the book gives).
- Market buys by ``base_amount`` hold the cost the book shows; market orders by
  ``quote_amount`` spend up to that much. A STOP_MARKET buy by ``base_amount`` holds
  ``amount × stop_price × 1.05`` and spends at most that when triggered.
- Fees: maker/taker rates from ``fees()`` (highest-priority matching entry), charged in
  the currency received, rounded down to 8 decimals; collected by the house account.
- Cancelling an unknown or foreign order id answers ``"UNDEFINED"`` for it; a finished
  order answers its final status.
- Order statuses: resting OPEN / PARTIAL_FILLED, stops waiting PENDING, then FILLED,
  CANCELLED (nothing filled), PARTIAL_CANCELLED (some filled, rest cancelled), EXPIRED
  (``expire_after`` / ``valid_till`` reached). A market order by ``quote_amount`` reports
  the base it got as its ``amount``. Order rows carry extras: ``client_order_id``,
  ``amount_unfilled``, ``value_filled``, ``price_avg``, ``quote_amount``, ``side_effect``,
  ``isolated_pair``.
- ``withdraw()`` returns the new withdrawal row (as in ``withdrawals()``); ``close_position``
  returns the list of repay ids it created.
- Margin: see :mod:`alp_tui.sim.margin` (cross 5x, isolated 10x, maintenance 1.1).
- Funding: see :mod:`alp_tui.sim.funding`. Charts: see :mod:`alp_tui.sim.candles`.
  Market life: see :mod:`alp_tui.sim.market`.
- Persistence (``state_path``): accounts, keys, user orders, wallets, all history and the id
  counters are written through at the end of every call (one SQLite transaction, before the
  call returns). Market makers' orders, public trades and candles are regenerated on start
  from the seed and the persisted last prices.

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

import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Context, Decimal, localcontext
from typing import Any, TypeVar

from alp_tui.api.enums import (
    ChartInterval,
    LoanType,
    MarginDirection,
    OrderSide,
    OrderStatus,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
    normalize_pair,
)
from alp_tui.sim import catalog
from alp_tui.sim.candles import CandleSeries, backfill_pair
from alp_tui.sim.catalog import CURRENCIES, PAIRS, CurrencySpec, FeeEntry, PairSpec
from alp_tui.sim.engine import Fill, Order, OrderBook
from alp_tui.sim.errors import SimError
from alp_tui.sim.funding import Funding
from alp_tui.sim.ledger import (
    HOUSE_ID,
    LENDER_ID,
    MAKER_ID,
    TAKER_ID,
    USER_ID_START,
    ActivityRow,
    Ledger,
    Record,
    Wallet,
    rfc3339,
)
from alp_tui.sim.margin import MarginDesk
from alp_tui.sim.market import MarketLife
from alp_tui.sim.store import Store

Json = Any
# Enum members as plain globals: attribute access on an Enum class is slow on 3.11,
# and this module is on the path of every order.
S_CANCELLED = OrderStatus.CANCELLED
S_EXPIRED = OrderStatus.EXPIRED
S_FILLED = OrderStatus.FILLED
S_OPEN = OrderStatus.OPEN
S_PARTIAL_CANCELLED = OrderStatus.PARTIAL_CANCELLED
S_PARTIAL_FILLED = OrderStatus.PARTIAL_FILLED
S_PENDING = OrderStatus.PENDING
S_UNDEFINED = OrderStatus.UNDEFINED
T_LIMIT = OrderType.LIMIT
T_MARKET = OrderType.MARKET
T_STOP_LIMIT = OrderType.STOP_LIMIT
T_STOP_MARKET = OrderType.STOP_MARKET
SE_AUTO_BORROW = SideEffect.AUTO_BORROW
SE_AUTO_REPLAY = SideEffect.AUTO_REPLAY
SE_NO_SIDE_EFFECT = SideEffect.NO_SIDE_EFFECT
OP_GTE = StopOperator.GTE
OP_LTE = StopOperator.LTE
TIF_AON = TimeInForce.AON
TIF_FOK = TimeInForce.FOK
TIF_GTC = TimeInForce.GTC
TIF_IOC = TimeInForce.IOC
TIF_UNDEFINED_TIME_IN_FORCE = TimeInForce.UNDEFINED_TIME_IN_FORCE
W_FUNDING = WalletType.FUNDING
W_ISOLATED_MARGIN = WalletType.ISOLATED_MARGIN
W_SPOT = WalletType.SPOT
log = logging.getLogger(__name__)

ZERO = Decimal(0)
FEE_QUANTUM = Decimal("1e-8")
STOP_MARKET_BUFFER = Decimal("1.05")
BOOK_DEFAULT_ROWS = 50
BOOK_MAX_ROWS = 100
TRADES_KEPT = 1000
WARMUP_STEPS = 20
# Wide enough that no product or sum of balances ever rounds (conservation is exact).
_CTX = Context(prec=60)

EPHEMERAL_ACCOUNTS = frozenset({MAKER_ID, TAKER_ID})
SYSTEM_ACCOUNTS = frozenset({HOUSE_ID, LENDER_ID, MAKER_ID, TAKER_ID})
# Value in USDT each system account is funded with per currency.
SYSTEM_FUNDING_USDT = {HOUSE_ID: Decimal(10_000_000), LENDER_ID: Decimal(50_000_000),
                       MAKER_ID: Decimal(100_000_000), TAKER_ID: Decimal(100_000_000)}

DEMO_FUNDS = {
    "USDT": Decimal(100_000), "USDC": Decimal(50_000), "BTC": Decimal(2),
    "ETH": Decimal(20), "SOL": Decimal(200), "XRP": Decimal(10_000), "LTC": Decimal(100),
    "DOGE": Decimal(50_000),
}

_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T")


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key, the account it belongs to and its permission flags."""

    api_key: str
    api_secret: str
    account_id: int
    can_trade: bool = True
    can_withdraw: bool = False
    can_margin: bool = False


def _api(fn: _F) -> _F:
    """Run a public method under the lock with the wide decimal context; the outermost
    call flushes changes to disk (one transaction) and then tells the listeners."""

    @functools.wraps(fn)
    def wrapper(self: Exchange, *args: Any, **kwargs: Any) -> Any:
        """The locked, journalled call."""
        with self._lock, localcontext(_CTX):
            self._depth += 1
            try:
                return fn(self, *args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._flush()

    return wrapper  # type: ignore[return-value]


def _opt_enum(cls: Any, value: Any, field: str) -> Any:
    if value is None or value == "":
        return None
    try:
        return cls.parse(value, field)
    except ValueError as exc:
        raise SimError.field(field, str(exc)) from None


def _opt_decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except Exception:
        raise SimError.field(field, "must be a number") from None
    if not number.is_finite():
        raise SimError.field(field, "must be a finite number")
    return number


def _ts(value: datetime | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _in_window(ts: float, start: datetime | None, end: datetime | None) -> bool:
    if start is not None and ts < start.timestamp():
        return False
    return not (end is not None and ts >= end.timestamp())


class Exchange:
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
        self.pair_specs: tuple[PairSpec, ...] = tuple(PAIRS if pairs is None else pairs)
        self.pair_by_name = {p.name: p for p in self.pair_specs}
        self.currency_specs: tuple[CurrencySpec, ...] = tuple(
            CURRENCIES if currencies is None else currencies)
        self.currency_by_name = {c.short_name: c for c in self.currency_specs}
        self.fee_schedule: tuple[FeeEntry, ...] = tuple(
            catalog.FEE_SCHEDULE if fee_schedule is None else fee_schedule)
        self._lock = threading.RLock()
        self._depth = 0
        self._clock = clock or time.time
        self.seed = 0 if seed is None else seed
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._ids: dict[str, int] = {}
        self._accounts: dict[int, dict[str, Any]] = {}
        self.keys: dict[str, ApiKeyRecord] = {}
        self.ledger = Ledger(self._next_id, self._wallet_changed)
        self.ledger.quiet_accounts.update(SYSTEM_ACCOUNTS)
        self.books: dict[str, OrderBook] = {p.name: OrderBook(p.name, p.amount_step)
                                            for p in self.pair_specs}
        self._orders: dict[int, Order] = {}  # user orders, open and done
        self.orders_by_account: dict[int, list[Order]] = {}
        # Latest order per (account, client_order_id): uniqueness among open orders.
        self._by_client_id: dict[tuple[int, str], Order] = {}
        self.stops: dict[str, dict[int, Order]] = {p.name: {} for p in self.pair_specs}
        self.expiring: dict[int, Order] = {}
        self.last: dict[str, Decimal] = {p.name: p.start_price for p in self.pair_specs}
        self.last_ts: dict[str, float] = {p.name: 0.0 for p in self.pair_specs}
        self.public_trades: dict[str, deque[dict[str, Any]]] = {
            p.name: deque(maxlen=TRADES_KEPT) for p in self.pair_specs}
        self.records: dict[str, dict[int, list[Record]]] = {}
        # Change journal of the current call: what to persist and whom to tell.
        self._dirty: dict[tuple[str, int], Any] = {}
        self._fees_due: dict[str, Decimal] = {}
        self._events: list[dict[str, Any]] = []
        self._book_pairs: set[str] = set()
        self._ticker_pairs: set[str] = set()
        self._dirty_orders: dict[int, Order] = {}
        self._dirty_wallets: dict[int, Wallet] = {}
        self._store = Store(state_path)
        self.candles: dict[tuple[str, int], CandleSeries] = {}
        self._pair_series: dict[str, list[CandleSeries]] = {p.name: [] for p in self.pair_specs}
        self._history_done: set[str] = set()
        self._key_ids: dict[str, int] = {}
        for spec in self.pair_specs:
            for interval in ChartInterval:
                series = CandleSeries(interval.seconds, [])
                self.candles[(spec.name, interval.seconds)] = series
                self._pair_series[spec.name].append(series)
        self._fee_cache: dict[str, catalog.FeeEntry] = {}

        now = self._clock()
        self.started_at = now
        with self._lock, localcontext(_CTX):
            self._depth += 1
            try:
                loaded = self._store.load()
                if loaded:
                    self._restore(loaded, now)
                else:
                    self._bootstrap(now)
                self._fund_ephemeral(now)
            finally:
                self._depth -= 1
                self._flush()
        # Generated chart history ends where live trading (warm-up included) begins.
        self._start_prices = dict(self.last)
        self._history_end = int((now - WARMUP_STEPS - 1) // 60 * 60)

        self.funding = Funding(self)
        self.margin = MarginDesk(self)
        self.life: MarketLife | None = None
        if market_life:
            with self._lock, localcontext(_CTX):
                self._depth += 1
                try:
                    self.life = MarketLife(self, MAKER_ID, TAKER_ID, self.seed)
                    for spec in self.pair_specs:
                        self.life.requote(self.life.pairs[spec.name], now - WARMUP_STEPS)
                    # A short warm-up in the recent past, so the trade tape is not empty.
                    for i in range(WARMUP_STEPS, 0, -1):
                        self.life.step(now - i + 1)
                finally:
                    self._depth -= 1
                    self._flush()

    # --- ids, journal, persistence ------------------------------------------------------
    def _next_id(self, kind: str) -> int:
        ids = self._ids
        value = ids[kind] = ids.get(kind, 0) + 1
        return value

    def _now(self) -> float:
        return self._clock()

    def _mark(self, kind: str, oid: int, obj: Any) -> None:
        self._dirty[(kind, oid)] = obj

    def _wallet_changed(self, wallet: Wallet, record: ActivityRow | None) -> None:
        if wallet.account_id in EPHEMERAL_ACCOUNTS:
            return
        self._dirty[("wallet", wallet.id)] = wallet
        if record is not None:
            self._dirty[("activity", record.id)] = record
        if wallet.account_id not in SYSTEM_ACCOUNTS:
            self._dirty_wallets[wallet.id] = wallet

    def _order_changed(self, order: Order) -> None:
        if order.system:
            return
        self._dirty[("order", order.id)] = order
        self._dirty_orders[order.id] = order

    def _add_record(self, kind: str, account_id: int, ts: float,
                    data: dict[str, Any]) -> Record:
        rid = self._next_id(kind)
        data["id"] = rid
        record = Record(kind, rid, account_id, ts, data)
        self.records.setdefault(kind, {}).setdefault(account_id, []).append(record)
        self._dirty[(kind, rid)] = record
        return record

    def _flush(self) -> None:
        """Persist what changed (one transaction), then tell the listeners."""
        if self._fees_due:
            # Fees of the whole call reach the house in one move per currency.
            now = self._now()
            for currency, fee in self._fees_due.items():
                house = self.ledger.get(HOUSE_ID, W_SPOT, currency, now=now)
                self.ledger.apply(house, fee, ZERO, "FEE", now)
            self._fees_due.clear()
        if self._dirty and self._store.enabled:
            rows = []
            for (kind, oid), obj in self._dirty.items():
                if kind == "meta":
                    continue
                rows.append((kind, oid, self._serialize(kind, oid, obj)))
            rows.append(("meta", 0, self._meta()))
            self._store.write(rows)
        self._dirty = {}
        events = self._events
        if not self._listeners:
            # Nobody listens: skip building the events (the hot path of benchmarks/tests).
            events.clear()
            self._dirty_orders.clear()
            self._dirty_wallets.clear()
            self._book_pairs.clear()
            self._ticker_pairs.clear()
            return
        for order in self._dirty_orders.values():
            events.append({"type": "order", "account_id": order.account_id,
                           "order": self._order_public(order)})
        for wallet in self._dirty_wallets.values():
            events.append({"type": "wallet", "account_id": wallet.account_id,
                           "currency": wallet.currency,
                           "wallet_type": wallet.wallet_type.value, "pair": wallet.pair,
                           "balance": wallet.balance, "reserve": wallet.reserve})
        for pair in self._book_pairs:
            events.append({"type": "book", "pair": pair})
        for pair in self._ticker_pairs:
            events.append({"type": "ticker", "pair": pair})
        self._events = []
        self._dirty_orders = {}
        self._dirty_wallets = {}
        self._book_pairs = set()
        self._ticker_pairs = set()
        if self._listeners:
            for event in events:
                for listener in self._listeners:
                    try:
                        listener(event)
                    except Exception:  # a broken listener must not break trading
                        log.exception("exchange listener failed")

    def _meta(self) -> dict[str, Any]:
        return {"ids": dict(self._ids), "last": dict(self.last),
                "last_ts": dict(self.last_ts)}

    def _serialize(self, kind: str, oid: int, obj: Any) -> Any:
        if kind == "wallet":
            return {"id": obj.id, "account_id": obj.account_id,
                    "wallet_type": obj.wallet_type.value, "currency": obj.currency,
                    "pair": obj.pair, "balance": obj.balance, "reserve": obj.reserve,
                    "updated_at": obj.updated_at}
        if kind == "order":
            data = {slot: getattr(obj, slot) for slot in Order.__slots__ if slot != "wallets"}
            for key in ("type", "status", "tif", "wallet_type", "side_effect",
                        "stop_operator"):
                if data[key] is not None:
                    data[key] = data[key].value
            return data
        if isinstance(obj, Record | ActivityRow):
            return {"account_id": obj.account_id, "ts": obj.ts, "data": obj.data}
        if isinstance(obj, ApiKeyRecord):
            return {**asdict(obj), "row_id": oid}
        if hasattr(obj, "to_store"):
            return obj.to_store()
        return obj  # plain dicts (accounts)

    def _restore(self, loaded: dict[str, list[Any]], now: float) -> None:
        meta = (loaded.get("meta") or [{}])[0]
        self._ids = {k: int(v) for k, v in meta.get("ids", {}).items()}
        for pair, price in meta.get("last", {}).items():
            if pair in self.last:
                self.last[pair] = price
        for pair, ts in meta.get("last_ts", {}).items():
            if pair in self.last_ts:
                self.last_ts[pair] = ts
        for acc in loaded.get("account", []):
            self._accounts[acc["id"]] = acc
        key_ids = self._key_ids
        for key in loaded.get("apikey", []):
            row_id = key.pop("row_id", None)
            record = ApiKeyRecord(**key)
            self.keys[record.api_key] = record
            if row_id is not None:
                key_ids[record.api_key] = row_id
        for w in loaded.get("wallet", []):
            wallet = Wallet(w["id"], w["account_id"], WalletType(w["wallet_type"]),
                            w["currency"], w["pair"], w["updated_at"])
            wallet.balance = w["balance"]
            wallet.reserve = w["reserve"]
            self.ledger.add_wallet(wallet)
        for kind, rows in loaded.items():
            if kind in ("meta", "account", "apikey", "wallet", "order", "loan"):
                continue
            for row in rows:
                record = Record(kind, row["data"]["id"], row["account_id"], row["ts"],
                                row["data"])
                if kind == "activity":
                    self.ledger.activity.setdefault(record.account_id, []).append(record)
                else:
                    self.records.setdefault(kind, {}).setdefault(
                        record.account_id, []).append(record)
        for row in loaded.get("order", []):
            order = self._order_from_store(row)
            self._index_order(order)
            if order.status.is_open and order.pair in self.books:  # else no longer listed
                if order.type in (T_STOP_LIMIT, T_STOP_MARKET) and \
                        order.status is S_PENDING:
                    self.stops[order.pair][order.id] = order
                else:
                    self.books[order.pair].add(order)
                if order.expire_at is not None:
                    self.expiring[order.id] = order

    def _order_from_store(self, row: dict[str, Any]) -> Order:
        order = Order(id=row["id"], account_id=row["account_id"], pair=row["pair"],
                      is_bid=row["is_bid"], type=OrderType(row["type"]),
                      amount=row["amount"], price=row["price"],
                      created_at=row["created_at"])
        for slot in Order.__slots__:
            if slot == "wallets":
                continue
            value = row.get(slot)
            if slot == "status":
                value = OrderStatus(value)
            elif slot == "tif":
                value = TimeInForce(value)
            elif slot == "wallet_type":
                value = WalletType(value)
            elif slot == "side_effect":
                value = SideEffect(value)
            elif slot == "stop_operator":
                value = StopOperator(value) if value else None
            elif slot == "type":
                value = OrderType(value)
            setattr(order, slot, value)
        return order

    def _bootstrap(self, now: float) -> None:
        names = {HOUSE_ID: "house", LENDER_ID: "lender", MAKER_ID: "market maker",
                 TAKER_ID: "market taker"}
        for account_id, name in names.items():
            self._accounts[account_id] = {"id": account_id, "email": f"{name}@sim.local",
                                         "name": name, "parent_id": None}
            if account_id not in EPHEMERAL_ACCOUNTS:
                self._mark("account", account_id, self._accounts[account_id])
                self._fund_system(account_id, now)

    def _fund_ephemeral(self, now: float) -> None:
        for account_id in EPHEMERAL_ACCOUNTS:
            self._accounts.setdefault(account_id, {
                "id": account_id, "email": f"system{account_id}@sim.local",
                "name": "market maker" if account_id == MAKER_ID else "market taker",
                "parent_id": None})
            self._fund_system(account_id, now)

    def _fund_system(self, account_id: int, now: float) -> None:
        value = SYSTEM_FUNDING_USDT[account_id]
        for cur in self.currency_specs:
            rate = self._rate(cur.short_name) or Decimal(1)
            amount = (value / rate).quantize(Decimal(1), rounding=ROUND_DOWN)
            wallet = self.ledger.get(account_id, W_SPOT, cur.short_name, now=now)
            self.ledger.apply(wallet, amount, ZERO, "DEPOSIT", now)

    # --- helpers used by market life ---------------------------------------------------
    def last_price(self, pair: str) -> Decimal:
        """Last trade price of ``pair`` (its start price before any trade)."""
        return self.last[pair]

    def is_resting(self, order: Order) -> bool:
        """True while ``order`` sits in its book."""
        return order.id in self.books[order.pair].orders

    def system_order(self, account_id: int, pair: str, is_bid: bool, type: OrderType,
                     amount: Decimal, price: Decimal | None, now: float) -> Order | None:
        """Place a market-life order without validation or history; None if unfunded."""
        spec = self.pair_by_name[pair]
        order = Order(id=self._next_id("order"), account_id=account_id, pair=pair,
                      is_bid=is_bid, type=type, amount=amount, price=price, created_at=now,
                      system=True)
        if type is T_MARKET:
            if is_bid:
                _, cost = self.books[pair].fillable(True, None, base=amount)
                hold = cost
            else:
                hold = amount
        else:
            hold = amount * price if is_bid else amount  # type: ignore[operator]
        wallet = self.ledger.get(account_id, W_SPOT,
                                 spec.quote if is_bid else spec.base, now=now)
        if hold > wallet.available:
            return None
        self._hold(order, wallet, hold, now)
        self._execute(order, now)
        return order

    def cancel_system_order(self, order: Order, now: float) -> None:
        """Cancel a market-life order."""
        self._cancel(order, now)

    # --- accounts and keys -------------------------------------------------------------
    @_api
    def create_account(self, *, email: str, name: str, funds: dict[str, Decimal] | None = None,
                       parent_id: int | None = None) -> int:
        """Create an account with SPOT balances ``funds``; returns its id."""
        now = self._now()
        if parent_id is not None and parent_id not in self._accounts:
            raise SimError(404, f"parent account {parent_id} not found")
        account_id = self._next_id("account")
        if account_id < USER_ID_START:  # ids below are the system accounts
            account_id = self._ids["account"] = USER_ID_START
        self._accounts[account_id] = {"id": account_id, "email": email, "name": name,
                                     "parent_id": parent_id}
        self._mark("account", account_id, self._accounts[account_id])
        for currency, amount in (funds or {}).items():
            if currency not in self.currency_by_name:
                raise SimError.field("currency", f"unknown currency {currency}")
            self._credit_external(account_id, currency, Decimal(amount), "DEPOSIT", now)
        return account_id

    def _credit_external(self, account_id: int, currency: str, amount: Decimal, kind: str,
                         now: float, wallet_type: WalletType = W_SPOT) -> None:
        """Money entering the exchange from outside (deposits, initial funds)."""
        if amount <= 0:
            return
        wallet = self.ledger.get(account_id, wallet_type, currency, now=now)
        self.ledger.apply(wallet, amount, ZERO, kind, now)

    @_api
    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Register (or replace) an API key."""
        if record.account_id not in self._accounts:
            raise SimError(404, f"account {record.account_id} not found")
        self.keys[record.api_key] = record
        oid = self._key_id(record.api_key)
        self._mark("apikey", oid, record)

    def _key_id(self, api_key: str) -> int:
        """The storage row of a key (stable across replacements of the same key)."""
        ids = self._key_ids
        if api_key not in ids:
            ids[api_key] = self._next_id("apikey")
        return ids[api_key]

    @_api
    def find_api_key(self, api_key: str) -> ApiKeyRecord | None:
        """The key's record, or None."""
        return self.keys.get(api_key)

    @_api
    def create_demo_account(self, api_key: str, api_secret: str) -> int:
        """An account funded for a demo (USDT, BTC, ETH... on SPOT) with a full-permission
        key; idempotent for the same key. Returns the account id."""
        existing = self.keys.get(api_key)
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

    @_api
    def _begin_life_step(self, now: float) -> float:
        assert self.life is not None
        return self.life.begin_step(now)

    @_api
    def _step_pair(self, name: str, now: float, dt: float) -> None:
        assert self.life is not None
        # Market life consumes ids; keep the counters on disk in step with memory.
        self._dirty[("meta", 0)] = None
        self.life.step_pair(name, now, dt)

    @_api
    def _step_accounts(self, now: float) -> None:
        self._dirty[("meta", 0)] = None
        self._expire_orders(now)
        self.funding.step(now)
        self.margin.step(now)

    @_api
    def close(self) -> None:
        """Flush and close persistence."""
        self._flush()
        self._store.close()

    # --- market data helpers -----------------------------------------------------------
    def _spec(self, pair: str | None) -> PairSpec:
        if not pair:
            raise SimError(400, "pair not found")
        spec = self.pair_by_name.get(normalize_pair(pair))
        if spec is None:
            raise SimError(400, "pair not found")
        return spec

    def _rate(self, currency: str) -> Decimal | None:
        """Value of one unit of ``currency`` in USDT, from last prices."""
        if currency in ("USDT", "USDC"):
            return Decimal(1)
        for quote in ("USDT", "USDC"):
            price = self.last.get(f"{currency}_{quote}")
            if price:
                return price
        btc_price = self.last.get(f"{currency}_BTC")
        if btc_price:
            return btc_price * self.last["BTC_USDT"]
        return None

    def _series(self, pair: str, interval_s: int) -> CandleSeries:
        """The pair's candles for one interval, with the generated history in front (built
        for all intervals of the pair at once, on first use)."""
        if pair not in self._history_done:
            self._history_done.add(pair)
            history = backfill_pair(self.pair_by_name[pair], self._history_end,
                                    self._start_prices[pair], self.seed)
            for level, candles in history.items():
                self.candles[(pair, level)].merge_history(candles)
        series = self.candles[(pair, interval_s)]
        series.roll(self._now())
        return series

    def _stats_24h(self, pair: str, now: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(open, high, low, base volume) over the last 24 hours, from 5-minute candles."""
        series = self._series(pair, 300)
        series.roll(now)
        since = now - 86400
        open_ = high = low = None
        vol = ZERO
        for candle in reversed(series.candles):
            if candle.time + 300 <= since:
                break
            open_ = candle.open
            high = candle.high if high is None or candle.high > high else high
            low = candle.low if low is None or candle.low < low else low
            vol += candle.volume
        last = self.last[pair]
        return (open_ or last, high or last, low or last, vol)

    def _ticker(self, spec: PairSpec, now: float) -> dict[str, Any]:
        book = self.books[spec.name]
        last = self.last[spec.name]
        open_, high, low, vol = self._stats_24h(spec.name, now)
        diff = last - open_
        pct = (diff / open_ * 100).quantize(Decimal("0.01")) if open_ else ZERO
        ts = self.last_ts[spec.name] or self.started_at
        return {
            "pair": spec.name,
            "last": last,
            "vol": vol,
            "buy": book.best_bid() or ZERO,
            "sell": book.best_ask() or ZERO,
            "high": high,
            "low": low,
            "diff": diff,
            "timestamp": Decimal(f"{ts:.6f}"),
            "open": open_,
            "diff_percent": pct,
            "price_precision": spec.price_precision,
            "amount_precision": spec.amount_precision,
        }

    # --- public ------------------------------------------------------------------------
    @_api
    def server_time(self) -> Json:
        """``{"serverTime": <int seconds>}``."""
        return {"serverTime": int(self._now())}

    @_api
    def currencies(self) -> Json:
        """Listed currencies."""
        return [{"sign": c.sign, "short_name": c.short_name, "name": c.name,
                 "precision": c.precision} for c in self.currency_specs]

    @_api
    def currency_rates(self) -> Json:
        """``{"BTC": "91250.00000000", ...}``: value in USDT, as strings."""
        out: dict[str, str] = {}
        for cur in self.currency_specs:
            rate = self._rate(cur.short_name)
            if rate is not None:
                out[cur.short_name] = str(rate.quantize(Decimal("1e-8")))
        return out

    @_api
    def pairs(self, currency1: str | None = None, currency2: str | None = None) -> Json:
        """Listed pairs, optionally filtered by base and/or quote currency."""
        c1 = currency1.upper() if currency1 else None
        c2 = currency2.upper() if currency2 else None
        return [p.public() for p in self.pair_specs
                if (c1 is None or p.base == c1) and (c2 is None or p.quote == c2)]

    @_api
    def ticker(self, pair: str | None = None) -> Json:
        """One ticker object when ``pair`` is given, else the list of all."""
        now = self._now()
        if pair:
            return self._ticker(self._spec(pair), now)
        return [self._ticker(spec, now) for spec in self.pair_specs]

    @_api
    def orderbook(self, pair: str, group: bool = False, limit_buy: int | None = None,
                  limit_sell: int | None = None) -> Json:
        """``{"buy": [{"amount", "price"}...] best first, "sell": [...] best first}``."""
        spec = self._spec(pair)
        book = self.books[spec.name]

        def rows(is_bid: bool, limit: int | None) -> list[dict[str, Any]]:
            """One side's rows, best first."""
            n = BOOK_DEFAULT_ROWS if limit is None or limit <= 0 else min(limit, BOOK_MAX_ROWS)
            return [{"amount": a, "price": p} for p, a in book.levels(is_bid, n, group)]

        return {"buy": rows(True, limit_buy), "sell": rows(False, limit_sell)}

    @_api
    def charts(self, pair: str, interval: ChartInterval, since: int | None = None,
               until: int | None = None, limit: int | None = None) -> Json:
        """Candles oldest first, each ``{"open","close","high","low","volume","time"}``."""
        spec = self._spec(pair)
        try:
            interval = ChartInterval(interval)
        except ValueError:
            raise SimError.field("interval", "unknown interval") from None
        series = self._series(spec.name, interval.seconds)
        return series.query(self._now(), since, until, limit)

    @_api
    def trades(self, pair: str, limit: int | None = None, offset: int | None = None) -> Json:
        """Public trades, newest first."""
        spec = self._spec(pair)
        rows = self.public_trades[spec.name]
        start = max(offset or 0, 0)
        count = 50 if limit is None or limit <= 0 else min(limit, TRADES_KEPT)
        out = []
        for i in range(len(rows) - 1 - start, -1, -1):
            out.append(dict(rows[i]))
            if len(out) >= count:
                break
        return out

    # --- private: account --------------------------------------------------------------
    def _account(self, account_id: int) -> dict[str, Any]:
        account = self._accounts.get(account_id)
        if account is None:
            raise SimError(404, f"account {account_id} not found")
        return account

    @_api
    def accounts_list(self) -> list[dict[str, Any]]:
        """Every user account (extension, for the CLI)."""
        return [dict(a) for a in self._accounts.values() if a["id"] not in SYSTEM_ACCOUNTS]

    @_api
    def accounts(self, account_id: int, include_subaccounts: bool = False) -> Json:
        """The account, and its sub-accounts when asked."""
        rows = [dict(self._account(account_id))]
        if include_subaccounts:
            rows += [dict(a) for a in self._accounts.values() if a.get("parent_id") == account_id]
        return rows

    @_api
    def balances(self, account_id: int) -> Json:
        """Every wallet of the account."""
        self._account(account_id)
        return [w.public() for w in self.ledger.by_account.get(account_id, [])]

    @_api
    def fees(self, account_id: int) -> Json:
        """The fee schedule that applies to the account."""
        self._account(account_id)
        return [entry.public(account_id) for entry in self.fee_schedule]

    def _order_public(self, o: Order) -> dict[str, Any]:
        # Division would run to the full 60-digit context; 8 decimals is plenty.
        avg = (o.value_filled / o.filled).quantize(FEE_QUANTUM) if o.filled else None
        return {
            "id": o.id,
            "account_id": o.account_id,
            "pair": o.pair,
            "amount": o.amount,
            "price": o.price,
            "side": "BID" if o.is_bid else "ASK",
            "status": o.status.value,
            "type": o.type.value,
            "wallet_type": o.wallet_type.value,
            "amount_canceled": o.cancelled,
            "amount_filled": o.filled,
            "amount_unfilled": o.remaining,
            "value_filled": o.value_filled,
            "price_avg": avg,
            "quote_amount": o.quote_amount,
            "date": rfc3339(o.created_at),
            "open_at": rfc3339(o.open_at),
            "tif": o.tif.value,
            "updated_at": rfc3339(o.updated_at),
            "done_at": rfc3339(o.done_at),
            "expire_after": rfc3339(o.expire_at),
            "stop_price": o.stop_price,
            "stop_operator": o.stop_operator.value if o.stop_operator else None,
            "client_order_id": o.client_order_id,
            "side_effect": o.side_effect.value,
            "isolated_pair": o.wallet_pair,
        }

    @_api
    def orders(self, account_id: int, pair: str | None = None, open_only: bool = False,
               side: OrderSide | None = None, start: datetime | None = None,
               end: datetime | None = None) -> Json:
        """The account's orders, newest first."""
        self._account(account_id)
        pair_name = self._spec(pair).name if pair else None
        side = _opt_enum(OrderSide, side, "side")
        out = []
        for o in reversed(self.orders_by_account.get(account_id, [])):
            if pair_name and o.pair != pair_name:
                continue
            if open_only and not o.status.is_open:
                continue
            if side is not None and o.is_bid != (side is OrderSide.BID):
                continue
            if not _in_window(o.created_at, start, end):
                continue
            out.append(self._order_public(o))
        return out

    def _records(self, kind: str, account_id: int) -> list[Any]:
        if kind == "activity":
            return self.ledger.activity.get(account_id, [])
        return self.records.get(kind, {}).get(account_id, [])

    def _history(self, kind: str, account_id: int, start: datetime | None,
                 end: datetime | None, **match: Any) -> list[dict[str, Any]]:
        """Records of ``kind`` newest first, filtered by time and equal fields."""
        self._account(account_id)
        out = []
        for record in reversed(self._records(kind, account_id)):
            if not _in_window(record.ts, start, end):
                continue
            data = record.data
            if any(value is not None and data.get(key) != value
                   for key, value in match.items()):
                continue
            out.append(dict(data))
        return out

    @_api
    def account_trades(self, account_id: int, pair: str | None = None,
                       side: OrderSide | None = None, start: datetime | None = None,
                       end: datetime | None = None) -> Json:
        """The account's fills, newest first."""
        side = _opt_enum(OrderSide, side, "side")
        return self._history("account_trade", account_id, start, end,
                             pair=self._spec(pair).name if pair else None,
                             side=side.value if side else None)

    @_api
    def activity(self, account_id: int, currency: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> Json:
        """Every balance change of the account, newest first."""
        return self._history("activity", account_id, start, end,
                             currency=currency.upper() if currency else None)

    # --- private: funding --------------------------------------------------------------
    @_api
    def deposit_methods(self, account_id: int, currency: str) -> Json:
        """Networks to deposit ``currency`` on, with the account's address."""
        self._account(account_id)
        return self.funding.deposit_methods(account_id, currency)

    @_api
    def deposits(self, account_id: int, currency: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> Json:
        """Incoming deposits, newest first."""
        return self._history("deposit", account_id, start, end,
                             currency=currency.upper() if currency else None)

    @_api
    def withdraw_methods(self, account_id: int, currency: str) -> Json:
        """Networks to withdraw ``currency`` on, with fees and limits."""
        self._account(account_id)
        return self.funding.withdraw_methods(currency)

    @_api
    def withdraw(self, account_id: int, amount: Decimal, method: int,
                 attributes: dict[str, str], client_order_id: str | None = None) -> Json:
        """Request a withdrawal; returns the withdrawal (as in ``withdrawals()``)."""
        self._account(account_id)
        return self.funding.withdraw(account_id, amount, method, attributes, client_order_id,
                                     self._now())

    @_api
    def withdrawals(self, account_id: int, currency: str | None = None,
                    start: datetime | None = None, end: datetime | None = None) -> Json:
        """Withdrawal requests, newest first."""
        return self._history("withdrawal", account_id, start, end,
                             currency=currency.upper() if currency else None)

    @_api
    def simulate_deposit(self, account_id: int, currency: str, amount: Decimal,
                         method: int | None = None) -> Json:
        """Extension: an incoming deposit that confirms over the next steps."""
        self._account(account_id)
        return self.funding.incoming(account_id, currency, Decimal(amount), method,
                                     self._now())

    # --- private: trading --------------------------------------------------------------
    def _index_order(self, order: Order) -> None:
        self._orders[order.id] = order
        self.orders_by_account.setdefault(order.account_id, []).append(order)
        if order.client_order_id is not None:
            self._by_client_id[(order.account_id, order.client_order_id)] = order

    def _wallet_for(self, order: Order, currency: str, now: float) -> Wallet:
        wallets = order.wallets
        if wallets is None:
            spec = self.pair_by_name[order.pair]
            get = self.ledger.get
            wallets = order.wallets = (
                get(order.account_id, order.wallet_type, spec.base, order.wallet_pair, now),
                get(order.account_id, order.wallet_type, spec.quote, order.wallet_pair, now))
        return wallets[0] if wallets[0].currency == currency else wallets[1]

    def _hold(self, order: Order, wallet: Wallet, amount: Decimal, now: float) -> None:
        order.hold_currency = wallet.currency
        if amount > 0:
            self.ledger.apply(wallet, ZERO, amount, "ORDER_HOLD", now)
            order.hold += amount

    def _release(self, order: Order, now: float) -> None:
        if order.hold > 0:
            spec = self.pair_by_name[order.pair]
            wallet = self._wallet_for(order, spec.quote if order.is_bid else spec.base, now)
            self.ledger.apply(wallet, ZERO, -order.hold, "ORDER_RELEASE", now)
            order.hold = ZERO

    @_api
    def place_order(self, account_id: int, order: dict[str, Any]) -> Json:
        """``order`` holds typed values under the wire field names (pair, order_type,
        order_side, wallet_type, client_order_id, side_effect, base_amount, quote_amount,
        limit_price, stop_price, stop_operator, tif, expire_after, valid_till).
        Returns the list of created order ids."""
        self._account(account_id)
        now = self._now()
        o = self._validate_order(account_id, order, now)
        spec = self.pair_by_name[o.pair]
        hold_currency = spec.quote if o.is_bid else spec.base
        hold = self._hold_needed(o, spec)
        wallet = self._wallet_for(o, hold_currency, now)
        if hold > wallet.available:
            if o.wallet_type.is_margin and o.side_effect is SE_AUTO_BORROW:
                self.margin.auto_borrow(o, hold_currency, hold - wallet.available, now)
            if hold > wallet.available:
                field = "quote_amount" if o.quote_amount is not None else "base_amount"
                raise SimError.field(
                    field, f"insufficient balance: {hold} {hold_currency} needed, "
                           f"{wallet.available} available")
        self._index_order(o)
        self._hold(o, wallet, hold, now)
        if o.expire_at is not None:
            self.expiring[o.id] = o
        if o.type in (T_STOP_LIMIT, T_STOP_MARKET):
            o.status = S_PENDING
            self.stops[o.pair][o.id] = o
            self._order_changed(o)
            # A stop already satisfied by the last price triggers at once.
            self._check_stops(o.pair, now)
        else:
            self._execute(o, now)
        return [o.id]

    def _validate_order(self, account_id: int, req: dict[str, Any], now: float) -> Order:
        spec = self._spec(req.get("pair"))
        otype = _opt_enum(OrderType, req.get("order_type"), "order_type")
        if otype is None:
            raise SimError.field("order_type", "required")
        side = _opt_enum(OrderSide, req.get("order_side"), "order_side")
        if side is None:
            raise SimError.field("order_side", "required")
        wallet_type = _opt_enum(WalletType, req.get("wallet_type"), "wallet_type") \
            or W_SPOT
        if wallet_type is W_FUNDING:
            raise SimError.field("wallet_type", "orders cannot trade from the FUNDING wallet")
        tif = _opt_enum(TimeInForce, req.get("tif"), "tif") or TIF_GTC
        if tif is TIF_UNDEFINED_TIME_IN_FORCE:
            tif = TIF_GTC
        side_effect = _opt_enum(SideEffect, req.get("side_effect"), "side_effect") \
            or SE_NO_SIDE_EFFECT
        base = _opt_decimal(req.get("base_amount"), "base_amount")
        quote = _opt_decimal(req.get("quote_amount"), "quote_amount")
        price = _opt_decimal(req.get("limit_price"), "limit_price")
        stop = _opt_decimal(req.get("stop_price"), "stop_price")
        stop_op = _opt_enum(StopOperator, req.get("stop_operator"), "stop_operator")
        client_order_id = req.get("client_order_id") or None
        if client_order_id is not None:
            client_order_id = str(client_order_id)
            if len(client_order_id) > 64:
                raise SimError.field("client_order_id", "at most 64 characters")
            other = self._by_client_id.get((account_id, client_order_id))
            if other is not None and other.status.is_open:
                raise SimError.field("client_order_id",
                                     f"already used by open order {other.id}")
        expire_at = None
        for key in ("expire_after", "valid_till"):
            value = req.get(key)
            if value not in (None, ""):
                ts = _ts(value)
                if ts is not None and ts <= now:
                    raise SimError.field(key, "must be in the future")
                expire_at = ts if expire_at is None else min(expire_at, ts)  # type: ignore

        priced = otype in (T_LIMIT, T_STOP_LIMIT)
        market = not priced
        if priced:
            if base is None:
                raise SimError.field("base_amount", "required")
            if quote is not None:
                raise SimError.field("quote_amount", f"not allowed for {otype.value}")
            if price is None:
                raise SimError.field("limit_price", "required")
        else:
            if price is not None:
                raise SimError.field("limit_price", f"not allowed for {otype.value}")
            if (base is None) == (quote is None):
                raise SimError.field("base_amount",
                                     "give exactly one of base_amount and quote_amount")
            if otype is T_STOP_MARKET and side is OrderSide.ASK and base is None:
                raise SimError.field("base_amount", "required for a STOP_MARKET sell")
        if otype in (T_STOP_LIMIT, T_STOP_MARKET):
            if stop is None:
                raise SimError.field("stop_price", "required")
            if stop_op is None:
                raise SimError.field("stop_operator", "required")
            if stop <= 0:
                raise SimError.field("stop_price", "must be positive")
            if stop != stop.quantize(spec.price_tick):
                raise SimError.field(
                    "stop_price", f"at most {spec.price_precision} decimals")
        else:
            stop = None
            stop_op = None
        if price is not None:
            if price <= 0:
                raise SimError.field("limit_price", "must be positive")
            if price != price.quantize(spec.price_tick):
                raise SimError.field("limit_price", f"at most {spec.price_precision} decimals")
        if base is not None:
            if base <= 0:
                raise SimError.field("base_amount", "must be positive")
            if base != base.quantize(spec.amount_step):
                raise SimError.field("base_amount",
                                     f"at most {spec.amount_precision} decimals")
            if base < spec.minimum_order_size:
                raise SimError.field("base_amount",
                                     f"below the minimum order size {spec.minimum_order_size}")
            if base > spec.maximum_order_size:
                raise SimError.field("base_amount",
                                     f"above the maximum order size {spec.maximum_order_size}")
            ref_price = price if price is not None else (stop or self.last[spec.name])
            if base * ref_price < spec.minimum_order_value:
                raise SimError.field(
                    "base_amount",
                    f"order value below the minimum {spec.minimum_order_value} {spec.quote}")
        if quote is not None:
            if quote <= 0:
                raise SimError.field("quote_amount", "must be positive")
            if quote != quote.quantize(FEE_QUANTUM):
                raise SimError.field("quote_amount", "at most 8 decimals")
            if quote < spec.minimum_order_value:
                raise SimError.field(
                    "quote_amount",
                    f"below the minimum order value {spec.minimum_order_value} {spec.quote}")
        if market:
            tif = TIF_IOC if tif is TIF_GTC else tif
        wallet_pair = spec.name if wallet_type is W_ISOLATED_MARGIN else None
        order = Order(
            id=0, account_id=account_id, pair=spec.name, is_bid=side is OrderSide.BID,
            type=otype, amount=base if base is not None else ZERO, price=price,
            created_at=now, wallet_type=wallet_type, wallet_pair=wallet_pair, tif=tif,
            quote_amount=quote, stop_price=stop, stop_operator=stop_op,
            client_order_id=client_order_id, side_effect=side_effect, expire_at=expire_at)
        order.id = self._next_id("order")
        return order

    def _hold_needed(self, o: Order, spec: PairSpec) -> Decimal:
        """Funds to hold for ``o``, in the quote (bids) or base (asks) currency."""
        book = self.books[o.pair]
        if o.type is T_LIMIT or o.type is T_STOP_LIMIT:
            return o.amount * o.price if o.is_bid else o.amount  # type: ignore[operator]
        if o.type is T_STOP_MARKET:
            if not o.is_bid:
                return o.amount
            if o.quote_amount is not None:
                return o.quote_amount
            return (o.amount * o.stop_price * STOP_MARKET_BUFFER).quantize(  # type: ignore
                FEE_QUANTUM)
        # MARKET: what the book shows now (the order executes in this same call).
        if o.is_bid:
            if o.quote_amount is not None:
                return o.quote_amount
            return book.fillable(True, None, base=o.amount)[1]
        if o.quote_amount is None:
            return o.amount
        return book.fillable(False, None, quote=o.quote_amount)[0]

    def _execute(self, o: Order, now: float) -> None:
        """Match ``o`` (already holding its funds) and rest, cancel or finish it."""
        book = self.books[o.pair]
        market = o.type is T_MARKET or o.type is T_STOP_MARKET
        limit = None if market else o.price
        by_quote = market and o.quote_amount is not None
        base: Decimal | None = None
        quote: Decimal | None = None
        if by_quote:
            quote = o.quote_amount - o.value_filled  # type: ignore[operator]
            if o.is_bid:
                quote = min(quote, o.hold)
        else:
            base = o.remaining
            if market and o.is_bid:
                # A market buy can spend no more than it holds.
                got, cost = book.fillable(True, None, base=base)
                if cost > o.hold:
                    base, quote = None, o.hold
        if o.tif in (TIF_FOK, TIF_AON) and base is not None:
            got, _ = book.fillable(o.is_bid, limit, base=base)
            if got < base:
                if o.tif is TIF_AON and not market:
                    self._rest(o, book, now)
                else:
                    self._finish(o, now)
                return
        fills = book.match(o.is_bid, limit, base, quote)
        if fills:
            self._book_pairs.add(o.pair)
            for fill in fills:
                self._settle(o, fill, now)
        if by_quote or o.remaining <= 0 or market or o.tif in (TIF_IOC,
                                                              TIF_FOK):
            self._finish(o, now)
        else:
            self._rest(o, book, now)
        if fills:
            # Only now, with the taker rested or done, may stops it triggered trade.
            self._after_trades(o.pair, now)

    def _rest(self, o: Order, book: OrderBook, now: float) -> None:
        o.status = S_PARTIAL_FILLED if o.filled else S_OPEN
        if o.open_at is None:
            o.open_at = now
        o.updated_at = now
        book.add(o)
        self._book_pairs.add(o.pair)
        self._order_changed(o)

    def _finish(self, o: Order, now: float, status: OrderStatus | None = None) -> None:
        """End ``o``: cancel what is left, release what is held."""
        if o.quote_amount is not None and o.type in (T_MARKET, T_STOP_MARKET):
            # A by-quote market order's amount is what it bought or sold.
            o.amount = o.filled
            o.remaining = ZERO
        if o.remaining > 0:
            o.cancelled += o.remaining
            o.remaining = ZERO
        if status is None:
            if o.cancelled == 0 and o.filled > 0:
                status = S_FILLED
            elif o.filled > 0:
                status = S_PARTIAL_CANCELLED
            else:
                status = S_CANCELLED
        o.status = status
        o.updated_at = now
        o.done_at = now
        self._release(o, now)
        self.expiring.pop(o.id, None)
        self._order_changed(o)

    def _cancel(self, o: Order, now: float, status: OrderStatus | None = None) -> None:
        if not o.status.is_open:
            return
        book = self.books[o.pair]
        if book.remove(o):
            self._book_pairs.add(o.pair)
        self.stops[o.pair].pop(o.id, None)
        self._finish(o, now, status)

    def _fee_rate(self, account_id: int, pair: str, maker: bool) -> Decimal:
        if account_id in SYSTEM_ACCOUNTS:
            return ZERO
        entry = self._fee_cache.get(pair)
        if entry is None:
            entry = self._fee_cache[pair] = catalog.fee_rates(pair, self.fee_schedule)
        return entry.maker_fee_rate if maker else entry.taker_fee_rate

    def _settle(self, taker: Order, fill: Fill, now: float) -> None:
        """Move the money of one fill: quote from buyer to seller, base the other way,
        fees to the house."""
        maker = fill.maker
        qty = fill.amount
        price = fill.price
        value = qty * price
        spec = self.pair_by_name[taker.pair]
        ledger = self.ledger
        fees_due = self._fees_due
        taker.remaining -= qty
        taker.filled += qty
        taker.value_filled += value
        maker.value_filled += value
        taker.updated_at = maker.updated_at = now
        if maker.remaining <= 0:
            maker.status = S_FILLED
            maker.done_at = now
            self.expiring.pop(maker.id, None)
        else:
            maker.status = S_PARTIAL_FILLED
        for order, is_maker in ((taker, False), (maker, True)):
            if order.is_bid:
                # A priced bid held limit × amount; it pays price × amount.
                held = qty * order.price if order.price is not None else value
                pay = self._wallet_for(order, spec.quote, now)
                ledger.apply(pay, -value, -held, "TRADE", now)
                order.hold -= held
                rate = self._fee_rate(order.account_id, spec.name, is_maker)
                fee = (qty * rate).quantize(FEE_QUANTUM, rounding=ROUND_DOWN) if rate else ZERO
                get = self._wallet_for(order, spec.base, now)
                ledger.apply(get, qty - fee, ZERO, "TRADE", now)
                if fee:
                    fees_due[spec.base] = fees_due.get(spec.base, ZERO) + fee
                fee_currency = spec.base
            else:
                pay = self._wallet_for(order, spec.base, now)
                ledger.apply(pay, -qty, -qty, "TRADE", now)
                order.hold -= qty
                rate = self._fee_rate(order.account_id, spec.name, is_maker)
                fee = (value * rate).quantize(FEE_QUANTUM, rounding=ROUND_DOWN) if rate \
                    else ZERO
                get = self._wallet_for(order, spec.quote, now)
                ledger.apply(get, value - fee, ZERO, "TRADE", now)
                if fee:
                    fees_due[spec.quote] = fees_due.get(spec.quote, ZERO) + fee
                fee_currency = spec.quote
            if order.side_effect is SE_AUTO_REPLAY and order.wallet_type.is_margin:
                self.margin.auto_repay(order, spec.base if order.is_bid else spec.quote, now)
            if not order.system:
                self._order_changed(order)
                record = self._add_record("account_trade", order.account_id, now, {
                    "id": 0,
                    "account_id": order.account_id,
                    "order_id": order.id,
                    "pair": spec.name,
                    "amount": qty,
                    "amount_unfilled": order.remaining,
                    "price": price,
                    "currency": spec.quote,
                    "status": (S_FILLED if order.remaining <= 0
                               else S_PARTIAL_FILLED).value,
                    "date": rfc3339(now),
                    "fee_amount": fee,
                    "fee_currency": fee_currency,
                    "fee_rate": rate,
                    "is_maker": is_maker,
                    "type": order.type.value,
                    "side": "BID" if order.is_bid else "ASK",
                    "wallet_type": order.wallet_type.value,
                })
                if self._listeners:
                    self._events.append({"type": "account_trade",
                                         "account_id": order.account_id,
                                         "trade": dict(record.data)})
        if maker.remaining <= 0 and maker.hold > 0:
            # A filled bid that bought below its limit keeps nothing on hold.
            self._release(maker, now)
        trade_id = self._next_id("trade")
        side = "buy" if taker.is_bid else "sell"
        trade = {"id": trade_id, "pair": spec.name, "amount": qty, "price": price,
                 "timestamp": Decimal(f"{now:.6f}"), "type": side}
        self.public_trades[spec.name].append(trade)
        self.last[spec.name] = price
        self.last_ts[spec.name] = now
        for series in self._pair_series[spec.name]:
            series.add_trade(now, price, qty)
        if self._listeners:
            self._events.append({"type": "trade", "pair": spec.name, "id": trade_id,
                                 "price": price, "amount": qty, "side": side, "ts": now})

    def _after_trades(self, pair: str, now: float) -> None:
        self._ticker_pairs.add(pair)
        if self.stops[pair]:
            self._check_stops(pair, now)

    def _check_stops(self, pair: str, now: float) -> None:
        """Trigger stop orders the last price has reached, oldest first, repeatedly (a
        triggered stop may move the price onto the next one)."""
        for _ in range(1000):
            last = self.last[pair]
            due = [o for o in self.stops[pair].values()
                   if (o.stop_operator is OP_GTE and last >= o.stop_price)
                   or (o.stop_operator is OP_LTE and last <= o.stop_price)]
            if not due:
                return
            for o in sorted(due, key=lambda x: x.id):
                if self.stops[pair].pop(o.id, None) is None:
                    continue
                o.updated_at = now
                self._execute(o, now)
                if self.last[pair] != last:
                    break

    def _expire_orders(self, now: float) -> None:
        for o in [o for o in self.expiring.values()
                  if o.expire_at is not None and o.expire_at <= now]:
            self._cancel(o, now, S_EXPIRED)

    @_api
    def cancel_orders(self, account_id: int, order_ids: list[int] | None = None,
                      all: bool = False, pair: str | None = None) -> Json:
        """Returns {"<order id>": "<new status>", ...}."""
        self._account(account_id)
        now = self._now()
        out: dict[str, str] = {}
        if order_ids:
            targets = []
            for oid in order_ids:
                try:
                    o = self._orders.get(int(oid))
                except (TypeError, ValueError):
                    raise SimError.field("order_ids", f"not an order id: {oid!r}") from None
                if o is None or o.account_id != account_id:
                    out[str(oid)] = S_UNDEFINED.value
                else:
                    targets.append(o)
        elif all or pair:
            pair_name = self._spec(pair).name if pair else None
            targets = [o for o in self.orders_by_account.get(account_id, [])
                       if o.status.is_open and (pair_name is None or o.pair == pair_name)]
        else:
            raise SimError.field("order_ids", "give order_ids, all or pair")
        for o in targets:
            self._cancel(o, now)
            out[str(o.id)] = o.status.value
        return out

    # --- private: margin ---------------------------------------------------------------
    @_api
    def margin_transfer(self, account_id: int, wallet_type: WalletType,
                        direction: MarginDirection, amount: Decimal, currency: str,
                        pair: str | None = None, note: str | None = None) -> Json:
        """Move funds spot → margin (ADD) or margin → spot (SUB); returns the op id."""
        self._account(account_id)
        return self.margin.transfer(account_id, wallet_type, direction, amount, currency,
                                    pair, note, self._now())

    @_api
    def borrow(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
               pair: str | None = None, loan_type: LoanType = LoanType.LOAN_MANUAL) -> Json:
        """Borrow into a margin wallet; returns the borrow id."""
        self._account(account_id)
        return self.margin.borrow(account_id, amount, currency, wallet_type, pair, loan_type,
                                  self._now())

    @_api
    def repay(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
              pair: str | None = None, loan_type: LoanType = LoanType.LOAN_MANUAL) -> Json:
        """Repay (interest first); returns ``[repay id]``."""
        self._account(account_id)
        return self.margin.repay(account_id, amount, currency, wallet_type, pair, loan_type,
                                 self._now())

    @_api
    def close_position(self, account_id: int, wallet_type: WalletType,
                       pair: str | None = None) -> Json:
        """Cancel the wallet's orders and repay its loans; returns the repay ids."""
        self._account(account_id)
        return self.margin.close_position(account_id, wallet_type, pair, self._now())

    @_api
    def loans(self, account_id: int, isolated_margin: bool = False,
              cross_margin: bool = False) -> Json:
        """Open loans of the account."""
        self._account(account_id)
        return self.margin.loans(account_id, isolated_margin, cross_margin)

    def _margin_history(self, kind: str, account_id: int, pair: str | None,
                        currency: str | None, start: datetime | None,
                        end: datetime | None) -> Json:
        return self._history(kind, account_id, start, end,
                             pair=self._spec(pair).name if pair else None,
                             currency=currency.upper() if currency else None)

    @_api
    def margin_transfers(self, account_id: int, pair: str | None = None,
                         currency: str | None = None, start: datetime | None = None,
                         end: datetime | None = None) -> Json:
        """Margin transfer history, newest first."""
        return self._margin_history("margin_transfer", account_id, pair, currency, start, end)

    @_api
    def borrows(self, account_id: int, pair: str | None = None, currency: str | None = None,
                start: datetime | None = None, end: datetime | None = None) -> Json:
        """Borrow history, newest first."""
        return self._margin_history("borrow", account_id, pair, currency, start, end)

    @_api
    def repays(self, account_id: int, pair: str | None = None, currency: str | None = None,
               start: datetime | None = None, end: datetime | None = None) -> Json:
        """Repay history, newest first."""
        return self._margin_history("repay", account_id, pair, currency, start, end)

    @_api
    def interests(self, account_id: int, pair: str | None = None, currency: str | None = None,
                  start: datetime | None = None, end: datetime | None = None) -> Json:
        """Interest charges, newest first."""
        return self._margin_history("interest", account_id, pair, currency, start, end)

    @_api
    def liquidations(self, account_id: int, pair: str | None = None,
                     currency: str | None = None, start: datetime | None = None,
                     end: datetime | None = None) -> Json:
        """Liquidations, newest first."""
        return self._margin_history("liquidation", account_id, pair, currency, start, end)

    @_api
    def margin_level(self, account_id: int, wallet_type: WalletType,
                     pair: str | None = None) -> Decimal | None:
        """Extension (not on the wire): equity / debt of a margin wallet; None without debt."""
        return self.margin.level(account_id, wallet_type,
                                 self._spec(pair).name if pair else None)

    # --- test and demo hooks -----------------------------------------------------------
    @_api
    def set_last_price(self, pair: str, price: Decimal) -> None:
        """Extension: trade the market to ``price`` (the house crosses the book there),
        then run margin checks, so tests can drive stops and liquidations."""
        spec = self._spec(pair)
        price = Decimal(price).quantize(spec.price_tick)
        now = self._now()
        book = self.books[spec.name]
        is_bid = price > self.last[spec.name]
        # Sweep the book up (or down) to the price with a house order, then trade a
        # minimum lot at exactly that price against a house order on the other side.
        got, _cost = book.fillable(is_bid, price, base=spec.maximum_order_size * 1000)
        house_base = self.ledger.get(HOUSE_ID, W_SPOT, spec.base, now=now)
        house_quote = self.ledger.get(HOUSE_ID, W_SPOT, spec.quote, now=now)
        if got > 0:
            sweep = Order(id=self._next_id("order"), account_id=HOUSE_ID, pair=spec.name,
                          is_bid=is_bid, type=T_LIMIT, amount=got, price=price,
                          created_at=now, tif=TIF_IOC, system=True)
            self._hold(sweep, house_quote if is_bid else house_base,
                       got * price if is_bid else got, now)
            self._execute(sweep, now)
        lot = spec.minimum_order_size
        resting = Order(id=self._next_id("order"), account_id=HOUSE_ID, pair=spec.name,
                        is_bid=not is_bid, type=T_LIMIT, amount=lot, price=price,
                        created_at=now, system=True)
        self._hold(resting, house_base if is_bid else house_quote,
                   lot if is_bid else lot * price, now)
        self._execute(resting, now)
        if self.is_resting(resting):
            taker = Order(id=self._next_id("order"), account_id=HOUSE_ID, pair=spec.name,
                          is_bid=is_bid, type=T_LIMIT, amount=lot, price=price,
                          created_at=now, tif=TIF_IOC, system=True)
            self._hold(taker, house_quote if is_bid else house_base,
                       lot * price if is_bid else lot, now)
            self._execute(taker, now)
            if self.is_resting(resting):
                self._cancel(resting, now)
        if self.life is not None:
            self.life.pairs[spec.name].fair = float(price)
        self.margin.step(now)

    @_api
    def apply_market_price(self, pair: str, price: Decimal, ts: float | None = None) -> None:
        """Extension: the market's last price is now ``price``, set from outside (paper mode
        follows the live exchange). Stops trigger at it and valuations (margin, rates) use
        it; unlike ``set_last_price`` it trades nothing by itself. A price <= 0 (a pair
        without trades) is ignored."""
        spec = self._spec(pair)
        if price <= 0:
            return
        now = self._now()
        self.last[spec.name] = Decimal(price)
        self.last_ts[spec.name] = now if ts is None else ts
        self._dirty[("meta", 0)] = None
        if self.stops[spec.name]:
            self._check_stops(spec.name, now)

    @_api
    def transact(self, fn: Callable[[], _T]) -> _T:
        """Extension: run ``fn()`` as one exchange call — under the lock, its changes
        written in one transaction and the listeners told at the end — for drivers outside
        this module that use the market-life helpers (``system_order``,
        ``cancel_system_order``, ``is_resting``), such as paper mode's book mirror."""
        return fn()

    @_api
    def move_market(self, pair: str, factor: Decimal) -> None:
        """Extension: ``set_last_price(pair, last × factor)``."""
        spec = self._spec(pair)
        self.set_last_price(spec.name, self.last[spec.name] * Decimal(factor))

    @_api
    def totals(self) -> dict[str, Decimal]:
        """Extension for tests: every currency summed over all wallets."""
        return self.ledger.totals()
