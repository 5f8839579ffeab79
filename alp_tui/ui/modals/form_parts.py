"""What the trading forms share: their keys (``q`` leaves the dashboard from a form too,
asking first while the form holds typed input), the error lines under their fields and
the count of a slow answer."""

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


def sending_text(waited: float, answer_within_s: float | None = None) -> Text:
    """``Sending… 5 s  waiting for the exchange; never sent twice``: what a form says while
    its request is out, counting whole seconds (none in the first) so a frozen exchange
    is seen waiting, not stuck. Past ``answer_within_s`` (the client's timeout, when the
    answer is then looked up) it says that instead."""
    text = Text("Sending…", style="cyan")
    seconds = int(waited)
    if seconds >= 1:
        text.append(f" {seconds} s", style="bold cyan")
        if answer_within_s is not None and seconds >= answer_within_s:
            text.append(f"  no answer in {answer_within_s:g} s: looking it up; never sent "
                        "twice", style="yellow")
        else:
            text.append("  waiting for the exchange; never sent twice", style="dim")
    return text


def show_message(label: Static, message: str | Text) -> None:
    """Show ``message`` under a field; an empty one takes no room."""
    label.update(message)
    label.display = bool(str(message))


def show_changed(form: DOMNode, shown: dict[str, tuple[object, ...]], selector: str,
                 content: Text) -> None:
    """Update the Static ``selector`` of ``form`` only when its text or style changed
    (``shown`` keeps what each shows); an empty one takes no room."""
    key = (content.plain, tuple(map(str, content.spans)), str(content.style))
    if shown.get(selector) == key:
        return
    shown[selector] = key
    show_message(form.query_one(selector, Static), content)


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
