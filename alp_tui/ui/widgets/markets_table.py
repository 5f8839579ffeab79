"""The markets DataTable: a click on a row selects it at once (not only on a second click)."""

from __future__ import annotations

from textual import events
from textual.widgets import DataTable


class MarketsTable(DataTable):
    """A row-cursor DataTable where one click on a pair selects it."""

    async def _on_click(self, event: events.Click) -> None:
        # Runs before DataTable's own handler (Textual calls each class's handler along
        # the MRO). DataTable only selects on a click of the already highlighted row, so a
        # click on another row is selected here once DataTable has moved the cursor to it.
        meta = event.style.meta
        row = meta.get("row", -1)
        if (
            isinstance(row, int)
            and row >= 0
            and not meta.get("out_of_bounds", False)
            and row != self.cursor_coordinate.row
        ):
            self.call_next(self._post_selected_message)
