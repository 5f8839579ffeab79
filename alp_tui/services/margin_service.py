"""The margin service: the margin actions over the API client, journaled, never resent.

:class:`MarginService` is what the margin modals call: transfer between spot and a margin
wallet, borrow, repay (interest first) and close a position. Each request is validated
against what the dashboard knows (amount, currency, wallet, pair, what the wallet holds and
owes) before anything is sent, journaled before it goes out, and answered with a typed
result; a refusal comes back as :class:`MarginRequestError` with messages per form field and
a 403 is explained in words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from alp_tui.api.enums import MarginDirection, WalletType
from alp_tui.api.errors import AlpError, ForbiddenError, ValidationError, answer_may_be_lost
from alp_tui.api.models import Balance, Loan
from alp_tui.services.format import format_exact, format_money
from alp_tui.services.journal import Journal
from alp_tui.services.margin_alerts import WalletKey
from alp_tui.services.margin_history_table import EPOCH, HistoryKind, history_time
from alp_tui.services.margin_math import (
    MarginSnapshot,
    RepayPreview,
    preview_repay,
    wallet_key,
)
from alp_tui.services.margin_requests import (
    LoanRequest,
    MarginRequestError,
    TransferRequest,
    parse_wallet,
)

log = logging.getLogger(__name__)

LOOKUP_SKEW = timedelta(seconds=30)  # clock difference allowed when looking a lost answer up

MARGIN_FORBIDDEN_TEXT = (
    "The exchange refused this because the API key lacks the \u201cMargin\u201d permission. "
    "Margin actions need a key created with the Margin flag set: make one on ALP.COM "
    "(Account \u2192 API keys), then put it in the config or ALP_API_KEY / ALP_API_SECRET."
)


class MarginAction(StrEnum):
    """The margin actions the service performs."""

    TRANSFER = "margin_transfer"
    BORROW = "borrow"
    REPAY = "repay"
    CLOSE_POSITION = "close_position"


@dataclass(frozen=True, slots=True)
class MarginActionResult:
    """What the exchange accepted: the action, its operation id, what moved; told to the
    trader with :meth:`describe`."""

    action: MarginAction
    wallet: WalletKey
    operation_id: int | None
    currency: str | None = None
    amount: Decimal | None = None
    route: str = ""  # a transfer's "spot → cross"
    remaining: tuple[Decimal, Decimal] | None = None  # a repay's principal, interest left

    def describe(self, places: Mapping[str, int] | None = None) -> str:
        """The sentence for the trader, each amount at its currency's display decimals
        (``places``, from ``currency_places``; exact to 8 where none is known)."""
        places = places or {}
        cur = self.currency or ""

        def money(value: Decimal | None) -> str:
            return format_money(value, cur, places)

        if self.action is MarginAction.TRANSFER:
            return f"Transferred {money(self.amount)} {cur} ({self.route})."
        if self.action is MarginAction.BORROW:
            return f"Borrowed {money(self.amount)} {cur} in the {self.wallet.label} wallet."
        if self.action is MarginAction.REPAY:
            left = ""
            if self.remaining is not None:
                principal, interest = self.remaining
                left = f"; {money(principal)} principal and {money(interest)} interest remain"
            return f"Repaid {money(self.amount)} {cur}{left}."
        return f"Closed the {self.wallet.label} position."

    @property
    def summary(self) -> str:
        """:meth:`describe` without display decimals (amounts exact)."""
        return self.describe()


class MarginClient(Protocol):
    """The part of :class:`alp_tui.api.client.AlpClient` the margin service uses."""

    async def margin_transfer(self, wallet_type: Any, direction: Any, amount: Any,
                              currency: str, pair: str | None = None,
                              note: str | None = None, account_id: int | None = None) -> int:
        """POST /margin/transfer."""
        ...

    async def borrow(self, amount: Any, currency: str, wallet_type: Any,
                     pair: str | None = None, loan_type: Any = ...,
                     account_id: int | None = None) -> int:
        """POST /margin/borrow."""
        ...

    async def repay(self, amount: Any, currency: str, wallet_type: Any,
                    pair: str | None = None, loan_type: Any = ...,
                    account_id: int | None = None) -> int:
        """POST /margin/repay."""
        ...

    async def close_position(self, wallet_type: Any, pair: str | None = None,
                             account_id: int | None = None) -> Any:
        """DELETE /margin."""
        ...

    async def loans(self, isolated_margin: bool | None = None,
                    cross_margin: bool | None = None) -> list[Loan]:
        """GET /margin."""
        ...

    async def balances(self) -> list[Balance]:
        """GET /account/balances."""
        ...

    async def ticker(self, pair: str | None = None) -> Any:
        """GET /ticker."""
        ...


async def fetch_margin_snapshot(client: Any) -> MarginSnapshot:
    """One refresh of the margin pane: loans of both kinds, balances and every ticker,
    fetched concurrently (what the feed's ``margin`` topic should return)."""
    cross, isolated, balances, tickers = await asyncio.gather(
        client.loans(cross_margin=True),
        client.loans(isolated_margin=True),
        client.balances(),
        client.ticker(),
    )
    if not isinstance(tickers, list):
        tickers = [tickers]
    seen: set[int] = set()
    loans: list[Loan] = []
    for loan in [*cross, *isolated]:
        if loan.id not in seen:
            seen.add(loan.id)
            loans.append(loan)
    return MarginSnapshot(tuple(loans), tuple(balances), tuple(tickers))


def _loan_fields(req: LoanRequest) -> dict[str, Any]:
    """What the journal keeps of a borrow or a repay."""
    return {"wallet_type": req.wallet.wallet_type.value, "pair": req.wallet.pair,
            "amount": str(req.amount), "currency": req.currency, "type": req.loan_type.value}


def explain(exc: BaseException) -> str:
    """One sentence for a failed margin request (a 403 names the missing Margin flag)."""
    if isinstance(exc, ForbiddenError):
        return MARGIN_FORBIDDEN_TEXT
    if isinstance(exc, AlpError):
        return exc.message
    return f"Unexpected error: {exc}"


_WIRE_FIELDS = {"borrow": "amount", "amount": "amount", "currency": "currency",
                "wallet_type": "wallet_type", "pair": "pair", "direction": "direction",
                "type": "wallet_type", "note": "note"}


def _refusal(exc: AlpError) -> MarginRequestError:
    if isinstance(exc, ForbiddenError):
        return MarginRequestError(MARGIN_FORBIDDEN_TEXT, sent=True, forbidden=True)
    fields: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for name, text in exc.field_errors.items():
            fields[_WIRE_FIELDS.get(name, name)] = text
    return MarginRequestError(explain(exc), field_errors=fields, sent=True)


class MarginService:
    """Margin actions and the margin snapshot, over an API client.

    ``journal`` (optional) receives every action before its request is sent; ``snapshot``
    is the latest :class:`MarginSnapshot`, used to check balances and debts before sending
    (checks that need it are skipped while it is None).
    """

    def __init__(
        self,
        client: MarginClient,
        *,
        journal: Journal | None = None,
        account_id: int | None = None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.account_id = account_id
        self.snapshot: MarginSnapshot | None = None

    # --- reading ---------------------------------------------------------------------
    async def fetch_snapshot(self) -> MarginSnapshot:
        """Loans (cross and isolated), balances and tickers, fetched together; kept as
        :attr:`snapshot` for the checks."""
        snap = await fetch_margin_snapshot(self.client)
        self.snapshot = snap
        return snap

    async def history(
        self,
        kind: HistoryKind | str,
        start: datetime,
        end: datetime,
        *,
        pair: str | None = None,
        currency: str | None = None,
    ) -> list[Any]:
        """Rows of one margin history tab in [start, end) (at most 30 days), newest first."""
        kind = HistoryKind(kind)
        fetch = getattr(self.client, kind.value)
        rows = list(await fetch(pair=pair, currency=currency, start_time=start, end_time=end))
        rows.sort(key=lambda r: (history_time(r) or EPOCH, getattr(r, "id", 0)), reverse=True)
        return rows

    # --- checks ----------------------------------------------------------------------
    def check_transfer(
        self, req: TransferRequest, snapshot: MarginSnapshot | None = None
    ) -> None:
        """Refuse a transfer the wallets cannot cover (when balances are known)."""
        snap = snapshot or self.snapshot
        if snap is None:
            return
        if req.direction is MarginDirection.ADD:
            have = snap.spot_available(req.currency)
            where = "spot"
        else:
            have = snap.wallet_available(req.wallet, req.currency)
            where = f"the {req.wallet.label} wallet"
        if req.amount > have:
            raise MarginRequestError(
                f"Only {format_exact(have)} {req.currency} available in {where}.",
                field_errors={"amount": f"at most {format_exact(have)} available in {where}"},
            )

    def check_repay(
        self, req: LoanRequest, snapshot: MarginSnapshot | None = None
    ) -> RepayPreview:
        """Refuse a repayment of nothing owed or of more than owed or held; return the split."""
        snap = snapshot or self.snapshot
        if snap is None:
            return preview_repay([], req.amount)
        loans = snap.loans_of(req.wallet, req.currency)
        if not loans:
            raise MarginRequestError(
                f"No {req.currency} loan in the {req.wallet.label} wallet.",
                field_errors={"currency": f"no open {req.currency} loan here"},
            )
        preview = preview_repay(loans, req.amount)
        if preview.excess > 0:
            raise MarginRequestError(
                f"That is more than owed ({format_exact(preview.total_due)} {req.currency}).",
                field_errors={"amount": f"at most {format_exact(preview.total_due)} owed"},
            )
        have = snap.wallet_available(req.wallet, req.currency)
        if req.amount > have:
            raise MarginRequestError(
                f"Only {format_exact(have)} {req.currency} available in the wallet.",
                field_errors={"amount": f"at most {format_exact(have)} available to repay"},
            )
        return preview

    # --- actions ---------------------------------------------------------------------
    async def transfer(
        self, req: TransferRequest, snapshot: MarginSnapshot | None = None
    ) -> MarginActionResult:
        """Move funds between spot and a margin wallet."""
        self.check_transfer(req, snapshot)
        arrow = "spot → " + req.wallet.label if req.direction is MarginDirection.ADD \
            else req.wallet.label + " → spot"
        op = await self._send(
            MarginAction.TRANSFER,
            {"wallet_type": req.wallet.wallet_type.value, "pair": req.wallet.pair,
             "direction": req.direction.value, "amount": str(req.amount),
             "currency": req.currency, "note": req.note},
            lambda: self.client.margin_transfer(
                req.wallet.wallet_type, req.direction, req.amount, req.currency,
                pair=req.wallet.pair, note=req.note, account_id=self.account_id),
            self._finder("margin_transfers", lambda r: (
                _same_wallet(r, req.wallet) and r.currency == req.currency
                and r.amount == req.amount and r.direction == req.direction)),
        )
        return MarginActionResult(MarginAction.TRANSFER, req.wallet, _as_id(op),
                                  req.currency, req.amount, route=arrow)

    def _loan_call(self, endpoint: Any, req: LoanRequest) -> Any:
        """``client.borrow`` or ``client.repay`` (same arguments) for ``req``."""
        return endpoint(req.amount, req.currency, req.wallet.wallet_type, pair=req.wallet.pair,
                        loan_type=req.loan_type, account_id=self.account_id)

    async def borrow(self, req: LoanRequest) -> MarginActionResult:
        """Open a loan in a margin wallet."""
        op = await self._send(
            MarginAction.BORROW, _loan_fields(req),
            lambda: self._loan_call(self.client.borrow, req),
            self._finder("borrows", lambda r: (
                _same_wallet(r, req.wallet) and r.currency == req.currency
                and r.borrowed == req.amount)),
        )
        return MarginActionResult(MarginAction.BORROW, req.wallet, _as_id(op),
                                  req.currency, req.amount)

    async def repay(
        self, req: LoanRequest, snapshot: MarginSnapshot | None = None
    ) -> MarginActionResult:
        """Repay a loan: the exchange takes accrued interest first, then principal."""
        preview = self.check_repay(req, snapshot)
        op = await self._send(
            MarginAction.REPAY, _loan_fields(req),
            lambda: self._loan_call(self.client.repay, req),
            self._finder("repays", lambda r: (
                _same_wallet(r, req.wallet) and r.currency == req.currency
                and r.interest_amount + r.principal_amount == req.amount)),
        )
        left = (preview.principal_left, preview.interest_left) if preview.total_due else None
        return MarginActionResult(MarginAction.REPAY, req.wallet, _as_id(op),
                                  req.currency, req.amount, remaining=left)

    async def close_position(
        self, wallet_type: WalletType | str, pair: str | None = None
    ) -> MarginActionResult:
        """Close a margin position: the exchange sells to cover debts and repays them."""
        wallet = parse_wallet(wallet_type, pair)
        await self._send(
            MarginAction.CLOSE_POSITION,
            {"wallet_type": wallet.wallet_type.value, "pair": wallet.pair},
            lambda: self.client.close_position(
                wallet.wallet_type, pair=wallet.pair, account_id=self.account_id),
        )
        return MarginActionResult(MarginAction.CLOSE_POSITION, wallet, None)

    async def _send(self, action: MarginAction, payload: Mapping[str, Any], call: Any,
                    lookup: Any = None) -> Any:
        """Journal, send once, journal the outcome. When the answer is lost (timeout,
        5xx, garbled) the request is never sent again: ``lookup(since)`` looks for it in
        the exchange's history instead; found → done, else the outcome stays unknown."""
        entry: int | None = None
        if self.journal is not None:
            entry = self.journal.begin(action.value, dict(payload))
        log.info("margin %s: %s", action.value, dict(payload))
        sent_at = datetime.now(UTC)
        try:
            answer = await call()
        except AlpError as exc:
            if answer_may_be_lost(exc):
                return await self._settle_lost(action, entry, exc, lookup, sent_at)
            if self.journal is not None and entry is not None:
                self.journal.failed(entry, str(exc))
            log.warning("margin %s refused: %s", action.value, exc)
            raise _refusal(exc) from exc
        if self.journal is not None and entry is not None:
            self.journal.done(entry, answer)
        return answer

    async def _settle_lost(self, action: MarginAction, entry: int | None, exc: AlpError,
                           lookup: Any, sent_at: datetime) -> Any:
        found: Any = None
        if lookup is not None:
            try:
                found = await lookup(sent_at - LOOKUP_SKEW)
            except AlpError as again:
                log.warning("margin %s: lookup after a lost answer failed: %s",
                            action.value, again)
        if found is not None:
            if self.journal is not None and entry is not None:
                self.journal.done(entry, {"found_in_history": found})
            log.info("margin %s: answer lost, found in history as %s", action.value, found)
            return found
        if self.journal is not None and entry is not None:
            self.journal.unknown(entry, str(exc))
        log.warning("margin %s: answer lost, outcome unknown: %s", action.value, exc)
        said = str(exc).rstrip()
        unsure = "" if "may or may not" in said else " It may or may not have done it."
        raise MarginRequestError(
            f"No answer from the exchange: {said}{unsure} Nothing was sent again; the "
            "Margin history tab shows whether it was done.",
            sent=True, unknown=True) from exc

    def _finder(self, history: str, match: Any) -> Any:
        """A lookup for :meth:`_send`: the newest row of ``history`` since a time that
        ``match`` accepts, as its id."""
        async def lookup(since: datetime) -> int | None:
            rows = await getattr(self.client, history)(start_time=since)
            for row in rows:
                when = history_time(row)
                if (when is None or when >= since) and match(row):
                    return int(row.id)
            return None
        return lookup


def _same_wallet(row: Any, wallet: WalletKey) -> bool:
    return wallet_key(WalletType.parse(row.wallet_type), getattr(row, "pair", None)) == wallet


def _as_id(answer: Any) -> int | None:
    if isinstance(answer, list | tuple):
        answer = answer[0] if answer else None
    try:
        return int(answer) if answer is not None else None
    except (TypeError, ValueError):
        return None
