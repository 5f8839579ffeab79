"""A one-line status bar telling where a pane's data stands."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from alp_tui.feed.state import FeedState, Freshness
from alp_tui.ui.widgets.ticks import every_second

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
    """Shows a :class:`FeedState` as ``● fresh`` / ``● stale 12s`` / ``● error: why``.

    It looks again once a second (the app's beat), so fresh data turns stale on time and a
    stale age keeps counting between updates; it repaints only when its text changes.
    """

    DEFAULT_CSS = """
    PaneStatus { height: 1; width: 1fr; color: $text-muted; }
    """

    # repaint=False: the watcher redraws when the text changes, not on every new state
    state: reactive[FeedState] = reactive(FeedState, always_update=True, repaint=False)

    def __init__(self, title: str = "", **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.title = title
        self._last_text: Text | None = None
        self._last_said: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        """Look again once a second, with every other status line (one frame at most)."""
        every_second(self, self._refresh_text)

    def watch_state(self, state: FeedState) -> None:
        """Redraw when what the state says changes (kind, error, pause, title); a newer
        age alone waits for the once-a-second beat, so a pane's answer does not cost the
        screen a frame of its own for its status line."""
        said = self._said(state)
        if said != self._last_said:
            self._refresh_text()

    def _said(self, state: FeedState) -> tuple[object, ...]:
        return (self.title, state.effective(), state.error, state.resume_at,
                state.updated_at is None)

    def _refresh_text(self) -> None:
        state = self.state
        self._last_said = self._said(state)
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
