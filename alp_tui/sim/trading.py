"""The order desk: placing, matching, settling and cancelling orders.

It owns every order (users' and market life's), the stop and expiry queues, and moves the
money of each fill through the ledger. It sees the rest of the exchange only through the
:class:`~alp_tui.sim.journal.Journal` (ids, history, change reports), the
:class:`~alp_tui.sim.quotes.MarketData` (books, tape, last prices) and, for margin orders,
the :class:`~alp_tui.sim.ports.MarginHooks`.

Behaviour decisions (where the reference leaves room):

- Time in force: GTC rests; IOC fills what it can and cancels the rest; FOK fills
  completely at once or is cancelled untouched; AON fills completely at once, and if it
  cannot it rests whole and is later only ever filled whole (takers skip it otherwise;
  the public book leaves out an all-or-none order that crosses the other side).
  Market orders are always immediate (IOC unless FOK/AON is asked for; a market AON acts
  as FOK). FOK/AON by ``quote_amount`` means the whole quote is spent (up to what can't
  buy one amount step) or nothing trades; without them it spends what the book gives.
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
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any

from alp_tui.api.enums import (
    OrderStatus,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
)
from alp_tui.sim import catalog
from alp_tui.sim.engine import Fill, Order, OrderBook
from alp_tui.sim.errors import SimError
from alp_tui.sim.forced import ForcedOrders
from alp_tui.sim.journal import Journal
from alp_tui.sim.ledger import Ledger, Wallet, rfc3339
from alp_tui.sim.order_entry import FEE_QUANTUM, hold_needed, validate_order
from alp_tui.sim.order_views import unfilled
from alp_tui.sim.ports import MarginHooks
from alp_tui.sim.quotes import MarketData

# Enum members as plain globals: attribute access on an Enum class is slow on 3.11,
# and this module is on the path of every order.
S_CANCELLED = OrderStatus.CANCELLED
S_FILLED = OrderStatus.FILLED
S_OPEN = OrderStatus.OPEN
S_PARTIAL_CANCELLED = OrderStatus.PARTIAL_CANCELLED
S_PARTIAL_FILLED = OrderStatus.PARTIAL_FILLED
S_PENDING = OrderStatus.PENDING
S_UNDEFINED = OrderStatus.UNDEFINED
T_MARKET = OrderType.MARKET
T_STOP_LIMIT = OrderType.STOP_LIMIT
T_STOP_MARKET = OrderType.STOP_MARKET
SE_AUTO_BORROW = SideEffect.AUTO_BORROW
SE_AUTO_REPLAY = SideEffect.AUTO_REPLAY
OP_GTE = StopOperator.GTE
OP_LTE = StopOperator.LTE
TIF_AON = TimeInForce.AON
TIF_FOK = TimeInForce.FOK
TIF_IOC = TimeInForce.IOC
ZERO = Decimal(0)


class OrderDesk(ForcedOrders):
    """Every order of the exchange, and the matching and settlement of fills."""

    def __init__(self, ledger: Ledger, journal: Journal, market: MarketData,
                 clock: Callable[[], float], fee_free: frozenset[int]) -> None:
        self.ledger = ledger
        self.journal = journal
        self.market = market
        self.books: dict[str, OrderBook] = market.books
        self.pair_specs = market.listing.pairs
        self._pair_by_name = market.listing.pair_by_name
        self._fee_schedule = market.listing.fee_schedule
        self._clock = clock
        self._fee_free = fee_free  # system accounts trade without fees
        self.margin: MarginHooks | None = None  # set once the margin desk exists
        self.orders: dict[int, Order] = {}  # user orders, open and done
        self.orders_by_account: dict[int, list[Order]] = {}
        # Latest order per (account, client_order_id): uniqueness among open orders.
        self.by_client_id: dict[tuple[int, str], Order] = {}
        self.stops: dict[str, dict[int, Order]] = {p.name: {} for p in self.pair_specs}
        self.expiring: dict[int, Order] = {}
        self._fee_cache: dict[str, catalog.FeeEntry] = {}

    # --- the order index ------------------------------------------------------------------
    def index(self, order: Order) -> None:
        """Register a user order (new or loaded)."""
        self.orders[order.id] = order
        self.orders_by_account.setdefault(order.account_id, []).append(order)
        if order.client_order_id is not None:
            self.by_client_id[(order.account_id, order.client_order_id)] = order

    def load(self, order: Order) -> None:
        """Put a stored order back where it was: book, stop queue, expiry queue."""
        self.index(order)
        if order.status.is_open and order.pair in self.books:  # else no longer listed
            if order.type in (T_STOP_LIMIT, T_STOP_MARKET) and order.status is S_PENDING:
                self.stops[order.pair][order.id] = order
            else:
                self.books[order.pair].add(order)
            if order.expire_at is not None:
                self.expiring[order.id] = order

    def orders_of(self, account_id: int) -> list[Order]:
        """Every order of the account, oldest first."""
        return self.orders_by_account.get(account_id, [])

    def last_price(self, pair: str) -> Decimal:
        """Last trade price of ``pair``."""
        return self.market.last[pair]

    def is_resting(self, order: Order) -> bool:
        """True while ``order`` sits in its book."""
        return order.id in self.books[order.pair].orders

    # --- holds ------------------------------------------------------------------------------
    def wallet_for(self, order: Order, currency: str, now: float) -> Wallet:
        """The order's wallet of ``currency`` (base or quote of its pair)."""
        wallets = order.wallets
        if wallets is None:
            spec = self._pair_by_name[order.pair]
            get = self.ledger.get
            wallets = order.wallets = (
                get(order.account_id, order.wallet_type, spec.base, order.wallet_pair, now),
                get(order.account_id, order.wallet_type, spec.quote, order.wallet_pair, now))
        return wallets[0] if wallets[0].currency == currency else wallets[1]

    def hold(self, order: Order, wallet: Wallet, amount: Decimal, now: float) -> None:
        """Reserve ``amount`` of ``wallet`` for ``order``."""
        order.hold_currency = wallet.currency
        if amount > 0:
            self.ledger.apply(wallet, ZERO, amount, "ORDER_HOLD", now)
            order.hold += amount

    def _release(self, order: Order, now: float) -> None:
        if order.hold > 0:
            spec = self._pair_by_name[order.pair]
            wallet = self.wallet_for(order, spec.quote if order.is_bid else spec.base, now)
            self.ledger.apply(wallet, ZERO, -order.hold, "ORDER_RELEASE", now)
            order.hold = ZERO

    # --- entry ------------------------------------------------------------------------------
    def place(self, account_id: int, req: dict[str, Any], now: float) -> list[int]:
        """Validate, hold funds for and execute a user order; the created ids."""
        spec = self.market.spec(req.get("pair"))

        def open_by_client_id(cid: str) -> Order | None:
            other = self.by_client_id.get((account_id, cid))
            return other if other is not None and other.status.is_open else None

        o = validate_order(spec, account_id, req, now, self.market.last[spec.name],
                           open_by_client_id)
        o.id = self.journal.next_id("order")
        hold_currency = spec.quote if o.is_bid else spec.base
        hold = hold_needed(o, self.books[o.pair])
        wallet = self.wallet_for(o, hold_currency, now)
        if hold > wallet.available:
            if o.wallet_type.is_margin and o.side_effect is SE_AUTO_BORROW \
                    and self.margin is not None:
                self.margin.auto_borrow(o, hold_currency, hold - wallet.available, now)
            if hold > wallet.available:
                field = "quote_amount" if o.quote_amount is not None else "base_amount"
                raise SimError.field(
                    field, f"insufficient balance: {hold} {hold_currency} needed, "
                           f"{wallet.available} available")
        self.index(o)
        self.hold(o, wallet, hold, now)
        if o.expire_at is not None:
            self.expiring[o.id] = o
        if o.type in (T_STOP_LIMIT, T_STOP_MARKET):
            o.status = S_PENDING
            self.stops[o.pair][o.id] = o
            self.journal.order_changed(o)
            # A stop already satisfied by the last price triggers at once.
            self._check_stops(o.pair, now)
        else:
            self.execute(o, now)
        return [o.id]

    def system_order(self, account_id: int, pair: str, is_bid: bool, type: OrderType,
                     amount: Decimal, price: Decimal | None, now: float) -> Order | None:
        """Place a market-life order without validation or history; None if unfunded."""
        spec = self._pair_by_name[pair]
        order = Order(id=self.journal.next_id("order"), account_id=account_id, pair=pair,
                      is_bid=is_bid, type=type, amount=amount, price=price, created_at=now,
                      system=True)
        if type is T_MARKET:
            hold = self.books[pair].fillable(True, None, base=amount)[1] if is_bid \
                else amount
        else:
            hold = amount * price if is_bid else amount  # type: ignore[operator]
        wallet = self.ledger.get(account_id, WalletType.SPOT,
                                 spec.quote if is_bid else spec.base, now=now)
        if hold > wallet.available:
            return None
        self.hold(order, wallet, hold, now)
        self.execute(order, now)
        return order

    def cancel_system_order(self, order: Order, now: float) -> None:
        """Cancel a market-life order."""
        self.cancel(order, now)

    # --- matching ---------------------------------------------------------------------------
    def execute(self, o: Order, now: float) -> None:
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
                _got, cost = book.fillable(True, None, base=base)
                if cost > o.hold:
                    base, quote = None, o.hold
        if o.tif in (TIF_FOK, TIF_AON):
            if base is not None:
                whole = book.takes_whole(o.is_bid, limit, base=base)
            elif by_quote:
                wanted = o.quote_amount - o.value_filled  # type: ignore[operator]
                whole = quote >= wanted and book.takes_whole(o.is_bid, None, quote=quote)
            else:  # a market buy by base that its hold can no longer pay for
                whole = False
            if not whole:
                if o.tif is TIF_AON and not market:
                    self._rest(o, book, now)
                else:
                    self.finish(o, now)
                return
        fills = book.match(o.is_bid, limit, base, quote)
        if fills:
            self.journal.book_pairs.add(o.pair)
            for fill in fills:
                self._settle(o, fill, now)
        if by_quote or o.remaining <= 0 or market or o.tif in (TIF_IOC, TIF_FOK):
            self.finish(o, now)
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
        self.journal.book_pairs.add(o.pair)
        self.journal.order_changed(o)

    def finish(self, o: Order, now: float, status: OrderStatus | None = None) -> None:
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
        self.journal.order_changed(o)

    def cancel(self, o: Order, now: float, status: OrderStatus | None = None) -> None:
        """Cancel an open order (no-op when it is done)."""
        if not o.status.is_open:
            return
        if self.books[o.pair].remove(o):
            self.journal.book_pairs.add(o.pair)
        self.stops[o.pair].pop(o.id, None)
        self.finish(o, now, status)

    # --- settlement -------------------------------------------------------------------------
    def _fee_rate(self, account_id: int, pair: str, maker: bool) -> Decimal:
        if account_id in self._fee_free:
            return ZERO
        entry = self._fee_cache.get(pair)
        if entry is None:
            entry = self._fee_cache[pair] = catalog.fee_rates(pair, self._fee_schedule)
        return entry.maker_fee_rate if maker else entry.taker_fee_rate

    def _settle(self, taker: Order, fill: Fill, now: float) -> None:
        """Move the money of one fill: quote from buyer to seller, base the other way,
        fees to the house (at the end of the call)."""
        maker = fill.maker
        qty = fill.amount
        price = fill.price
        value = qty * price
        spec = self._pair_by_name[taker.pair]
        ledger = self.ledger
        fees_due = self.journal.fees_due
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
            rate = self._fee_rate(order.account_id, spec.name, is_maker)
            if order.is_bid:
                # A priced bid held limit × amount; it pays price × amount.
                held = qty * order.price if order.price is not None else value
                ledger.apply(self.wallet_for(order, spec.quote, now), -value, -held, "TRADE",
                             now)
                order.hold -= held
                fee = (qty * rate).quantize(FEE_QUANTUM, rounding=ROUND_DOWN) if rate else ZERO
                ledger.apply(self.wallet_for(order, spec.base, now), qty - fee, ZERO, "TRADE",
                             now)
                fee_currency = spec.base
            else:
                ledger.apply(self.wallet_for(order, spec.base, now), -qty, -qty, "TRADE", now)
                order.hold -= qty
                fee = (value * rate).quantize(FEE_QUANTUM, rounding=ROUND_DOWN) if rate \
                    else ZERO
                ledger.apply(self.wallet_for(order, spec.quote, now), value - fee, ZERO,
                             "TRADE", now)
                fee_currency = spec.quote
            if fee:
                fees_due[fee_currency] = fees_due.get(fee_currency, ZERO) + fee
            if order.side_effect is SE_AUTO_REPLAY and order.wallet_type.is_margin \
                    and self.margin is not None:
                self.margin.auto_repay(order, spec.base if order.is_bid else spec.quote, now)
            if not order.system:
                self._account_trade(order, is_maker, qty, price, fee, fee_currency, rate, now)
        if maker.remaining <= 0 and maker.hold > 0:
            # A filled bid that bought below its limit keeps nothing on hold.
            self._release(maker, now)
        trade_id = self.journal.next_id("trade")
        side = "buy" if taker.is_bid else "sell"
        self.market.record_trade(trade_id, spec.name, price, qty, side, now, taker.account_id)
        if self.journal.listening:
            self.journal.emit({"type": "trade", "pair": spec.name, "id": trade_id,
                               "price": price, "amount": qty, "side": side, "ts": now})

    def _account_trade(self, order: Order, is_maker: bool, qty: Decimal, price: Decimal,
                       fee: Decimal, fee_currency: str, rate: Decimal, now: float) -> None:
        spec = self._pair_by_name[order.pair]
        self.journal.order_changed(order)
        record = self.journal.add_record("account_trade", order.account_id, now, {
            "id": 0,
            "account_id": order.account_id,
            "order_id": order.id,
            "pair": spec.name,
            "amount": qty,
            "amount_unfilled": unfilled(order),
            "price": price,
            "currency": spec.quote,
            "status": (S_FILLED if order.remaining <= 0 else S_PARTIAL_FILLED).value,
            "date": rfc3339(now),
            "fee_amount": fee,
            "fee_currency": fee_currency,
            "fee_rate": rate,
            "is_maker": is_maker,
            "type": order.type.value,
            "side": "BID" if order.is_bid else "ASK",
            "wallet_type": order.wallet_type.value,
        })
        if self.journal.listening:
            self.journal.emit({"type": "account_trade", "account_id": order.account_id,
                               "trade": dict(record.data)})

    # --- stops and expiry -------------------------------------------------------------------
    def _after_trades(self, pair: str, now: float) -> None:
        self.journal.ticker_pairs.add(pair)
        if self.stops[pair]:
            self._check_stops(pair, now)

    def trigger_stops(self, pair: str, now: float) -> None:
        """Trigger the pair's stops the last price has reached (after it was set from
        outside)."""
        if self.stops[pair]:
            self._check_stops(pair, now)

    def _check_stops(self, pair: str, now: float) -> None:
        """Trigger stop orders the last price has reached, oldest first, repeatedly (a
        triggered stop may move the price onto the next one)."""
        last_of = self.market.last
        for _ in range(1000):
            last = last_of[pair]
            due = [o for o in self.stops[pair].values()
                   if (o.stop_operator is OP_GTE and last >= o.stop_price)
                   or (o.stop_operator is OP_LTE and last <= o.stop_price)]
            if not due:
                return
            for o in sorted(due, key=lambda x: x.id):
                if self.stops[pair].pop(o.id, None) is None:
                    continue
                o.updated_at = now
                self.execute(o, now)
                if last_of[pair] != last:
                    break

    def expire(self, now: float) -> None:
        """Cancel orders whose ``expire_after`` / ``valid_till`` has come."""
        for o in [o for o in self.expiring.values()
                  if o.expire_at is not None and o.expire_at <= now]:
            self.cancel(o, now, OrderStatus.EXPIRED)

    def cancel_many(self, account_id: int, order_ids: list[int] | None, all: bool,
                    pair: str | None, now: float) -> dict[str, str]:
        """``{"<order id>": "<new status>"}`` for ``DELETE /trading/order``."""
        out: dict[str, str] = {}
        if order_ids:
            targets = []
            for oid in order_ids:
                try:
                    o = self.orders.get(int(oid))
                except (TypeError, ValueError):
                    raise SimError.field("order_ids", f"not an order id: {oid!r}") from None
                if o is None or o.account_id != account_id:
                    out[str(oid)] = S_UNDEFINED.value
                else:
                    targets.append(o)
        elif all or pair:
            pair_name = self.market.spec(pair).name if pair else None
            targets = [o for o in self.orders_of(account_id)
                       if o.status.is_open and (pair_name is None or o.pair == pair_name)]
        else:
            raise SimError.field("order_ids", "give order_ids, all or pair")
        for o in targets:
            self.cancel(o, now)
            out[str(o.id)] = o.status.value
        return out
