"""The user's alert command: run in the background for every alert, never blocking.

``[alerts] command`` is an argv (no shell). The alert text is appended as the last
argument; the environment carries ``ALP_ALERT_KIND``, ``ALP_ALERT_PAIR`` and
``ALP_ALERT_TEXT``. A run longer than the timeout is killed. A failure (missing program,
non-zero exit, timeout) goes to the error log once, not once per alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence

from alp_tui.feed.stats import ErrorLog
from alp_tui.session.events import AlertFired

log = logging.getLogger(__name__)


class AlertCommand:
    """Runs ``argv + [text]`` per alert as a background task of the running loop."""

    def __init__(self, argv: Sequence[str], *, timeout_s: float = 10.0,
                 errors: ErrorLog | None = None) -> None:
        self.argv = list(argv)
        self.timeout_s = timeout_s
        self.errors = errors
        self.failed_once = False
        self.runs = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def fire(self, alert: AlertFired) -> asyncio.Task[None] | None:
        """Start the command for ``alert`` (returns its task; None without a command)."""
        if not self.argv:
            return None
        task = asyncio.get_running_loop().create_task(self._run(alert))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, alert: AlertFired) -> None:
        env = dict(os.environ, ALP_ALERT_KIND=alert.kind.value, ALP_ALERT_PAIR=alert.pair,
                   ALP_ALERT_TEXT=alert.text)
        self.runs += 1
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, alert.text, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True)  # the terminal's ctrl+c is not its business
        except OSError as exc:
            self._failed(f"cannot start {self.argv[0]!r}: {exc.strerror or exc}")
            return
        try:
            code = await asyncio.wait_for(proc.wait(), self.timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            self._failed(f"{self.argv[0]!r} still running after {self.timeout_s:g} s; "
                         "stopped")
            return
        if code != 0:
            self._failed(f"{self.argv[0]!r} exited with status {code}")

    def _failed(self, message: str) -> None:
        if self.failed_once:
            return
        self.failed_once = True
        log.warning("alert command: %s", message)
        if self.errors is not None:
            self.errors.add("alerts", "command", f"alert command: {message} (logged once)")

    async def drain(self) -> None:
        """Wait for the commands still running (at shutdown, within their timeout)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
