"""The quick-order line (``:``): one line of words, read by
:func:`~alp_tui.services.quick_order.parse_quick`.

The modal only reads the line: it dismisses with the parsed :class:`QuickOrder` or
:class:`QuickCancel` (None when closed) and the app hands that to the order form (the same
draft, preview and confirm as a typed form) or to the open-orders pane's "cancel all of the
pair" (the same count-and-confirm). A line that cannot be read stays open with the reason
under it.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from alp_tui.services.quick_order import QuickCancel, QuickOrder, QuickOrderError, parse_quick
from alp_tui.ui.modals.confirm import TRADING_CSS

EXAMPLES = ("buy 0.01 BTC_USDT @ 91000 · sell 50% ETH_USDT market · buy 0.01 @bid · "
            "cancel all BTC_USDT")


class QuickOrderModal(ModalScreen[QuickOrder | QuickCancel | None]):
    """One input line; Enter reads it, Esc closes without doing anything."""

    CSS_PATH = TRADING_CSS

    BINDINGS = [
        Binding("escape", "close", "Close", id="quick_order.close",
                tooltip="Close the line without doing anything"),
        Binding("enter", "read_line", "Review", id="quick_order.review", show=True,
                tooltip="Read the line and show the order's review"),
    ]

    def __init__(self, pair: str | None, pairs: Collection[str], text: str = "",
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pair = pair
        self.pairs = frozenset(pairs)
        self._text = text
        self.line = text  # the line as read by the last Enter

    def compose(self) -> ComposeResult:
        """A title naming the selected pair, the line, and a hint/error line."""
        with Vertical(id="quick-order", classes="dialog"):
            where = f"  ·  pair {self.pair} unless named" if self.pair else ""
            yield Static(Text.assemble(("Quick order", "bold"), (where, "dim")),
                         classes="dialog-title", id="quick-title")
            yield Input(value=self._text, placeholder="buy 0.01 @bid", id="quick-line")
            yield Static(Text(EXAMPLES, style="dim"), id="quick-hint", classes="form-note")
        yield Footer()

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one("#quick-line", Input).focus()

    def read(self) -> QuickOrder | QuickCancel:
        """The line as an order or a cancel; raises :class:`QuickOrderError`."""
        text = self.query_one("#quick-line", Input).value
        self.line = text
        return parse_quick(text, pair=self.pair, pairs=self.pairs)

    @on(Input.Submitted, "#quick-line")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_read_line()

    @on(Input.Changed, "#quick-line")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#quick-hint", Static).update(Text(EXAMPLES, style="dim"))

    def action_read_line(self) -> None:
        """Enter: read the line; close with it, or say what is wrong and stay."""
        try:
            parsed = self.read()
        except QuickOrderError as exc:
            self.query_one("#quick-hint", Static).update(Text(str(exc), style="bold red"))
            return
        self.dismiss(parsed)

    def action_close(self) -> None:
        """Esc: nothing happens."""
        self.dismiss(None)
