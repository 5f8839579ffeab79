"""A yes/no confirmation: shows exactly what will happen; Enter confirms, Esc backs out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

TRADING_CSS = Path(__file__).resolve().parent.parent / "trading.tcss"
SHOW_SENDING_AFTER_S = 0.15


class ConfirmModal(ModalScreen[bool]):
    """Ask the user to confirm ``body``; dismisses with True (Enter) or False (Esc).

    With ``action``, Enter runs it here (showing "Sending…", Esc then does nothing) and
    dismisses with True once it finished, so nothing is redrawn while the request is out.
    """

    CSS_PATH = TRADING_CSS

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", priority=True, id="confirm.yes",
                tooltip="Send exactly what is shown"),
        Binding("escape", "back", "Back", id="confirm.back",
                tooltip="Go back without sending anything"),
    ]

    def __init__(self, title: str, body: RenderableType, *, confirm_label: str = "Confirm",
                 tone: str = "neutral",
                 action: Callable[[], Awaitable[Any]] | None = None,
                 confirm_twice: bool = False,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._action = action
        self._in_flight = False
        # A flagged (fat-finger) action needs a second Enter; the first only arms it.
        self._confirm_twice = confirm_twice
        self._armed = False
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._tone = tone  # "buy", "sell", "danger" or "neutral": colours the dialog

    def compose(self) -> ComposeResult:
        """Title, what will be sent, and the two buttons."""
        with Vertical(id="confirm-dialog", classes=f"dialog -{self._tone}"):
            yield Static(self._title, id="confirm-title", classes="dialog-title")
            yield Static(self._body, id="confirm-body")
            yield Static(id="confirm-status", classes="form-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._confirm_label} (Enter)", id="confirm-yes",
                             variant="error" if self._tone in ("sell", "danger")
                             else "success" if self._tone == "buy" else "primary")
                yield Button("Back (Esc)", id="confirm-no")

    def on_mount(self) -> None:
        """Nothing to say yet."""
        self.query_one("#confirm-status", Static).display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons do what the keys do."""
        event.stop()
        if event.button.id == "confirm-yes":
            self.action_confirm()
        else:
            self.action_back()

    def action_confirm(self) -> None:
        """Enter: confirmed (run the action first, if any; never twice)."""
        if self._in_flight:
            return
        if self._confirm_twice and not self._armed:
            self._armed = True
            status = self.query_one("#confirm-status", Static)
            status.update(Text("⚠ Unusual order: check the warnings above, then press "
                               "Enter again to send (Esc to go back).", style="bold yellow"))
            status.display = True
            return
        if self._action is None:
            self.dismiss(True)
            return
        self._in_flight = True
        self._run_action()
        # Say "Sending…" only if it takes a while: nothing is redrawn while a quick request
        # is out (a second Enter is ignored either way).
        self.set_timer(SHOW_SENDING_AFTER_S, self._show_sending)

    def _show_sending(self) -> None:
        if not self._in_flight or not self.is_attached:
            return
        for button in self.query(Button):
            button.disabled = True
        status = self.query_one("#confirm-status", Static)
        status.update(Text("Sending…", style="cyan"))
        status.display = True

    @work(exclusive=True, group="confirm_action", exit_on_error=False)
    async def _run_action(self) -> None:
        assert self._action is not None
        try:
            await self._action()
        finally:
            if self.app.screen is self:  # the action may have closed this step itself
                self.dismiss(True)

    def action_back(self) -> None:
        """Esc: not confirmed (ignored while the action runs)."""
        if not self._in_flight:
            self.dismiss(False)
