"""Keyed table rows for the account panes (balances, open orders): bring a ``DataTable`` to
the wanted rows with the fewest changes, and read the key of the row under the cursor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.widgets import DataTable

__all__ = ["cursor_row_key", "sync_rows"]


def sync_rows(
    table: DataTable[Any],
    shown: dict[str, tuple[Any, ...]],
    wanted: dict[str, tuple[Any, ...]],
    columns: Sequence[str],
    *,
    changed: Callable[[Any, Any], bool],
    cell: Callable[[int, Any], Any] = lambda _i, value: value,
) -> None:
    """Make ``table`` show ``wanted`` (row key → cell values), ``shown`` being what it shows.

    Rows no longer wanted are removed, new ones added at the end, and in the others only the
    cells for which ``changed(new, before)`` holds are updated (``update_cell``, so a ticking
    value does not rebuild the table). ``cell(column_index, value)`` is what goes into the
    table for a value; ``shown`` is updated in place.
    """
    for key in [k for k in shown if k not in wanted]:
        table.remove_row(key)
        del shown[key]
    for key, cells in wanted.items():
        before_cells = shown.get(key)
        if before_cells is None:
            table.add_row(*(cell(i, value) for i, value in enumerate(cells)), key=key)
        else:
            for i, (col, new, before) in enumerate(zip(columns, cells, before_cells,
                                                       strict=True)):
                if changed(new, before):  # a longer value widens its column
                    table.update_cell(key, col, cell(i, new), update_width=True)
        shown[key] = cells


def cursor_row_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, or None (no cursor, no row there, no key)."""
    if table.cursor_row < 0:
        return None
    try:
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
    except Exception:
        return None
    return key or None
