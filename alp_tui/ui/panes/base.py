"""The contract every data pane follows, so the app can route feed data to it by topic."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.widget import Widget

from alp_tui.api.models import PairInfo
from alp_tui.feed.state import FeedState
from alp_tui.ui.widgets.pane_status import PaneStatus


class DataPane(Widget):
    """A pane fed by one feed topic (``"orderbook"``, ``"trades"``, ``"balances"``...).

    The app calls :meth:`set_pair` when the selected pair changes (the pane must clear what
    it shows for the old pair), :meth:`show_data` with each new answer for the current pair,
    and :meth:`set_feed_state` when the topic's state changes. Subclasses compose a
    :class:`PaneStatus` (query-able by type) somewhere in their layout. A pane never does
    I/O: user intents leave as messages.
    """

    topic: ClassVar[str] = ""

    pair: PairInfo | None = None

    def set_pair(self, pair: PairInfo) -> None:
        """Switch to ``pair``; data of the previous pair must not stay on screen."""
        self.pair = pair

    def show_data(self, data: Any) -> None:
        """Render a fresh answer for the current pair."""
        raise NotImplementedError

    def set_feed_state(self, state: FeedState) -> None:
        """Show where the data stands (loading, fresh, stale, error...)."""
        for status in self.query(PaneStatus):
            status.state = state
