"""Waiting helpers for the streaming tests: wait on a condition with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

DEADLINE_S = 8.0


async def until(predicate: Callable[[], bool], timeout: float = DEADLINE_S,
                what: str = "condition") -> None:
    """Return once ``predicate()`` is true; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)
