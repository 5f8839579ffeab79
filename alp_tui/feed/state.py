"""Where one pane's data stands: loading, fresh, stale (with age), paused or error (why)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from enum import StrEnum


class Freshness(StrEnum):
    """The states a pane's data can be in."""

    LOADING = "loading"
    FRESH = "fresh"
    STALE = "stale"
    PAUSED = "paused"  # rate limited: waiting for Retry-After
    ERROR = "error"
    OFFLINE = "offline"  # the server cannot be reached
    AUTH = "auth"  # authentication failed: private polling stopped until the user acts
    DISABLED = "disabled"  # e.g. no API key for an account pane


STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True, slots=True)
class FeedState:
    """Snapshot of one data source's state, cheap to copy into a message.

    ``updated_at`` is the ``time.monotonic()`` of the last good data; ``interval_s`` the
    polling interval, used to decide staleness (no data for 3 intervals → stale).
    """

    kind: Freshness = Freshness.LOADING
    updated_at: float | None = None
    interval_s: float = 1.0
    error: str | None = None
    resume_at: float | None = None  # monotonic time a rate-limit pause ends

    def age(self, now: float | None = None) -> float | None:
        """Seconds since the last good data, or None when there has been none."""
        if self.updated_at is None:
            return None
        return max(0.0, (time.monotonic() if now is None else now) - self.updated_at)

    def effective(self, now: float | None = None) -> Freshness:
        """FRESH turns STALE once the data is older than three polling intervals."""
        age = self.age(now)
        if (
            self.kind is Freshness.FRESH
            and age is not None
            and age > STALE_AFTER_INTERVALS * self.interval_s
        ):
            return Freshness.STALE
        return self.kind

    def fresh(self, now: float | None = None) -> FeedState:
        """This state after a good answer."""
        return replace(
            self,
            kind=Freshness.FRESH,
            updated_at=time.monotonic() if now is None else now,
            error=None,
            resume_at=None,
        )

    def failed(self, kind: Freshness, error: str, resume_at: float | None = None) -> FeedState:
        """This state after a failure; the last good data's time is kept."""
        return replace(self, kind=kind, error=error, resume_at=resume_at)

    def describe(self, now: float | None = None) -> str:
        """One short line for a pane's status bar: ``fresh``, ``stale 12s``, ``error: …``."""
        now = time.monotonic() if now is None else now
        kind = self.effective(now)
        age = self.age(now)
        age_text = f" {format_age(age)}" if age is not None else ""
        if kind is Freshness.FRESH:
            # No ticking seconds while fresh: every status line counting them repainted
            # the whole screen once a second (issue #12, CPU at rest); the age is what
            # matters once the data is stale, and the health screen shows every age.
            return "fresh"
        if kind is Freshness.STALE:
            return f"stale{age_text}"
        if kind is Freshness.LOADING:
            return "loading…"
        if kind is Freshness.PAUSED:
            wait = max(0.0, (self.resume_at or now) - now)
            return f"rate limited, resuming in {wait:.0f}s"
        if kind is Freshness.DISABLED:
            return self.error or "disabled"
        label = {"offline": "offline", "auth": "authentication failed"}.get(kind.value, "error")
        detail = f": {self.error}" if self.error and kind is Freshness.ERROR else ""
        if age is None:
            return f"{label}{detail}"
        # The age first: a narrow pane cuts the line's end, and how old the numbers on
        # screen are matters more than the wording of the error.
        return f"stale data{age_text} · {label}{detail}"


def format_age(seconds: float) -> str:
    """Compact age: 850ms, 12s, 3m, 2h."""
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"
