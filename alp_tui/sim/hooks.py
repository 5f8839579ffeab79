"""Test and demo hooks: trade a market to a chosen price.

Not on the wire; tests and the demo use it (through ``Exchange.set_last_price``) to drive
stops and liquidations. The house account crosses the book with real orders, so every
price, candle and ticker still comes from matching.
"""

from __future__ import annotations

from decimal import Decimal

from alp_tui.api.enums import OrderType, TimeInForce, WalletType
from alp_tui.sim.catalog import PairSpec
from alp_tui.sim.engine import Order
from alp_tui.sim.ledger import HOUSE_ID
from alp_tui.sim.trading import OrderDesk


def trade_to_price(desk: OrderDesk, spec: PairSpec, price: Decimal, now: float) -> None:
    """Sweep the book up (or down) to ``price`` with a house order, then trade a minimum
    lot at exactly that price against a house order on the other side."""
    book = desk.books[spec.name]
    next_id = desk.journal.next_id
    ledger = desk.ledger
    is_bid = price > desk.market.last[spec.name]
    got, _cost = book.fillable(is_bid, price, base=spec.maximum_order_size * 1000)
    house_base = ledger.get(HOUSE_ID, WalletType.SPOT, spec.base, now=now)
    house_quote = ledger.get(HOUSE_ID, WalletType.SPOT, spec.quote, now=now)

    def house_order(bid: bool, amount: Decimal, tif: TimeInForce) -> Order:
        order = Order(id=next_id("order"), account_id=HOUSE_ID, pair=spec.name, is_bid=bid,
                      type=OrderType.LIMIT, amount=amount, price=price, created_at=now,
                      tif=tif, system=True)
        desk.hold(order, house_quote if bid else house_base,
                  amount * price if bid else amount, now)
        desk.execute(order, now)
        return order

    if got > 0:
        house_order(is_bid, got, TimeInForce.IOC)
    lot = spec.minimum_order_size
    resting = house_order(not is_bid, lot, TimeInForce.GTC)
    if desk.is_resting(resting):
        house_order(is_bid, lot, TimeInForce.IOC)
        if desk.is_resting(resting):
            desk.cancel(resting, now)
