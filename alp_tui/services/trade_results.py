"""What the trading flows answer: outcomes, result objects and their sentences.

Plain dataclasses (no I/O, no textual) that :class:`alp_tui.services.trading.TradingService`
returns and the UI renders; :class:`AccountChange` is what the service tells its
listeners after anything that changed orders or balances.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from alp_tui.api.enums import OrderStatus
from alp_tui.api.errors import AlpError, ForbiddenError
from alp_tui.api.models import Order, Withdrawal

WITHDRAW_PERMISSION_HELP = (
    "This API key lacks the “Can Withdraw” permission, so the exchange refused the "
    "withdrawal. Create a key with “Can Withdraw” ticked at alp.com/en/profile/api and put "
    "it in the config; trading keys never need it."
)


class Outcome(StrEnum):
    """How an action ended, as far as anyone can tell."""

    DONE = "done"  # the exchange answered yes
    REJECTED = "rejected"  # the exchange answered no (400, 403...): nothing happened
    NOT_PLACED = "not placed"  # no answer, and the lookup shows it did not happen
    UNKNOWN = "unknown"  # no answer, and the lookup could not tell


def new_client_order_id() -> str:
    """A fresh, unique client order id."""
    return f"tui-{uuid.uuid4().hex[:20]}"


def mask_address(text: str) -> str:
    """Show the start and end of an address only: ``0x1234…cdef``."""
    text = str(text)
    return text if len(text) <= 12 else f"{text[:6]}…{text[-4:]}"


def describe_error(exc: BaseException) -> str:
    """One sentence for the user; never a traceback."""
    if isinstance(exc, ForbiddenError):
        return f"Forbidden: {exc}"
    if isinstance(exc, AlpError):
        return str(exc) or type(exc).__name__
    return f"Unexpected error: {type(exc).__name__}"


# --- result objects -----------------------------------------------------------------------


@dataclass
class PlaceResult:
    """What came of placing one order."""

    outcome: Outcome
    message: str
    client_order_id: str
    order_ids: list[int] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)  # the new orders as the exchange lists them
    field_errors: dict[str, str] = field(default_factory=dict)  # form field → message
    candidates: list[Order] = field(default_factory=list)  # possible matches when unknown
    by_lookup: bool = False
    entry_id: int = 0

    @property
    def placed(self) -> bool:
        """True when the order exists on the exchange."""
        return self.outcome is Outcome.DONE


@dataclass
class CancelResult:
    """What came of a cancel: each order id and its status now (None: not found)."""

    outcome: Outcome
    message: str
    statuses: dict[int, OrderStatus | None] = field(default_factory=dict)
    by_lookup: bool = False
    entry_id: int = 0

    @property
    def cancelled_ids(self) -> list[int]:
        """Ids whose status is now (partially) cancelled."""
        return [i for i, s in self.statuses.items()
                if s in (OrderStatus.CANCELLED, OrderStatus.PARTIAL_CANCELLED)]

    def lines(self) -> list[str]:
        """One line per order id, e.g. ``#12 CANCELLED``."""
        return [f"#{i} {s.value if s else 'not found'}" for i, s in sorted(self.statuses.items())]


@dataclass
class ReplaceResult:
    """What came of moving an order: the cancel, then (only if it cancelled) the place."""

    cancel: CancelResult
    place: PlaceResult | None
    message: str

    @property
    def replaced(self) -> bool:
        """True when the old order is gone and the new one exists."""
        return self.place is not None and self.place.placed


@dataclass
class WithdrawResult:
    """What came of a withdrawal request."""

    outcome: Outcome
    message: str
    client_order_id: str
    withdrawal_id: int | None = None
    field_errors: dict[str, str] = field(default_factory=dict)
    forbidden: bool = False
    candidates: list[Withdrawal] = field(default_factory=list)
    entry_id: int = 0


@dataclass(frozen=True)
class AccountChange:
    """Told to listeners after anything that changes orders or balances."""

    kind: str
    pair: str | None = None
    orders: tuple[Order, ...] = ()  # orders now known to exist
    gone_ids: tuple[int, ...] = ()  # orders no longer open



def cancel_summary(statuses: dict[int, OrderStatus | None]) -> str:
    """One sentence for a cancel: how many were cancelled, and the status of the rest."""
    if not statuses:
        return "No open orders to cancel."
    done = sum(1 for s in statuses.values()
               if s in (OrderStatus.CANCELLED, OrderStatus.PARTIAL_CANCELLED))
    rest = len(statuses) - done
    text = f"{done} cancelled"
    if rest:
        others = ", ".join(f"#{i} {s.value if s else 'not found'}" for i, s in
                           sorted(statuses.items())
                           if s not in (OrderStatus.CANCELLED, OrderStatus.PARTIAL_CANCELLED))
        text += f"; {rest} not: {others}"
    return text + "."


def plain_statuses(statuses: dict[int, OrderStatus | None]) -> dict[str, str | None]:
    """Statuses as JSON-friendly text, for the journal."""
    return {str(k): (v.value if v else None) for k, v in statuses.items()}
