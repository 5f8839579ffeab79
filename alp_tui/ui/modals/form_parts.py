"""What the trading forms share: their keys (``q`` leaves the dashboard from a form too,
asking first while the form holds typed input), the error lines under their fields and
the count of a slow answer."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.binding import Binding
from textual.dom import DOMNode
from textual.timer import Timer
from textual.widget import Widget
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


class SendingCount:
    """A request's wait counted in the Static ``selector`` of ``form``, once a second from
    :meth:`start` to :meth:`stop` (:func:`sending_text`): what the confirm, the margin
    forms and the withdraw form show while their request is out."""

    def __init__(self, form: Widget, selector: str,
                 answer_within_s: float | None = None) -> None:
        self._form, self._selector = form, selector
        self.answer_within_s = answer_within_s
        self._sent_at = 0.0
        self._timer: Timer | None = None

    def start(self, sent_at: float | None = None) -> None:
        """Show the count now and each second after; ``sent_at`` (monotonic): when the
        request left, if before now."""
        self.stop()
        self._sent_at = time.monotonic() if sent_at is None else sent_at
        self._show()
        self._timer = self._form.set_interval(1.0, self._show)

    def stop(self) -> None:
        """The answer came (or the form went): no more counting."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _show(self) -> None:
        if not self._form.is_attached:
            self.stop()
            return
        self._form.query_one(self._selector, Static).update(
            sending_text(time.monotonic() - self._sent_at, self.answer_within_s))


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
