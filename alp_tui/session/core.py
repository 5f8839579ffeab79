"""The session: one headless core that watches the account, with or without a screen.

See the package docstring (:mod:`alp_tui.session`) for how a UI subscribes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alp_tui.api.enums import ChartInterval
from alp_tui.api.stream import StreamState
from alp_tui.config import Config, save_price_alerts
from alp_tui.feed.poller import Feed, FeedParams, Sleep, TopicSpec, event_sleep
from alp_tui.feed.state import FeedState, Freshness
from alp_tui.feed.stats import EndpointStats, ErrorLog
from alp_tui.feed.stream_feed import StreamFeed, make_stream_feed
from alp_tui.services.journal import Journal
from alp_tui.services.margin_alerts import thresholds_from_config
from alp_tui.services.margin_math import MarginSnapshot
from alp_tui.services.margin_service import MarginService
from alp_tui.services.market import MarketService, MarketSnapshot
from alp_tui.services.reconcile import reconcile
from alp_tui.services.trading import AccountChange, Outcome, TradingService
from alp_tui.session.account import AccountState, band_moved, differs
from alp_tui.session.actions import TraderActions
from alp_tui.session.alert_command import AlertCommand
from alp_tui.session.alerts import AlertEngine, PriceRule
from alp_tui.session.events import (
    AccountSnapshot,
    AlertFired,
    ConnectionChanged,
    FillEvent,
    Notice,
    SessionEvent,
    TopicData,
    TopicStateChanged,
)
from alp_tui.session.stream_fills import StreamFills
from alp_tui.session.topics import default_topics
from alp_tui.session.watch import AFTER_ACTION, FILLS_INTERVAL_S, WATCHED, plan

log = logging.getLogger(__name__)

Listener = Callable[[SessionEvent], None]
ClientFactory = Callable[[], Any]
FILLS_LOOKBACK = timedelta(minutes=5)  # fills just before start are remembered, not told
STREAM_CHECK_S = 1.0
# A snapshot that only moved with prices (net equity, levels) goes out at most this often:
# every pane showing the account redraws for it. Alerts are still checked on every price.
PRICE_ONLY_PUBLISH_S = 5.0
ALERT_LOG_SIZE = 500


class Session(TraderActions):
    """Owns the client, the feed, the services, the account state and the error log.

    Build it, ``await start()``, tell it what is on screen with :meth:`show`, subscribe
    with :meth:`subscribe` (or iterate :meth:`events`), act with the
    :class:`~alp_tui.session.actions.ActionPort` methods (``place_order``, ``cancel``,
    ``borrow``...), ``await aclose()`` at the end.
    """

    def __init__(
        self,
        config: Config,
        client_factory: ClientFactory,
        *,
        has_credentials: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = event_sleep,
        topics: Callable[[Any], list[TopicSpec]] | None = None,
        stream: bool = False,
        journal_path: Path | str | None = None,
        trading: bool = True,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self.has_credentials = has_credentials
        self._client_factory = client_factory
        self.clock = clock
        self._sleep = sleep
        self._topics = topics
        self._stream_enabled = stream
        self._journal_path = journal_path
        self._want_trading = trading
        self.client: Any = None
        self.feed: Feed | None = None
        self.stream_feed: StreamFeed | None = None
        self.stream_fills: StreamFills | None = None
        self.stats = EndpointStats(clock)
        self.errors = ErrorLog()
        self.market = MarketService(config.dashboard.pair, config.dashboard.watchlist)
        self.interval = ChartInterval(config.dashboard.chart_interval)
        self.thresholds = thresholds_from_config(config)
        self.account = AccountState(self.thresholds)
        self.account.pair = self.market.selected
        self.config_path = config_path
        self.alerts = AlertEngine(config.alerts, self.thresholds)
        self.alert_command = AlertCommand(config.alerts.command, errors=self.errors,
                                          timeout_s=config.alerts.command_timeout_s)
        self.alert_log: deque[AlertFired] = deque(maxlen=ALERT_LOG_SIZE)
        self.trading: TradingService | None = None
        self.margin: MarginService | None = None
        self.topic_states: dict[str, FeedState] = {}
        self.shown: frozenset[str] = frozenset()
        self._listeners: list[Listener] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._stack = contextlib.AsyncExitStack()
        self.started = False
        self._price_published_at = float("-inf")

    # --- subscribing --------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event from now on; returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    async def events(self) -> AsyncIterator[SessionEvent]:
        """The events as an async iterator (for a consumer task rather than callbacks)."""
        queue: asyncio.Queue[SessionEvent] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    def publish(self, event: SessionEvent) -> None:
        """Hand ``event`` to every listener (one failing listener never stops the rest)."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:
                log.exception("session listener failed")
                self.errors.add("session", "listener", f"{type(exc).__name__}: {exc}")

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Open the client, build the services and start polling (and streaming)."""
        self.client = await self._stack.enter_async_context(self._client_factory())
        if notice := getattr(self.client, "token_cache_notice", None):  # moved aside
            self.publish(Notice(notice, "warning"))
        if hasattr(self.client, "add_observer"):
            self.client.add_observer(self.stats.observe)
        self._start_services()
        specs = self._specs()
        self.stream_feed = make_stream_feed(
            self.client, has_credentials=self.has_credentials, enabled=self._stream_enabled,
            on_update=self._on_update,
            on_badge=lambda badge: self.publish(ConnectionChanged(badge.value)),
        )
        if self.stream_feed is not None:
            specs = self.stream_feed.wrap(specs)
        self.feed = Feed(
            specs, on_update=self._on_update, on_state=self._on_state,
            params=FeedParams(pair=self.market.selected, interval=self.interval.value),
            clock=self.clock, sleep=self._sleep, errors=self.errors,
            has_credentials=self.has_credentials,
        )
        for name, poller in self.feed.pollers.items():
            state = poller.state
            if state.kind is Freshness.DISABLED:  # private topics without keys
                state = state.failed(Freshness.DISABLED, "no API key")
            self._on_state(name, state)
        self._apply_plan()
        for name, poller in self.feed.pollers.items():
            self._spawn(poller.run(), f"feed:{name}")
        if self.trading is not None:
            self._spawn(self._reconcile(), "trading:reconcile")
        if self.stream_feed is not None:
            self._stack.push_async_callback(self.stream_feed.aclose)  # before the client
            await self.stream_feed.start()
            if self.has_credentials:
                self.stream_fills = StreamFills(
                    self.stream_feed.stream, on_trades=self._stream_trades,
                    refresh=lambda: self._refresh("fills"), clock=self.clock)
                self._stack.callback(self.stream_fills.close)
                self._spawn(self._watch_stream(), "alerts:stream")
        self.started = True

    async def stop_polling(self) -> None:
        """Stop every poller (the client stays open): e.g. to freeze a screen for a test."""
        feeds = [t for t in self._tasks if t.get_name().startswith("feed:")]
        await _cancel_all(feeds)
        self._tasks = [t for t in self._tasks if t not in feeds]

    async def aclose(self) -> None:
        """Stop every task and close the stream, the journal and the client."""
        await _cancel_all(self._tasks)
        self._tasks.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.alert_command.drain(), 2.0)
        await self._stack.aclose()

    async def __aenter__(self) -> Session:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.append(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.errors.add(task.get_name(), "crash", f"{exc!r}")

    def _start_services(self) -> None:
        if not (self.has_credentials and self._want_trading):
            return
        try:
            journal = Journal(self._journal_path)
        except OSError as exc:
            self.publish(Notice(f"The trading journal cannot be opened "
                                f"({exc.strerror or exc}); trading is off.", "error"))
            return
        self._stack.callback(journal.close)
        if journal.notice:  # moved aside or in memory: said once, trading goes on
            self.publish(Notice(journal.notice, "warning"))
        self.trading = TradingService(self.client, journal)
        self.trading.add_listener(self._own_change)
        self.margin = MarginService(self.client, journal=journal)

    async def _reconcile(self) -> None:
        if self.trading is None:
            return
        reports = await reconcile(self.trading)
        for report in reports:
            severity = "warning" if report.outcome is Outcome.UNKNOWN else "information"
            self.publish(Notice(report.message, severity,
                                "Unanswered action from last session"))
        if reports:
            self.after_action()

    def _specs(self) -> list[TopicSpec]:
        if self._topics is not None:
            return self._topics(self.client)
        specs = default_topics(self.client, self.config.polling)
        for spec in specs:
            if spec.name == "margin":
                spec.fetch = self._fetch_margin
        if self.has_credentials and hasattr(self.client, "account_trades"):
            specs.append(TopicSpec("fills", self._fetch_fills, FILLS_INTERVAL_S, private=True))
        return specs

    async def _fetch_margin(self, params: FeedParams) -> Any:
        """Loans alone once balances and prices are known (they come by their own topics,
        often streamed); the full reading until then."""
        self.account.asking_loans()
        if "balances" in self.account.known and self.account.tickers:
            cross, isolated = await asyncio.gather(
                self.client.loans(cross_margin=True), self.client.loans(isolated_margin=True))
            seen: dict[int, Any] = {}
            for loan in [*cross, *isolated]:
                seen.setdefault(loan.id, loan)
            loans = tuple(seen.values())
            if {(x.id, x.borrowed) for x in loans} == {
                    (x.id, x.borrowed) for x in self.account.loans}:
                return loans
            # A loan came or moved: its wallet's balances moved with it (an auto-borrow
            # buy). Read them in the same answer, or the level mixes new debt with old
            # assets for a moment (a false "near liquidation").
            return MarginSnapshot(loans, tuple(await self.client.balances()),
                                  tuple(self.account.tickers.values()))
        from alp_tui.services.margin_service import fetch_margin_snapshot

        return await fetch_margin_snapshot(self.client)

    async def _fetch_fills(self, params: FeedParams) -> Any:
        since = datetime.now(UTC) - FILLS_LOOKBACK
        return await self.client.account_trades(start_time=since)

    # --- what the UI asks ---------------------------------------------------------------
    def show(self, topics: set[str] | frozenset[str]) -> None:
        """The topics now on screen: shown topics are polled only then, watched topics
        always (at their shown interval while on screen, slower while hidden)."""
        self.shown = frozenset(topics)
        self._apply_plan()

    def _apply_plan(self) -> None:
        if self.feed is None:
            return
        wanted = plan(self.feed.pollers, self.shown, self.config.polling)
        for name, poller in self.feed.pollers.items():
            interval = wanted.intervals.get(name)
            if interval is not None and interval != poller.spec.interval_s:
                if interval < poller.spec.interval_s:
                    poller.set_interval(interval)  # shown: refresh now, then more often
                else:
                    # hidden: slower from the next poll on, no extra request now
                    poller.spec.interval_s = interval
            poller.set_active(name in wanted.active)

    def set_params(self, **changes: Any) -> FeedParams | None:
        """Change pair / interval / grouped of the pair-scoped topics."""
        if "pair" in changes:
            self.market.selected = changes["pair"]
            self.account.pair = changes["pair"]
            self._account_changed()
        if "interval" in changes:
            self.interval = ChartInterval(changes["interval"])
        if self.feed is None:
            return None
        return self.feed.set_params(**changes)

    def after_action(self) -> None:
        """The user did something (order, cancel, margin action): re-read the account now."""
        if self.feed is None:
            return
        for topic in AFTER_ACTION:
            poller = self.feed.pollers.get(topic)
            if poller is not None and poller.active:  # history only while shown
                poller.refresh_now()

    def refresh_now(self) -> None:
        """Every active topic refreshes now (F5)."""
        if self.feed is not None:
            self.feed.refresh_now()

    def retry_auth(self) -> None:
        """Resume private polling after an authentication stop."""
        if self.feed is not None:
            self.feed.retry_auth()

    def badge(self) -> str | None:
        """The stream's badge, or None without a stream."""
        return self.stream_feed.badge().value if self.stream_feed is not None else None

    # --- feed → state → listeners -------------------------------------------------------
    def _on_state(self, topic: str, state: FeedState) -> None:
        if state.kind is Freshness.DISABLED and not state.error:
            state = state.failed(Freshness.DISABLED, "no API key")
        self.topic_states[topic] = state
        self.publish(TopicStateChanged(topic, state))

    def _on_update(self, topic: str, params: Any, data: Any) -> None:
        try:
            self._take(topic, params, data)
        except Exception as exc:  # odd data must not stop the feed
            log.exception("session: %s update failed", topic)
            self.errors.add(topic, "session", f"{type(exc).__name__}: {exc}")

    def _take(self, topic: str, params: Any, data: Any) -> None:
        account = self.account
        if topic == "tickers" and isinstance(data, MarketSnapshot):
            self.market.apply(data)
            account.set_tickers(data.tickers)
            self.publish(TopicData(topic, params, data))
            self._raise(self.alerts.check_prices(self.market.tickers, self.market.pairs))
            if account.known:
                self._account_changed(quiet=True)
            return
        if topic == "fills":
            self._tell_fills(account.new_fills(list(data or ())))
            return
        if topic == "balances" and isinstance(data, list | tuple):
            if account.set_balances(data):
                self._refresh("margin")  # a borrow, repay or transfer? its loans, now
        elif topic == "orders" and isinstance(data, list | tuple):
            moved = account.set_open_orders(data, self.clock())
            if moved and not (self.stream_fills and self.stream_fills.expect(moved)):
                self._refresh("fills")  # no stream to tell them: ask now
        elif topic == "margin":
            if isinstance(data, MarginSnapshot):
                account.set_margin(data)
            elif isinstance(data, list | tuple):
                account.set_loans(data)
            snap = account.margin_snapshot()
            if snap is not None:
                if self.margin is not None:
                    self.margin.snapshot = snap
                data = snap
        self.publish(TopicData(topic, params, data))
        if topic in WATCHED:
            self._account_changed()

    def _own_change(self, change: AccountChange) -> None:
        """The trading service placed or removed orders for the user: the account shows
        it now (the re-read after the action confirms)."""
        if not (change.orders or change.gone_ids):
            return
        self.account.apply_change(change, self.clock())
        params = self.feed.params if self.feed is not None else FeedParams()
        self.publish(TopicData("orders", params, self.account.open_orders))
        self._account_changed()

    def _stream_trades(self, trades: list[Any], still_open: Any) -> None:
        try:
            self._tell_fills(self.account.stream_fills(trades, still_open))
        except Exception as exc:  # odd data must not stop the stream
            log.exception("session: stream fills failed")
            self.errors.add("fills", "session", f"{type(exc).__name__}: {exc}")

    def _tell_fills(self, fills: list[FillEvent]) -> None:
        for fill in fills:
            self.publish(fill)
            self._raise(self.alerts.check_fill(fill))

    def _refresh(self, topic: str) -> None:
        if self.feed is not None and topic in self.feed.pollers:
            self.feed.pollers[topic].refresh_now()

    def _account_changed(self, *, quiet: bool = False) -> AccountSnapshot:
        """Rebuild the account snapshot and publish it (``quiet``: only if it changed)."""
        old = self.account.snapshot
        new = self.account.build()
        now = self.clock()
        if not quiet or band_moved(old, new) or (
                differs(old, new) and now - self._price_published_at >= PRICE_ONLY_PUBLISH_S):
            self._price_published_at = now
            self.publish(new)
        self._raise(self.alerts.check_account(new))
        return new

    # --- alerts -------------------------------------------------------------------------
    def _raise(self, alerts: list[AlertFired]) -> None:
        for alert in alerts:
            log.warning("alert (%s): %s", alert.kind.value, alert.text)
            self.alert_log.append(alert)
            self.publish(alert)
            self.alert_command.fire(alert)

    async def _watch_stream(self) -> None:
        """Once a second: is the private stream delivering? (the ``stream`` alert)."""
        while True:
            await asyncio.sleep(STREAM_CHECK_S)
            self.check_stream()

    def check_stream(self) -> None:
        """Raise the stream alert when the private stream has been lost too long while
        orders are open (called every second while a stream runs)."""
        feed = self.stream_feed
        delivering = None
        if feed is not None and self.has_credentials:
            delivering = (feed.stream.state is StreamState.CONNECTED
                          and feed.stream.authenticated)
        self._raise(self.alerts.check_stream(delivering, bool(self.account.open_orders),
                                             self.clock()))

    async def add_price_alert(self, rule: PriceRule) -> bool:
        """Add a price alert and save the list to the config file (if any); False when
        the same alert exists. It fires at once if the price is already past it."""
        if not self.alerts.add_rule(rule):
            return False
        await self._save_alerts()
        self._raise(self.alerts.check_prices(self.market.tickers, self.market.pairs))
        return True

    async def remove_price_alert(self, rule: PriceRule) -> bool:
        """Remove a price alert and save the list; False when there was none."""
        if not self.alerts.remove_rule(rule):
            return False
        await self._save_alerts()
        return True

    async def _save_alerts(self) -> None:
        if self.config_path is None:
            return
        rules = [r.to_config() for r in self.alerts.rules]
        try:
            await asyncio.to_thread(save_price_alerts, self.config_path, rules)
        except Exception as exc:
            self.errors.add("alerts", "save", f"Could not save the price alerts: {exc}")
            self.publish(Notice(f"Could not save the price alerts: {exc}", "error"))


async def _cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait for them; a task that swallowed a cancel (code awaiting
    Python 3.11's ``wait_for`` can) is cancelled again until done."""
    pending = [t for t in tasks if not t.done()]
    while pending:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)
        pending = [t for t in pending if not t.done()]
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            task.result()
