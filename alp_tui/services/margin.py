"""Margin flows and margin arithmetic, free of any UI.

:class:`MarginService` is what the margin modals call: transfer between spot and a margin
wallet, borrow, repay (interest first) and close a position. Each request is validated
against what the dashboard knows (amount, currency, wallet, pair, what the wallet holds and
owes) before anything is sent, journaled before it goes out, and answered with a typed
result; a refusal comes back as :class:`MarginRequestError` with messages per form field and
a 403 is explained in words.

The arithmetic half builds a :class:`MarginSnapshot` from balances, loans and tickers: each
margin wallet's assets and debt valued in USDT, its margin level (assets / debt, the level
the exchange liquidates below), and for a selected pair the price at which that level
would reach the liquidation line, all other prices held still.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

from alp_tui.api.enums import LoanType, MarginDirection, WalletType, normalize_pair
from alp_tui.api.errors import AlpError, ForbiddenError, ValidationError
from alp_tui.api.models import (
    Balance,
    Borrow,
    Interest,
    Liquidation,
    Loan,
    MarginTransfer,
    Repay,
    Ticker,
)
from alp_tui.services.csv_export import rows_to_csv
from alp_tui.services.journal import Journal
from alp_tui.services.margin_alerts import MarginBand, MarginThresholds, WalletKey
from alp_tui.services.trading import _answer_lost

log = logging.getLogger(__name__)

USDT = "USDT"
USD_STABLES = frozenset({"USDT", "USDC", "USD"})
MAX_DECIMALS = 8
LOOKUP_SKEW = timedelta(seconds=30)  # clock difference allowed when looking a lost answer up

MARGIN_FORBIDDEN_TEXT = (
    "The exchange refused this because the API key lacks the \u201cMargin\u201d permission. "
    "Margin actions need a key created with the Margin flag set: make one on ALP.COM "
    "(Account \u2192 API keys), then put it in the config or ALP_API_KEY / ALP_API_SECRET."
)


# --------------------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------------------


class MarginRequestError(Exception):
    """A margin request that was refused, before sending or by the exchange.

    ``field_errors`` maps a form field (``amount``, ``currency``, ``wallet_type``, ``pair``,
    ``direction``) to what is wrong with it; ``message`` is one sentence for the whole
    form. ``sent`` tells whether the request reached the exchange.
    """

    def __init__(
        self,
        message: str,
        *,
        field_errors: Mapping[str, str] | None = None,
        sent: bool = False,
        forbidden: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = dict(field_errors or {})
        self.sent = sent
        self.forbidden = forbidden

    def __str__(self) -> str:
        return self.message


class MarginAction(StrEnum):
    """The margin actions the service performs."""

    TRANSFER = "margin_transfer"
    BORROW = "borrow"
    REPAY = "repay"
    CLOSE_POSITION = "close_position"


@dataclass(frozen=True, slots=True)
class MarginActionResult:
    """What the exchange accepted: the action, its operation id and a sentence."""

    action: MarginAction
    wallet: WalletKey
    operation_id: int | None
    summary: str
    currency: str | None = None
    amount: Decimal | None = None


# --------------------------------------------------------------------------------------
# Requests (validated, typed)
# --------------------------------------------------------------------------------------


def parse_amount(raw: object, field_name: str = "amount") -> Decimal:
    """Read a positive decimal amount; raise :class:`MarginRequestError` naming the field."""
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise MarginRequestError(
            "Enter a number.", field_errors={field_name: "not a number"}
        ) from None
    if not value.is_finite():
        raise MarginRequestError("Enter a number.", field_errors={field_name: "not a number"})
    if value <= 0:
        raise MarginRequestError(
            "The amount must be above zero.", field_errors={field_name: "must be above zero"}
        )
    if -value.as_tuple().exponent > MAX_DECIMALS:  # type: ignore[operator]
        raise MarginRequestError(
            "Too many decimals.",
            field_errors={field_name: f"at most {MAX_DECIMALS} decimals"},
        )
    return value


def _wallet(wallet_type: WalletType | str, pair: str | None) -> WalletKey:
    errors: dict[str, str] = {}
    try:
        wt = WalletType.parse(wallet_type, "wallet_type")
    except ValueError:
        raise MarginRequestError(
            "Choose a margin wallet.", field_errors={"wallet_type": "choose cross or isolated"}
        ) from None
    if not wt.is_margin:
        errors["wallet_type"] = "must be the cross or an isolated margin wallet"
    norm_pair = normalize_pair(pair) if pair else None
    if wt is WalletType.ISOLATED_MARGIN and not norm_pair:
        errors["pair"] = "an isolated wallet needs its pair"
    if norm_pair and "_" not in norm_pair:
        errors["pair"] = "must look like BTC_USDT"
    if errors:
        raise MarginRequestError("Check the wallet.", field_errors=errors)
    return WalletKey(wt, norm_pair if wt is WalletType.ISOLATED_MARGIN else None)


def _currency(raw: str | None, wallet: WalletKey) -> str:
    currency = (raw or "").strip().upper()
    if not currency:
        raise MarginRequestError("Choose a currency.", field_errors={"currency": "required"})
    if wallet.pair and currency not in wallet.pair.split("_"):
        raise MarginRequestError(
            f"{currency} is not traded in {wallet.pair}.",
            field_errors={"currency": f"must be one of {wallet.pair.replace('_', ', ')}"},
        )
    return currency


class _Errors:
    """Collects field errors from several checks so a form shows them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def run(self, check: Any) -> Any:
        try:
            return check()
        except MarginRequestError as exc:
            self.fields.update(exc.field_errors)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            if len(self.fields) == 1:
                name, text = next(iter(self.fields.items()))
                message = f"{name.replace('_', ' ').capitalize()}: {text}."
            else:
                message = "Check the highlighted fields."
            raise MarginRequestError(message, field_errors=self.fields)


def _direction(raw: MarginDirection | str) -> MarginDirection:
    try:
        return MarginDirection.parse(raw, "direction")  # type: ignore[return-value]
    except ValueError:
        raise MarginRequestError(
            "Choose a direction.",
            field_errors={"direction": "ADD (spot → margin) or SUB (margin → spot)"},
        ) from None


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """Move ``amount`` of ``currency`` between spot and a margin wallet (ADD: into margin)."""

    wallet: WalletKey
    direction: MarginDirection
    amount: Decimal
    currency: str
    note: str | None = None

    @classmethod
    def build(
        cls,
        *,
        wallet_type: WalletType | str,
        direction: MarginDirection | str,
        amount: object,
        currency: str | None,
        pair: str | None = None,
        note: str | None = None,
    ) -> TransferRequest:
        """Validate raw form values; raises :class:`MarginRequestError` with every
        field's problem."""
        errors = _Errors()
        wallet = errors.run(lambda: _wallet(wallet_type, pair))
        dirn = errors.run(lambda: _direction(direction))
        value = errors.run(lambda: parse_amount(amount))
        cur = errors.run(lambda: _currency(currency, wallet or WalletKey(WalletType.CROSS_MARGIN)))
        errors.raise_if_any()
        return cls(wallet, dirn, value, cur, (note or "").strip() or None)


@dataclass(frozen=True, slots=True)
class LoanRequest:
    """Borrow or repay ``amount`` of ``currency`` in a margin wallet."""

    wallet: WalletKey
    amount: Decimal
    currency: str
    loan_type: LoanType = LoanType.LOAN_MANUAL

    @classmethod
    def build(
        cls,
        *,
        wallet_type: WalletType | str,
        amount: object,
        currency: str | None,
        pair: str | None = None,
    ) -> LoanRequest:
        """Validate raw form values; raises :class:`MarginRequestError` with every
        field's problem."""
        errors = _Errors()
        wallet = errors.run(lambda: _wallet(wallet_type, pair))
        value = errors.run(lambda: parse_amount(amount))
        cur = errors.run(lambda: _currency(currency, wallet or WalletKey(WalletType.CROSS_MARGIN)))
        errors.raise_if_any()
        return cls(wallet, value, cur)


# --------------------------------------------------------------------------------------
# Prices, positions and the snapshot
# --------------------------------------------------------------------------------------


class PriceBook:
    """Converts currencies to USDT (or any other) through the tickers' last prices."""

    def __init__(self, tickers: Iterable[Ticker]) -> None:
        self._last: dict[tuple[str, str], Decimal] = {}
        for t in tickers:
            if t.last > 0 and "_" in t.pair:
                base, quote = t.pair.split("_", 1)
                self._last[(base, quote)] = t.last

    def last(self, pair: str) -> Decimal | None:
        """Last price of ``pair`` (``BASE_QUOTE``), or None when unknown."""
        base, _, quote = normalize_pair(pair).partition("_")
        return self._last.get((base, quote))

    def rate(self, currency: str, target: str = USDT) -> Decimal | None:
        """Value of one ``currency`` in ``target``: direct, inverse, or through one hop."""
        if currency == target:
            return Decimal(1)
        direct = self._direct(currency, target)
        if direct is not None:
            return direct
        for (base, quote) in list(self._last):
            for mid in (base, quote):
                if mid in (currency, target):
                    continue
                first = self._direct(currency, mid)
                second = self._direct(mid, target) if first is not None else None
                if first is not None and second is not None:
                    return first * second
        if currency in USD_STABLES and target in USD_STABLES:
            return Decimal(1)  # no market between two dollar stablecoins: take them at par
        return None

    def _direct(self, currency: str, target: str) -> Decimal | None:
        if (currency, target) in self._last:
            return self._last[(currency, target)]
        inverse = self._last.get((target, currency))
        if inverse:
            return Decimal(1) / inverse
        return None


@dataclass(frozen=True, slots=True)
class WalletPosition:
    """One margin wallet: what it holds, what it owes, valued in USDT, and its level.

    ``holdings`` / ``debts`` map currency → amount (debt = borrowed + accrued interest).
    ``unpriced`` names currencies with no USDT price (their value is left out, so the
    level is then only indicative).
    """

    wallet: WalletKey
    holdings: Mapping[str, Decimal]
    debts: Mapping[str, Decimal]
    assets_usdt: Decimal
    debt_usdt: Decimal
    unpriced: tuple[str, ...] = ()

    @property
    def level(self) -> Decimal | None:
        """Margin level: assets over debt; None without debt."""
        if self.debt_usdt <= 0:
            return None
        return self.assets_usdt / self.debt_usdt

    @property
    def equity_usdt(self) -> Decimal:
        """Assets minus debt, in USDT."""
        return self.assets_usdt - self.debt_usdt


class PriceSide(StrEnum):
    """Which way the price must move to reach the liquidation line."""

    FALLS = "falls"
    RISES = "rises"


@dataclass(frozen=True, slots=True)
class LiquidationDistance:
    """For one wallet and one pair: the price at which the wallet would be liquidated."""

    wallet: WalletKey
    pair: str
    price: Decimal
    liquidation_price: Decimal
    side: PriceSide

    @property
    def distance(self) -> Decimal:
        """How far the price must move, in quote currency (0 when already past the line)."""
        gap = self.price - self.liquidation_price
        if self.side is PriceSide.RISES:
            gap = -gap
        return max(gap, Decimal(0))

    @property
    def percent(self) -> Decimal:
        """The same, in per cent of the current price."""
        return self.distance / self.price * 100 if self.price else Decimal(0)

    @property
    def describe(self) -> str:
        """``liquidation if BTC_USDT falls to 41250.00 (−8.3%)``."""
        sign = "−" if self.side is PriceSide.FALLS else "+"
        return (
            f"liquidation if {self.pair} {self.side.value} to "
            f"{_fmt(self.liquidation_price)} ({sign}{self.percent:.1f}%)"
        )


def _fmt(value: Decimal) -> str:
    exp = value.adjusted()
    places = 2 if exp >= 1 else max(2, 4 - exp)
    return f"{value:,.{min(places, 10)}f}"


def _add(target: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    target[currency] = target.get(currency, Decimal(0)) + amount


def _key_of(wallet_type: WalletType, pair: str | None) -> WalletKey | None:
    if wallet_type == WalletType.CROSS_MARGIN:
        return WalletKey(WalletType.CROSS_MARGIN)
    if wallet_type == WalletType.ISOLATED_MARGIN:
        return WalletKey(WalletType.ISOLATED_MARGIN, pair)
    return None


@dataclass(frozen=True, slots=True)
class MarginSnapshot:
    """Loans, margin balances and prices at one moment, with the wallets worked out.

    This is what the ``loans`` feed topic hands to the margin pane.
    """

    loans: tuple[Loan, ...]
    balances: tuple[Balance, ...]
    tickers: tuple[Ticker, ...] = ()
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    complete: bool = True
    """False when balances or prices were not part of this reading (levels unknown)."""

    @property
    def prices(self) -> PriceBook:
        """Prices from the snapshot's tickers."""
        return PriceBook(self.tickers)

    def spot_available(self, currency: str) -> Decimal:
        """Spendable spot balance of ``currency``."""
        return sum(
            (b.available for b in self.balances
             if b.wallet_type is WalletType.SPOT and b.currency == currency),
            Decimal(0),
        )

    def wallet_available(self, wallet: WalletKey, currency: str) -> Decimal:
        """Spendable balance of ``currency`` in a margin wallet."""
        return sum(
            (b.available for b in self.balances
             if _key_of(b.wallet_type, b.pair) == wallet and b.currency == currency),
            Decimal(0),
        )

    def loans_of(self, wallet: WalletKey, currency: str | None = None) -> list[Loan]:
        """The open loans of a wallet (optionally of one currency)."""
        return [
            loan for loan in self.loans
            if _key_of(loan.wallet_type, loan.pair) == wallet
            and (currency is None or loan.currency == currency)
        ]

    def positions(self) -> dict[WalletKey, WalletPosition]:
        """Every margin wallet that holds or owes something."""
        holdings: dict[WalletKey, dict[str, Decimal]] = {}
        debts: dict[WalletKey, dict[str, Decimal]] = {}
        for b in self.balances:
            key = _key_of(b.wallet_type, b.pair)
            if key is not None and b.balance:
                _add(holdings.setdefault(key, {}), b.currency, b.balance)
        for loan in self.loans:
            key = _key_of(loan.wallet_type, loan.pair)
            if key is not None:
                _add(debts.setdefault(key, {}), loan.currency, loan.borrowed + loan.interest)
        prices = self.prices
        result: dict[WalletKey, WalletPosition] = {}
        for key in sorted(set(holdings) | set(debts), key=_wallet_order):
            held = holdings.get(key, {})
            owed = debts.get(key, {})
            unpriced: set[str] = set()
            assets = self._value(held, prices, unpriced)
            debt = self._value(owed, prices, unpriced)
            result[key] = WalletPosition(key, held, owed, assets, debt, tuple(sorted(unpriced)))
        return result

    @staticmethod
    def _value(amounts: Mapping[str, Decimal], prices: PriceBook, unpriced: set[str]) -> Decimal:
        total = Decimal(0)
        for currency, amount in amounts.items():
            rate = prices.rate(currency)
            if rate is None:
                unpriced.add(currency)
            else:
                total += amount * rate
        return total

    def levels(self) -> dict[WalletKey, Decimal | None]:
        """Margin level per wallet (None where there is no debt)."""
        return {key: pos.level for key, pos in self.positions().items()}

    def liquidation_distances(
        self, pair: str, liquidation_level: Decimal
    ) -> list[LiquidationDistance]:
        """Where ``pair``'s price would bring each affected wallet to ``liquidation_level``.

        Considers the isolated wallet of ``pair`` and the cross wallet. For a wallet with
        base holdings ``Ab``, base debt ``Db``, other assets ``Ao`` and other debt ``Do``
        (USDT), and the quote's USDT rate ``rq``, the level at price ``p`` is
        ``(Ab·p·rq + Ao) / (Db·p·rq + Do)``; it equals ``m`` at
        ``p = (m·Do − Ao) / (rq·(Ab − m·Db))``. No answer when the pair's price does not
        move the level, or the line cannot be reached at a positive price.
        """
        pair = normalize_pair(pair)
        base, _, quote = pair.partition("_")
        prices = self.prices
        price = prices.last(pair)
        rq = prices.rate(quote)
        if price is None or rq is None or not quote:
            return []
        out: list[LiquidationDistance] = []
        for key, pos in self.positions().items():
            if key.wallet_type is WalletType.ISOLATED_MARGIN and key.pair != pair:
                continue
            if pos.debt_usdt <= 0 or pos.unpriced:
                continue
            ab = pos.holdings.get(base, Decimal(0))
            db = pos.debts.get(base, Decimal(0))
            base_rate = prices.rate(base) or price * rq
            ao = pos.assets_usdt - ab * base_rate
            do = pos.debt_usdt - db * base_rate
            m = liquidation_level
            slope = rq * (ab - m * db)
            if slope == 0:
                continue
            liq = (m * do - ao) / slope
            if liq <= 0:
                continue
            side = PriceSide.FALLS if slope > 0 else PriceSide.RISES
            out.append(LiquidationDistance(key, pair, price, liq, side))
        return out


def _wallet_order(key: WalletKey) -> tuple[int, str]:
    return (0 if key.wallet_type is WalletType.CROSS_MARGIN else 1, key.pair or "")


# --------------------------------------------------------------------------------------
# Previews
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepayPreview:
    """How a repayment splits: interest is paid first, then principal."""

    amount: Decimal
    interest_due: Decimal
    principal_due: Decimal
    interest_paid: Decimal
    principal_paid: Decimal

    @property
    def interest_left(self) -> Decimal:
        """Interest still owed afterwards."""
        return self.interest_due - self.interest_paid

    @property
    def principal_left(self) -> Decimal:
        """Principal still owed afterwards."""
        return self.principal_due - self.principal_paid

    @property
    def total_due(self) -> Decimal:
        """Everything owed before the repayment."""
        return self.interest_due + self.principal_due

    @property
    def excess(self) -> Decimal:
        """The part of ``amount`` beyond what is owed."""
        return max(self.amount - self.total_due, Decimal(0))


def preview_repay(loans: Sequence[Loan], amount: Decimal) -> RepayPreview:
    """Split ``amount`` over the loans of one currency and wallet, interest first."""
    interest = sum((loan.interest for loan in loans), Decimal(0))
    principal = sum((loan.borrowed for loan in loans), Decimal(0))
    to_interest = min(amount, interest)
    to_principal = min(amount - to_interest, principal)
    return RepayPreview(amount, interest, principal, to_interest, to_principal)


@dataclass(frozen=True, slots=True)
class CloseLeg:
    """One trade the close makes: ``sell`` of ``sell_currency`` to get ``get`` of
    ``get_currency`` (a debt currency), at last prices."""

    sell: Decimal
    sell_currency: str
    get: Decimal
    get_currency: str
    pair: str | None = None

    @property
    def describe(self) -> str:
        """``BUY 0.0123 BTC with ≈ 530.10 USDT`` when the debt is the pair's base,
        else ``SELL 0.0123 BTC for ≈ 530.10 USDT``."""
        base = self.pair.partition("_")[0] if self.pair else None
        if base == self.get_currency:
            return (f"BUY {_plain(self.get)} {self.get_currency} with ≈ "
                    f"{_fmt(self.sell)} {self.sell_currency}")
        return (f"SELL {_plain(self.sell)} {self.sell_currency} for ≈ "
                f"{_fmt(self.get)} {self.get_currency}")


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass(frozen=True, slots=True)
class ClosePreview:
    """What closing a margin position will do: trades to cover debts, then repayments."""

    wallet: WalletKey
    legs: tuple[CloseLeg, ...]
    repays: Mapping[str, Decimal]
    uncovered: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when there is nothing to close."""
        return not self.legs and not self.repays


def preview_close(snapshot: MarginSnapshot, wallet: WalletKey) -> ClosePreview:
    """Estimate what a close does, the way the exchange settles: open orders are
    cancelled; each debt (in currency order) is paid from the wallet's own balance of that
    currency, and what is short by selling the wallet's other assets at last prices,
    largest holding first. ``uncovered`` is what the wallet cannot pay at all."""
    pos = snapshot.positions().get(wallet)
    if pos is None or not pos.debts:
        return ClosePreview(wallet, (), {})
    prices = snapshot.prices
    held = dict(pos.holdings)
    legs: list[CloseLeg] = []
    uncovered: dict[str, Decimal] = {}
    for currency, owed in sorted(pos.debts.items()):
        own = held.get(currency, Decimal(0))
        pay = min(own, owed)
        held[currency] = own - pay
        short = owed - pay
        debt_rate = prices.rate(currency)
        order = sorted(held, key=lambda c: held[c] * (prices.rate(c) or 0), reverse=True)
        for other in order:
            if short <= 0 or debt_rate is None:
                break
            rate = prices.rate(other)
            if other == currency or held[other] <= 0 or not rate:
                continue
            take = min(held[other], short * debt_rate / rate)
            got = min(short, take * rate / debt_rate)
            held[other] -= take
            short -= got
            legs.append(CloseLeg(take, other, got, currency, wallet.pair))
        if short > 0:
            uncovered[currency] = short
    return ClosePreview(wallet, tuple(legs), dict(pos.debts), uncovered)


# --------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------


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
        rows.sort(key=lambda r: (history_time(r) or _EPOCH, getattr(r, "id", 0)), reverse=True)
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
                f"Only {have.normalize():f} {req.currency} available in {where}.",
                field_errors={"amount": f"at most {have.normalize():f} available in {where}"},
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
                f"That is more than owed ({preview.total_due.normalize():f} {req.currency}).",
                field_errors={"amount": f"at most {preview.total_due.normalize():f} owed"},
            )
        have = snap.wallet_available(req.wallet, req.currency)
        if req.amount > have:
            raise MarginRequestError(
                f"Only {have.normalize():f} {req.currency} available in the wallet.",
                field_errors={"amount": f"at most {have.normalize():f} available to repay"},
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
        return MarginActionResult(
            MarginAction.TRANSFER, req.wallet, _as_id(op),
            f"Transferred {req.amount.normalize():f} {req.currency} ({arrow}).",
            req.currency, req.amount)

    async def borrow(self, req: LoanRequest) -> MarginActionResult:
        """Open a loan in a margin wallet."""
        op = await self._send(
            MarginAction.BORROW,
            {"wallet_type": req.wallet.wallet_type.value, "pair": req.wallet.pair,
             "amount": str(req.amount), "currency": req.currency,
             "type": req.loan_type.value},
            lambda: self.client.borrow(
                req.amount, req.currency, req.wallet.wallet_type, pair=req.wallet.pair,
                loan_type=req.loan_type, account_id=self.account_id),
            self._finder("borrows", lambda r: (
                _same_wallet(r, req.wallet) and r.currency == req.currency
                and r.borrowed == req.amount)),
        )
        return MarginActionResult(
            MarginAction.BORROW, req.wallet, _as_id(op),
            f"Borrowed {req.amount.normalize():f} {req.currency} in the {req.wallet.label} "
            "wallet.", req.currency, req.amount)

    async def repay(
        self, req: LoanRequest, snapshot: MarginSnapshot | None = None
    ) -> MarginActionResult:
        """Repay a loan: the exchange takes accrued interest first, then principal."""
        preview = self.check_repay(req, snapshot)
        op = await self._send(
            MarginAction.REPAY,
            {"wallet_type": req.wallet.wallet_type.value, "pair": req.wallet.pair,
             "amount": str(req.amount), "currency": req.currency,
             "type": req.loan_type.value},
            lambda: self.client.repay(
                req.amount, req.currency, req.wallet.wallet_type, pair=req.wallet.pair,
                loan_type=req.loan_type, account_id=self.account_id),
            self._finder("repays", lambda r: (
                _same_wallet(r, req.wallet) and r.currency == req.currency
                and r.interest_amount + r.principal_amount == req.amount)),
        )
        left = ""
        if preview.total_due:
            left = (f"; {preview.principal_left.normalize():f} principal and "
                    f"{preview.interest_left.normalize():f} interest remain")
        return MarginActionResult(
            MarginAction.REPAY, req.wallet, _as_id(op),
            f"Repaid {req.amount.normalize():f} {req.currency}{left}.", req.currency, req.amount)

    async def close_position(
        self, wallet_type: WalletType | str, pair: str | None = None
    ) -> MarginActionResult:
        """Close a margin position: the exchange sells to cover debts and repays them."""
        wallet = _wallet(wallet_type, pair)
        await self._send(
            MarginAction.CLOSE_POSITION,
            {"wallet_type": wallet.wallet_type.value, "pair": wallet.pair},
            lambda: self.client.close_position(
                wallet.wallet_type, pair=wallet.pair, account_id=self.account_id),
        )
        return MarginActionResult(
            MarginAction.CLOSE_POSITION, wallet, None,
            f"Closed the {wallet.label} position.")

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
            if _answer_lost(exc):
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
        raise MarginRequestError(
            f"No answer from the exchange ({exc}). It may or may not have done it; nothing "
            "was sent again. Check the Margin history tab before trying again.",
            sent=True) from exc

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


def service_for(host: Any) -> MarginService | None:
    """The host app's ``margin_service``; made (and kept on the host) from its ``client``
    and journal when the app has keys but no service yet; None without keys or client."""
    found = getattr(host, "margin_service", None)
    if isinstance(found, MarginService):
        return found
    client = getattr(host, "client", None)
    if client is None or not getattr(host, "has_credentials", True):
        return None
    journal = getattr(host, "journal", None)
    if not isinstance(journal, Journal):
        journal = getattr(getattr(host, "trading", None), "journal", None)
    if not isinstance(journal, Journal):
        try:
            journal = Journal()
        except (OSError, sqlite3.Error) as exc:
            log.warning("margin: no action journal (%s); margin actions disabled", exc)
            return None
    service = MarginService(client, journal=journal)
    try:
        host.margin_service = service
    except AttributeError:
        pass
    return service


def _same_wallet(row: Any, wallet: WalletKey) -> bool:
    return _key_of(WalletType.parse(row.wallet_type), getattr(row, "pair", None)) == wallet


def _as_id(answer: Any) -> int | None:
    if isinstance(answer, list | tuple):
        answer = answer[0] if answer else None
    try:
        return int(answer) if answer is not None else None
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------
# History tables
# --------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class HistoryKind(StrEnum):
    """The margin history tabs; values are the client's method names."""

    TRANSFERS = "margin_transfers"
    BORROWS = "borrows"
    REPAYS = "repays"
    INTERESTS = "interests"
    LIQUIDATIONS = "liquidations"

    @property
    def title(self) -> str:
        """Tab title."""
        return {"margin_transfers": "Transfers", "interests": "Interest"}.get(
            self.value, self.value.capitalize())


def history_time(row: Any) -> datetime | None:
    """When a history row happened (``date``, else ``created_at`` / ``opened_at``)."""
    for name in ("date", "created_at", "opened_at"):
        value = getattr(row, name, None)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value else "0"
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _wallet_text(row: Any) -> str:
    wt = getattr(row, "wallet_type", None)
    return {WalletType.CROSS_MARGIN: "cross", WalletType.ISOLATED_MARGIN: "isolated"}.get(
        wt, _text(wt).lower())


def _time_text(row: Any) -> str:
    return _text(history_time(row))


Column = tuple[str, Any]

HISTORY_COLUMNS: dict[HistoryKind, tuple[Column, ...]] = {
    HistoryKind.TRANSFERS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id),
        ("direction", lambda r: r.direction), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("amount", lambda r: r.amount), ("note", lambda r: r.note),
    ),
    HistoryKind.BORROWS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("borrowed", lambda r: r.borrowed), ("repaid", lambda r: r.repaid),
        ("interest rate", lambda r: r.interest_rate),
        ("interest accrued", lambda r: r.interest_accrued),
        ("interest paid", lambda r: r.interest_paid), ("type", lambda r: r.type),
    ),
    HistoryKind.REPAYS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("interest", lambda r: r.interest_amount),
        ("principal", lambda r: r.principal_amount), ("type", lambda r: r.type),
    ),
    HistoryKind.INTERESTS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id),
        ("borrow id", lambda r: r.borrow_id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("rate", lambda r: r.interest_rate), ("accrued", lambda r: r.interest_accrued),
        ("paid", lambda r: r.interest_paid),
    ),
    HistoryKind.LIQUIDATIONS: (
        ("time (UTC)", _time_text), ("id", lambda r: r.id), ("wallet", _wallet_text),
        ("pair", lambda r: r.pair), ("currency", lambda r: r.currency),
        ("margin level", lambda r: r.margin_level), ("amount", lambda r: r.amount),
        ("fund amount", lambda r: r.fund_amount),
        ("orders created", lambda r: r.order_created),
        ("borrows closed", lambda r: r.borrow_closed),
        ("closed at", lambda r: r.closed_at),
    ),
}

HISTORY_MODELS: dict[HistoryKind, type] = {
    HistoryKind.TRANSFERS: MarginTransfer,
    HistoryKind.BORROWS: Borrow,
    HistoryKind.REPAYS: Repay,
    HistoryKind.INTERESTS: Interest,
    HistoryKind.LIQUIDATIONS: Liquidation,
}


def history_cells(kind: HistoryKind, row: Any) -> list[str]:
    """One row of a history table as text, in :data:`HISTORY_COLUMNS` order."""
    return [_text(getter(row)) for _, getter in HISTORY_COLUMNS[kind]]


def history_csv(kind: HistoryKind, rows: Iterable[Any]) -> str:
    """A history tab as CSV text: the table's headers, exact decimals, UTC times."""
    return rows_to_csv(history_headers(kind), (history_cells(kind, row) for row in rows))


def history_headers(kind: HistoryKind) -> list[str]:
    """Column titles of one history table."""
    return [name for name, _ in HISTORY_COLUMNS[kind]]


def band_of(level: Decimal | None, thresholds: MarginThresholds) -> MarginBand:
    """Shortcut for :meth:`MarginThresholds.band`."""
    return thresholds.band(level)
