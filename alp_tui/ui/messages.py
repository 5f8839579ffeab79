"""App-wide messages: feed data and state reaching the UI, and user intents leaving panes."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from alp_tui.feed.poller import FeedParams
from alp_tui.feed.state import FeedState


class FeedData(Message):
    """A fresh answer for ``topic`` about ``params`` (pair, interval, grouping).

    A queued update is replaced by a newer one for the same topic and params, so the UI
    never falls behind a fast feed.
    """

    def __init__(self, topic: str, params: FeedParams, data: Any) -> None:
        super().__init__()
        self.topic = topic
        self.params = params
        self.data = data

    def can_replace(self, message: Message) -> bool:
        """A newer update of the same topic and params supersedes this one."""
        return (
            isinstance(message, FeedData)
            and message.topic == self.topic
            and message.params == self.params
        )


class FeedStateChanged(Message):
    """``topic``'s data is now loading / fresh / stale / paused / in error."""

    def __init__(self, topic: str, state: FeedState) -> None:
        super().__init__()
        self.topic = topic
        self.state = state

    def can_replace(self, message: Message) -> bool:
        """Only the newest state of a topic matters."""
        return isinstance(message, FeedStateChanged) and message.topic == self.topic


class PairChosen(Message):
    """The user picked ``pair`` (Enter or click in the markets pane, or the palette)."""

    def __init__(self, pair: str) -> None:
        super().__init__()
        self.pair = pair


class WatchToggled(Message):
    """The user toggled ``pair`` in or out of the watchlist."""

    def __init__(self, pair: str) -> None:
        super().__init__()
        self.pair = pair


class ErrorLogged(Message):
    """A new entry reached the error log (for the header's error counter)."""

    def __init__(self, topic: str, message: str) -> None:
        super().__init__()
        self.topic = topic
        self.message = message


class SessionNews(Message):
    """Any other event of the session (account snapshot, alert, fill, notice, badge)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event
