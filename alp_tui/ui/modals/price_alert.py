"""The form that adds a price alert: pair, level, above / below.

``app.push_screen(PriceAlertModal(pair, level, last, pairs))`` dismisses with the
:class:`~alp_tui.session.PriceRule` to add (None when closed). The level opens at the
book level or last price it was given; above / below is chosen by comparing the level with
the last price until the user picks one. A level that is not a positive number is said
under its field, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from alp_tui.services.format import format_exact
from alp_tui.session import PriceRule

ALERTS_CSS = Path(__file__).resolve().parent.parent / "alerts.tcss"


def parse_level(text: str) -> Decimal | str:
    """The level typed, or the sentence saying why it is not one."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        return "Type a price level, e.g. 100000"
    try:
        level = Decimal(cleaned)
    except InvalidOperation:
        return f"'{text.strip()}' is not a number; type a price such as 100000.5"
    if not level.is_finite() or level <= 0:
        return "The level must be a price above zero"
    return level


class PriceAlertModal(ModalScreen[PriceRule | None]):
    """Add one price alert for ``pair`` at ``level`` (compared with ``last``)."""

    CSS_PATH = ALERTS_CSS

    BINDINGS = [
        Binding("escape", "close", "Close", id="price_alert.close",
                tooltip="Close without adding an alert"),
    ]

    def __init__(self, pair: str, level: Decimal | None, last: Decimal | None,
                 pairs: Iterable[str] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pair = pair
        self.level = level if level is not None else last
        self.last = last
        self.pairs = {p.upper() for p in pairs}
        self._side_picked = False  # the user chose above / below: stop choosing for them

    def compose(self) -> ComposeResult:
        """Pair, level, above / below, the error line and the buttons."""
        level = format_exact(self.level, thousands=False) if self.level is not None else ""
        last = format_exact(self.last) if self.last is not None else "unknown"
        with Vertical(id="price-alert-form", classes="alert-dialog"):
            yield Static("PRICE ALERT", classes="alert-title")
            with Horizontal(classes="alert-line"):
                yield Label("Pair", classes="alert-label")
                yield Input(self.pair, id="alert-pair")
            with Horizontal(classes="alert-line"):
                yield Label("Level", classes="alert-label")
                yield Input(level, id="alert-level")
            with RadioSet(id="alert-side"):
                yield RadioButton("at or above", id="alert-above", value=self._above(self.level))
                yield RadioButton("at or below", id="alert-below",
                                  value=not self._above(self.level))
            yield Static(f"Last price {last}", id="alert-last", classes="alert-note")
            yield Static(id="alert-error", classes="alert-error")
            with Horizontal(classes="alert-buttons"):
                yield Button("Add (Enter)", id="alert-add", variant="primary")
                yield Button("Close (Esc)", id="alert-close")

    def on_mount(self) -> None:
        """The level is what one edits first."""
        self.query_one("#alert-level", Input).focus()

    def _above(self, level: Decimal | None) -> bool:
        """A level over the last price waits for the price to rise to it."""
        return level is None or self.last is None or level >= self.last

    @on(Input.Changed, "#alert-level")
    def _level_changed(self, event: Input.Changed) -> None:
        self.query_one("#alert-error", Static).update("")
        level = parse_level(event.value)
        if isinstance(level, Decimal) and not self._side_picked:
            above = self._above(level)
            self.query_one("#alert-above", RadioButton).value = above
            self.query_one("#alert-below", RadioButton).value = not above

    @on(RadioSet.Changed)
    def _side_changed(self, event: RadioSet.Changed) -> None:
        if self.query_one("#alert-side", RadioSet).has_focus:
            self._side_picked = True

    def read(self) -> PriceRule | str:
        """The rule in the form, or the sentence saying what is wrong."""
        pair = self.query_one("#alert-pair", Input).value.strip().upper().replace("/", "_")
        if not pair:
            return "Type a pair, e.g. BTC_USDT"
        if self.pairs and pair not in self.pairs:
            return f"Unknown pair {pair}"
        level = parse_level(self.query_one("#alert-level", Input).value)
        if isinstance(level, str):
            return level
        above = self.query_one("#alert-above", RadioButton).value
        return PriceRule(pair, level, above)

    @on(Input.Submitted)
    @on(Button.Pressed, "#alert-add")
    def submit(self) -> None:
        """Add the alert, or say why not."""
        rule = self.read()
        if isinstance(rule, str):
            self.query_one("#alert-error", Static).update(rule)
            return
        self.dismiss(rule)

    @on(Button.Pressed, "#alert-close")
    def action_close(self) -> None:
        """Close without adding."""
        self.dismiss(None)
