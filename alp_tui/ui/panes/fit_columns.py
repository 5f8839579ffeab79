"""Tables that fit their pane: the columns kept are the most important ones that fit whole.

The account strip (three panes side by side at 160x48) is narrower than the full tables of
balances, open orders and loans. A horizontal scrollbar there would cut a number at the pane's
edge, and a cut number is a wrong number to a trader (``0.012`` for ``0.012300``). So a
strip's table drops whole columns instead, least important first, and shows every number it
keeps in full; the tabs keep the full table. Which columns fit is worked out from the cells'
widths at each render and at each resize.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

from alp_tui.ui.panes.table_rows import sync_rows

__all__ = ["Column", "FitsColumns", "FittedTable", "fit", "fit_pieces", "widths"]


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: key, header label, rank (0 always kept, then 1, 2... while they fit)
    and whether its cells are right-aligned numbers."""

    key: str
    label: str
    rank: int
    right: bool = False


def _width(value: Any) -> int:
    return cell_len(value.plain if isinstance(value, Text) else str(value))


def widths(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Each column's width in cells without padding: its widest cell or its label."""
    return [max([cell_len(c.label)] + [_width(r[i]) for r in rows])
            for i, c in enumerate(columns)]


def fit(columns: Sequence[Column], rows: Sequence[Sequence[Any]], width: int | None,
        padding: int = 1) -> tuple[int, ...]:
    """Indices (in display order) of the columns to show in ``width`` cells: every rank-0
    column, then by rank (ties: left first) each column that still fits whole; a column
    with no value in any row comes last. ``None``: every column (no limit)."""
    if width is None:
        return tuple(range(len(columns)))
    need = [w + 2 * padding for w in widths(columns, rows)]
    empty = [not any(_width(r[i]) for r in rows) for i in range(len(columns))]
    kept: set[int] = set()
    used = 0
    for i in sorted(range(len(columns)), key=lambda i: (columns[i].rank > 0 and empty[i],
                                                        columns[i].rank)):
        if columns[i].rank == 0 or used + need[i] <= width:
            kept.add(i)
            used += need[i]
    return tuple(sorted(kept))


def fit_pieces(pieces: Sequence[Text], width: int | None) -> Text:
    """The ``pieces`` joined, leaving out each one that would go past ``width`` cells
    (``None``: all of them). A piece is a unit of meaning ("debt 2,000.00"): it is shown
    whole or not at all, so a line too long for its place never shows a cut number or a
    label without its value."""
    line = Text()
    for piece in pieces:
        if width is None or line.cell_len + piece.cell_len <= width:
            line.append_text(piece)
    return line


class FittedTable:
    """Keeps a :class:`DataTable` showing keyed rows in the columns that fit (``fitted``) or
    in every column. Rows are given with a value for every column; only the kept ones go in
    the table. Rows are updated cell by cell (:func:`sync_rows`) while the column set stays."""

    def __init__(self, table: DataTable[Any], columns: Sequence[Column], *,
                 fitted: bool = False,
                 changed: Callable[[Any, Any], bool] = lambda a, b: a != b) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.fitted = fitted
        self.changed = changed
        self.kept: tuple[int, ...] | None = None
        self._layout: tuple[tuple[int, int | None], ...] | None = None  # (column, width)
        self.rows: dict[str, tuple[Any, ...]] = {}  # key → the full row
        self._shown: dict[str, tuple[Any, ...]] = {}  # key → the kept cells in the table

    def available(self, n_rows: int) -> int | None:
        """Cells the columns may take: the table's width, less a vertical scrollbar when
        the rows do not fit its height (None when not fitted: every column)."""
        if not self.fitted:
            return None
        table = self.table
        width = table.size.width
        if n_rows + (1 if table.show_header else 0) > table.size.height:
            width -= table.styles.scrollbar_size_vertical
        return max(width, 0)

    def show(self, wanted: dict[str, tuple[Any, ...]]) -> None:
        """Show ``wanted`` (row key → a value per column)."""
        self.rows = dict(wanted)
        rows = list(wanted.values())
        kept = fit(self.columns, rows, self.available(len(wanted)), self.table.cell_padding)
        # fitted: each column exactly as wide as its widest cell (worked out here, not when
        # the table is next idle, so the fit holds on the very next frame)
        layout = tuple((i, w) for i, w in enumerate(widths(self.columns, rows))
                       if i in kept) if self.fitted else tuple((i, None) for i in kept)
        if layout != self._layout:
            self._rebuild(layout)
        else:
            self._sync()

    def refit(self) -> None:
        """Work out the columns again (the table was resized)."""
        if self.kept is not None:
            self.show(self.rows)

    def shown_columns(self) -> list[str]:
        """Keys of the columns in the table."""
        return [self.columns[i].key for i in self.kept or ()]

    def _project(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(row[i] for i in self.kept or ())

    def _sync(self) -> None:
        kept = self.kept or ()
        right = [self.columns[i].right for i in kept]
        sync_rows(self.table, self._shown, {k: self._project(r) for k, r in self.rows.items()},
                  [self.columns[i].key for i in kept], changed=self.changed,
                  cell=lambda i, v: _cell(v, right[i]))

    def _rebuild(self, layout: tuple[tuple[int, int | None], ...]) -> None:
        table = self.table
        cursor = table.cursor_row
        table.clear(columns=True)
        self._shown.clear()
        self._layout = layout
        self.kept = tuple(i for i, _w in layout)
        for i, width in layout:
            col = self.columns[i]
            table.add_column(Text(col.label, justify="right") if col.right else col.label,
                             key=col.key, width=width)
        self._sync()
        if 0 <= cursor < table.row_count:
            table.move_cursor(row=cursor, animate=False)


def _cell(value: Any, right: bool) -> Any:
    if right and isinstance(value, str):
        return Text(value, justify="right")
    return value


class FitsColumns:
    """A pane mixin: ``fit_columns`` (set on the strip's instances) makes its tables keep
    only the columns that fit; they are worked out again when the pane is resized."""

    fit_columns: bool = False

    def fitted_tables(self) -> list[FittedTable]:
        """The pane's fitted tables (made once its table is mounted)."""
        return []

    def on_resize(self) -> None:
        """The pane's width changed: after the layout, fit it again."""
        self.call_after_refresh(self.fit_to_width)  # type: ignore[attr-defined]

    def fit_to_width(self) -> None:
        """Work out the tables' columns again (panes add their own lines)."""
        for fitted in self.fitted_tables():
            fitted.refit()
