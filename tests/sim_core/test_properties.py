"""Property tests over random order streams: conservation, reserves, book shape, TIF."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alp_tui.api.enums import OrderStatus, StopOperator, TimeInForce
from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock

D = Decimal
PAIR = "BTC_USDT"

accounts_st = st.integers(min_value=0, max_value=2)
side_st = st.sampled_from(["BID", "ASK"])
price_st = st.integers(min_value=49_990, max_value=50_010).map(D)
amount_st = st.integers(min_value=1, max_value=60).map(lambda n: D(n) / 1000)
tif_st = st.sampled_from(["GTC", "GTC", "IOC", "FOK", "AON"])

limit_st = st.tuples(st.just("limit"), accounts_st, side_st, amount_st, price_st, tif_st)
market_st = st.tuples(st.just("market"), accounts_st, side_st, amount_st,
                      st.booleans())
stop_st = st.tuples(st.just("stop"), accounts_st, side_st, amount_st, price_st, price_st,
                    st.sampled_from(["GTE", "LTE"]), st.booleans())
cancel_st = st.tuples(st.just("cancel"), accounts_st, st.integers(min_value=0, max_value=30))
step_st = st.tuples(st.just("step"))
action_st = st.one_of(limit_st, limit_st, limit_st, market_st, stop_st, cancel_st)


def do(ex: Exchange, accounts: list[int], action: tuple[Any, ...]) -> None:
    """Apply one random action; refusals are part of the game."""
    kind = action[0]
    try:
        if kind == "limit":
            _, who, side, amount, price, tif = action
            ex.place_order(accounts[who], {"pair": PAIR, "order_type": "LIMIT",
                                           "order_side": side, "base_amount": amount,
                                           "limit_price": price, "tif": tif})
        elif kind == "market":
            _, who, side, amount, by_quote = action
            req: dict[str, Any] = {"pair": PAIR, "order_type": "MARKET", "order_side": side}
            if by_quote:
                req["quote_amount"] = amount * 50_000
            else:
                req["base_amount"] = amount
            ex.place_order(accounts[who], req)
        elif kind == "stop":
            _, who, side, amount, stop, price, op, is_market = action
            req = {"pair": PAIR, "order_side": side, "base_amount": amount,
                   "stop_price": stop, "stop_operator": op}
            if is_market:
                req["order_type"] = "STOP_MARKET"
            else:
                req.update(order_type="STOP_LIMIT", limit_price=price)
            ex.place_order(accounts[who], req)
        elif kind == "cancel":
            _, who, index = action
            orders = ex.orders(accounts[who], open_only=True)
            if orders:
                ex.cancel_orders(accounts[who], order_ids=[orders[index % len(orders)]["id"]])
        elif kind == "step":
            ex.step()
    except SimError as exc:
        assert exc.status == 400


def check_invariants(ex: Exchange, totals: dict[str, Decimal]) -> None:
    """Everything that must hold after any call."""
    assert ex.totals() == totals, "funds not conserved"
    holds: dict[tuple, Decimal] = {}
    resting = []
    for book in ex.books.values():
        assert not book.is_crossed()
        resting.extend(book.orders.values())
    public = ex.orderbook(PAIR, group=True)
    if public["buy"] and public["sell"]:
        assert public["buy"][0]["price"] < public["sell"][0]["price"], "public book crossed"
    for stops in ex.stops.values():
        resting.extend(stops.values())
    for o in resting:
        assert o.status.is_open
        key = (o.account_id, o.wallet_type, o.hold_currency, o.wallet_pair)
        holds[key] = holds.get(key, D(0)) + o.hold
        if o.price is not None and o.type.value in ("LIMIT", "STOP_LIMIT"):
            assert o.hold == (o.remaining * o.price if o.is_bid else o.remaining)
    for key, wallet in ex.ledger.wallets.items():
        assert wallet.balance >= 0 and 0 <= wallet.reserve <= wallet.balance
        assert wallet.reserve == holds.get(key, D(0)), f"reserve mismatch on {key}"
    for o in ex._orders.values():
        if o.quote_amount is None:
            assert o.filled + o.cancelled + o.remaining == o.amount
        assert o.remaining >= 0 and o.filled >= 0
        if o.tif in (TimeInForce.FOK, TimeInForce.AON):
            assert o.filled in (0, o.amount), "all-or-none filled in part"
        if o.tif is TimeInForce.IOC or o.type.value == "MARKET":
            assert o.status is not OrderStatus.OPEN
        if o.status is OrderStatus.PENDING:
            last = ex.last[o.pair]
            if o.stop_operator is StopOperator.GTE:
                assert last < o.stop_price
            else:
                assert last > o.stop_price
        if not o.status.is_open:
            assert o.hold == 0


def best_plain(ex: Exchange, bids: bool) -> Decimal | None:
    """Best price among orders that are not all-or-none."""
    book = ex.books[PAIR]
    for key, level in (book.bids if bids else book.asks).items():
        if any(not o.aon for o in level.values()):
            return -key if bids else key
    return None


def make(market_life: bool, depth: int = 5) -> tuple[Exchange, list[int], FakeClock]:
    """A fresh exchange with three funded traders (and, without market life, ``depth``
    resting levels a side from a fourth)."""
    clock = FakeClock()
    ex = Exchange(seed=3, clock=clock, market_life=market_life)
    accounts = [ex.create_account(email=f"{i}@t", name=str(i),
                                  funds={"BTC": D("1"), "USDT": D("60000")})
                for i in range(3)]
    if not market_life:
        # Some resting liquidity so most streams trade from their first order.
        maker = ex.create_account(email="m@t", name="m",
                                  funds={"BTC": D("10"), "USDT": D("600000")})
        for i in range(1, depth + 1):
            for side, price in (("BID", 50_000 - 3 * i), ("ASK", 50_000 + 3 * i)):
                ex.place_order(maker, {"pair": PAIR, "order_type": "LIMIT",
                                       "order_side": side, "base_amount": D("0.02"),
                                       "limit_price": D(price)})
    return ex, accounts, clock


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action_st, min_size=1, max_size=40))
def test_random_streams_keep_invariants(actions: list[tuple[Any, ...]]) -> None:
    ex, accounts, _ = make(market_life=False)
    totals = ex.totals()
    fills: list[dict] = []
    ex.add_listener(lambda e: fills.append(e["trade"])
                    if e["type"] == "account_trade" and not e["trade"]["is_maker"] else None)
    for action in actions:
        fills.clear()
        best_before = (best_plain(ex, True), best_plain(ex, False))
        do(ex, accounts, action)
        check_invariants(ex, totals)
        # Price priority: one taker's fills walk away from the best price, never back.
        # Only the action's own order counts: stops it triggers trade after it, as
        # takers of their own, and may take an all-or-none order the first one skipped.
        if action[0] in ("limit", "market") and fills:
            first = fills[0]["order_id"]
            prices = [t["price"] for t in fills if t["order_id"] == first]
            buy = fills[0]["side"] == "BID"
            assert prices == sorted(prices, reverse=not buy)
            best = best_before[1] if buy else best_before[0]
            if best is not None:
                # Never worse than the best plain order (an AON may be taken whole
                # at a better price first).
                assert prices[0] <= best if buy else prices[0] >= best


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(action_st, step_st, step_st), min_size=1, max_size=25))
def test_random_streams_with_market_life(actions: list[tuple[Any, ...]]) -> None:
    ex, accounts, clock = make(market_life=True)
    totals = ex.totals()
    for action in actions:
        clock.advance(1)
        if action[0] in ("limit", "stop"):
            # Trade near the live market so orders interact with the makers.
            last = ex.last_price(PAIR)
            shift = last - D(50_000)
            action = (*action[:4], action[4] + shift, *action[5:]) if action[0] == "limit" \
                else (*action[:4], action[4] + shift, action[5] + shift, *action[6:])
        do(ex, accounts, action)
        check_invariants(ex, totals)


def test_market_life_is_reproducible() -> None:
    runs = []
    for _ in range(2):
        clock = FakeClock()
        ex = Exchange(seed=11, clock=clock)
        for _ in range(20):
            ex.step(clock.advance(1))
        runs.append((ex.ticker(PAIR), ex.orderbook(PAIR), ex.trades(PAIR, limit=50)))
    assert runs[0] == runs[1]
    clock = FakeClock()
    other = Exchange(seed=12, clock=clock)
    for _ in range(20):
        other.step(clock.advance(1))
    assert other.trades(PAIR, limit=50) != runs[0][2]


margin_action_st = st.one_of(
    st.tuples(st.just("transfer"), accounts_st, st.sampled_from(["ADD", "SUB"]),
              st.sampled_from(["USDT", "BTC"]), st.integers(min_value=1, max_value=3000)),
    st.tuples(st.just("borrow"), accounts_st, st.sampled_from(["USDT", "BTC"]),
              st.integers(min_value=1, max_value=30000)),
    st.tuples(st.just("repay"), accounts_st, st.sampled_from(["USDT", "BTC"]),
              st.integers(min_value=1, max_value=8000)),
    st.tuples(st.just("morder"), accounts_st, side_st, st.integers(min_value=1, max_value=300),
              st.sampled_from(["NO_SIDE_EFFECT", "AUTO_BORROW", "AUTO_REPLAY"])),
    st.tuples(st.just("move"), st.sampled_from(["0.75", "0.9", "0.97", "1.03", "1.1"])),
    st.tuples(st.just("hours"), st.integers(min_value=1, max_value=30)),
    st.tuples(st.just("close"), accounts_st),
)


def do_margin(ex: Exchange, accounts: list[int], clock: FakeClock,
              action: tuple[Any, ...]) -> None:
    """Apply one random margin action on the cross wallet; refusals are fine."""
    kind = action[0]
    cross = "CROSS_MARGIN"
    try:
        if kind == "transfer":
            _, who, direction, cur, units = action
            amount = D(units) if cur == "USDT" else D(units) / 100_000
            ex.margin_transfer(accounts[who], cross, direction, amount, cur)
        elif kind in ("borrow", "repay"):
            _, who, cur, units = action
            amount = D(units) if cur == "USDT" else D(units) / 100_000
            getattr(ex, kind)(accounts[who], amount, cur, cross)
        elif kind == "morder":
            _, who, side, units, effect = action
            ex.place_order(accounts[who], {"pair": PAIR, "order_type": "MARKET",
                                           "order_side": side, "wallet_type": cross,
                                           "base_amount": D(units) / 1000,
                                           "side_effect": effect})
        elif kind == "move":
            ex.move_market(PAIR, D(action[1]))
        elif kind == "hours":
            ex.step(clock.advance(3600 * action[1]))
        elif kind == "close":
            ex.close_position(accounts[action[1]], cross)
    except SimError as exc:
        assert exc.status == 400


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(margin_action_st, min_size=8, max_size=30))
@example([("borrow", 0, "USDT", 30000), ("morder", 0, "BID", 300, "AUTO_BORROW"),
          ("morder", 0, "BID", 200, "AUTO_BORROW"), ("hours", 3), ("move", "0.75"),
          ("borrow", 1, "BTC", 20000), ("morder", 1, "ASK", 300, "AUTO_REPLAY"),
          ("move", "1.1"), ("move", "1.1"), ("close", 2)])  # a liquidation, a short
def test_margin_streams_conserve_funds(actions: list[tuple[Any, ...]]) -> None:
    ex, accounts, clock = make(market_life=False, depth=40)
    ex.set_last_price(PAIR, D(50_000))  # value the margin wallets where the book is
    for account in accounts:
        ex.margin_transfer(account, "CROSS_MARGIN", "ADD", D("5000"), "USDT")
        ex.margin_transfer(account, "CROSS_MARGIN", "ADD", D("0.1"), "BTC")
    totals = ex.totals()
    for action in actions:
        do_margin(ex, accounts, clock, action)
        check_invariants(ex, totals)
        for account in accounts:
            level = ex.margin_level(account, "CROSS_MARGIN")
            # After every check, no wallet is left under the maintenance level.
            assert level is None or level >= D("1.1") or action[0] not in ("move", "hours")
