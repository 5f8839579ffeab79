"""Fixtures for the exchange core: a fake clock and fresh exchanges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alp_tui.sim.exchange import Exchange

START = 1_795_000_000.0


class FakeClock:
    """A clock tests move by hand (no sleeping)."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move time forward and return the new time."""
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture
def ex(clock: FakeClock) -> Exchange:
    """An exchange with market makers, no persistence."""
    return Exchange(seed=7, clock=clock)


@pytest.fixture
def quiet(clock: FakeClock) -> Exchange:
    """An exchange with empty books (no market life)."""
    return Exchange(seed=7, clock=clock, market_life=False)


def fund(exchange: Exchange, **amounts: str) -> int:
    """A new account holding ``amounts`` on SPOT."""
    return exchange.create_account(
        email="t@example.com", name="t",
        funds={k: Decimal(v) for k, v in amounts.items()})
