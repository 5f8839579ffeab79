"""The withdrawal request: journaled, sent once, and looked up (never resent) when its
answer is lost.

:class:`WithdrawalActions` is one half of :class:`alp_tui.services.trading.TradingService`
(the orders are the other); it uses the service's client, journal, venue, clock and
listeners.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alp_tui.api.errors import AlpError, ForbiddenError, ValidationError, answer_may_be_lost
from alp_tui.api.models import Withdrawal, WithdrawMethod
from alp_tui.services.journal import EntryKind, EntryState, Journal
from alp_tui.services.order_draft import GENERAL
from alp_tui.services.trade_results import (
    WITHDRAW_PERMISSION_HELP,
    AccountChange,
    Outcome,
    WithdrawResult,
    describe_error,
    mask_address,
    new_client_order_id,
)


class WithdrawalActions:
    """Withdraw, and find a withdrawal whose answer was lost (see the module docstring)."""

    # Set by TradingService.__init__.
    client: Any
    journal: Journal
    venue: str
    lookup_delays: tuple[float, ...]
    clock_skew_s: float
    _clock: Callable[[], float]
    _notify: Callable[[AccountChange], None]

    async def withdraw(self, method: WithdrawMethod, amount: Decimal,
                       attributes: dict[str, str]) -> WithdrawResult:
        """Request a withdrawal once; on a lost answer look it up, never resend."""
        coid = new_client_order_id()
        summary = {"currency": method.currency, "network": method.network,
                   "method": method.id, "amount": str(amount),
                   "attributes": {k: mask_address(v) for k, v in attributes.items()}}
        sent_at = self._clock()
        entry = self.journal.begin(EntryKind.WITHDRAW, summary, client_order_id=coid,
                                   venue=self.venue)
        try:
            answer = await self.client.withdraw(amount=amount, method=method.id,
                                                attributes=attributes, client_order_id=coid)
        except ForbiddenError as exc:
            self.journal.failed(entry, describe_error(exc))
            return WithdrawResult(Outcome.REJECTED, WITHDRAW_PERMISSION_HELP, coid,
                                  forbidden=True, entry_id=entry)
        except ValidationError as exc:
            self.journal.failed(entry, str(exc), response={"field_errors": exc.field_errors})
            errors = {(k if k in ("amount", "method", "attributes") else GENERAL): str(v)
                      for k, v in exc.field_errors.items()} or {GENERAL: str(exc)}
            return WithdrawResult(Outcome.REJECTED, f"Refused: {exc}", coid,
                                  field_errors=errors, entry_id=entry)
        except AlpError as exc:
            why = describe_error(exc)
            if not answer_may_be_lost(exc):
                self.journal.failed(entry, why)
                return WithdrawResult(Outcome.REJECTED, f"Not requested: {why}", coid,
                                      entry_id=entry)
            outcome, found, candidates, note = await self.find_withdrawal(
                method.currency, amount, coid, sent_at)
            if outcome is Outcome.DONE:
                self.journal.done(entry, {"withdrawal_id": found, "by_lookup": True})
                self._notify(AccountChange("withdraw"))
                return WithdrawResult(Outcome.DONE, f"{why} — but the withdrawal was "
                                      f"requested (#{found}, {note}). Not resent.", coid,
                                      withdrawal_id=found, entry_id=entry)
            if outcome is Outcome.NOT_PLACED:
                self.journal.failed(entry, f"{why}; lookup: not requested")
                return WithdrawResult(Outcome.NOT_PLACED, f"{why} — no such withdrawal on "
                                      "the exchange: not requested. Nothing was resent.", coid,
                                      entry_id=entry)
            self.journal.unknown(entry, f"{why}; lookup: {note}")
            return WithdrawResult(Outcome.UNKNOWN, f"{why} — cannot tell whether the "
                                  f"withdrawal was requested ({note}). Check the withdrawals "
                                  "history; nothing was resent.", coid,
                                  candidates=candidates, entry_id=entry)
        wid = _withdrawal_id(answer)
        self.journal.done(entry, {"withdrawal_id": wid, "answer": _jsonable(answer)})
        self._notify(AccountChange("withdraw"))
        shown = f" #{wid}" if wid is not None else ""
        return WithdrawResult(Outcome.DONE, f"Withdrawal{shown} requested: {amount} "
                              f"{method.currency} via {method.network}.", coid,
                              withdrawal_id=wid, entry_id=entry)

    async def find_withdrawal(self, currency: str, amount: Decimal, coid: str, sent_at: float,
                              *, delays: Sequence[float] | None = None
                              ) -> tuple[Outcome, int | None, list[Withdrawal], str]:
        """Look for the withdrawal sent at ``sent_at``: (outcome, id, candidates, note)."""
        since = datetime.fromtimestamp(sent_at - self.clock_skew_s, tz=UTC)
        claimed = self._claimed_withdrawals()
        queried = False
        last_error = ""
        for delay in self.lookup_delays if delays is None else delays:
            if delay:
                await asyncio.sleep(delay)
            try:
                rows = list(await self.client.withdrawals(currency=currency, start_time=since))
            except AlpError as exc:
                last_error = describe_error(exc)
                continue
            queried = True
            by_coid = [w for w in rows if getattr(w, "client_order_id", None) == coid]
            if by_coid:
                return Outcome.DONE, by_coid[0].id, by_coid, "found by client order id"
            matches = [w for w in rows if w.amount == amount and w.id not in claimed
                       and (w.date is None or w.date >= since)]
            if len(matches) == 1:
                return Outcome.DONE, matches[0].id, matches, "matched by amount and time"
            if len(matches) > 1:
                return Outcome.UNKNOWN, None, matches, f"{len(matches)} withdrawals match"
        if not queried:
            return Outcome.UNKNOWN, None, [], f"the history could not be read ({last_error})"
        return Outcome.NOT_PLACED, None, [], "no matching withdrawal"

    def _claimed_withdrawals(self) -> set[int]:
        ids: set[int] = set()
        for e in self.journal.entries(venue=self.venue):
            if e.kind == EntryKind.WITHDRAW and e.state is EntryState.DONE and isinstance(
                    e.response, dict) and isinstance(e.response.get("withdrawal_id"), int):
                ids.add(e.response["withdrawal_id"])
        return ids


def _withdrawal_id(answer: Any) -> int | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer
    if isinstance(answer, list) and answer and isinstance(answer[0], int):
        return answer[0]
    if isinstance(answer, dict):
        value = answer.get("id")
        return value if isinstance(value, int) else None
    value = getattr(answer, "id", None)
    return value if isinstance(value, int) else None


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value if isinstance(value, int | str | list | dict | None) else str(value)
