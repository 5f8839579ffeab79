"""Margin arithmetic: wallets valued in USDT, margin levels, liquidation prices, previews.

A :class:`MarginSnapshot` holds balances, loans and tickers at one moment and works out
each margin wallet's assets and debt in USDT, its margin level (assets / debt, the level the
exchange liquidates below), and for a selected pair the price at which that level would
reach the liquidation line, all other prices held still. :func:`preview_repay` and
:func:`preview_close` say what a repayment or a close will do before it is sent.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from alp_tui.api.enums import WalletType, normalize_pair
from alp_tui.api.models import Balance, Loan, Ticker
from alp_tui.services.format import format_exact, format_significant
from alp_tui.services.margin_alerts import WalletKey

USDT = "USDT"
USD_STABLES = frozenset({"USDT", "USDC", "USD"})


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


_fmt = format_significant


def _add(target: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    target[currency] = target.get(currency, Decimal(0)) + amount



def wallet_key(wallet_type: WalletType, pair: str | None) -> WalletKey | None:
    """The margin wallet a balance, loan or history row belongs to (None: not margin)."""
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
             if wallet_key(b.wallet_type, b.pair) == wallet and b.currency == currency),
            Decimal(0),
        )

    def loans_of(self, wallet: WalletKey, currency: str | None = None) -> list[Loan]:
        """The open loans of a wallet (optionally of one currency)."""
        return [
            loan for loan in self.loans
            if wallet_key(loan.wallet_type, loan.pair) == wallet
            and (currency is None or loan.currency == currency)
        ]

    def positions(self) -> dict[WalletKey, WalletPosition]:
        """Every margin wallet that holds or owes something."""
        holdings: dict[WalletKey, dict[str, Decimal]] = {}
        debts: dict[WalletKey, dict[str, Decimal]] = {}
        for b in self.balances:
            key = wallet_key(b.wallet_type, b.pair)
            if key is not None and b.balance:
                _add(holdings.setdefault(key, {}), b.currency, b.balance)
        for loan in self.loans:
            key = wallet_key(loan.wallet_type, loan.pair)
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
    def buys_debt(self) -> bool:
        """True when the trade is a BUY of the debt currency (it is the base of the market
        it trades on); False when it SELLs a holding for a debt in the quote currency."""
        if self.pair:
            return self.pair.partition("_")[0] == self.get_currency
        # Cross margin names no pair: a debt in a quote currency is got by selling;
        # any other debt is bought with what the wallet holds.
        return self.get_currency not in QUOTE_CURRENCIES

    @property
    def describe(self) -> str:
        """The trade as it is: ``BUY 0.15 BTC to repay (≈ 13,699.69 USDT)`` for a debt in
        the base currency, ``SELL 0.0123 BTC for ≈ 530.10 USDT to repay`` for one in the
        quote currency."""
        if self.buys_debt:
            return (f"BUY {format_exact(self.get)} {self.get_currency} to repay "
                    f"(≈ {_fmt(self.sell)} {self.sell_currency})")
        return (f"SELL {format_exact(self.sell)} {self.sell_currency} for ≈ "
                f"{_fmt(self.get)} {self.get_currency} to repay")


# The currencies markets are quoted in: a debt in one of them is covered by selling.
QUOTE_CURRENCIES = frozenset({"USDT", "USDC", "USD", "EUR"})


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
