"""Per-endpoint request statistics and the recent-error log, for the health and log views.

Plain Python, no textual: the client's observer feeds :class:`EndpointStats`; the pollers
feed :class:`ErrorLog`.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

WINDOW_S = 60.0


def _field(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


@dataclass(slots=True)
class EndpointStat:
    """What is known about one endpoint (``GET /ticker``)."""

    endpoint: str
    last_latency_s: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    errors: int = 0
    total: int = 0
    recent: deque[float] = field(default_factory=deque)

    def requests_last_minute(self, now: float) -> int:
        """Requests sent in the last 60 s."""
        while self.recent and self.recent[0] < now - WINDOW_S:
            self.recent.popleft()
        return len(self.recent)


class EndpointStats:
    """Collects client observer records: ``stats.observe`` is the observer callback."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stats: dict[str, EndpointStat] = {}

    def observe(self, record: Any) -> None:
        """Account for one finished request (record: endpoint/path, method, status,
        latency_s, error)."""
        path = _field(record, "endpoint") or _field(record, "path") or "?"
        method = _field(record, "method") or ""
        key = f"{method} {path}".strip()
        stat = self._stats.get(key)
        if stat is None:
            stat = self._stats[key] = EndpointStat(key)
        now = self._clock()
        stat.total += 1
        stat.recent.append(now)
        stat.requests_last_minute(now)
        latency = _field(record, "latency_s")
        if latency is not None:
            stat.last_latency_s = float(latency)
        stat.last_status = _field(record, "status")
        error = _field(record, "error") or _field(record, "error_class")
        if error:
            stat.errors += 1
            stat.last_error = str(error)

    def snapshot(self) -> list[EndpointStat]:
        """Every endpoint seen, sorted by name."""
        now = self._clock()
        for stat in self._stats.values():
            stat.requests_last_minute(now)
        return [self._stats[k] for k in sorted(self._stats)]

    def now(self) -> float:
        """The clock these stats use."""
        return self._clock()


@dataclass(frozen=True, slots=True)
class LoggedError:
    """One error the feed met; ``count`` times so far, the last at ``at``."""

    at: float  # wall-clock seconds (time.time()) of the latest occurrence
    topic: str
    kind: str
    message: str
    count: int = 1
    first_at: float | None = None  # wall-clock seconds of the first occurrence

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two errors "the same": topic, kind and the message with its numbers
        blanked (``retry in 2 s`` and ``retry in 3 s`` are one error)."""
        return (self.topic, self.kind, _DIGITS.sub("#", self.message))


_DIGITS = re.compile(r"\d+")


class ErrorLog:
    """The most recent errors (a bounded ring); listeners hear of each new one.

    An error that repeats is kept once, with its count and the time it last happened
    (moved to the end as the newest): a poller retrying a sick endpoint every second
    shows one line, not sixty a minute. Listeners hear of the first occurrence only.
    """

    def __init__(self, maxlen: int = 200, wall: Callable[[], float] = time.time) -> None:
        self._items: deque[LoggedError] = deque(maxlen=maxlen)
        self._wall = wall
        self._listeners: list[Callable[[LoggedError], None]] = []
        self.version = 0  # bumps on every add, repeats included (for views to redraw)

    def add(self, topic: str, kind: str, message: str) -> LoggedError:
        """Record an error (or count a repeat) and tell the listeners of new ones."""
        now = self._wall()
        item = LoggedError(now, topic, kind, message, first_at=now)
        self.version += 1
        for old in self._items:
            if old.key == item.key:
                self._items.remove(old)
                item = replace(item, count=old.count + 1, first_at=old.first_at)
                self._items.append(item)
                return item
        self._items.append(item)
        for listener in list(self._listeners):
            listener(item)
        return item

    def add_listener(self, listener: Callable[[LoggedError], None]) -> None:
        """Call ``listener`` with each new error."""
        self._listeners.append(listener)

    def items(self) -> list[LoggedError]:
        """Oldest first."""
        return list(self._items)

    def total(self) -> int:
        """Errors met, repeats included."""
        return sum(item.count for item in self._items)

    def __len__(self) -> int:
        return len(self._items)
