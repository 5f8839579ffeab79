"""Margin history: transfers, borrows, repays, interest and liquidations, 30 days at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from alp_tui.feed.state import FeedState, Freshness
from alp_tui.services.csv_export import export_rows
from alp_tui.services.format import currency_places
from alp_tui.services.margin import (
    HISTORY_COLUMNS,
    HistoryKind,
    MarginService,
    explain,
    history_cells,
    history_headers,
)
from alp_tui.services.margin_alerts import MarginThresholds
from alp_tui.services.market import MarketService
from alp_tui.ui.pane_inputs import UsesMargin, UsesMarket
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.pane_status import PaneStatus

WINDOW = timedelta(days=30)


class MarginHistoryPane(UsesMargin, UsesMarket, DataPane):
    """One tab per margin history; ``[`` / ``]`` move the 30-day window back and forth,
    ``e`` writes the visible tab to CSV. Rows are fetched through the margin service handed
    in (constructor or :meth:`use_margin`; the exchange refuses windows over 30 days)."""

    topic: ClassVar[str] = "margin_history"

    BINDINGS = [
        Binding("left_square_bracket", "older", "Older 30 d", id="margin_history.older",
                tooltip="Show the 30 days before this window"),
        Binding("right_square_bracket", "newer", "Newer 30 d", id="margin_history.newer",
                tooltip="Show the 30 days after this window"),
        Binding("home", "latest", "Latest", id="margin_history.latest",
                tooltip="Back to the last 30 days"),
        Binding("e", "export", "Export CSV", id="margin_history.export",
                tooltip="Write the visible tab's rows to a CSV file"),
        Binding("R", "reload", "Reload", id="margin_history.reload",
                tooltip="Fetch the visible tab again"),
    ]

    class Loaded(Message):
        """Rows of one tab and window arrived."""

        def __init__(self, kind: HistoryKind, end: datetime | None, rows: list[Any]) -> None:
            super().__init__()
            self.kind = kind
            self.end = end
            self.rows = rows

    class Exported(Message):
        """A tab was written to ``path``."""

        def __init__(self, kind: HistoryKind, path: Path, count: int) -> None:
            super().__init__()
            self.kind = kind
            self.path = path
            self.count = count

    def __init__(
        self,
        *,
        service: MarginService | None = None,
        export_dir: Path | None = None,
        now: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._service = service
        self._now = now or (lambda: datetime.now(UTC))
        self.export_dir = export_dir
        self.window_end: datetime | None = None  # None: the latest 30 days, ending now
        self.rows: dict[HistoryKind, list[Any]] = {}
        self._loaded: dict[HistoryKind, datetime | None] = {}

    # --- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Status, window bar, one tab per history."""
        yield PaneStatus("Margin history")
        with Horizontal(id="margin-history-bar"):
            yield Static("", id="margin-history-window")
            yield Static(Text("[ older · ] newer · home latest · e export CSV · R reload"),
                         id="margin-history-note")
        with TabbedContent(id="margin-history-tabs"):
            for kind in HistoryKind:
                with TabPane(kind.title, id=f"mh-tab-{kind.value}"):
                    table: DataTable[str] = DataTable(
                        id=f"mh-{kind.value}", cursor_type="row", zebra_stripes=True)
                    for name, _ in HISTORY_COLUMNS[kind]:
                        table.add_column(name, key=name)
                    yield table

    def on_mount(self) -> None:
        """Show the window; loading waits until the pane is on screen (see on_show)."""
        self._show_window()

    def on_show(self) -> None:
        """Load the visible tab when the pane comes into view (if not loaded yet)."""
        self.reload()

    # --- window --------------------------------------------------------------------------
    def window(self) -> tuple[datetime, datetime]:
        """The shown window [start, end): 30 days, ending now when at the latest.

        "Now" is rounded up to the next whole second: the wire carries whole seconds, so
        rounding down would cut off the last second's rows.
        """
        if self.window_end is not None:
            end = self.window_end
        else:
            end = self._now().replace(microsecond=0) + timedelta(seconds=1)
        return end - WINDOW, end

    @property
    def at_latest(self) -> bool:
        """True when the window ends now (no newer window)."""
        return self.window_end is None

    def _show_window(self) -> None:
        start, end = self.window()
        label = f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC"
        if self.at_latest:
            label = f"last 30 days (from {start:%Y-%m-%d %H:%M} UTC)"
        self.query_one("#margin-history-window", Static).update(Text(label))

    def set_window_end(self, end: datetime | None) -> None:
        """Move the window to end at ``end`` (None or past now: the latest) and reload."""
        self.window_end = None if end is None or end >= self._now() else end
        self._loaded.clear()
        self._show_window()
        self.reload()

    def action_older(self) -> None:
        """The previous 30 days."""
        self.set_window_end(self.window()[0])

    def action_newer(self) -> None:
        """The next 30 days (up to now)."""
        if self.at_latest:
            self.notify("Already showing the latest 30 days.", title="Margin history")
            return
        self.set_window_end(self.window()[1] + WINDOW)

    def action_latest(self) -> None:
        """The last 30 days."""
        self.set_window_end(None)

    # --- loading -----------------------------------------------------------------------
    @property
    def service(self) -> MarginService | None:
        """The margin service handed in (None: no keys)."""
        return self._service

    _market: MarketService | None = None

    def use_market(self, market: MarketService) -> None:
        """Amounts at each currency's display precision, learned from the market's pairs
        (read when rows are drawn: the pairs load after the hand-in)."""
        self._market = market

    def use_margin(self, service: MarginService | None, thresholds: MarginThresholds) -> None:
        """Fetch through ``service`` (the thresholds draw nothing here)."""
        self._service = service

    @property
    def current_kind(self) -> HistoryKind:
        """The visible tab's history."""
        active = self.query_one("#margin-history-tabs", TabbedContent).active or ""
        value = active.removeprefix("mh-tab-")
        try:
            return HistoryKind(value)
        except ValueError:
            return HistoryKind.TRANSFERS

    def action_reload(self) -> None:
        """Fetch the visible tab again."""
        self._loaded.pop(self.current_kind, None)
        self.reload()

    def reload(self, kind: HistoryKind | None = None) -> None:
        """Load ``kind`` (default: the visible tab) for the window unless already loaded."""
        kind = kind or self.current_kind
        if self.window_end is not None and self._loaded.get(kind, 0) == self.window_end:
            return
        if self.service is None:
            self.set_feed_state(FeedState(Freshness.DISABLED,
                                          error="needs an API key with the Margin permission"))
            return
        self.set_feed_state(FeedState(Freshness.LOADING))
        self._show_window()
        start, end = self.window()
        self._fetch(kind, start, end, self.window_end)

    @on(TabbedContent.TabActivated, "#margin-history-tabs")
    def _tab_changed(self) -> None:
        self.reload()

    @work(exclusive=True, group="margin-history", exit_on_error=False)
    async def _fetch(self, kind: HistoryKind, start: datetime, end: datetime,
                     token: datetime | None) -> None:
        service = self.service
        if service is None:
            return
        try:
            rows = await service.history(kind, start, end)
        except Exception as exc:  # shown in the status line, never a traceback
            if token == self.window_end:
                self.set_feed_state(FeedState(Freshness.ERROR, error=explain(exc)))
            return
        self.post_message(self.Loaded(kind, token, rows))

    @on(Loaded)
    def _loaded_rows(self, message: Loaded) -> None:
        if message.end != self.window_end:  # an answer for a window no longer shown
            return
        self.show_data(message)

    def show_data(self, data: Any) -> None:
        """Fill one tab from a :class:`Loaded` message."""
        if not isinstance(data, MarginHistoryPane.Loaded):
            return
        kind = data.kind
        self.rows[kind] = list(data.rows)
        self._loaded[kind] = data.end
        table = self.query_one(f"#mh-{kind.value}", DataTable)
        table.clear()
        places = currency_places(self._market.pairs.values()) if self._market else None
        for row in data.rows:
            table.add_row(*history_cells(kind, row, places=places))
        self.set_feed_state(FeedState(interval_s=3600.0).fresh())

    def table(self, kind: HistoryKind) -> DataTable[Any]:
        """The table of one tab."""
        return self.query_one(f"#mh-{kind.value}", DataTable)

    # --- export ------------------------------------------------------------------------
    def action_export(self) -> None:
        """Write the visible tab's rows (this window) to a CSV file."""
        kind = self.current_kind
        rows = self.rows.get(kind, [])
        if kind not in self._loaded or self._loaded[kind] != self.window_end:
            self.notify("Wait for the tab to load before exporting.", title="Export",
                        severity="warning")
            return
        folder = self.export_dir
        try:
            path = export_rows(
                f"margin-{kind.value}-{self.window()[0]:%Y%m%d}-{self.window()[1]:%Y%m%d}",
                history_headers(kind),
                (history_cells(kind, row, grouping=False) for row in rows),
                directory=folder)
        except OSError as exc:
            self.notify(f"Could not write the CSV file: {exc.strerror or exc}",
                        title="Export", severity="error")
            return
        self.notify(f"{len(rows)} rows written to {path}", title="Export")
        self.post_message(self.Exported(kind, path, len(rows)))
