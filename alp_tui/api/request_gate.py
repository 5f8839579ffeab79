"""Admission of requests and what observers learn about them.

:class:`RequestGate` keeps one client within its rate budget and holds every caller
through the shared pause after a 429; :class:`RequestRecord` is what the API-health view
sees of each HTTP attempt. Nothing here imports textual.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from alp_tui.api.errors import RateLimitedError, RequestError

# --------------------------------------------------------------------------------------
# Rate budget and 429 pause
# --------------------------------------------------------------------------------------


class RequestGate:
    """Admits requests: waits out a 429 pause, then keeps within the rate budget.

    The budget is a sliding window: with ``max_per_s`` = r >= 1 at most ``floor(r)``
    requests start in any ``floor(r)/r`` seconds; with r < 1 one request per ``1/r`` s.
    Slots are reserved synchronously (no await between reading and appending), so
    concurrent callers on one event loop are served first come, first served.

    A 429 pauses only the endpoint that answered it (``"GET /accounts/order"``), so one
    sick endpoint does not starve the others; when ``ESCALATE_ENDPOINTS`` distinct
    endpoints answer 429 within ``ESCALATE_WINDOW_S`` the whole client pauses (the server
    is limiting the account, not one route), once, when an endpoint new to the window
    answers 429: a sick endpoint's repeats after one stray 429 elsewhere don't pause
    everyone again and again. ``pause(..., endpoint=None)`` pauses all.
    """

    DEFAULT_BACKOFF_S = 1.0
    MAX_PAUSE_S = 300.0
    ESCALATE_WINDOW_S = 10.0
    ESCALATE_ENDPOINTS = 2

    def __init__(
        self,
        max_per_s: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if max_per_s is not None and not (max_per_s > 0 and math.isfinite(max_per_s)):
            raise RequestError("max_requests_per_s must be a positive number.")
        self.clock = clock
        self.sleep = sleep
        self.max_per_s = max_per_s
        if max_per_s is None:
            self._count, self._window = 0, 0.0
        elif max_per_s >= 1:
            self._count = int(max_per_s)
            self._window = self._count / max_per_s
        else:
            self._count, self._window = 1, 1.0 / max_per_s
        self._slots: deque[float] = deque(maxlen=max(self._count, 1))
        self._paused_until = 0.0
        self._strikes = 0  # consecutive 429s without Retry-After, for the default backoff
        self._endpoint_until: dict[str, float] = {}
        self._endpoint_strikes: dict[str, int] = {}
        self._last_429: dict[str, float] = {}

    def paused_for(self, endpoint: str | None = None) -> float:
        """Seconds left of the pause ``endpoint`` waits for; without one, of the longest
        pause in force (0 when not paused)."""
        now = self.clock()
        if endpoint is not None:
            until = max(self._paused_until, self._endpoint_until.get(endpoint, 0.0))
        else:
            until = max([self._paused_until, *self._endpoint_until.values()])
        return max(0.0, until - now)

    def paused_endpoints(self) -> dict[str, float]:
        """Endpoints under their own 429 pause, with the seconds left."""
        now = self.clock()
        return {e: u - now for e, u in sorted(self._endpoint_until.items()) if u > now}

    def pause(self, retry_after: float | None, endpoint: str | None = None) -> float:
        """Pause ``endpoint`` (every caller when None, or when several endpoints are
        limited at once); without Retry-After back off 1, 2, 4... s. Returns the pause."""
        strikes = self._strikes if endpoint is None else self._endpoint_strikes.get(endpoint, 0)
        if retry_after is None:
            seconds = min(self.DEFAULT_BACKOFF_S * (2 ** strikes), 60.0)
            strikes += 1
        else:
            seconds = retry_after
        seconds = min(max(seconds, 0.0), self.MAX_PAUSE_S)
        now = self.clock()
        if endpoint is None:
            self._strikes = strikes
            self._paused_until = max(self._paused_until, now + seconds)
            return seconds
        self._endpoint_strikes[endpoint] = strikes
        until = max(self._endpoint_until.get(endpoint, 0.0), now + seconds)
        self._endpoint_until[endpoint] = until
        # Only an endpoint new to the window escalates (see the class docstring).
        window = self.ESCALATE_WINDOW_S
        new = now - self._last_429.get(endpoint, -window - 1) > window
        self._last_429[endpoint] = now
        recent = {e for e, at in self._last_429.items() if now - at <= window}
        if new and len(recent) >= self.ESCALATE_ENDPOINTS:
            self._paused_until = max(self._paused_until, until)
        return seconds

    def succeeded(self, endpoint: str | None = None) -> None:
        """A request got through: reset the default backoff (of ``endpoint``)."""
        self._strikes = 0
        if endpoint is not None:
            self._endpoint_strikes.pop(endpoint, None)
            if self._endpoint_until.get(endpoint, 0.0) <= self.clock():
                self._endpoint_until.pop(endpoint, None)

    HOLD_WRITES_UP_TO_S = 1.0

    def refuse_if_paused(self, what: str) -> None:
        """Raise RateLimitedError when a pause on ``what`` (``"POST /order"``, or all) has
        more than HOLD_WRITES_UP_TO_S to run."""
        wait = max(self._paused_until, self._endpoint_until.get(what, 0.0)) - self.clock()
        if wait > self.HOLD_WRITES_UP_TO_S:
            raise RateLimitedError(
                f"The exchange asked us to slow down; {what} was not sent "
                f"(retry in {math.ceil(wait)} s).",
                retry_after=wait,
            )

    async def acquire(self, *, hold: bool = True, what: str = "the request") -> None:
        """Wait until this request (``what`` names its endpoint) may start.

        ``hold=False`` is for requests that change something (orders, withdrawals): they
        are refused with RateLimitedError rather than held through a pause longer than
        ``HOLD_WRITES_UP_TO_S``, because an order sent a minute after the user confirmed
        it, at another price, is worse than one not sent.
        """
        while (wait := max(self._paused_until, self._endpoint_until.get(what, 0.0))
               - self.clock()) > 0:
            if not hold:
                self.refuse_if_paused(what)
            await self.sleep(wait)
        if not self._count:
            return
        now = self.clock()
        slot = now
        if len(self._slots) == self._count:
            slot = max(now, self._slots[0] + self._window)
        self._slots.append(slot)
        if slot > now:
            await self.sleep(slot - now)


# --------------------------------------------------------------------------------------
# Observability
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP attempt as the API-health view sees it. Never holds a secret.

    ``path`` is the endpoint path without base URL or query (``/accounts/balances``);
    ``status`` is None when no answer came; ``error`` the raised error's class name.
    """

    method: str
    path: str
    status: int | None
    latency_s: float
    error: str | None
    attempt: int = 1
    started_at: float = 0.0  # wall clock (time.time()) when the attempt started

    @property
    def endpoint(self) -> str:
        """Same as ``path`` (the name the brief and the stats use)."""
        return self.path


Observer = Callable[[RequestRecord], None]
