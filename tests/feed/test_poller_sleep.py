"""The pollers' sleep: woken early, and stopped by a cancel even in the step it is woken."""

from __future__ import annotations

import asyncio

import pytest

from alp_tui.feed.poller import event_sleep


async def test_a_cancel_in_the_step_the_wake_fires_still_stops_the_sleep() -> None:
    # A quit right after an action: the action wakes the poller, the quit cancels it in
    # the same step. The poller must stop (with wait_for on 3.11 it slept on, and the
    # session's close hung on it).
    wake = asyncio.Event()
    task = asyncio.create_task(event_sleep(60, wake))
    await asyncio.sleep(0)
    wake.set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_wake_ends_the_sleep_early() -> None:
    wake = asyncio.Event()
    task = asyncio.create_task(event_sleep(60, wake))
    await asyncio.sleep(0)
    wake.set()
    await asyncio.wait_for(task, 5)
    assert task.done() and not task.cancelled()
