"""The markets DataTable: a click on a row selects it at once (not only on a second click)."""

from __future__ import annotations

from textual import events
from textual.widgets import DataTable


class MarketsTable(DataTable):
    """A row-cursor DataTable where one click on a pair selects it."""

    async def _on_click(self, event: events.Click) -> None:
        before = self.cursor_coordinate
        await super()._on_click(event)
        meta = event.style.meta
        row = meta.get("row", -1)
        if (
            isinstance(row, int)
            and row >= 0
            and not meta.get("out_of_bounds", False)
            and self.cursor_coordinate.row != before.row
        ):
            # DataTable only selects on a click of the already highlighted row.
            self._post_selected_message()
