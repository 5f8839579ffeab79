"""A stand-in pane: the account tabs' panes when there are no API keys."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from alp_tui.feed.state import FeedState, Freshness
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.pane_status import PaneStatus

NO_KEYS_HELP = (
    "Public-only mode: no API key.\n"
    "To see your account here, add keys in one of these ways:\n"
    "  • api_key / api_secret under [exchange] in the config file (chmod 600)\n"
    "  • environment: ALP_API_KEY and ALP_API_SECRET\n"
    "  • run `alp-tui init` to write a config\n"
    "Or try everything against the simulator: `alp-tui --demo`."
)


class PlaceholderPane(DataPane):
    """Shows a one-line summary of what its topic delivers (or how to add API keys)."""

    topic: ClassVar[str] = ""

    def __init__(self, topic: str, title: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.topic = topic  # type: ignore[misc]
        self.title = title
        self.summary = ""

    def compose(self) -> ComposeResult:
        """Body and status line."""
        yield Static(Text(f"{self.title}: waiting for data…"), classes="placeholder-body")
        yield PaneStatus(self.title)

    def show_data(self, data: Any) -> None:
        """Summarise the answer."""
        if isinstance(data, list):
            self.summary = f"{self.title}: {len(data)} item(s) for {self.pair_name}"
        elif hasattr(data, "buy") and hasattr(data, "sell"):
            self.summary = (
                f"{self.title} {self.pair_name}: {len(data.buy)} bids / {len(data.sell)} asks"
            )
        else:
            self.summary = f"{self.title}: {type(data).__name__}"
        self.query_one(".placeholder-body", Static).update(Text(self.summary))

    @property
    def pair_name(self) -> str:
        """The current pair's name, or —."""
        return self.pair.name if self.pair else "—"

    def set_feed_state(self, state: FeedState) -> None:
        """Show the state; a disabled topic (no keys) shows how to add them."""
        super().set_feed_state(state)
        if state.kind is Freshness.DISABLED:
            self.query_one(".placeholder-body", Static).update(Text(NO_KEYS_HELP))
