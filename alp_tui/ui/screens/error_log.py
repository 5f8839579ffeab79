"""Error log screen: the recent errors the feed met, newest last, for the user to read."""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable

from alp_tui.feed.stats import ErrorLog


class ErrorLogScreen(ModalScreen[None]):
    """A table of (time, pane, kind, count, message); time is the last occurrence."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f3", "dismiss", "Close", id="errors.close",
                tooltip="Close the error log"),
    ]

    def __init__(self, log: ErrorLog) -> None:
        super().__init__()
        self.log_ = log
        self._shown = -1

    def compose(self) -> ComposeResult:
        """One table."""
        with Vertical(id="errors-body") as body:
            body.border_title = "Recent errors (esc to close)"
            yield DataTable(id="errors-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Fill from the log, newest at the bottom, and follow new entries."""
        table = self.query_one(DataTable)
        table.add_columns("time", "pane", "kind", "count", "message")
        self._shown = -1
        self.refresh_table()
        self.set_interval(1.0, self.refresh_table)

    def refresh_table(self) -> None:
        """Re-read the log."""
        table = self.query_one(DataTable)
        items = self.log_.items()
        version = getattr(self.log_, "version", len(items))
        if version == self._shown and items:
            return
        self._shown = version
        table.clear()
        for item in items:
            # A repeating error is one row: its count and the last time it happened.
            stamp = time.strftime("%H:%M:%S", time.localtime(item.at))
            count = f"×{item.count}" if item.count > 1 else ""
            table.add_row(stamp, item.topic, item.kind, count, item.message)
        if not items:
            table.add_row("", "", "", "", "no errors so far")
        table.move_cursor(row=max(0, table.row_count - 1), animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        """Close."""
        self.dismiss(result)
