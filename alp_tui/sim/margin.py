"""Margin trading: cross and isolated wallets, loans, interest, liquidation.

Terms (documented decisions):

- Cross margin: one ``CROSS_MARGIN`` wallet per currency; isolated margin: one
  ``ISOLATED_MARGIN`` wallet per (pair, currency), only the pair's two currencies.
- Leverage limits: cross 5x, isolated 10x. A borrow is allowed while the total debt
  (principal + interest, valued in USDT at last prices) stays within ``(L − 1) × equity``,
  equity being the wallet's assets minus its debt.
- Margin level = assets / debt (both valued in USDT); None without debt. Below the
  maintenance level 1.1 the wallet is liquidated on the next check (every ``step()`` and
  after ``set_last_price``): its orders are cancelled and its debts repaid from its own
  balance, then by selling its other assets through the book with a 2 % liquidation fee;
  what that can't cover is the shortfall, paid by the house (insurance fund). See
  :mod:`alp_tui.sim.liquidation`.
- Interest accrues hourly on outstanding principal at a per-currency rate (stablecoins
  0.00125 %/h, BTC and ETH 0.0005 %/h, others 0.001 %/h), counted from the borrow time;
  each charge is an ``interests()`` row. Repayments pay interest before principal, oldest
  borrow first.
- A SUB transfer (margin → spot) may not leave the debt above the leverage limit.
- ``AUTO_BORROW`` on a margin order borrows exactly what the order's hold lacks
  (a LOAN_AUTO borrow); ``AUTO_REPLAY`` (the wire's spelling of auto-repay) repays the
  wallet's debt in the currency each fill brings in, as far as its free balance goes.
- Loans come from the lender account and go back to it, so funds stay conserved.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from alp_tui.api.enums import LoanType, MarginDirection, WalletType
from alp_tui.sim.errors import SimError
from alp_tui.sim.journal import Journal
from alp_tui.sim.ledger import LENDER_ID, Ledger, Record, Wallet, rfc3339
from alp_tui.sim.liquidation import Group, Liquidation
from alp_tui.sim.ports import OrderPort, Prices
from alp_tui.sim.textcheck import check_text

if TYPE_CHECKING:
    from alp_tui.sim.engine import Order

ZERO = Decimal(0)
Q8 = Decimal("1e-8")
LEVERAGE = {WalletType.CROSS_MARGIN: Decimal(5), WalletType.ISOLATED_MARGIN: Decimal(10)}
MAINTENANCE_LEVEL = Decimal("1.1")
HOUR = 3600.0
HOURLY_RATES = {"USDT": Decimal("0.0000125"), "USDC": Decimal("0.0000125"),
                "BTC": Decimal("0.000005"), "ETH": Decimal("0.000005")}
DEFAULT_HOURLY_RATE = Decimal("0.00001")



def hourly_rate(currency: str) -> Decimal:
    """Interest per hour on a loan of ``currency``."""
    return HOURLY_RATES.get(currency, DEFAULT_HOURLY_RATE)


class MarginDesk(Liquidation):
    """Cross and isolated margin for every account."""

    def __init__(self, ledger: Ledger, journal: Journal, prices: Prices,
                 orders: OrderPort, currencies: Collection[str]) -> None:
        self.ledger = ledger
        self._currencies = currencies  # the listed currency codes
        self.journal = journal
        self.prices = prices
        self.orders = orders
        # Open borrows (principal or interest outstanding) by group.
        self.open: dict[Group, list[Record]] = {}
        for records in journal.records.get("borrow", {}).values():
            for record in records:
                if record.data.get("status") == "OPEN":
                    self.open.setdefault(self._group_of(record), []).append(record)

    @staticmethod
    def _group_of(record: Record) -> Group:
        data = record.data
        return (record.account_id, WalletType(data["wallet_type"]), data.get("pair"))

    # --- validation helpers ------------------------------------------------------------
    def _target(self, wallet_type: Any, pair: str | None, currency: str) -> tuple[
            WalletType, str | None, str]:
        try:
            wtype = WalletType.parse(wallet_type, "wallet_type")
        except ValueError as exc:
            raise SimError.field("wallet_type", str(exc)) from None
        if not wtype.is_margin:
            raise SimError.field("wallet_type", "must be CROSS_MARGIN or ISOLATED_MARGIN")
        code = (currency or "").upper()
        if code not in self._currencies:
            raise SimError.field("currency", f"unknown currency {currency!r}")
        pair_name = None
        if wtype is WalletType.ISOLATED_MARGIN:
            if not pair:
                raise SimError.field("pair", "required for ISOLATED_MARGIN")
            spec = self.prices.spec(pair)
            if code not in (spec.base, spec.quote):
                raise SimError.field("currency", f"{code} is not a currency of {spec.name}")
            pair_name = spec.name
        return wtype, pair_name, code

    @staticmethod
    def _amount(amount: Any, field: str) -> Decimal:
        try:
            value = Decimal(amount)
        except Exception:
            raise SimError.field(field, "must be a number") from None
        if not value.is_finite() or value <= 0:
            raise SimError.field(field, "must be positive")
        if value != value.quantize(Q8):
            raise SimError.field(field, "at most 8 decimals")
        return value

    def _wallets(self, group: Group) -> list[Wallet]:
        account_id, wtype, pair = group
        return [w for w in self.ledger.by_account.get(account_id, [])
                if w.wallet_type is wtype and w.pair == pair]

    def _rate(self, currency: str) -> Decimal:
        rate = self.prices.rate(currency)
        return rate if rate is not None else ZERO

    # --- valuation ---------------------------------------------------------------------
    def _debt_by_currency(self, group: Group) -> dict[str, Decimal]:
        debts: dict[str, Decimal] = {}
        for record in self.open.get(group, []):
            d = record.data
            owed = (d["borrowed"] - d["repaid"]) + (d["interest_accrued"] - d["interest_paid"])
            debts[d["currency"]] = debts.get(d["currency"], ZERO) + owed
        return debts

    def values(self, group: Group) -> tuple[Decimal, Decimal]:
        """(assets, debt) of a margin wallet, valued in USDT."""
        assets = sum((w.balance * self._rate(w.currency) for w in self._wallets(group)), ZERO)
        debt = sum((owed * self._rate(cur) for cur, owed in
                    self._debt_by_currency(group).items()), ZERO)
        return assets, debt

    def level(self, account_id: int, wallet_type: WalletType, pair: str | None
              ) -> Decimal | None:
        """Assets / debt of a margin wallet, or None without debt."""
        wtype = WalletType.parse(wallet_type, "wallet_type")
        group = (account_id, wtype, pair if wtype is WalletType.ISOLATED_MARGIN else None)
        assets, debt = self.values(group)
        if debt <= 0:
            return None
        return (assets / debt).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)

    def _check_limit(self, group: Group, extra_debt: Decimal, field: str,
                     assets_delta: Decimal = ZERO) -> None:
        """Refuse if the debt would exceed (L − 1) × equity."""
        assets, debt = self.values(group)
        assets += assets_delta
        debt_after = debt + extra_debt
        equity = assets - debt  # borrowing adds as much to assets as to debt
        limit = (LEVERAGE[group[1]] - 1) * equity
        if debt_after > 0 and (equity <= 0 or debt_after > limit):
            raise SimError.field(
                field, f"exceeds the {LEVERAGE[group[1]]}x leverage limit "
                       f"(debt {debt_after.quantize(Q8)} USDT, limit "
                       f"{max(limit, ZERO).quantize(Q8)} USDT)")

    # --- operations --------------------------------------------------------------------
    def transfer(self, account_id: int, wallet_type: WalletType, direction: MarginDirection,
                 amount: Decimal, currency: str, pair: str | None, note: str | None,
                 now: float) -> int:
        """Move funds spot → margin (ADD) or margin → spot (SUB); returns the record id."""
        wtype, pair_name, code = self._target(wallet_type, pair, currency)
        if note is not None:
            check_text("note", note)
        try:
            direction = MarginDirection.parse(direction, "direction")
        except ValueError as exc:
            raise SimError.field("direction", str(exc)) from None
        amount = self._amount(amount, "amount")
        ledger = self.ledger
        spot = ledger.get(account_id, WalletType.SPOT, code, now=now)
        margin = ledger.get(account_id, wtype, code, pair_name, now)
        group = (account_id, wtype, pair_name)
        if direction is MarginDirection.ADD:
            if amount > spot.available:
                raise SimError.field("amount", f"insufficient SPOT balance: "
                                               f"{spot.available} {code} available")
            ledger.move(spot, margin, amount, "MARGIN_TRANSFER", now)
        else:
            if amount > margin.available:
                raise SimError.field("amount", f"insufficient {wtype.value} balance: "
                                               f"{margin.available} {code} available")
            if self.open.get(group):
                self._check_limit(group, ZERO, "amount", -amount * self._rate(code))
            ledger.move(margin, spot, amount, "MARGIN_TRANSFER", now)
        record = self.journal.add_record("margin_transfer", account_id, now, {
            "id": 0, "account_id": account_id, "amount": amount, "currency": code,
            "date": rfc3339(now), "direction": direction.value, "wallet_type": wtype.value,
            "note": note, "pair": pair_name})
        return record.id

    def borrow(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
               pair: str | None, loan_type: LoanType, now: float,
               field: str = "borrow") -> int:
        """Borrow into a margin wallet within the leverage limit; returns the borrow id."""
        wtype, pair_name, code = self._target(wallet_type, pair, currency)
        amount = self._amount(amount, field)
        try:
            loan_type = LoanType.parse(loan_type or LoanType.LOAN_MANUAL, "type")
        except ValueError as exc:
            raise SimError.field("type", str(exc)) from None
        group = (account_id, wtype, pair_name)
        rate = self._rate(code)
        if rate <= 0:
            raise SimError.field("currency", f"{code} has no price to value a loan")
        self._check_limit(group, amount * rate, field)
        ledger = self.ledger
        lender = ledger.get(LENDER_ID, WalletType.SPOT, code, now=now)
        if amount > lender.available:
            raise SimError.field(field, "the lending pool cannot lend that much")
        target = ledger.get(account_id, wtype, code, pair_name, now)
        ledger.move(lender, target, amount, "BORROW", now)
        record = self.journal.add_record("borrow", account_id, now, {
            "id": 0, "account_id": account_id, "borrowed": amount, "currency": code,
            "date": rfc3339(now), "interest_accrued": ZERO, "interest_paid": ZERO,
            "interest_rate": hourly_rate(code), "repaid": ZERO, "last_interest_at": None,
            "opened_at": rfc3339(now), "type": loan_type.value, "wallet_type": wtype.value,
            "pair": pair_name, "status": "OPEN", "interest_from": now})
        self.open.setdefault(group, []).append(record)
        return record.id

    def auto_borrow(self, order: Order, currency: str, amount: Decimal, now: float) -> None:
        """Borrow what a margin order's hold lacks (rounded up to 8 decimals)."""
        amount = amount.quantize(Q8, rounding=ROUND_CEILING)
        field = "quote_amount" if order.quote_amount is not None else "base_amount"
        self.borrow(order.account_id, amount, currency, order.wallet_type, order.wallet_pair,
                    LoanType.LOAN_AUTO, now, field=field)

    def auto_repay(self, order: Order, currency: str, now: float) -> None:
        """``AUTO_REPLAY``: repay the wallet's ``currency`` debt with what the fill
        brought in, as far as the free balance goes."""
        group = (order.account_id, order.wallet_type, order.wallet_pair)
        owed = self._debt_by_currency(group).get(currency, ZERO)
        if owed <= 0:
            return
        wallet = self.ledger.get(order.account_id, order.wallet_type, currency,
                                    order.wallet_pair, now)
        amount = min(owed, wallet.available)
        if amount > 0:
            self._pay(group, currency, wallet, amount, LoanType.LOAN_AUTO, now)

    def _pay(self, group: Group, currency: str, source: Wallet, amount: Decimal,
             loan_type: LoanType, now: float, payer: Wallet | None = None) -> Record | None:
        """Pay ``amount`` of ``currency`` debt (interest first, oldest first) from
        ``source`` (or from ``payer``, e.g. the house); returns the repay record."""
        ledger = self.ledger
        lender = ledger.get(LENDER_ID, WalletType.SPOT, currency, now=now)
        wallet = payer or source
        left = amount
        interest_paid = principal_paid = ZERO
        borrows = [r for r in self.open.get(group, []) if r.data["currency"] == currency]
        for record in borrows:  # interest first
            d = record.data
            part = min(left, d["interest_accrued"] - d["interest_paid"])
            if part > 0:
                d["interest_paid"] += part
                interest_paid += part
                left -= part
                self.journal.mark("borrow", record.id, record)
        for record in borrows:
            d = record.data
            part = min(left, d["borrowed"] - d["repaid"])
            if part > 0:
                d["repaid"] += part
                principal_paid += part
                left -= part
                self.journal.mark("borrow", record.id, record)
        paid = interest_paid + principal_paid
        if paid <= 0:
            return None
        ledger.move(wallet, lender, paid, "REPAY", now)
        for record in borrows:
            d = record.data
            if d["repaid"] >= d["borrowed"] and d["interest_paid"] >= d["interest_accrued"]:
                d["status"] = "CLOSED"
                d["closed_at"] = rfc3339(now)
                self.open[group].remove(record)
                self.journal.mark("borrow", record.id, record)
        if not self.open.get(group):
            self.open.pop(group, None)
        return self.journal.add_record("repay", group[0], now, {
            "id": 0, "account_id": group[0], "interest_amount": interest_paid,
            "principal_amount": principal_paid, "currency": currency, "date": rfc3339(now),
            "type": loan_type.value, "wallet_type": group[1].value, "pair": group[2]})

    def repay(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
              pair: str | None, loan_type: LoanType, now: float) -> list[int]:
        """Repay from the margin wallet, interest first; returns ``[repay id]``."""
        wtype, pair_name, code = self._target(wallet_type, pair, currency)
        amount = self._amount(amount, "amount")
        group = (account_id, wtype, pair_name)
        owed = self._debt_by_currency(group).get(code, ZERO)
        if owed <= 0:
            raise SimError.field("currency", f"no {code} loan to repay")
        amount = min(amount, owed)
        source = self.ledger.get(account_id, wtype, code, pair_name, now)
        if amount > source.available:
            raise SimError.field("amount", f"insufficient {wtype.value} balance: "
                                           f"{source.available} {code} available")
        loan_type = LoanType.parse(loan_type or LoanType.LOAN_MANUAL, "type")
        record = self._pay(group, code, source, amount, loan_type, now)
        assert record is not None
        return [record.id]

    def loans(self, account_id: int, isolated: bool, cross: bool) -> list[dict[str, Any]]:
        """Outstanding loans, one row per wallet and currency (id = oldest open borrow)."""
        if not isolated and not cross:
            isolated = cross = True
        rows: dict[tuple[WalletType, str | None, str], dict[str, Any]] = {}
        for (acc, wtype, pair), records in self.open.items():
            if acc != account_id:
                continue
            if (wtype is WalletType.CROSS_MARGIN and not cross) or \
                    (wtype is WalletType.ISOLATED_MARGIN and not isolated):
                continue
            for record in records:
                d = record.data
                key = (wtype, pair, d["currency"])
                row = rows.get(key)
                if row is None:
                    row = rows[key] = {"id": record.id, "account_id": account_id,
                                       "borrowed": ZERO, "interest": ZERO,
                                       "currency": d["currency"], "wallet_type": wtype.value,
                                       "pair": pair}
                row["borrowed"] += d["borrowed"] - d["repaid"]
                row["interest"] += d["interest_accrued"] - d["interest_paid"]
        return list(rows.values())

    # --- life --------------------------------------------------------------------------
    def step(self, now: float) -> None:
        """Charge hourly interest, then liquidate wallets under the maintenance level."""
        for group, records in list(self.open.items()):
            for record in records:
                d = record.data
                start = d["interest_from"]
                while now - start >= HOUR:
                    start += HOUR
                    outstanding = d["borrowed"] - d["repaid"]
                    if outstanding <= 0:
                        continue
                    charge = max((outstanding * d["interest_rate"]).quantize(
                        Q8, rounding=ROUND_CEILING), Q8)
                    d["interest_accrued"] += charge
                    d["last_interest_at"] = rfc3339(start)
                    self.journal.add_record("interest", group[0], start, {
                        "id": 0, "account_id": group[0], "borrow_id": record.id,
                        "currency": d["currency"], "interest_accrued": charge,
                        "interest_paid": ZERO, "interest_rate": d["interest_rate"],
                        "wallet_type": group[1].value, "date": rfc3339(start),
                        "pair": group[2]})
                if start != d["interest_from"]:
                    d["interest_from"] = start
                    self.journal.mark("borrow", record.id, record)
            level = self.level(group[0], group[1], group[2])
            if level is not None and level < MAINTENANCE_LEVEL:
                self.liquidate(group, level, now)

