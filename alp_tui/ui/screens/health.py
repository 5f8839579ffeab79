"""API-health view: per endpoint latency, request rate and errors; per pane data age."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from alp_tui.feed.poller import Feed
from alp_tui.feed.state import format_age
from alp_tui.feed.stats import EndpointStats


class HealthScreen(ModalScreen[None]):
    """Refreshes itself every second while open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f2", "dismiss", "Close", id="health.close",
                tooltip="Close the API-health view"),
    ]

    def __init__(self, feed: Feed, stats: EndpointStats, wall: Callable[[], float]) -> None:
        super().__init__()
        self.feed = feed
        self.stats = stats
        self.wall = wall

    def compose(self) -> ComposeResult:
        """Pause line, endpoint table, topic table."""
        with Vertical(id="health-body") as body:
            body.border_title = "API health (esc to close)"
            yield Static(id="health-pause")
            yield DataTable(id="health-endpoints", cursor_type="none", zebra_stripes=True)
            yield DataTable(id="health-topics", cursor_type="none", zebra_stripes=True)

    def on_mount(self) -> None:
        """Columns, first fill, then a 1 s refresh."""
        endpoints = self.query_one("#health-endpoints", DataTable)
        endpoints.add_columns("endpoint", "last latency", "req/min", "errors", "last status",
                              "last error")
        topics = self.query_one("#health-topics", DataTable)
        topics.add_columns("pane data", "state", "age", "interval", "requests", "in flight")
        self.refresh_tables()
        self.set_interval(1.0, self.refresh_tables)

    def refresh_tables(self) -> None:
        """Re-read the stats."""
        now = self.stats.now()
        gate = self.feed.gate
        paused = gate.paused_topics()
        pause = self.query_one("#health-pause", Static)
        if "*" in paused:
            left = gate.pause_left()
            pause.update(f"[b yellow]Rate-limit pause in progress (every pane): "
                         f"{left:.0f}s left[/]")
        elif paused:
            # Only the topics whose endpoint answered 429 wait; the rest keep polling.
            parts = ", ".join(f"{t} {gate.pause_left(t):.0f}s" for t in paused)
            pause.update(f"[b yellow]Rate-limit pause in progress for {parts}[/]")
        else:
            pause.update(f"No rate-limit pause. 429s so far: {self.feed.gate.rate_limits}")
        endpoints = self.query_one("#health-endpoints", DataTable)
        endpoints.clear()
        for stat in self.stats.snapshot():
            latency = f"{stat.last_latency_s * 1000:.0f} ms" if stat.last_latency_s else "—"
            endpoints.add_row(
                stat.endpoint, latency, str(stat.requests_last_minute(now)), str(stat.errors),
                str(stat.last_status or "—"), stat.last_error or "",
            )
        topics = self.query_one("#health-topics", DataTable)
        topics.clear()
        clock = self.feed.clock()
        for name, poller in self.feed.pollers.items():
            age = poller.state.age(clock)
            topics.add_row(
                name,
                poller.state.describe(clock),
                format_age(age) if age is not None else "—",
                f"{poller.spec.interval_s:g}s",
                str(poller.requests),
                "yes" if poller.in_flight else "",
            )

    async def action_dismiss(self, result: None = None) -> None:
        """Close."""
        self.dismiss(result)
