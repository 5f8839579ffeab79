"""Which topics are polled, and how often: *watched* topics always, *shown* ones on screen.

Watched topics (balances, open orders, loans and margin levels, fills) describe the
account; the session keeps them fed whether or not a pane shows them: by the stream where
it delivers, else polled — at the config's interval while shown, slower while hidden.
Shown topics (book, trades, chart, histories) are polled only while on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from alp_tui.config import PollingConfig

WATCHED = frozenset({"balances", "orders", "margin", "fills"})
ALWAYS = frozenset({"tickers"})  # the markets table is always on screen; prices value all
# Seconds between polls of a watched topic no pane shows (at least the shown interval).
HIDDEN_INTERVALS = {"margin": 15.0, "orders": 10.0, "balances": 10.0, "fills": 30.0}
FILLS_INTERVAL_S = 30.0  # no pane shows fills; an order that filled asks for them at once
# After the user's own action these are read again at once.
AFTER_ACTION = ("orders", "balances", "margin", "fills", "history")


@dataclass(frozen=True, slots=True)
class WatchPlan:
    """What to poll: the active topics, and each watched topic's interval."""

    active: frozenset[str]
    intervals: dict[str, float] = field(default_factory=dict)


def plan(topics: Iterable[str], shown: Iterable[str], polling: PollingConfig) -> WatchPlan:
    """The plan for ``topics`` (those the feed has) when ``shown`` are on screen."""
    names = set(topics)
    on_screen = set(shown)
    active = (on_screen | ALWAYS | WATCHED) & names
    intervals: dict[str, float] = {}
    for name in WATCHED & names:
        base = polling.interval(name, FILLS_INTERVAL_S)
        if name in on_screen:
            intervals[name] = base
        else:
            intervals[name] = max(base, HIDDEN_INTERVALS.get(name, base))
    return WatchPlan(frozenset(active), intervals)
