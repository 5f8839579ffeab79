"""The contract every data pane follows, so the app can route feed data to it by topic."""

from __future__ import annotations

import weakref
from typing import Any, ClassVar

from textual.dom import DOMNode
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
    # Bumped whenever a data pane mounts or unmounts anywhere: the cached list of panes
    # (mounted_panes) is walked again only then.
    generation: ClassVar[int] = 0

    pair: PairInfo | None = None
    _statuses: tuple[PaneStatus, ...] = ()

    def _on_mount(self) -> None:
        DataPane.generation += 1

    def _on_unmount(self) -> None:
        DataPane.generation += 1

    def set_pair(self, pair: PairInfo) -> None:
        """Switch to ``pair``; data of the previous pair must not stay on screen."""
        self.pair = pair

    def show_data(self, data: Any) -> None:
        """Render a fresh answer for the current pair."""
        raise NotImplementedError

    def set_feed_state(self, state: FeedState) -> None:
        """Show where the data stands (loading, fresh, stale, error...)."""
        if not self._statuses:  # found once composed (a CSS query per state costs)
            self._statuses = tuple(self.query(PaneStatus))
        for status in self._statuses:
            status.state = state


_found: weakref.WeakKeyDictionary[DOMNode, tuple[int, list[DataPane]]] = (
    weakref.WeakKeyDictionary())


def mounted_panes(root: DOMNode, topic: str | None = None) -> list[DataPane]:
    """The data panes under ``root`` in screen order, optionally only those of ``topic``.

    Every topic answer and state change asks: the tree (hundreds of widgets at 160x48) is
    walked again only after a pane mounted or unmounted (issue #12, CPU at rest; the walk
    was ~8 % of the dashboard's CPU at rest)."""
    cached = _found.get(root)
    if cached is None or cached[0] != DataPane.generation:
        cached = (DataPane.generation, list(root.walk_children(DataPane)))
        _found[root] = cached
    return [p for p in cached[1] if topic is None or p.topic == topic]
