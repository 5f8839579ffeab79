"""Once-a-second redraws, all in one frame.

Every pane's status line counts its data's age once a second, the header too, and the book's
changed levels stop flashing on a whole second. With a timer each they wake at a dozen
moments of the second and the screen is composed a dozen times (each composition re-renders
most of the screen's widgets); called one after the other from one timer of the app, their
repaints fall in one frame (issue #12, CPU at rest).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.message_pump import MessagePump

__all__ = ["every_second"]

log = logging.getLogger(__name__)


class _Beat:
    """The app's one once-a-second timer and who it calls."""

    def __init__(self, app: App[Any]) -> None:
        self.calls: list[tuple[MessagePump, Callable[[], Any]]] = []
        # On the whole seconds of the monotonic clock (the one Textual's timers use).
        app.set_timer(1.0 - time.monotonic() % 1.0, self._start, name="beat-start")
        self.app = app

    def _start(self) -> None:
        self.app.set_interval(1.0, self.tick, name="beat")
        self.tick()

    def tick(self) -> None:
        """Call every registered callback whose owner is still mounted."""
        live = []
        for owner, callback in self.calls:
            if owner is not self.app and not owner.is_attached:
                continue  # removed from the DOM: forget it
            live.append((owner, callback))
            if not owner.is_running:
                continue  # mounted but not started yet
            try:
                callback()
            except Exception:  # one broken status line must not stop the others
                log.exception("once-a-second redraw failed")
        self.calls = live


def every_second(owner: MessagePump, callback: Callable[[], Any]) -> None:
    """Call ``callback`` once a second, from the app's one beat (every caller in the same
    moment); it stops when ``owner`` leaves the DOM. Call it once ``owner`` is mounted."""
    app = owner if isinstance(owner, App) else owner.app
    beat = getattr(app, "_alp_beat", None)
    if beat is None:
        beat = _Beat(app)
        app._alp_beat = beat  # type: ignore[attr-defined]
    beat.calls.append((owner, callback))
