"""A one-line status bar telling where a pane's data stands."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from alp_tui.feed.state import FeedState, Freshness

_STYLE = {
    Freshness.FRESH: "green",
    Freshness.STALE: "yellow",
    Freshness.LOADING: "cyan",
    Freshness.PAUSED: "yellow",
    Freshness.ERROR: "red",
    Freshness.OFFLINE: "red",
    Freshness.AUTH: "red",
    Freshness.DISABLED: "dim",
}


class PaneStatus(Static):
    """Shows a :class:`FeedState` as ``● fresh 1s`` / ``● stale 12s`` / ``● error: why``.

    It re-renders once a second on its own so the age keeps counting between updates.
    """

    DEFAULT_CSS = """
    PaneStatus { height: 1; width: 1fr; color: $text-muted; }
    """

    state: reactive[FeedState] = reactive(FeedState, always_update=True)

    def __init__(self, title: str = "", **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.title = title
        self._last_text: Text | None = None

    def on_mount(self) -> None:
        """Tick the age display."""
        self.set_interval(1.0, self._refresh_text)

    def watch_state(self, _state: FeedState) -> None:
        """Redraw when the state changes."""
        self._refresh_text()

    def _refresh_text(self) -> None:
        state = self.state
        kind = state.effective()
        text = Text()
        if self.title:
            text.append(f"{self.title} ", style="bold")
        text.append("● ", style=_STYLE.get(kind, ""))
        text.append(state.describe(), style=_STYLE.get(kind, "") if kind != Freshness.FRESH else "")
        if text == self._last_text:
            return
        self._last_text = text
        self.update(text, layout=False)  # one line, 1fr wide: the size never changes
