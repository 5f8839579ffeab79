"""A yes/no confirmation: shows exactly what will happen; Enter confirms, Esc backs out."""

from __future__ import annotations

from pathlib import Path

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

TRADING_CSS = Path(__file__).resolve().parent.parent / "trading.tcss"


class ConfirmModal(ModalScreen[bool]):
    """Ask the user to confirm ``body``; dismisses with True (Enter) or False (Esc)."""

    CSS_PATH = TRADING_CSS

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", priority=True, id="confirm.yes",
                tooltip="Send exactly what is shown"),
        Binding("escape", "back", "Back", id="confirm.back",
                tooltip="Go back without sending anything"),
    ]

    def __init__(self, title: str, body: RenderableType, *, confirm_label: str = "Confirm",
                 tone: str = "neutral", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._tone = tone  # "buy", "sell", "danger" or "neutral": colours the dialog

    def compose(self) -> ComposeResult:
        """Title, what will be sent, and the two buttons."""
        with Vertical(id="confirm-dialog", classes=f"dialog -{self._tone}"):
            yield Static(self._title, id="confirm-title", classes="dialog-title")
            yield Static(self._body, id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._confirm_label} (Enter)", id="confirm-yes",
                             variant="error" if self._tone in ("sell", "danger")
                             else "success" if self._tone == "buy" else "primary")
                yield Button("Back (Esc)", id="confirm-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons do what the keys do."""
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_confirm(self) -> None:
        """Enter: confirmed."""
        self.dismiss(True)

    def action_back(self) -> None:
        """Esc: not confirmed."""
        self.dismiss(False)
