"""Closing a margin wallet's debts: liquidation and ``DELETE /margin`` (close position).

Mixed into :class:`~alp_tui.sim.margin.MarginDesk`. Documented decisions:

- The wallet's open orders are cancelled first. Each debt is repaid from the wallet's own
  balance of that currency; what is still owed is raised by selling the wallet's other
  assets *through the book* (largest holding first): a market order of the wallet, which
  walks the bids (selling) or asks (buying the owed currency) like anyone's, pays the taker
  fee, prints on the tape and shows in the account's orders and trades. Its ids are the
  liquidation record's ``order_created``.
- A liquidation charges a 2 % fee on the debt it covers, in the debt's currency, to the
  house. Closing a position charges none.
- What the book can't absorb (too thin, or no listed pair between the two currencies) the
  house takes over at last prices, as far as still needed.
- What even all the wallet's assets can't cover is the **shortfall** (bad debt): the house
  (insurance fund) pays it to the lender. The liquidation record says how the debt was met:
  ``fund_amount`` is the owed currency the wallet's assets raised, split (simulator
  extensions) into ``book_amount`` (sold through the book) and ``house_amount`` (taken
  over by the house), and ``shortfall``. Whatever is left stays in the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from alp_tui.api.enums import LoanType, WalletType
from alp_tui.sim.errors import SimError
from alp_tui.sim.ledger import HOUSE_ID, Ledger, Record, Wallet, rfc3339

if TYPE_CHECKING:
    from alp_tui.sim.journal import Journal
    from alp_tui.sim.ports import OrderPort, Prices

ZERO = Decimal(0)
Q8 = Decimal("1e-8")
LIQUIDATION_FEE = Decimal("0.02")

Group = tuple[int, WalletType, str | None]  # (account, wallet type, isolated pair)


@dataclass
class Settlement:
    """What settling a wallet's debts did, per debt currency."""

    repays: list[Record] = field(default_factory=list)
    raised: dict[str, Decimal] = field(default_factory=dict)  # owed currency the book gave
    by_house: dict[str, Decimal] = field(default_factory=dict)  # ... the house at last prices
    shortfall: dict[str, Decimal] = field(default_factory=dict)  # paid by the house
    orders: dict[str, list[int]] = field(default_factory=dict)  # market orders placed


class Liquidation:
    """Liquidating and closing margin wallets (a mixin of the margin desk)."""

    # Provided by MarginDesk.
    ledger: Ledger
    journal: Journal
    prices: Prices
    orders: OrderPort
    open: dict[Group, list[Record]]

    if TYPE_CHECKING:
        def _debt_by_currency(self, group: Group) -> dict[str, Decimal]: ...
        def _wallets(self, group: Group) -> list[Wallet]: ...
        def _rate(self, currency: str) -> Decimal: ...
        def _target(self, wallet_type: object, pair: str | None,
                    currency: str) -> tuple[WalletType, str | None, str]: ...
        def _pay(self, group: Group, currency: str, source: Wallet, amount: Decimal,
                 loan_type: LoanType, now: float,
                 payer: Wallet | None = None) -> Record | None: ...

    def _cancel_group_orders(self, group: Group, now: float) -> list[int]:
        account_id, wtype, pair = group
        closed = []
        for order in list(self.orders.orders_of(account_id)):
            if order.status.is_open and order.wallet_type is wtype and \
                    order.wallet_pair == pair:
                self.orders.cancel(order, now)
                closed.append(order.id)
        return closed

    def _settle_debts(self, group: Group, fee: Decimal, now: float,
                      loan_type: LoanType) -> Settlement:
        """Repay every debt of ``group``: own balance first, then what selling its other
        assets through the book raises (less ``fee``), then the house covers the rest."""
        ledger = self.ledger
        account_id, wtype, pair = group
        done = Settlement()
        for currency, owed in sorted(self._debt_by_currency(group).items()):
            own = ledger.get(account_id, wtype, currency, pair, now)
            pay = min(own.available, owed)
            if pay > 0 and (record := self._pay(group, currency, own, pay, loan_type, now)):
                done.repays.append(record)
            short = owed - pay
            # Through the book first; what it can't absorb the house takes at last prices.
            for via_book in (True, False):
                assets = sorted((w for w in self._wallets(group)
                                 if w.currency != currency and w.available > 0),
                                key=lambda w: w.available * self._rate(w.currency),
                                reverse=True)
                for asset in assets:
                    if short <= 0:
                        break
                    short -= self._cover(group, asset, own, short, fee, via_book, now,
                                         loan_type, done)
            if short > 0:  # the shortfall: the insurance fund pays
                done.shortfall[currency] = short
                house = ledger.get(HOUSE_ID, WalletType.SPOT, currency, now=now)
                if record := self._pay(group, currency, own, short, loan_type, now,
                                       payer=house):
                    done.repays.append(record)
        return done

    def _cover(self, group: Group, asset: Wallet, own: Wallet, short: Decimal,
               fee: Decimal, via_book: bool, now: float, loan_type: LoanType,
               done: Settlement) -> Decimal:
        """Sell ``asset`` for what ``short`` (plus ``fee``) needs of ``own``'s currency,
        charge the fee and repay; returns the debt covered."""
        currency = own.currency
        net = (short * (1 + fee)).quantize(Q8, rounding=ROUND_CEILING)
        before = own.balance
        if via_book:
            pair = self._pair_between(asset.currency, currency)
            if pair is None:
                return ZERO
            account_id, wtype, wallet_pair = group
            is_bid = pair.startswith(f"{currency}_")  # buying the owed currency
            order = self.orders.force_market(account_id, wtype, wallet_pair, pair, is_bid,
                                             net, now)
            if order is not None:
                done.orders.setdefault(currency, []).append(order.id)
        else:
            self._sell_to_house(asset, own, net, now)
        got = own.balance - before
        if got <= 0:
            return ZERO
        into = done.raised if via_book else done.by_house
        into[currency] = into.get(currency, ZERO) + got
        covered = min(short, (got / (1 + fee)).quantize(Q8, rounding=ROUND_DOWN))
        # Covering all: the fee on it, the rest stays. Covering part: all of it goes (the
        # fee is what rounding left over), so no dust outlives a shortfall.
        charge = got - covered if covered < short else \
            min(got - covered, (covered * fee).quantize(Q8, ROUND_CEILING))
        if charge > 0:
            house = self.ledger.get(HOUSE_ID, WalletType.SPOT, currency, now=now)
            self.ledger.move(own, house, charge, "LIQUIDATION", now)
        covered = min(covered, own.available)
        if covered <= 0:
            return ZERO
        record = self._pay(group, currency, own, covered, loan_type, now)
        if record is None:
            return ZERO
        done.repays.append(record)
        return covered

    def _pair_between(self, have: str, want: str) -> str | None:
        for name in (f"{have}_{want}", f"{want}_{have}"):
            try:
                return self.prices.spec(name).name
            except SimError:
                continue
        return None

    def _sell_to_house(self, asset: Wallet, own: Wallet, net: Decimal, now: float) -> None:
        """No pair to trade on: the house buys ``asset`` at last prices."""
        rate, debt_rate = self._rate(asset.currency), self._rate(own.currency)
        if rate <= 0 or debt_rate <= 0:
            return
        take = min(asset.available,
                   (net * debt_rate / rate).quantize(Q8, rounding=ROUND_CEILING))
        got = (take * rate / debt_rate).quantize(Q8, rounding=ROUND_DOWN)
        ledger = self.ledger
        ledger.move(asset, ledger.get(HOUSE_ID, WalletType.SPOT, asset.currency, now=now),
                    take, "LIQUIDATION", now)
        ledger.move(ledger.get(HOUSE_ID, WalletType.SPOT, own.currency, now=now), own, got,
                    "LIQUIDATION", now)

    def close_position(self, account_id: int, wallet_type: WalletType, pair: str | None,
                       now: float) -> list[int]:
        """Cancel the wallet's orders and repay all its debt (selling other assets through
        the book if needed); returns the repay ids."""
        wtype, pair_name, _ = self._target(
            wallet_type, pair, "USDT" if not pair else self.prices.spec(pair).quote)
        group = (account_id, wtype, pair_name)
        self._cancel_group_orders(group, now)
        done = self._settle_debts(group, ZERO, now, LoanType.LOAN_MANUAL)
        return [r.id for r in done.repays]

    def liquidate(self, group: Group, level: Decimal, now: float) -> None:
        """Liquidate one margin wallet whose level fell under the maintenance level."""
        debts = self._debt_by_currency(group)
        open_ids = [r.id for r in self.open.get(group, [])]
        orders = self._cancel_group_orders(group, now)
        done = self._settle_debts(group, LIQUIDATION_FEE, now, LoanType.LOAN_AUTO)
        for currency, owed in sorted(debts.items()):
            self.journal.add_record("liquidation", group[0], now, {
                "id": 0, "account_id": group[0], "created_at": rfc3339(now),
                "wallet_type": group[1].value, "margin_level": level,
                "closed_at": rfc3339(now), "amount": owed,
                "fund_amount": done.raised.get(currency, ZERO)
                + done.by_house.get(currency, ZERO),
                "book_amount": done.raised.get(currency, ZERO),
                "house_amount": done.by_house.get(currency, ZERO),
                "shortfall": done.shortfall.get(currency, ZERO),
                "currency": currency, "order_closed": orders,
                "order_created": done.orders.get(currency, []),
                "borrow_closed": open_ids,
                "repay_created": [r.id for r in done.repays
                                  if r.data["currency"] == currency],
                "pair": group[2]})
