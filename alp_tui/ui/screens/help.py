"""Help screen (``?``): every key binding of the dashboard and what the mouse does."""

from __future__ import annotations

import io
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from alp_tui.ui.key_model import binding_keys, help_title, key_label

MOUSE_HELP = (
    ("click a pair", "select it for every pane"),
    ("click a column header", "sort the markets by it (again: reverse)"),
    ("click a tab", "show that account pane"),
    ("click a book level", "use its price"),
    ("scroll", "scroll the pane under the pointer"),
)


def help_groups(app: Any) -> list[tuple[str, list[Binding]]]:
    """The app's keys, then each pane's (markets first), named in words (``Balances``,
    ``Open orders``), never by class name."""
    from alp_tui.ui.panes.markets import MarketsPane

    groups: list[tuple[str, list[Any]]] = [("Everywhere", list(app.BINDINGS)),
                                           ("Markets pane", list(MarketsPane.BINDINGS))]
    for pane in app.data_panes():
        if pane.BINDINGS and not isinstance(pane, MarketsPane):
            groups.append((help_title(pane), list(pane.BINDINGS)))
    return [(t, [b for b in bs if isinstance(b, Binding)]) for t, bs in groups]


class HelpScreen(ModalScreen[None]):
    """Lists the key map, grouped by where it applies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close",
                tooltip="Close the help"),
    ]

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        """A scrollable table of keys."""
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Help — keys and mouse (esc to close)"
            yield Static(self._table(), id="help-table")

    def _table(self) -> Table:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 2))
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("action")
        for title, bindings in self.groups:
            table.add_row(f"[underline]{title}[/]", "")
            for binding in bindings:
                keys = key_label(binding_keys(self.app, binding))
                table.add_row(Text(keys), binding.tooltip or binding.description)
            table.add_row("", "")
        table.add_row("[underline]Mouse[/]", "")
        for what, does in MOUSE_HELP:
            table.add_row(what, does)
        return table

    def plain(self, width: int = 120) -> str:
        """The help as plain text (what a reader sees, for tests and copying)."""
        from rich.console import Console

        console = Console(width=width, record=True, color_system=None, file=io.StringIO())
        console.print(self._table())
        return console.export_text()

    async def action_dismiss(self, result: None = None) -> None:
        """Close."""
        self.dismiss(result)
