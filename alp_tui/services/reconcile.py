"""Settle, on start, every journaled action whose answer never came.

A crash or a dropped connection can leave journal entries ``pending`` or ``unknown``. Before
the user trades again, :func:`reconcile` looks each one up on the exchange — never resending
anything — and records what actually happened: the order exists (its ids), it does not, or
it still cannot be told (with the candidates). The result is a list of
:class:`ReconcileReport` lines the UI shows once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from alp_tui.services.journal import EntryKind, JournalEntry
from alp_tui.services.order_draft import OrderDraft
from alp_tui.services.trade_results import (
    Outcome,
    cancel_summary,
    describe_error,
    plain_statuses,
)
from alp_tui.services.trading import TradingService


@dataclass(frozen=True)
class ReconcileReport:
    """What one unanswered entry turned out to be."""

    entry_id: int
    kind: str
    outcome: Outcome
    message: str
    ids: tuple[int, ...] = ()
    candidates: tuple[int, ...] = field(default_factory=tuple)


async def reconcile(service: TradingService) -> list[ReconcileReport]:
    """Look up every unanswered entry of ``service``'s venue and record the truth."""
    reports: list[ReconcileReport] = []
    for entry in service.journal.unanswered(venue=service.venue):
        try:
            reports.append(await _one(service, entry))
        except Exception as exc:  # one bad entry must not stop the others
            reports.append(ReconcileReport(entry.id, entry.kind, Outcome.UNKNOWN,
                                           f"Could not check: {describe_error(exc)}"))
    return reports


async def _one(service: TradingService, entry: JournalEntry) -> ReconcileReport:
    journal = service.journal
    req: dict[str, Any] = entry.request
    if entry.kind in (EntryKind.PLACE, EntryKind.REPLACE):
        draft = OrderDraft.from_summary(req)
        outcome, ids, candidates, note = await service.find_placed(
            draft, entry.client_order_id or "", entry.ts, delays=(0.0,))
        what = draft.describe()
        if outcome is Outcome.DONE:
            journal.done(entry.id, {"order_ids": ids, "by_lookup": True, "reconciled": True})
            return ReconcileReport(entry.id, entry.kind, outcome,
                                   f"{what}: placed as {_ids(ids)} ({note}).", tuple(ids))
        if outcome is Outcome.NOT_PLACED:
            journal.failed(entry.id, "reconciled: not placed")
            return ReconcileReport(entry.id, entry.kind, outcome, f"{what}: not placed.")
        journal.unknown(entry.id, f"reconciled: {note}",
                        response={"candidates": [c.id for c in candidates]})
        return ReconcileReport(entry.id, entry.kind, outcome,
                               f"{what}: still unknown ({note}); candidates "
                               f"{_ids([c.id for c in candidates]) or 'none'}.",
                               candidates=tuple(c.id for c in candidates))
    if entry.kind == EntryKind.CANCEL:
        ids = [int(i) for i in req.get("order_ids", [])]
        statuses = await service.order_statuses(ids, None)
        if statuses is None:
            return ReconcileReport(entry.id, entry.kind, Outcome.UNKNOWN,
                                   f"Cancel of {_ids(ids)}: orders could not be read.")
        journal.done(entry.id, {"statuses": plain_statuses(statuses), "reconciled": True})
        return ReconcileReport(entry.id, entry.kind, Outcome.DONE,
                               f"Cancel of {_ids(ids)}: {cancel_summary(statuses)}",
                               tuple(ids))
    if entry.kind in (EntryKind.CANCEL_PAIR, EntryKind.CANCEL_ALL):
        pair = req.get("pair")
        try:
            still = await service.open_orders(pair)
        except Exception as exc:
            return ReconcileReport(entry.id, entry.kind, Outcome.UNKNOWN,
                                   f"Cancel all: orders could not be read "
                                   f"({describe_error(exc)}).")
        scope = f"of {pair}" if pair else "of the account"
        journal.done(entry.id, {"still_open": [o.id for o in still], "reconciled": True})
        text = (f"Cancel all {scope}: {len(still)} order(s) open now "
                f"{_ids([o.id for o in still])}" if still else
                f"Cancel all {scope}: no order is open now.")
        return ReconcileReport(entry.id, entry.kind, Outcome.DONE, text,
                               tuple(o.id for o in still))
    if entry.kind == EntryKind.WITHDRAW:
        amount = Decimal(str(req.get("amount", "0")))
        currency = str(req.get("currency", ""))
        outcome, wid, candidates, note = await service.find_withdrawal(
            currency, amount, entry.client_order_id or "", entry.ts, delays=(0.0,))
        what = f"Withdrawal of {amount} {currency}"
        if outcome is Outcome.DONE:
            journal.done(entry.id, {"withdrawal_id": wid, "by_lookup": True,
                                    "reconciled": True})
            return ReconcileReport(entry.id, entry.kind, outcome,
                                   f"{what}: requested as #{wid} ({note}).",
                                   (wid,) if wid is not None else ())
        if outcome is Outcome.NOT_PLACED:
            journal.failed(entry.id, "reconciled: not requested")
            return ReconcileReport(entry.id, entry.kind, outcome, f"{what}: not requested.")
        journal.unknown(entry.id, f"reconciled: {note}")
        return ReconcileReport(entry.id, entry.kind, outcome, f"{what}: still unknown ({note}).",
                               candidates=tuple(c.id for c in candidates))
    return ReconcileReport(entry.id, entry.kind, Outcome.UNKNOWN,
                           f"Unknown journal entry kind {entry.kind!r}; left as is.")


def _ids(ids: list[int] | tuple[int, ...]) -> str:
    return ", ".join(f"#{i}" for i in ids)
