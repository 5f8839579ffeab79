"""The list of price alerts, to remove one.

``app.push_screen(RemovePriceAlertModal(rules))`` dismisses with the
:class:`~alp_tui.session.PriceRule` picked (Enter or a click), None when closed.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from alp_tui.session import PriceRule
from alp_tui.ui.modals.price_alert import ALERTS_CSS


class RemovePriceAlertModal(ModalScreen[PriceRule | None]):
    """Pick one of ``rules`` to remove."""

    CSS_PATH = ALERTS_CSS

    BINDINGS = [
        Binding("escape", "close", "Close", id="remove_alert.close",
                tooltip="Close without removing anything"),
    ]

    def __init__(self, rules: Sequence[PriceRule], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rules = list(rules)

    def compose(self) -> ComposeResult:
        """The title and one line per alert."""
        with Vertical(id="remove-alert-form", classes="alert-dialog"):
            yield Static("REMOVE PRICE ALERT", classes="alert-title")
            yield OptionList(*(Option(rule.label, id=str(i))
                               for i, rule in enumerate(self.rules)), id="alert-rules")
            yield Static("Enter removes the highlighted alert · Esc closes",
                         classes="alert-note")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.rules[event.option_index])

    def action_close(self) -> None:
        """Close without removing."""
        self.dismiss(None)
