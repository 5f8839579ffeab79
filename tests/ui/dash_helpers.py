"""Old home of the dashboard helpers, kept for tests written before tests.support (#18):
import from :mod:`tests.support.dashboard` and :mod:`tests.support.wait` instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.dashboard import MARKET_TOPICS, all_fresh, sim_app
from tests.support.wait import wait_until as support_wait_until

__all__ = ["MARKET_TOPICS", "all_fresh", "sim_app", "wait_until"]


async def wait_until(pilot: Any, condition: Callable[[], bool], *, tries: int | None = None,
                     what: str = "condition", **kwargs: Any) -> None:
    """:func:`tests.support.wait.wait_until`; ``tries`` is ignored (it waits to a deadline)."""
    await support_wait_until(pilot, condition, what=what, **kwargs)
