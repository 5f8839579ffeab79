"""An opt-in request budget for the simulator: past it, 429 with Retry-After.

The reference lists 429 without numbers and the live exchange was never seen limiting (nor
sending Retry-After), so the simulator only limits when asked (``rate_limit_per_s``,
``--rate-limit``): one token bucket shared by every request, refilled at the given rate,
holding at most one second's worth (at least one request).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """A token bucket: ``per_s`` requests a second, bursts up to ``max(1, per_s)``."""

    def __init__(self, per_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not per_s > 0:
            raise ValueError("rate_limit_per_s must be positive")
        self.per_s = float(per_s)
        self.capacity = max(1.0, self.per_s)
        self.clock = clock
        self._tokens = self.capacity
        self._at = clock()
        self._lock = threading.Lock()  # the server's thread and tests may both call

    def take(self) -> float | None:
        """Spend one request: None when it may go, else the seconds until one may."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.per_s)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            return (1 - self._tokens) / self.per_s
