"""Help screen (``?``): every key binding of the dashboard and what the mouse does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

MOUSE_HELP = (
    ("click a pair", "select it for every pane"),
    ("click a column header", "sort the markets by it (again: reverse)"),
    ("click a tab", "show that account pane"),
    ("click a book level", "use its price"),
    ("scroll", "scroll the pane under the pointer"),
)


def _key_label(key: str) -> str:
    names = {
        "question_mark": "?", "asterisk": "*", "greater_than_sign": ">",
        "less_than_sign": "<", "tilde": "~", "slash": "/", "left_square_bracket": "[",
        "right_square_bracket": "]",
    }
    return ", ".join(names.get(k, k) for k in key.split(","))


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
                table.add_row(_key_label(binding.key), binding.tooltip or binding.description)
            table.add_row("", "")
        table.add_row("[underline]Mouse[/]", "")
        for what, does in MOUSE_HELP:
            table.add_row(what, does)
        return table

    async def action_dismiss(self, result: None = None) -> None:
        """Close."""
        self.dismiss(result)
