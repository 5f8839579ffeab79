"""The polling scheduler: one loop per topic, backoff, scoped rate-limit pauses, auth stop.

No textual here. Time comes from an injected ``clock`` and waits go through an injected
``sleep(delay, wake)`` so tests drive the schedule without real time. The UI runs each
:meth:`TopicPoller.run` in its own worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from alp_tui.api.errors import (
    AuthError,
    NetworkError,
    RateLimitedError,
    RequestTimeoutError,
)
from alp_tui.feed.state import FeedState, Freshness
from alp_tui.feed.stats import ErrorLog

Clock = Callable[[], float]
Sleep = Callable[[float, asyncio.Event], Awaitable[None]]

MAX_BACKOFF_S = 60.0
DEFAULT_RATE_PAUSE_S = 10.0
# Two distinct endpoints answering 429 within 10 s pause every poller (see Gate).
RATE_ESCALATE_WINDOW_S = 10.0
RATE_ESCALATE_ENDPOINTS = 2
AUTH_FAILURES_TO_STOP = 2


async def event_sleep(delay: float, wake: asyncio.Event) -> None:
    """Wait ``delay`` seconds or until ``wake`` is set, whichever comes first."""
    if delay <= 0:
        await asyncio.sleep(0)
        return
    # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that comes
    # in the step where ``wake`` fires (a poller woken by an action just before a quit
    # then never stopped).
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(delay):
            await wake.wait()


def backoff_delay(interval_s: float, failures: int, rng: Callable[[], float]) -> float:
    """Delay after ``failures`` consecutive failures: exponential, capped, half jittered."""
    base = min(MAX_BACKOFF_S, max(1.0, interval_s) * (2 ** min(failures, 8)))
    return base / 2 + rng() * base / 2


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A fetch's answer given from memory (e.g. the stream's), not fetched just now: the
    data was last confirmed ``age_s`` seconds ago, and the pane's age says so."""

    data: Any
    age_s: float


@dataclass(frozen=True, slots=True)
class FeedParams:
    """What pair-scoped topics are about: pair, chart interval, book grouping."""

    pair: str = ""
    interval: int = 60
    # Grouped by price by default: the book a trader reads, and the one the stream serves
    # live (an ungrouped book, one row per order, is polled every second: issue #12).
    grouped: bool = True


@dataclass(slots=True)
class TopicSpec:
    """One data source: how to fetch it and how often.

    ``fetch(params)`` does the requests of one refresh (concurrently, e.g. with
    ``asyncio.gather``); ``depends_on`` names the :class:`FeedParams` fields whose change
    makes data stale at once (the old answer is dropped, a new request starts).
    """

    name: str
    fetch: Callable[[FeedParams], Awaitable[Any]]
    interval_s: float
    private: bool = False
    depends_on: frozenset[str] = field(default_factory=frozenset)


class Gate:
    """What all pollers share: rate-limit pauses and the private-auth stop.

    A 429 pauses the topic whose request got it. Only when ``RATE_ESCALATE_ENDPOINTS``
    distinct endpoints answer 429 within ``RATE_ESCALATE_WINDOW_S`` does every poller
    pause (the server is then limiting the whole account, not one route): once, when the
    second endpoint's 429 arrives, for its Retry-After.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.paused_until: float = 0.0  # every poller
        self.topic_paused_until: dict[str, float] = {}
        self._last_429: dict[str, float] = {}  # endpoint -> when it last answered 429
        self.rate_limits: int = 0
        self.auth_failures: int = 0
        self.auth_blocked: bool = False
        self.auth_resumed = asyncio.Event()
        self.wakers: list[asyncio.Event] = []

    def pause(self, seconds: float, topic: str | None = None,
              endpoint: str | None = None, everyone_s: float | None = None) -> float:
        """Pause ``topic`` (every poller when None) ``seconds`` from now; returns when the
        pause that topic waits for ends. ``everyone_s`` (default ``seconds``) is how long
        every poller pauses if this 429 escalates: the server's Retry-After, never the
        sick topic's own backoff, so one endpoint's long backoff never stops the rest."""
        self.rate_limits += 1
        now = self.clock()
        until = now + seconds
        if topic is None:
            self.paused_until = max(self.paused_until, until)
            return self.paused_until
        self.topic_paused_until[topic] = max(self.topic_paused_until.get(topic, 0.0), until)
        key = endpoint or topic
        # Only an endpoint new to the window escalates: a sick endpoint's repeats after one
        # stray 429 elsewhere would otherwise pause everyone again and again for 10 s.
        new = now - self._last_429.get(key, -RATE_ESCALATE_WINDOW_S - 1) > RATE_ESCALATE_WINDOW_S
        self._last_429[key] = now
        recent = {e for e, at in self._last_429.items() if now - at <= RATE_ESCALATE_WINDOW_S}
        if new and len(recent) >= RATE_ESCALATE_ENDPOINTS:
            everyone = now + (seconds if everyone_s is None else min(seconds, everyone_s))
            self.paused_until = max(self.paused_until, everyone)
        return self.resume_at(topic)

    def resume_at(self, topic: str | None = None) -> float:
        """Monotonic time the pause ``topic`` waits for ends (in the past when none)."""
        own = self.topic_paused_until.get(topic, 0.0) if topic is not None else 0.0
        return max(self.paused_until, own)

    def pause_left(self, topic: str | None = None) -> float:
        """Seconds of rate-limit pause ``topic`` must still wait (0 when none)."""
        return max(0.0, self.resume_at(topic) - self.clock())

    def paused_topics(self) -> dict[str, float]:
        """Topics under their own 429 pause, with when it ends; ``{"*": t}`` while every
        poller is paused."""
        now = self.clock()
        out = {t: u for t, u in sorted(self.topic_paused_until.items()) if u > now}
        if self.paused_until > now:
            out["*"] = self.paused_until
        return out

    def auth_failed(self) -> bool:
        """Count a private 401; True once polling private data must stop."""
        self.auth_failures += 1
        if self.auth_failures >= AUTH_FAILURES_TO_STOP:
            self.auth_blocked = True
            self.auth_resumed.clear()
        return self.auth_blocked

    def auth_ok(self) -> None:
        """A private request succeeded: forget earlier 401s."""
        self.auth_failures = 0

    def resume_auth(self) -> None:
        """The user acted (new keys, retry): private polling may try again."""
        self.auth_failures = 0
        self.auth_blocked = False
        self.auth_resumed.set()
        for wake in self.wakers:
            wake.set()


UpdateFn = Callable[[str, FeedParams, Any], None]
StateFn = Callable[[str, FeedState], None]


class TopicPoller:
    """Polls one topic: never two requests in flight; stale answers dropped."""

    def __init__(
        self,
        spec: TopicSpec,
        gate: Gate,
        *,
        on_update: UpdateFn,
        on_state: StateFn,
        errors: ErrorLog | None = None,
        sleep: Sleep = event_sleep,
        rng: Callable[[], float] = random.random,
        params: FeedParams | None = None,
        active: bool = True,
        enabled: bool = True,
    ) -> None:
        self.spec = spec
        self.gate = gate
        self.on_update = on_update
        self.on_state = on_state
        self.errors = errors
        self._sleep = sleep
        self._rng = rng
        self.params = params or FeedParams()
        self.active = active
        self.enabled = enabled
        self.generation = 0
        self.failures = 0
        self.rate_strikes = 0  # consecutive 429s of this topic
        self.requests = 0
        self.dropped = 0
        self.last_latency_s: float | None = None
        self.next_at: float | None = None
        self.in_flight = False
        self._task: asyncio.Task[Any] | None = None
        self._wake = asyncio.Event()
        self._restart = False
        gate.wakers.append(self._wake)
        self.state = FeedState(interval_s=spec.interval_s)
        if not enabled:
            self.state = self.state.failed(Freshness.DISABLED, "disabled")

    @property
    def name(self) -> str:
        """The topic name."""
        return self.spec.name

    def _clock(self) -> float:
        return self.gate.clock()

    def _set_state(self, state: FeedState) -> None:
        self.state = state
        self.on_state(self.name, state)

    # --- control, called from the UI side ---------------------------------------------
    def set_params(self, params: FeedParams) -> None:
        """New pair/interval/grouping: if this topic depends on a changed field, cancel the
        request in flight, forget the old data and refresh now."""
        old, self.params = self.params, params
        changed = {
            name for name in ("pair", "interval", "grouped")
            if getattr(old, name) != getattr(params, name)
        }
        if changed & self.spec.depends_on:
            self.generation += 1
            if self._task is not None and not self._task.done():
                self._restart = True
                self._task.cancel()
            self.failures = 0
            if self.enabled:
                self._set_state(FeedState(interval_s=self.spec.interval_s))
            self._wake.set()

    def set_active(self, active: bool) -> None:
        """Hidden topics are not polled; showing one refreshes it at once if due."""
        if active == self.active:
            return
        self.active = active
        if active:
            self._wake.set()

    def set_interval(self, interval_s: float) -> None:
        """Change the polling interval."""
        self.spec.interval_s = interval_s
        self.state = FeedState(
            self.state.kind, self.state.updated_at, interval_s, self.state.error,
            self.state.resume_at,
        )
        self._wake.set()

    def refresh_now(self) -> None:
        """Skip the wait: poll as soon as allowed."""
        self._wake.set()

    # --- the loop ---------------------------------------------------------------------
    async def _wait_until_allowed(self) -> None:
        while True:
            if not (self.active and self.enabled):
                self._wake.clear()
                await self._sleep(3600.0, self._wake)
                continue
            if self.spec.private and self.gate.auth_blocked:
                if self.state.kind is not Freshness.AUTH:
                    self._set_state(
                        self.state.failed(
                            Freshness.AUTH, "authentication failed; ctrl+r to retry"
                        )
                    )
                self._wake.clear()
                await self._sleep(3600.0, self._wake)
                continue
            left = self.gate.pause_left(self.name)
            if left > 0:
                resume_at = self.gate.resume_at(self.name)
                if self.state.kind is not Freshness.PAUSED or self.state.resume_at != resume_at:
                    self._set_state(
                        self.state.failed(Freshness.PAUSED, "rate limited", resume_at=resume_at)
                    )
                self._wake.clear()
                await self._sleep(left, self._wake)
                continue
            return

    async def poll_once(self) -> float:
        """Do one refresh (if allowed now) and return the delay before the next one."""
        await self._wait_until_allowed()
        generation, params = self.generation, self.params
        started = self._clock()
        self.requests += 1
        self.in_flight = True
        self._task = asyncio.ensure_future(self.spec.fetch(params))
        try:
            data = await self._task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if (current is not None and current.cancelling()) or not self._restart:
                raise
            self._restart = False
            return 0.0
        except Exception as exc:
            return self._failed(exc, generation)
        finally:
            self.in_flight = False
            self._task = None
        self.last_latency_s = self._clock() - started
        if generation != self.generation:
            self.dropped += 1
            return 0.0
        self.failures = 0
        self.rate_strikes = 0
        if self.spec.private:
            self.gate.auth_ok()
        confirmed_at = self._clock()
        if isinstance(data, Confirmed):
            confirmed_at -= max(0.0, data.age_s)
            data = data.data
        self._set_state(self.state.fresh(confirmed_at))
        self.on_update(self.name, params, data)
        return self.spec.interval_s

    def _failed(self, exc: BaseException, generation: int) -> float:
        if generation != self.generation:
            self.dropped += 1
            return 0.0
        self.failures += 1
        message = str(exc) or type(exc).__name__
        if isinstance(exc, RateLimitedError):
            self.rate_strikes += 1
            asked = exc.retry_after
            if asked is None or asked <= 0:
                asked = DEFAULT_RATE_PAUSE_S
            wait = asked
            if self.rate_strikes > 1:
                # 429s repeat: back off beyond Retry-After, exponentially and jittered, so
                # a sick endpoint is asked less and less often.
                wait = max(wait, backoff_delay(wait, self.rate_strikes - 1, self._rng))
            resume_at = self.gate.pause(float(wait), self.name, exc.endpoint, float(asked))
            self._log("rate limited", message)
            self._set_state(self.state.failed(Freshness.PAUSED, message, resume_at=resume_at))
            return 0.0
        if isinstance(exc, AuthError) and self.spec.private:
            self._log("auth", message)
            if self.gate.auth_failed():
                self._set_state(
                    self.state.failed(Freshness.AUTH, "authentication failed; ctrl+r to retry")
                )
                for wake in self.gate.wakers:
                    wake.set()
                return 0.0
            self._set_state(self.state.failed(Freshness.ERROR, message))
            return backoff_delay(self.spec.interval_s, 0, self._rng)
        kind = Freshness.ERROR
        if isinstance(exc, NetworkError) and not isinstance(exc, RequestTimeoutError):
            kind = Freshness.OFFLINE
        self._log(kind.value, message if isinstance(exc, Exception) else repr(exc))
        self._set_state(self.state.failed(kind, message))
        return backoff_delay(self.spec.interval_s, self.failures - 1, self._rng)

    def _log(self, kind: str, message: str) -> None:
        if self.errors is not None:
            self.errors.add(self.name, kind, message)

    async def run(self) -> None:
        """Poll forever (until cancelled)."""
        while True:
            self._wake.clear()
            delay = await self.poll_once()
            self.next_at = self._clock() + delay
            if delay > 0 and not self._wake.is_set():
                await self._sleep(delay, self._wake)
            else:
                await asyncio.sleep(0)


class Feed:
    """All topic pollers of one client, sharing a gate, params and an error log."""

    def __init__(
        self,
        specs: list[TopicSpec],
        *,
        on_update: UpdateFn,
        on_state: StateFn,
        params: FeedParams | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = event_sleep,
        rng: Callable[[], float] = random.random,
        errors: ErrorLog | None = None,
        has_credentials: bool = True,
    ) -> None:
        self.gate = Gate(clock)
        self.errors = errors if errors is not None else ErrorLog()
        self.params = params or FeedParams()
        self.pollers: dict[str, TopicPoller] = {}
        for spec in specs:
            self.pollers[spec.name] = TopicPoller(
                spec,
                self.gate,
                on_update=on_update,
                on_state=on_state,
                errors=self.errors,
                sleep=sleep,
                rng=rng,
                params=self.params,
                enabled=has_credentials or not spec.private,
            )

    @property
    def clock(self) -> Clock:
        """The feed's monotonic clock."""
        return self.gate.clock

    def set_params(self, **changes: Any) -> FeedParams:
        """Change pair / interval / grouped for every poller; returns the new params."""
        params = FeedParams(**{
            "pair": self.params.pair,
            "interval": self.params.interval,
            "grouped": self.params.grouped,
            **changes,
        })
        self.params = params
        for poller in self.pollers.values():
            poller.set_params(params)
        return params

    def set_active_topics(self, active: set[str]) -> None:
        """Poll exactly the topics whose panes are on screen."""
        for name, poller in self.pollers.items():
            poller.set_active(name in active)

    def refresh_now(self) -> None:
        """Every active poller refreshes at once (their requests go out concurrently)."""
        for poller in self.pollers.values():
            poller.refresh_now()

    def retry_auth(self) -> None:
        """Resume private polling after an authentication stop."""
        self.gate.resume_auth()

    def paused_topics(self) -> dict[str, float]:
        """Topics waiting out a 429 (``"*"`` for all), with when each pause ends."""
        return self.gate.paused_topics()
