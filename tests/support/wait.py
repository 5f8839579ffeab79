"""The one way a test waits: poll a condition until it holds, with a deadline.

A condition that holds returns at once, so the generous default deadline only slows a
test that is failing anyway; on a loaded machine (the suite runs with ``-n 2`` beside
other work) it keeps a slow-but-correct run green. Never sleep a fixed time instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from textual.worker import WorkerCancelled, WorkerState

T = TypeVar("T")

WAIT_S = 60.0
"""Default deadline in seconds (a failing wait takes this long)."""
STEP_S = 0.02
"""Default polling interval in seconds."""


async def wait_until(pilot: Any, condition: Callable[[], object], *, what: str = "condition",
                     timeout: float = WAIT_S, step: float = STEP_S) -> None:
    """Return once ``condition()`` is true; fail the test after ``timeout`` seconds.

    With a Textual ``pilot`` each poll is a ``pilot.pause`` (the app handles its messages
    and redraws in between), and once the condition holds the screen handles what was
    posted to it until then: the session sets a topic's state (``app.topic_states``) as
    it posts the data to the screen, so without this a test that saw "fresh" could read
    a pane that has not drawn that data yet (on a loaded machine it often had not).
    With ``pilot=None`` it waits on the running loop alone (a feed, a client or a server
    under test, no app).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if pilot is None:
            await asyncio.sleep(step)
        else:
            await pilot.pause(step)
    if pilot is not None and pilot.app.screen_stack:  # (none left once the app exited)
        await pilot.pause(0)  # every message already posted to the screen is handled


def wait_until_sync(condition: Callable[[], T], *, what: str = "condition",
                    timeout: float = WAIT_S, step: float = STEP_S) -> T:
    """:func:`wait_until` for code outside an event loop (servers on threads): blocks,
    and returns the first truthy value of ``condition()``."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)
    return value


async def workers_done(app: Any) -> None:
    """Wait until the app's current workers have ended.

    Textual's ``app.workers.wait_for_complete()`` raises ``WorkerCancelled`` when one of
    them is cancelled meanwhile: an exclusive worker replaced by a newer one (a pane
    reloading as it comes back into view when a form closes), or a worker whose screen
    went away. That is an ordinary end; on a loaded machine it happens often enough to
    fail a test at random. A worker that failed still raises (``WorkerFailed``).
    """
    for worker in list(app.workers):
        if worker.state is WorkerState.PENDING:
            continue  # not started: nothing to wait for yet
        try:
            await worker.wait()
        except WorkerCancelled:
            pass


async def settle(pilot: Any, rounds: int = 2) -> None:
    """Let the app's workers finish and their results land, ``rounds`` times (a worker's
    result may start another worker: a form's preview after its balance lookup)."""
    for _ in range(rounds):
        await workers_done(pilot.app)
        await pilot.pause()
