"""Soak test: the dashboard, headless, against the simulator with random faults on every
path, while random orders are placed and cancelled through the trading service.

Not collected by pytest (no ``test_`` prefix). Run it by hand::

    .venv/bin/python tests/soak/soak_dashboard.py --minutes 30 --json soak.json

At the end, with faults switched off, it checks:

- the app is alive and no worker crashed;
- every shown pane recovered (fresh again) within 3 of its polling intervals;
- the simulator's ledger holds exactly the orders the app believes it placed: no
  duplicates, none lost (after the start-up reconciliation of unanswered entries);
- RSS growth is bounded (``--rss-limit-mb``);
- no error was left unreported: every failed poll reached the error log, and every trading
  action ended in an outcome with a message (none raised).

With ``--storm-every S`` (default 300) a 429 storm is mixed in: from 60 s into the run,
every S seconds, for ``--storm-s`` seconds (default 60), ``GET /accounts/order`` always
answers 429 with ``Retry-After: 2`` (issue 14's scenario) on top of the random faults. The
order book must keep being fetched meanwhile: at least half its interval's worth of
fetches in every storm (the random faults' own 429s on other paths legitimately pause
everything now and then, by the two-endpoint rule).

Prints the figures (duration, requests, faults injected, orders placed / cancelled,
duplicates, lost, RSS start / end, load average) and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, TimeInForce
from alp_tui.api.request_gate import RequestRecord
from alp_tui.config import Config, ExchangeConfig, PollingConfig
from alp_tui.feed.poller import FeedParams, TopicSpec
from alp_tui.feed.state import Freshness
from alp_tui.services.journal import EntryKind, EntryState, Journal
from alp_tui.services.order_draft import OrderDraft
from alp_tui.services.reconcile import reconcile
from alp_tui.services.trading import Outcome, TradingService
from alp_tui.session.topics import default_topics
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app

PAIR = "BTC_USDT"
POLLING = PollingConfig(tickers=1, orderbook=1, chart=5, trades=1, balances=2, orders=1,
                        history=5, margin=5)


def fault_rules(error_rate: float) -> list[FaultRule]:
    """Random faults on every path: ``error_rate`` split over errors, 1 % malformed, and
    latency spikes (none of these rules is counted: they fire until cleared)."""
    share = error_rate / 6
    rules = [
        FaultRule(kind="status", status=503, probability=share),
        FaultRule(kind="status", status=500, probability=share / 2),
        FaultRule(kind="status", status=502, probability=share / 2),
        FaultRule(kind="drop", probability=share),
        FaultRule(kind="drop_mid", probability=share),
        FaultRule(kind="rate_limit", retry_after=1, probability=share / 2),
        FaultRule(kind="rate_limit", retry_after=1, retry_after_format="http-date",
                  probability=share / 4),
        FaultRule(kind="unauthorized", probability=share / 4),
        FaultRule(kind="latency", latency_s=0.8, probability=0.02),  # spikes
        FaultRule(kind="latency", latency_s=3.0, probability=0.002),  # past the timeout
    ]
    rules += [FaultRule(kind="malformed", variant=v, probability=0.0025)
              for v in ("invalid_json", "empty", "wrong_shape", "wrong_type")]
    return rules


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Figures:
    """What the soak measured."""

    minutes: float = 0.0
    seconds: float = 0.0
    requests: int = 0
    failed_requests: int = 0
    faults_injected: int = 0
    faults_by_kind: dict[str, int] = field(default_factory=dict)
    place_attempts: int = 0
    placed: int = 0
    placed_by_lookup: int = 0
    not_placed: int = 0
    rejected: int = 0
    unknown_then: int = 0
    cancel_attempts: int = 0
    cancelled: int = 0
    reconciled: int = 0
    duplicates: int = 0
    lost: int = 0
    orphans: int = 0
    ledger_orders: int = 0
    believed_orders: int = 0
    failed_polls: int = 0
    logged_feed_errors: int = 0
    raised: int = 0
    crashes: int = 0
    recovery_s: dict[str, float] = field(default_factory=dict)
    recovery_limit_s: dict[str, float] = field(default_factory=dict)
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    storms: int = 0
    storm_seconds: float = 0.0
    storm_429s: int = 0
    storm_book_fetches: list[int] = field(default_factory=list)
    storm_book_expected: list[int] = field(default_factory=list)
    calm_book_fetches: int = 0  # outside the storms, faults on: the baseline under load
    calm_seconds: float = 0.0
    load_start: list[float] = field(default_factory=list)
    load_end: list[float] = field(default_factory=list)
    alive: bool = False
    failures: list[str] = field(default_factory=list)


class FeedCounter:
    """Wraps each topic's fetch to count failed polls (to compare with the error log)."""

    def __init__(self) -> None:
        self.failed: Counter[str] = Counter()

    def wrap(self, specs: list[TopicSpec]) -> list[TopicSpec]:
        for spec in specs:
            spec.fetch = self._counted(spec.name, spec.fetch)
        return specs

    def _counted(self, name: str, fetch: Any) -> Any:
        async def run(params: FeedParams) -> Any:
            try:
                return await fetch(params)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failed[name] += 1
                raise
        return run


async def trade_once(service: TradingService, rng: random.Random, last: Decimal,
                     figures: Figures) -> None:
    """One random action: mostly places, sometimes cancels one of our open orders."""
    try:
        if rng.random() < 0.4:
            try:
                opened = await service.open_orders(PAIR)
            except Exception:
                return  # a failed read (a fault): nothing to cancel this time
            if opened:
                order = rng.choice(opened)
                figures.cancel_attempts += 1
                result = await service.cancel([order.id], pair=PAIR)
                assert result.message
                figures.cancelled += len(result.cancelled_ids)
                return
        side = rng.choice([OrderSide.BID, OrderSide.ASK])
        away = Decimal(str(round(rng.uniform(0.03, 0.10), 4)))
        price = last * (1 - away if side is OrderSide.BID else 1 + away)
        draft = OrderDraft(
            pair=PAIR, side=side, order_type=OrderType.LIMIT, tif=TimeInForce.GTC,
            base_amount=Decimal(rng.randint(1, 50)) / Decimal(10_000),
            limit_price=price.quantize(Decimal("0.01"), rounding=ROUND_DOWN))
        figures.place_attempts += 1
        placed = await service.place(draft)
        assert placed.message
        if placed.outcome is Outcome.DONE:
            figures.placed += 1
            figures.placed_by_lookup += int(placed.by_lookup)
        elif placed.outcome is Outcome.NOT_PLACED:
            figures.not_placed += 1
        elif placed.outcome is Outcome.REJECTED:
            figures.rejected += 1
        else:
            figures.unknown_then += 1
    except Exception as exc:  # a trading flow must never raise: count it as unreported
        figures.raised += 1
        print(f"trading action raised {type(exc).__name__}: {exc}", file=sys.stderr)


def believed_orders(journal: Journal) -> list[int]:
    """Order ids the app believes it placed: every settled place entry's ids."""
    ids: list[int] = []
    for entry in journal.entries():
        if entry.kind in (EntryKind.PLACE, EntryKind.REPLACE) \
                and entry.state is EntryState.DONE and isinstance(entry.response, dict):
            ids += [int(i) for i in entry.response.get("order_ids", [])]
    return ids


@dataclass
class Storm:
    """The 429 storm schedule: GET /accounts/order always 429 (Retry-After 2) for
    ``length_s`` every ``every_s`` seconds, the first at 60 s (``every_s`` 0 = none)."""

    every_s: float = 300.0
    length_s: float = 60.0
    rule: FaultRule | None = None
    since: float = 0.0
    book_before: int = 0

    def step(self, server: SimServer, records: list[RequestRecord], elapsed: float,
             figures: Figures) -> None:
        """Start or end a storm according to the schedule (called from the drive loop)."""
        if self.every_s <= 0 or elapsed < 60:
            return
        inside = (elapsed - 60) % self.every_s < self.length_s
        if inside and self.rule is None:
            self.rule = server.faults.add(FaultRule(
                kind="rate_limit", path="/accounts/order", method="GET", retry_after=2))
            self.since = time.monotonic()
            self.book_before = _book_fetches(records)
        elif not inside and self.rule is not None:
            self.end(server, records, figures)

    def end(self, server: SimServer, records: list[RequestRecord], figures: Figures) -> None:
        """Close the running storm and note its figures."""
        if self.rule is None:
            return
        server.faults.remove(self.rule)
        took = time.monotonic() - self.since
        figures.storms += 1
        figures.storm_seconds += round(took, 1)
        figures.storm_429s += self.rule.fired
        figures.storm_book_fetches.append(_book_fetches(records) - self.book_before)
        figures.storm_book_expected.append(int(took / POLLING.orderbook))
        self.rule = None


def _book_fetches(records: list[RequestRecord]) -> int:
    return sum(1 for r in records if r.path in ("/orderbook", "/order_book"))


async def soak(minutes: float, seed: int, error_rate: float, rss_limit_mb: float,
               workdir: Path, storm: Storm | None = None) -> Figures:
    """Run the soak; returns the figures (``failures`` lists the checks that failed)."""
    figures = Figures(minutes=minutes, load_start=list(os.getloadavg()))
    storm = storm or Storm()
    rng = random.Random(seed)
    server = SimServer(seed=seed, fault_seed=seed, market_life=True, tick_s=1.0,
                       state_path=str(workdir / "sim.db"))
    server.start()
    records: list[RequestRecord] = []
    counter = FeedCounter()
    logged: Counter[str] = Counter()
    config = Config(polling=POLLING, exchange=ExchangeConfig(timeout_s=2.0))

    def factory() -> AlpClient:
        client = AlpClient(server.base_url, server.api_key, server.api_secret, 2.0)
        client.add_observer(records.append)
        return client

    app = create_app(config, client_factory=factory, api_key=server.api_key,
                     api_secret=server.api_secret, mode="demo",
                     topics=lambda c: counter.wrap(default_topics(c, config.polling)))
    journal = Journal(workdir / "journal.sqlite3")
    started = time.monotonic()
    try:
        await _drive(app, server, journal, records, counter, logged, figures, rng, minutes,
                     error_rate, storm, started)
    except Exception as exc:  # the app died (during the run or at shutdown): say so
        figures.failures.append(f"the app raised {type(exc).__name__}: {exc}")
    finally:
        figures.seconds = round(time.monotonic() - started, 1)
        figures.requests = len(records)
        figures.failed_requests = len([r for r in records if r.error])
        ledger = server.exchange.orders(server.account_id) if server.account_id else []
        server.stop()
    believed = believed_orders(journal)
    ledger_ids = [int(o["id"]) for o in ledger]
    coids = Counter(o.get("client_order_id") for o in ledger)
    figures.ledger_orders = len(ledger_ids)
    figures.believed_orders = len(believed)
    figures.duplicates = sum(n - 1 for c, n in coids.items() if c and n > 1) + (
        len(believed) - len(set(believed)))
    figures.lost = len(set(believed) - set(ledger_ids))
    figures.orphans = len(set(ledger_ids) - set(believed))
    still_open = [e for e in journal.entries() if e.is_open]
    _check(figures, rss_limit_mb, len(still_open))
    return figures


async def _drive(app: Any, server: SimServer, journal: Journal, records: list[RequestRecord],
                 counter: FeedCounter, logged: Counter[str], figures: Figures,
                 rng: random.Random, minutes: float, error_rate: float, storm: Storm,
                 started: float) -> None:
    """Run the app headless through the soak and its end checks (figures filled in)."""
    async with app.run_test(headless=True, size=(160, 48)) as pilot:
        # Every add counts, repeats included: the log keeps a repeating error once with its
        # count, and its listeners hear of the first occurrence only.
        add = app.errors.add

        def counted_add(topic: str, kind: str, message: str) -> Any:
            logged.update([topic])
            return add(topic, kind, message)

        app.errors.add = counted_add  # type: ignore[method-assign]
        service = TradingService(app.client, journal)
        for _ in range(300):
            if all(app.topic_states.get(t) is not None
                   and app.topic_states[t].kind is Freshness.FRESH
                   for t in ("tickers", "orderbook", "balances")):
                break
            await pilot.pause(0.1)
        figures.rss_start_mb = rss_mb()
        rules = [server.faults.add(rule) for rule in fault_rules(error_rate)]
        faults_on, book_on = time.monotonic(), _book_fetches(records)
        deadline = started + minutes * 60
        while time.monotonic() < deadline:
            storm.step(server, records, time.monotonic() - started, figures)
            ticker = server.exchange.ticker(PAIR)
            await trade_once(service, rng, Decimal(str(ticker["last"])), figures)
            await asyncio.sleep(rng.uniform(0.5, 2.0))
        # the last fault: everything clean from here on
        storm.end(server, records, figures)
        server.faults.clear()
        cleared = time.monotonic()
        figures.calm_seconds = round(cleared - faults_on - figures.storm_seconds, 1)
        figures.calm_book_fetches = (_book_fetches(records) - book_on
                                     - sum(figures.storm_book_fetches))
        figures.faults_injected = sum(r.fired for r in rules)
        by_kind: Counter[str] = Counter()
        for r in rules:
            by_kind[r.kind if r.kind != "status" else f"status {r.status}"] += r.fired
        figures.faults_by_kind = dict(by_kind)
        assert app.feed is not None
        shown = [n for n, p in app.feed.pollers.items() if p.active and p.enabled]
        recovered: dict[str, float] = {}
        for _ in range(1200):
            now = time.monotonic()
            for name in shown:
                state = app.topic_states.get(name)
                if name not in recovered and state is not None \
                        and state.kind is Freshness.FRESH and state.updated_at \
                        and state.updated_at >= cleared:
                    recovered[name] = now - cleared
            if len(recovered) == len(shown):
                break
            await pilot.pause(0.05)
        figures.recovery_s = {k: round(v, 2) for k, v in recovered.items()}
        figures.recovery_limit_s = {n: 3 * app.feed.pollers[n].spec.interval_s
                                    for n in shown}
        # the next start's reconciliation, on the same journal and client
        reports = await reconcile(service)
        figures.reconciled = len(reports)
        figures.alive = app.is_running
        figures.crashes = len([e for e in app.errors.items()
                               if e.kind in ("crash", "render")])
        figures.failed_polls = sum(counter.failed.values())
        figures.logged_feed_errors = sum(logged[t] for t in counter.failed) + sum(
            logged[t] for t in shown if t not in counter.failed)
        figures.rss_end_mb = rss_mb()
        figures.load_end = list(os.getloadavg())
        print(json.dumps(asdict(figures), sort_keys=True), file=sys.stderr, flush=True)


def _check(f: Figures, rss_limit_mb: float, unsettled: int) -> None:
    if not f.alive:
        f.failures.append("the app is not running")
    if f.crashes:
        f.failures.append(f"{f.crashes} worker crash / render errors")
    slow = {n: s for n, s in f.recovery_s.items() if s > f.recovery_limit_s.get(n, 0)}
    missing = set(f.recovery_limit_s) - set(f.recovery_s)
    if slow or missing:
        f.failures.append(f"panes slow to recover: {slow}, never: {sorted(missing)}")
    if f.duplicates or f.lost or f.orphans:
        f.failures.append(f"ledger mismatch: {f.duplicates} duplicates, {f.lost} lost, "
                          f"{f.orphans} orphans")
    if unsettled:
        f.failures.append(f"{unsettled} journal entries still unsettled after reconcile")
    if f.rss_end_mb - f.rss_start_mb > rss_limit_mb:
        f.failures.append(f"RSS grew {f.rss_end_mb - f.rss_start_mb:.1f} MiB")
    if f.raised:
        f.failures.append(f"{f.raised} trading actions raised instead of reporting")
    starved = [(got, want) for got, want in zip(f.storm_book_fetches, f.storm_book_expected,
                                                strict=True) if got < want / 2]
    if starved:
        f.failures.append(f"order book starved during a 429 storm (fetches, interval's "
                          f"worth): {starved}")
    if f.logged_feed_errors < f.failed_polls:
        f.failures.append(f"{f.failed_polls - f.logged_feed_errors} failed polls not logged")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--error-rate", type=float, default=0.08,
                        help="share of requests answered with an error (0.05-0.10)")
    parser.add_argument("--rss-limit-mb", type=float, default=150.0)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--storm-every", type=float, default=300.0,
                        help="seconds between 429 storms on GET /accounts/order (0: none)")
    parser.add_argument("--storm-s", type=float, default=60.0, help="length of a storm")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="alp-soak-") as tmp:
        figures = asyncio.run(soak(args.minutes, args.seed, args.error_rate,
                                   args.rss_limit_mb, Path(tmp),
                                   Storm(args.storm_every, args.storm_s)))
    text = json.dumps(asdict(figures), indent=2, sort_keys=True)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print("SOAK " + ("FAILED: " + "; ".join(figures.failures) if figures.failures
                     else "PASSED"))
    return 1 if figures.failures else 0


if __name__ == "__main__":
    sys.exit(main())
