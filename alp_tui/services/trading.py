"""Every trading action the UI can take, journaled, and never sent twice.

:class:`TradingService` is the one object the modals and panes call to place, cancel,
replace and withdraw (and to read what those flows need). Each action is written to the
:class:`~alp_tui.services.journal.Journal` before the request leaves and completed with the
answer or the error. When the answer is lost (timeout, dropped connection, 5xx, garbled
reply) the request is *never* sent again: the service looks at the exchange instead —
by ``client_order_id`` where the order list carries it, else by pair, side, type, amount,
price and creation time since the send — and reports placed / not placed / unknown.

Textual-free; results are plain dataclasses the UI renders
(:mod:`alp_tui.services.trade_results`); the withdrawal flow is
:mod:`alp_tui.services.withdrawals`, which this service inherits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from alp_tui.api.enums import OrderStatus, OrderType, SideEffect, TimeInForce
from alp_tui.api.errors import (
    AlpError,
    RequestTimeoutError,
    ValidationError,
    answer_may_be_lost,
)
from alp_tui.api.models import (
    Balance,
    FeeInfo,
    Order,
    OrderBook,
    PairInfo,
    Ticker,
    WithdrawMethod,
)
from alp_tui.services.journal import EntryKind, Journal
from alp_tui.services.order_draft import (
    GENERAL,
    MarketContext,
    OrderDraft,
    form_errors_from_server,
)
from alp_tui.services.trade_results import (
    WITHDRAW_PERMISSION_HELP,
    AccountChange,
    CancelResult,
    Outcome,
    PlaceResult,
    ReplaceResult,
    WithdrawResult,
    cancel_summary,
    describe_error,
    mask_address,
    new_client_order_id,
    plain_statuses,
)
from alp_tui.services.withdrawals import WithdrawalActions

# The result types live in trade_results; they are re-exported here for the callers that
# import them with the service.
__all__ = [
    "WITHDRAW_PERMISSION_HELP",
    "AccountChange",
    "CancelResult",
    "Outcome",
    "PlaceResult",
    "ReplaceResult",
    "TradingService",
    "WithdrawResult",
    "cancel_summary",
    "describe_error",
    "mask_address",
    "new_client_order_id",
    "plain_statuses",
]


# --- the service --------------------------------------------------------------------------


class TradingService(WithdrawalActions):
    """Places, cancels, replaces and withdraws through ``client``, journaling each action."""

    def __init__(
        self,
        client: Any,
        journal: Journal,
        *,
        venue: str = "",
        lookup_delays: Sequence[float] = (0.0, 0.5, 1.5),
        clock_skew_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.journal = journal
        self.venue = venue or str(getattr(client, "base_url", "") or "")
        self.lookup_delays = tuple(lookup_delays)
        self.clock_skew_s = clock_skew_s
        self._clock = clock
        self._listeners: list[Callable[[AccountChange], Any]] = []
        self._background: set[asyncio.Task[Any]] = set()

    # --- listeners ----------------------------------------------------------------------

    def add_listener(self, listener: Callable[[AccountChange], Any]) -> None:
        """Call ``listener(change)`` after each action that changed the account."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[AccountChange], Any]) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, change: AccountChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a broken listener must not break a trading flow
                pass

    # --- reads the flows need -----------------------------------------------------------

    async def market_context(self, pair: PairInfo, **guard: Any) -> MarketContext:
        """Balances, fees, book and last price for the order form, fetched together.

        A part that fails is left unknown (balances None, no fees, no book), never guessed.
        """
        results = await asyncio.gather(
            self.client.balances(), self.client.fees(), self.client.orderbook(pair.name),
            self.client.ticker(pair.name), return_exceptions=True,
        )
        balances = results[0] if isinstance(results[0], list) else None
        fees = results[1] if isinstance(results[1], list) else []
        book = results[2] if isinstance(results[2], OrderBook) else None
        ticker = results[3]
        if isinstance(ticker, list):
            ticker = next((t for t in ticker if t.pair == pair.name), None)
        last = ticker.last if isinstance(ticker, Ticker) and ticker.has_trades else None
        kwargs: dict[str, Any] = {}
        if guard:
            kwargs["guard"] = guard["guard"]
        return MarketContext(pair=pair, balances=balances, fees=fees, book=book,
                             last_price=last, **kwargs)

    async def balances(self) -> list[Balance]:
        """The account's balances."""
        return list(await self.client.balances())

    async def fees(self) -> list[FeeInfo]:
        """The account's fee schedule."""
        return list(await self.client.fees())

    async def open_orders(self, pair: str | None = None) -> list[Order]:
        """Open orders, of one pair or all."""
        return list(await self.client.orders(pair=pair, open_only=True))

    async def withdraw_methods(self, currency: str) -> list[WithdrawMethod]:
        """How ``currency`` can be withdrawn."""
        return list(await self.client.withdraw_methods(currency))

    async def history(self, kind: str, start: datetime, end: datetime, *,
                      pair: str | None = None, currency: str | None = None) -> list[Any]:
        """Rows of one history tab (``orders``, ``trades``, ``activity``, ``deposits``,
        ``withdrawals``) in [start, end) — at most 30 days, as the exchange requires."""
        c = self.client
        if kind == "orders":
            return list(await c.orders(pair=pair, start_time=start, end_time=end))
        if kind == "trades":
            return list(await c.account_trades(pair=pair, start_time=start, end_time=end))
        if kind == "activity":
            return list(await c.activity(currency=currency, start_time=start, end_time=end))
        if kind == "deposits":
            return list(await c.deposits(currency=currency, start_time=start, end_time=end))
        if kind == "withdrawals":
            return list(await c.withdrawals(currency=currency, start_time=start, end_time=end))
        raise ValueError(f"unknown history kind {kind!r}")

    # --- place --------------------------------------------------------------------------

    async def place(self, draft: OrderDraft, *, client_order_id: str | None = None,
                    replaces: int | None = None,
                    read_back: Literal["wait", "later"] = "wait") -> PlaceResult:
        """Place ``draft`` once. Never resends; see the module docstring.

        Listeners hear of the new order as sent (status PENDING) the moment its id is
        known; the service then reads the order list once and tells them the order's real
        state (open, or gone because it filled at once). With ``read_back="later"`` that
        read happens in the background and the result returns as soon as the exchange
        answered (``result.orders`` then holds the orders as sent).
        """
        coid = client_order_id or new_client_order_id()
        summary = draft.summary()
        if replaces is not None:
            summary["replaces"] = str(replaces)
        sent_at = self._clock()
        entry = self.journal.begin(EntryKind.PLACE, summary, client_order_id=coid,
                                   venue=self.venue)
        try:
            ids = list(await self.client.place_order(**draft.request_kwargs(coid)))
        except ValidationError as exc:
            errors = form_errors_from_server(exc.field_errors)
            if not errors:
                errors = {GENERAL: str(exc)}
            self.journal.failed(entry, str(exc), response={"field_errors": exc.field_errors})
            return PlaceResult(Outcome.REJECTED, f"Refused: {exc}", coid,
                               field_errors=errors, entry_id=entry)
        except AlpError as exc:
            if not answer_may_be_lost(exc):
                self.journal.failed(entry, describe_error(exc))
                return PlaceResult(Outcome.REJECTED, f"Not placed: {describe_error(exc)}",
                                   coid, entry_id=entry)
            return await self._settle_lost_place(entry, draft, coid, sent_at, exc)
        self.journal.done(entry, {"order_ids": ids})
        # Show the order at once as sent; the read-back right after gives its real state.
        self._notify(AccountChange("place", draft.pair, tuple(
            _sent_order(i, draft, coid, sent_at) for i in ids)))
        if read_back == "later":
            task = asyncio.create_task(self._read_back(draft.pair, ids))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return PlaceResult(Outcome.DONE, _placed_message(ids), coid, order_ids=ids,
                               orders=[_sent_order(i, draft, coid, sent_at) for i in ids],
                               entry_id=entry)
        orders = await self._read_back(draft.pair, ids)
        return PlaceResult(Outcome.DONE, _placed_message(ids), coid, order_ids=ids,
                           orders=orders or [], entry_id=entry)

    async def _read_back(self, pair: str, ids: Sequence[int]) -> list[Order] | None:
        """Read the new orders back and tell listeners their real state."""
        orders = await self._fetch_orders(pair, ids)
        if orders is not None:
            found = {o.id for o in orders}
            self._notify(AccountChange("place", pair, tuple(orders),
                                       tuple(i for i in ids if i not in found)))
        return orders

    async def _fetch_orders(self, pair: str, ids: Sequence[int]) -> list[Order] | None:
        """The new orders if still open (None when the list could not be read)."""
        if not ids:
            return []
        try:
            found = await self.client.orders(pair=pair, open_only=True)
        except AlpError:
            return None
        wanted = set(ids)
        return [o for o in found if o.id in wanted]

    async def _settle_lost_place(self, entry: int, draft: OrderDraft, coid: str,
                                 sent_at: float, exc: BaseException) -> PlaceResult:
        why = describe_error(exc)
        outcome, ids, candidates, note = await self.find_placed(draft, coid, sent_at)
        if outcome is Outcome.DONE:
            self.journal.done(entry, {"order_ids": ids, "by_lookup": True, "error": why})
            orders = [c for c in candidates if c.id in ids]
            self._notify(AccountChange("place", draft.pair, tuple(o for o in orders
                                                                   if o.status.is_open)))
            return PlaceResult(Outcome.DONE, f"{why} — but the order was placed: "
                               f"{_placed_message(ids)} ({note}). Not resent.", coid,
                               order_ids=ids, orders=orders, by_lookup=True, entry_id=entry)
        if outcome is Outcome.NOT_PLACED:
            self.journal.failed(entry, f"{why}; lookup: not placed")
            return PlaceResult(Outcome.NOT_PLACED, f"{why} — the exchange has no such order: "
                               "not placed. Nothing was resent.", coid, by_lookup=True,
                               entry_id=entry)
        self.journal.unknown(entry, f"{why}; lookup: {note}",
                             response={"candidates": [c.id for c in candidates]})
        listed = ", ".join(f"#{c.id}" for c in candidates) or "none found"
        return PlaceResult(Outcome.UNKNOWN, f"{why} — cannot tell whether the order was "
                           f"placed ({note}; candidates: {listed}). Check open orders before "
                           "trying again; nothing was resent.", coid, candidates=candidates,
                           by_lookup=True, entry_id=entry)

    async def find_placed(self, draft: OrderDraft, coid: str, sent_at: float,
                          *, delays: Sequence[float] | None = None
                          ) -> tuple[Outcome, list[int], list[Order], str]:
        """Look for the order sent at ``sent_at``: (outcome, ids, candidates, note)."""
        since = datetime.fromtimestamp(sent_at - self.clock_skew_s, tz=UTC)
        claimed = self.journal.claimed_order_ids()
        last_error: str | None = None
        matches: list[Order] = []
        queried = False
        for delay in self.lookup_delays if delays is None else delays:
            if delay:
                await asyncio.sleep(delay)
            try:
                orders = list(await self.client.orders(pair=draft.pair, start_time=since))
            except RequestTimeoutError as exc:
                # The exchange is not answering at all: each further lookup would keep the
                # trader waiting a whole timeout again (43 s in all against a frozen server).
                # The open-orders poll and the next start's reconcile settle it.
                last_error = describe_error(exc)
                break
            except AlpError as exc:
                last_error = describe_error(exc)
                continue
            queried = True
            by_coid = [o for o in orders if o.client_order_id == coid]
            if by_coid:
                return Outcome.DONE, [o.id for o in by_coid], by_coid, "found by client order id"
            carries = any(o.client_order_id is not None for o in orders)
            matches = [
                o for o in orders
                if o.id not in claimed and _matches(o, draft, sent_at - self.clock_skew_s)
                and (not carries or o.client_order_id is None)
            ]
            if len(matches) == 1:
                return (Outcome.DONE, [matches[0].id], matches,
                        "matched by pair, side, type, amount, price and time")
            if len(matches) > 1:
                return (Outcome.UNKNOWN, [], matches,
                        f"{len(matches)} orders match by pair, side, type, amount and price")
        if not queried:
            return Outcome.UNKNOWN, [], [], f"the order list could not be read ({last_error})"
        return Outcome.NOT_PLACED, [], [], "no matching order"

    # --- cancel -------------------------------------------------------------------------

    async def cancel(self, order_ids: Sequence[int], *, pair: str | None = None) -> CancelResult:
        """Cancel the given orders."""
        ids = [int(i) for i in order_ids]
        return await self._cancel(EntryKind.CANCEL, {"order_ids": ids}, ids, pair,
                                  {"order_ids": ids})

    async def cancel_pair(self, pair: str, *, expected_ids: Sequence[int] = ()) -> CancelResult:
        """Cancel every open order of ``pair``."""
        return await self._cancel(EntryKind.CANCEL_PAIR, {"pair": pair}, list(expected_ids),
                                  pair, {"pair": pair})

    async def cancel_all(self, *, expected_ids: Sequence[int] = ()) -> CancelResult:
        """Cancel every open order of the account."""
        return await self._cancel(EntryKind.CANCEL_ALL, {"all": True}, list(expected_ids),
                                  None, {"all": True})

    async def _cancel(self, kind: EntryKind, summary: dict[str, Any], expected: list[int],
                      pair: str | None, kwargs: dict[str, Any]) -> CancelResult:
        entry = self.journal.begin(kind, summary, venue=self.venue)
        try:
            answer = await self.client.cancel_orders(**kwargs)
        except AlpError as exc:
            why = describe_error(exc)
            if not answer_may_be_lost(exc):
                self.journal.failed(entry, why)
                return CancelResult(Outcome.REJECTED, f"Not cancelled: {why}", entry_id=entry)
            statuses = await self.order_statuses(expected, pair)
            if statuses is None:
                self.journal.unknown(entry, f"{why}; re-query failed")
                return CancelResult(Outcome.UNKNOWN, f"{why} — and the orders could not be "
                                    "read back; check open orders.", entry_id=entry)
            if kind is not EntryKind.CANCEL:
                still = await self._still_open(pair)
                if still is not None:
                    statuses.update(still)
            self.journal.done(entry, {"statuses": plain_statuses(statuses), "by_lookup": True,
                                      "error": why})
            result = CancelResult(Outcome.DONE, f"{why} — re-read from the exchange: "
                                  f"{cancel_summary(statuses)}", statuses, by_lookup=True,
                                  entry_id=entry)
            self._notify_cancel(kind, pair, result)
            return result
        statuses = {int(k): v for k, v in dict(answer).items()}
        if kind is EntryKind.CANCEL:
            for missing in expected:
                statuses.setdefault(missing, None)
        self.journal.done(entry, {"statuses": plain_statuses(statuses)})
        result = CancelResult(Outcome.DONE, cancel_summary(statuses), statuses,
                              entry_id=entry)
        self._notify_cancel(kind, pair, result)
        return result

    def _notify_cancel(self, kind: EntryKind, pair: str | None, result: CancelResult) -> None:
        gone = tuple(i for i, s in result.statuses.items() if s is None or not s.is_open)
        self._notify(AccountChange(str(kind), pair, (), gone))

    async def order_statuses(self, ids: Sequence[int], pair: str | None
                             ) -> dict[int, OrderStatus | None] | None:
        """The current status of each id (None when not listed), or None if unreadable."""
        try:
            orders = await self.client.orders(pair=pair)
        except AlpError:
            return None
        by_id = {o.id: o.status for o in orders}
        return {i: by_id.get(i) for i in ids}

    async def _still_open(self, pair: str | None) -> dict[int, OrderStatus | None] | None:
        try:
            orders = await self.client.orders(pair=pair, open_only=True)
        except AlpError:
            return None
        return {o.id: o.status for o in orders}

    # --- replace ------------------------------------------------------------------------

    async def replace(self, order: Order, new_price: Decimal,
                      pair: PairInfo | None = None) -> ReplaceResult:
        """Cancel ``order``; only once it is cancelled, place its remaining amount at
        ``new_price`` with the same side, type, wallet, stop and time in force."""
        cancel = await self.cancel([order.id], pair=order.pair)
        status = cancel.statuses.get(order.id)
        if status not in (OrderStatus.CANCELLED, OrderStatus.PARTIAL_CANCELLED):
            shown = status.value if status else cancel.outcome.value
            return ReplaceResult(cancel, None, f"#{order.id} was not cancelled ({shown}); "
                                 "no new order was placed.")
        fresh = await self._fetch_one(order)
        filled = fresh.amount_filled if fresh is not None else order.amount_filled
        remaining = order.amount - filled
        if pair is not None:
            remaining = remaining.quantize(pair.amount_step)
            if remaining < pair.minimum_order_size:
                return ReplaceResult(cancel, None, f"#{order.id} cancelled; the remaining "
                                     f"{remaining} is below the minimum order size, so no "
                                     "new order was placed.")
        if remaining <= 0:
            return ReplaceResult(cancel, None, f"#{order.id} cancelled after filling fully; "
                                 "nothing left to place.")
        tif = order.tif if order.tif not in (None, TimeInForce.UNDEFINED_TIME_IN_FORCE) else None
        draft = OrderDraft(
            pair=order.pair, side=order.side, order_type=order.type,
            wallet_type=order.wallet_type, base_amount=remaining,
            limit_price=new_price if order.type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
            else None,
            stop_price=order.stop_price, stop_operator=order.stop_operator,
            tif=tif if order.type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
            side_effect=SideEffect.NO_SIDE_EFFECT,
        )
        place = await self.place(draft, replaces=order.id)
        if place.placed:
            msg = (f"#{order.id} moved to {new_price}: new order "
                   f"{', '.join(f'#{i}' for i in place.order_ids)}")
        else:
            msg = f"#{order.id} cancelled, but the new order: {place.message}"
        return ReplaceResult(cancel, place, msg)

    async def _fetch_one(self, order: Order) -> Order | None:
        try:
            orders = await self.client.orders(pair=order.pair)
        except AlpError:
            return None
        return next((o for o in orders if o.id == order.id), None)


# --- helpers ------------------------------------------------------------------------------


def _matches(order: Order, draft: OrderDraft, since_ts: float) -> bool:
    if order.pair != draft.pair or order.side is not draft.side:
        return False
    if order.type is not draft.order_type:
        return False
    if draft.base_amount is not None and order.amount != draft.base_amount:
        return False
    if draft.limit_price is not None and order.price != draft.limit_price:
        return False
    if draft.stop_price is not None and order.stop_price not in (None, draft.stop_price):
        return False
    created = order.date or order.open_at
    return not (created is not None and created.timestamp() < since_ts)


def _sent_order(order_id: int, draft: OrderDraft, coid: str, sent_at: float) -> Order:
    """The order as we sent it, status PENDING until the exchange's list confirms it."""
    when = datetime.fromtimestamp(sent_at, tz=UTC)
    return Order(id=order_id, pair=draft.pair, amount=draft.base_amount or Decimal(0),
                 price=draft.limit_price, side=draft.side, status=OrderStatus.PENDING,
                 type=draft.order_type, wallet_type=draft.wallet_type, date=when,
                 open_at=when, tif=draft.tif, stop_price=draft.stop_price,
                 stop_operator=draft.stop_operator, client_order_id=coid)


def _placed_message(ids: Sequence[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids)
    return f"Order {shown} placed" if len(ids) == 1 else f"Orders {shown} placed"

