"""A yes/no confirmation: shows exactly what will happen; Enter confirms, Esc backs out.

An unusual (fat-finger) action is confirmed by typing: the dialog shows a word or amount
and Enter does nothing until it is typed, so a trader cannot press through it by habit.
"""

from __future__ import annotations

import time
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
from textual.widgets import Button, Footer, Input, Static

from alp_tui.services.format import typed_matches
from alp_tui.ui.modals.form_parts import SendingCount

TRADING_CSS = Path(__file__).resolve().parent.parent / "trading.tcss"
SHOW_SENDING_AFTER_S = 0.15


class ConfirmModal(ModalScreen[bool]):
    """Ask the user to confirm ``body``; dismisses with True (Enter) or False (Esc).

    ``paper``: the opener says the action moves paper money (the title says so).
    With ``action``, Enter runs it here (showing "Sending… 5 s", counting the seconds,
    Esc then does nothing) and dismisses with True once it finished, so nothing is redrawn
    while a quick request is out and a slow one is seen to be waiting, not stuck.
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
                 type_to_confirm: str | None = None,
                 paper: bool = False,
                 answer_within_s: float | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._action = action
        self._in_flight = False
        self._sent_at = 0.0  # monotonic time of the Enter that sent
        self._answered = False  # the action returned (the count stops)
        # The client's timeout, when the opener knows the action looks a lost answer up
        # after it (an order): past it the count says so instead of seeming stuck.
        self._count = SendingCount(self, "#confirm-status", answer_within_s)
        # A flagged (fat-finger) action is sent only once this text is typed: no number of
        # Enters passes it.
        self.type_to_confirm = type_to_confirm
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._tone = tone  # "buy", "sell", "danger" or "neutral": colours the dialog
        self._paper = paper  # said in the title: no real money moves

    def compose(self) -> ComposeResult:
        """Title, what will be sent, and the two buttons."""
        with Vertical(id="confirm-dialog", classes=f"dialog -{self._tone}"):
            title = self._title
            if self._paper and isinstance(title, str | Text):
                title = Text.assemble(title, ("  · paper", "bold"))
            yield Static(title, id="confirm-title", classes="dialog-title")
            yield Static(self._body, id="confirm-body")
            if self.type_to_confirm is not None:
                yield Static(Text.assemble(("⚠ Unusual: type ", "bold yellow"),
                                           (self.type_to_confirm, "bold reverse"),
                                           (" to send it.", "bold yellow")),
                             id="confirm-type-prompt")
                yield Input(placeholder=self.type_to_confirm, id="confirm-typed")
            yield Static(id="confirm-status", classes="form-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._confirm_label} (Enter)", id="confirm-yes",
                             variant="error" if self._tone in ("sell", "danger")
                             else "success" if self._tone == "buy" else "primary")
                yield Button("Back (Esc)", id="confirm-no")
        yield Footer()  # this step's keys, not the dashboard's underneath

    def on_mount(self) -> None:
        """Nothing to say yet; the typing box (if any) has the focus."""
        self.query_one("#confirm-status", Static).display = False
        if self.type_to_confirm is not None:
            self.query_one("#confirm-typed", Input).focus()

    @property
    def typed_ok(self) -> bool:
        """True when no typing is asked for, or the right text is typed."""
        if self.type_to_confirm is None:
            return True
        return typed_matches(self.query_one("#confirm-typed", Input).value,
                             self.type_to_confirm)

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
        if not self.typed_ok:
            status = self.query_one("#confirm-status", Static)
            status.update(Text(f"Not sent: type {self.type_to_confirm} above to send it "
                               "(Esc to go back).", style="bold yellow"))
            status.display = True
            self.query_one("#confirm-typed", Input).focus()
            return
        if self._action is None:
            self.dismiss(True)
            return
        self._in_flight = True
        self._sent_at = time.monotonic()
        self._run_action()
        # Say "Sending…" only if it takes a while: nothing is redrawn while a quick request
        # is out (a second Enter is ignored either way).
        self.set_timer(SHOW_SENDING_AFTER_S, self._show_sending)

    def _show_sending(self) -> None:
        if not self._in_flight or self._answered or not self.is_attached:
            return
        for button in self.query(Button):
            button.disabled = True
        self.query_one("#confirm-status", Static).display = True
        # Once a second while the answer is out: a frozen exchange can take two timeouts
        # (the request, then looking it up), and a still "Sending…" looks like a hang.
        self._count.start(self._sent_at)

    @work(exclusive=True, group="confirm_action", exit_on_error=False)
    async def _run_action(self) -> None:
        assert self._action is not None
        try:
            await self._action()
        finally:
            # Still in flight (Esc must never drop the outcome), but no longer counting.
            self._answered = True
            self._count.stop()
            if self.app.screen is self:  # the action may have closed this step itself
                self.dismiss(True)

    def action_back(self) -> None:
        """Esc: not confirmed (ignored while the action runs)."""
        if not self._in_flight:
            self.dismiss(False)
