"""The trader's actions, carried out by the session (issue #12: actions go through it).

Each action calls the session's one trading or margin service, then does what the session
does after any action of the user's: the orders it knows changed are in the account
snapshot at once (the trading service tells the session, see :meth:`Session._own_change`),
and the watched topics are read again now (:meth:`Session.after_action`), not at the next
poll. Each answers the service's typed result.

The UI never holds the services for acting: it is handed an :class:`ActionPort` (the
session satisfies it) and calls that from its workers. Textual-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Order, PairInfo, WithdrawMethod
from alp_tui.services.margin import LoanRequest, MarginRequestError, TransferRequest
from alp_tui.services.margin_math import MarginSnapshot
from alp_tui.services.margin_service import MarginActionResult, MarginService
from alp_tui.services.order_draft import OrderDraft
from alp_tui.services.trading import (
    CancelResult,
    Outcome,
    PlaceResult,
    ReplaceResult,
    TradingService,
    WithdrawResult,
)

__all__ = ["NO_MARGIN", "NO_TRADING", "ActionPort", "CancelScope", "ServiceActions",
           "TraderActions"]

CancelScope = Literal["orders", "pair", "all"]
"""What a cancel covers: the ids given, every open order of a pair, or every open order."""

NO_TRADING = ("Trading needs an API key and secret: run `alp-tui init` or set ALP_API_KEY "
              "and ALP_API_SECRET.")
NO_MARGIN = ("Margin actions need an API key with the Margin permission (see the config's "
             "[exchange] section).")


@runtime_checkable
class ActionPort(Protocol):
    """What the UI may ask of the session to act (the session is one)."""

    async def place_order(self, draft: OrderDraft) -> PlaceResult:
        """Place ``draft`` once; answers as soon as the exchange did."""
        ...

    async def cancel(self, ids: Sequence[int] = (), *, pair: str | None = None,
                     scope: CancelScope = "orders") -> CancelResult:
        """Cancel ``ids`` (``scope="orders"``), a pair's orders or all of them."""
        ...

    async def replace(self, order: Order, price: Decimal,
                      info: PairInfo | None = None) -> ReplaceResult:
        """Move ``order`` to ``price`` (cancel, then place what remains)."""
        ...

    async def borrow(self, req: LoanRequest) -> MarginActionResult:
        """Open a loan."""
        ...

    async def repay(self, req: LoanRequest,
                    snapshot: MarginSnapshot | None = None) -> MarginActionResult:
        """Repay a loan (checked against ``snapshot``)."""
        ...

    async def transfer(self, req: TransferRequest,
                       snapshot: MarginSnapshot | None = None) -> MarginActionResult:
        """Move funds between spot and a margin wallet."""
        ...

    async def close_position(self, wallet_type: WalletType | str,
                             pair: str | None = None) -> MarginActionResult:
        """Close a margin position."""
        ...

    async def withdraw(self, method: WithdrawMethod, amount: Decimal,
                       attributes: dict[str, str]) -> WithdrawResult:
        """Request a withdrawal once."""
        ...


class TraderActions:
    """The :class:`ActionPort` methods of :class:`~alp_tui.session.core.Session`.

    Kept apart from the session's watching; needs ``trading`` / ``margin`` (None without
    keys) and ``after_action()``. Without the service an action is refused with a typed
    result (trading) or :class:`MarginRequestError` (margin, as the forms expect).
    """

    if TYPE_CHECKING:
        trading: TradingService | None
        margin: MarginService | None

        def after_action(self) -> None: ...

    async def place_order(self, draft: OrderDraft) -> PlaceResult:
        """Place ``draft`` once (never resent). Answers as soon as the exchange did: the
        order is in the account snapshot as sent, its real state follows from a read-back
        in the background."""
        if self.trading is None:
            return PlaceResult(Outcome.REJECTED, NO_TRADING, "")
        try:
            return await self.trading.place(draft, read_back="later")
        finally:
            self.after_action()

    async def cancel(self, ids: Sequence[int] = (), *, pair: str | None = None,
                     scope: CancelScope = "orders") -> CancelResult:
        """Cancel ``ids`` (of ``pair`` when given), or with ``scope="pair"`` every open
        order of ``pair``, with ``scope="all"`` every open order; ``ids`` are then the
        orders expected to go (read back when the answer is lost)."""
        if self.trading is None:
            return CancelResult(Outcome.REJECTED, NO_TRADING)
        try:
            if scope == "pair":
                if pair is None:
                    raise ValueError("a pair cancel needs the pair")
                return await self.trading.cancel_pair(pair, expected_ids=ids)
            if scope == "all":
                return await self.trading.cancel_all(expected_ids=ids)
            return await self.trading.cancel(ids, pair=pair)
        finally:
            self.after_action()

    async def replace(self, order: Order, price: Decimal,
                      info: PairInfo | None = None) -> ReplaceResult:
        """Move ``order`` to ``price``: cancel, and only once cancelled place what is left
        (rounded to ``info``'s steps when given)."""
        if self.trading is None:
            return ReplaceResult(CancelResult(Outcome.REJECTED, NO_TRADING), None, NO_TRADING)
        try:
            return await self.trading.replace(order, price, info)
        finally:
            self.after_action()

    async def withdraw(self, method: WithdrawMethod, amount: Decimal,
                       attributes: dict[str, str]) -> WithdrawResult:
        """Request a withdrawal once (looked up, never resent, when the answer is lost)."""
        if self.trading is None:
            return WithdrawResult(Outcome.REJECTED, NO_TRADING, "")
        try:
            return await self.trading.withdraw(method, amount, attributes)
        finally:
            self.after_action()

    def _margin_service(self) -> MarginService:
        if self.margin is None:
            raise MarginRequestError(NO_MARGIN)
        return self.margin

    async def borrow(self, req: LoanRequest) -> MarginActionResult:
        """Open a loan in a margin wallet."""
        service = self._margin_service()
        try:
            return await service.borrow(req)
        finally:
            self.after_action()

    async def repay(self, req: LoanRequest,
                    snapshot: MarginSnapshot | None = None) -> MarginActionResult:
        """Repay a loan (interest first); refused before sending when ``snapshot`` (else
        the latest margin reading) shows nothing owed or not enough held."""
        service = self._margin_service()
        try:
            return await service.repay(req, snapshot)
        finally:
            self.after_action()

    async def transfer(self, req: TransferRequest,
                       snapshot: MarginSnapshot | None = None) -> MarginActionResult:
        """Move funds between spot and a margin wallet (refused before sending when the
        wallet cannot cover it)."""
        service = self._margin_service()
        try:
            return await service.transfer(req, snapshot)
        finally:
            self.after_action()

    async def close_position(self, wallet_type: WalletType | str,
                             pair: str | None = None) -> MarginActionResult:
        """Close a margin position (the exchange sells to cover and repays)."""
        service = self._margin_service()
        try:
            return await service.close_position(wallet_type, pair)
        finally:
            self.after_action()


class ServiceActions(TraderActions):
    """The :class:`ActionPort` over bare services, with no session behind it: for a pane
    or form built alone (tests, benchmarks). The app always hands in the session."""

    def __init__(self, *, trading: TradingService | None = None,
                 margin: MarginService | None = None) -> None:
        self.trading = trading
        self.margin = margin

    def after_action(self) -> None:
        """No session to re-read the account."""
