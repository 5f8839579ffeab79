"""Market orders the exchange places for an account itself (liquidation, closing).

They go through the book like anyone's market order (price-time priority, the taker fee,
trades on the public tape, the account's order and trade history) but skip validation:
no minimum size, any wallet, no client order id. Mixed into
:class:`~alp_tui.sim.trading.OrderDesk`, whose matching and holds they use.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from alp_tui.api.enums import OrderType, TimeInForce, WalletType
from alp_tui.sim.engine import Order

if TYPE_CHECKING:
    from alp_tui.sim.catalog import PairSpec
    from alp_tui.sim.engine import OrderBook
    from alp_tui.sim.journal import Journal
    from alp_tui.sim.ledger import Wallet

ZERO = Decimal(0)


class ForcedOrders:
    """``force_market``: the exchange's own market order for an account's wallet."""

    # Provided by OrderDesk.
    journal: Journal
    books: dict[str, OrderBook]
    _pair_by_name: dict[str, PairSpec]

    if TYPE_CHECKING:
        def index(self, order: Order) -> None: ...
        def hold(self, order: Order, wallet: Wallet, amount: Decimal, now: float) -> None: ...
        def execute(self, o: Order, now: float) -> None: ...
        def wallet_for(self, order: Order, currency: str, now: float) -> Wallet: ...
        def _fee_rate(self, account_id: int, pair: str, maker: bool) -> Decimal: ...

    def force_market(self, account_id: int, wallet_type: WalletType,
                     wallet_pair: str | None, pair: str, is_bid: bool, net: Decimal,
                     now: float) -> Order | None:
        """Trade ``pair`` at market for the wallet so that it receives ``net`` of the
        currency it gets (base when buying, quote when selling) after the taker fee, as far
        as the book and the wallet's free balance go. None when nothing could be held."""
        spec = self._pair_by_name[pair]
        book = self.books[pair]
        step = spec.amount_step
        gross = net / (1 - self._fee_rate(account_id, pair, False))
        o = Order(id=0, account_id=account_id, pair=pair, is_bid=is_bid,
                  type=OrderType.MARKET, amount=ZERO, price=None, created_at=now,
                  wallet_type=wallet_type, wallet_pair=wallet_pair, tif=TimeInForce.IOC)
        pays = self.wallet_for(o, spec.quote if is_bid else spec.base, now)
        if is_bid:
            # Buy the base: that amount (a step up, so rounding can't leave it short),
            # paying at most what the wallet has free.
            base = gross.quantize(step, rounding=ROUND_CEILING)
            cost = book.fillable(True, None, base=base)[1]
            o.amount = o.remaining = base
            hold = min(cost, pays.available)
        else:
            # Sell base for the quote: one step more than the walk says (its rounding is
            # down), all of the wallet's base when that is not enough.
            best = book.best_bid()
            if best is None:
                return None
            need = book.fillable(False, None, quote=gross + best * step)[0]
            if need <= pays.available:
                o.quote_amount = gross + best * step
                hold = need
            else:
                base = pays.available.quantize(step, rounding=ROUND_DOWN)
                o.amount = o.remaining = base
                hold = base
        if hold <= 0:
            return None
        o.id = self.journal.next_id("order")
        self.index(o)
        self.hold(o, pays, hold, now)
        self.execute(o, now)
        return o
