"""Market life: built-in market makers and takers that keep every pair moving.

Each pair has a hidden fair price doing a geometric random walk (seeded, so a run is
reproducible). A market maker keeps a ladder of bids and asks on a fixed price grid around
it; because the grid is fixed, a tick only touches the few levels that moved, which keeps
:meth:`MarketLife.step` cheap. Takers send small market orders that trade against the
ladder (and against users' orders), so every price, candle and ticker comes from real
matching. The fair price is pulled towards the last trade, so a user who moves the market
moves the makers too. Volatility comes in spells (a slowly reverting multiplier) and about
one taker order in a hundred is a whale that sweeps several levels.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

from alp_tui.api.enums import OrderType
from alp_tui.sim.catalog import PairSpec
from alp_tui.sim.engine import Order
from alp_tui.sim.ports import MarketPort

LEVELS = 40  # maker levels per side (the book API serves up to 100 rows)
HALF_SPREAD = 0.0003  # relative distance of the best quotes from the fair price
GRID = 0.00025  # relative spacing of the maker's price grid
TAKER_PROBABILITY = 0.7  # chance per pair and tick that takers trade
PULL = 0.25  # how far the fair price moves towards the last trade each tick
WHALE_PROBABILITY = 0.01  # chance that a taker order is a large sweep
HALF_SPREAD_D = Decimal(repr(HALF_SPREAD))
T_LIMIT = OrderType.LIMIT
T_MARKET = OrderType.MARKET


class PairLife:
    """The market maker's and takers' state for one pair."""

    def __init__(self, spec: PairSpec, price: Decimal, rng: random.Random) -> None:
        self.spec = spec
        self.fair = float(price)
        self.rng = rng
        tick = spec.price_tick
        grid = (price * Decimal(repr(GRID))).quantize(tick, rounding=ROUND_DOWN)
        self.grid = max(grid, tick)
        # Typical order value in quote units, scaled so small-priced coins trade in size.
        self.typical_value = 120.0 * float(spec.start_price) ** 0.25 if spec.quote != "BTC" \
            else 0.004
        self.bids: dict[Decimal, Order] = {}
        self.asks: dict[Decimal, Order] = {}
        self.key: tuple[Decimal, Decimal] | None = None
        self.mood = 1.0  # volatility multiplier (see MarketLife._tick_pair)
        self.want_bids: list[Decimal] = []
        self.want_asks: list[Decimal] = []

    def size(self, price: Decimal, factor: float) -> Decimal:
        """A random order size around the typical value, at least the pair minimum."""
        value = self.typical_value * factor * self.rng.lognormvariate(0.0, 0.6)
        amount = Decimal(repr(value / float(price))).quantize(self.spec.amount_step,
                                                              rounding=ROUND_DOWN)
        return max(amount, self.spec.minimum_order_size)


class MarketLife:
    """Drives market makers and takers on every listed pair."""

    def __init__(self, exchange: MarketPort, maker_id: int, taker_id: int, seed: int) -> None:
        self.exchange = exchange
        self.maker_id = maker_id
        self.taker_id = taker_id
        self.pairs: dict[str, PairLife] = {}
        for spec in exchange.pair_specs:
            rng = random.Random(f"life:{seed}:{spec.name}")
            self.pairs[spec.name] = PairLife(spec, exchange.last_price(spec.name), rng)
        self.last_step: float | None = None

    def step(self, now: float) -> None:
        """One tick: move fair prices, let takers trade, re-quote the ladders."""
        dt = self.begin_step(now)
        for name in self.pairs:
            self.step_pair(name, now, dt)

    def begin_step(self, now: float) -> float:
        """Start a tick at ``now``; returns the seconds since the previous one (capped)."""
        dt = 1.0 if self.last_step is None else min(max(now - self.last_step, 0.0), 60.0)
        self.last_step = now
        return dt

    def step_pair(self, name: str, now: float, dt: float) -> None:
        """The tick of one pair (callers may interleave requests between pairs)."""
        self._tick_pair(self.pairs[name], now, dt)

    def _tick_pair(self, life: PairLife, now: float, dt: float) -> None:
        spec = life.spec
        ex = self.exchange
        rng = life.rng
        last = float(ex.last_price(spec.name))
        # Volatility comes in spells: a multiplier that wanders around 1 and reverts.
        life.mood += 0.02 * (1.0 - life.mood) + rng.gauss(0.0, 0.04)
        life.mood = min(max(life.mood, 0.4), 2.5)
        sigma = spec.volatility * life.mood * math.sqrt(max(dt, 0.05))
        life.fair *= math.exp(rng.gauss(0.0, sigma))
        if last > 0:
            life.fair += PULL * (last - life.fair)
        self.requote(life, now)
        if rng.random() < TAKER_PROBABILITY * min(life.mood, 1.5):
            for _ in range(1 + int(rng.random() * 2.2)):
                is_bid = rng.random() < 0.5
                ref = ex.last_price(spec.name) or spec.start_price
                # Now and then a whale sweeps a few levels.
                factor = 0.8 if rng.random() > WHALE_PROBABILITY else 6.0 + rng.random() * 10
                amount = life.size(ref, factor)
                ex.system_order(self.taker_id, spec.name, is_bid, T_MARKET, amount,
                                None, now)

    def requote(self, life: PairLife, now: float) -> None:
        """Bring the maker's ladder to the grid levels around the current fair price.

        The wanted levels are recomputed only when the grid position moved; otherwise the
        tick just refills levels takers consumed, which is the common, cheap case.
        """
        ex = self.exchange
        spec = life.spec
        resting = ex.books[spec.name].orders
        fair = Decimal(repr(life.fair))
        grid = life.grid
        top_bid = (fair * (1 - HALF_SPREAD_D) / grid).to_integral_value(ROUND_FLOOR) * grid
        low_ask = (fair * (1 + HALF_SPREAD_D) / grid).to_integral_value(ROUND_CEILING) * grid
        if low_ask <= top_bid:
            low_ask = top_bid + grid
        if (top_bid, low_ask) != life.key:
            life.key = (top_bid, low_ask)
            # Nearest levels first, so a crossing user order is taken at the best price.
            life.want_bids = [p for p in (top_bid - grid * i for i in range(LEVELS)) if p > 0]
            life.want_asks = [low_ask + grid * i for i in range(LEVELS)]
            for book_side, wanted in ((life.bids, set(life.want_bids)),
                                      (life.asks, set(life.want_asks))):
                for price in [p for p in book_side if p not in wanted]:
                    order = book_side.pop(price)
                    if order.id in resting:
                        ex.cancel_system_order(order, now)
        for book_side, wanted_list, is_bid in ((life.bids, life.want_bids, True),
                                               (life.asks, life.want_asks, False)):
            for rank, price in enumerate(wanted_list):
                order = book_side.get(price)
                if order is not None and order.id in resting:
                    continue
                amount = life.size(price, 1.0 + rank * 0.15)
                order = ex.system_order(self.maker_id, spec.name, is_bid, T_LIMIT, amount,
                                        price, now)
                if order is not None and order.id in resting:
                    book_side[price] = order
                else:
                    book_side.pop(price, None)
