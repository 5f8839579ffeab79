"""What the trading forms share: their keys (``q`` leaves the dashboard from a form too,
asking first while the form holds typed input) and the error lines under their fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Static

QUIT_FROM_FORM = Binding(
    "q", "app.request_quit", "Quit", id="app.quit", show=False,
    tooltip="Leave the dashboard (asks first: this form's typed input would be lost); in a "
            "text field q is a letter")
"""The dashboard's ``q`` under a form (a modal keeps the app's keys from its fields): the
same binding id, so a ``[keys]`` remap of ``app.quit`` moves it here too."""

ORDER_FORM_BINDINGS = [
    Binding("escape", "close", "Close", id="order_form.close",
            tooltip="Close the form without sending anything"),
    Binding("ctrl+b", "set_side('BID')", "Buy side", id="order_form.buy",
            tooltip="Switch the form to BUY"),
    Binding("ctrl+s", "set_side('ASK')", "Sell side", id="order_form.sell",
            tooltip="Switch the form to SELL"),
    QUIT_FROM_FORM,
]


def show_message(label: Static, message: str | Text) -> None:
    """Show ``message`` under a field; an empty one takes no room."""
    label.update(message)
    label.display = bool(str(message))


def hidden(widget: Static) -> Static:
    """``widget``, not displayed until it has something to say."""
    widget.display = False
    return widget


def focus_first(form: DOMNode, fields: Iterable[str], errors: Mapping[str, str]) -> None:
    """Focus the first of ``fields`` (in the form's order) that has an error."""
    for name in fields:
        if name in errors and form.query(f"#{name}"):
            form.query_one(f"#{name}").focus()
            return
