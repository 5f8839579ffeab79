"""Trades pane: the selected pair's recent public trades, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult

from alp_tui.api.models import PairInfo, PublicTrade
from alp_tui.feed.state import FeedState
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.pane_status import PaneStatus
from alp_tui.ui.widgets.trade_tape import TradeTape

__all__ = ["TradesPane"]


class TradesPane(DataPane):
    """Recent public trades: local time, price (green buy ▲, red sell ▼), amount.

    Each answer is merged by trade id: only trades not seen before are added and rendered.
    Trades of another pair (a late answer after a pair switch) are ignored.
    """

    topic: ClassVar[str] = "trades"

    def __init__(self, *, max_trades: int = 500, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_trades = max_trades
        self._pending: list[PublicTrade] = []
        self._feed_state: FeedState | None = None

    def compose(self) -> ComposeResult:
        """The tape and the status line."""
        yield TradeTape(max_trades=self._max_trades, id="trades-tape")
        yield PaneStatus("", id="trades-status")

    def on_mount(self) -> None:
        """Title the pane; apply a pair set before mounting."""
        if self.pair is not None:
            self.tape.set_pair(self.pair)
        if self._pending:
            self.tape.add_trades(self._pending)
            self._pending = []
        if self._feed_state is not None:
            self.query_one(PaneStatus).state = self._feed_state
        self._update_title()

    @property
    def tape(self) -> TradeTape:
        """The tape widget."""
        return self.query_one(TradeTape)

    def set_pair(self, pair: PairInfo) -> None:
        """Switch pair: the old pair's trades go at once."""
        super().set_pair(pair)
        self._pending = []
        if self.is_mounted:
            self.tape.set_pair(pair)
            self._update_title()

    def show_data(self, data: Sequence[PublicTrade]) -> int:
        """Merge an answer (any order); returns how many trades were new."""
        if not self.is_mounted:
            self._pending.extend(data)
            return len(data)
        return self.tape.add_trades(data)

    def set_feed_state(self, state: FeedState) -> None:
        """Show where the trades' data stands (kept until mounted)."""
        self._feed_state = state
        super().set_feed_state(state)

    def _update_title(self) -> None:
        name = self.pair.name if self.pair else ""
        self.border_title = f"Trades {name}".strip()
