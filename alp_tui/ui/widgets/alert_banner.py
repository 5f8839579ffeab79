"""A banner for alerts that must be seen: it stays until the user dismisses it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static


class AlertBanner(Static, can_focus=True):
    """Shows the latest unseen alert (and how many more), until dismissed.

    :meth:`push` adds an alert; nothing times it out. Clicking the banner, or pressing
    enter / escape / ``d`` while it has focus, marks everything as seen and hides it.
    The banner is hidden (``display: none``) while there is nothing to show.
    """

    DEFAULT_CSS = """
    AlertBanner {
        dock: top;
        height: auto;
        width: 1fr;
        padding: 0 1;
        display: none;
        background: $warning 30%;
        color: $text;
        border-left: thick $warning;
    }
    AlertBanner.-danger { background: $error 35%; border-left: thick $error; }
    AlertBanner.-shown { display: block; }
    AlertBanner:focus { text-style: bold; }
    """

    BINDINGS = [
        Binding("enter,escape,d", "dismiss", "Dismiss alert", id="alert_banner.dismiss",
                tooltip="Mark the alerts as seen and hide the banner"),
    ]

    class Dismissed(Message):
        """The user saw and dismissed the alerts."""

        def __init__(self, banner: AlertBanner, count: int) -> None:
            super().__init__()
            self.banner = banner
            self.count = count

        @property
        def control(self) -> AlertBanner:
            """The banner that was dismissed."""
            return self.banner

    unseen: reactive[int] = reactive(0)

    def __init__(self, *, hint: str = "click to dismiss", **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.hint = hint
        self._messages: list[tuple[datetime, str, bool, str | None]] = []

    @property
    def messages(self) -> list[str]:
        """The unseen alert texts, oldest first."""
        return [text for _, text, _, _ in self._messages]

    def push(self, text: str, *, danger: bool = False, at: datetime | None = None,
             hint: str | None = None) -> None:
        """Show ``text`` (``danger`` for the red style) until the user dismisses it;
        ``hint`` replaces the banner's own while this alert is the latest (a way to dismiss
        that only some alerts have)."""
        self._messages.append((at or datetime.now().astimezone(), text, danger, hint))
        self.unseen = len(self._messages)
        self._draw_banner()

    def withdraw(self, texts: set[str] | frozenset[str]) -> None:
        """Take back the alerts ``texts`` that no longer hold (e.g. the stream is back);
        the banner hides when nothing else is unseen."""
        kept = [m for m in self._messages if m[1] not in texts]
        if len(kept) != len(self._messages):
            self._messages = kept
            self.unseen = len(kept)
            self._draw_banner()

    def watch_unseen(self, count: int) -> None:
        """Show while there is something unseen."""
        self.set_class(count > 0, "-shown")

    def _draw_banner(self) -> None:
        if not self._messages:
            self.update("")
            self.set_class(False, "-danger")
            return
        at, text, _, hint = self._messages[-1]
        danger = any(d for _, _, d, _ in self._messages)
        self.set_class(danger, "-danger")
        line = Text()
        line.append("⚠ ", style="bold")
        line.append(f"{at:%H:%M:%S} ", style="dim")
        line.append(text, style="bold")
        more = len(self._messages) - 1
        if more:
            line.append(f"  (+{more} more)", style="italic")
        line.append(f"  — {hint or self.hint}", style="dim")
        self.update(line)

    def action_dismiss(self) -> None:
        """Mark every alert as seen and hide the banner."""
        count = len(self._messages)
        if not count:
            return
        self._messages.clear()
        self.unseen = 0
        self._draw_banner()
        self.post_message(self.Dismissed(self, count))

    def on_click(self, event: events.Click) -> None:
        """A click means seen."""
        event.stop()
        self.action_dismiss()
