"""Alert log screen: every alert the session raised (price, margin, liquidation, fill,
stream), newest last, danger in red — for the trader who was away when the toast showed.

The screen is handed the log itself (any sized iterable of
:class:`~alp_tui.session.events.AlertFired`, e.g. the session's ``alert_log`` deque) and
follows it while open; it never reaches into the app.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable

from alp_tui.session.events import AlertFired, AlertKind

__all__ = ["AlertLogScreen"]

KIND_STYLE = {AlertKind.PRICE: "cyan", AlertKind.MARGIN: "yellow",
              AlertKind.LIQUIDATION: "bold red", AlertKind.FILL: "green",
              AlertKind.STREAM: "magenta"}


class AlertLogScreen(ModalScreen[None]):
    """A table of (time, kind, pair, what happened); danger alerts in red."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f4", "dismiss", "Close", id="alerts.close",
                tooltip="Close the alert log"),
    ]

    def __init__(self, log: Collection[AlertFired]) -> None:
        super().__init__()
        self.log_ = log
        self._shown: tuple[int, AlertFired | None] | None = None

    def compose(self) -> ComposeResult:
        """One table."""
        with Vertical(id="alerts-body") as body:
            body.border_title = "Alerts (esc to close)"
            yield DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Fill from the log and follow new alerts while open."""
        self.query_one(DataTable).add_columns("time", "kind", "pair", "alert")
        self.refresh_table()
        self.set_interval(1.0, self.refresh_table)

    def refresh_table(self) -> None:
        """Re-read the log (only when it changed)."""
        items = list(self.log_)
        version = (len(items), items[-1] if items else None)
        if version == self._shown:
            return
        self._shown = version
        table = self.query_one(DataTable)
        table.clear()
        for alert in items:
            stamp = alert.at.astimezone().strftime("%H:%M:%S")
            kind = Text(alert.kind.value, style=KIND_STYLE.get(alert.kind, ""))
            text = Text(alert.text, style="bold red" if alert.danger else "")
            table.add_row(stamp, kind, alert.pair or "", text)
        if not items:
            table.add_row("", "", "", "no alerts so far")
        danger = sum(a.danger for a in items)
        title = f"Alerts: {len(items)}" + (f", {danger} danger" if danger else "")
        self.query_one("#alerts-body").border_title = f"{title} (esc to close)"
        table.move_cursor(row=max(0, table.row_count - 1), animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        """Close."""
        self.dismiss(result)
