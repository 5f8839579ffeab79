"""A pane's status line when its source fails: the age of what is on screen comes first,
so a narrow pane (100x30) that cuts the line still says how old the data is."""

from __future__ import annotations

from alp_tui.feed.state import FeedState, Freshness


def test_error_over_old_data_says_its_age_before_the_reason() -> None:
    state = FeedState(interval_s=1.0).fresh(now=100.0).failed(
        Freshness.ERROR, "The exchange did not answer in time (GET /api/v3/orderbook)")
    text = state.describe(now=129.5)
    assert text.startswith("stale data 29s")
    assert "error: The exchange did not answer in time" in text
    # cut to what a 100-column pane shows after "Balances ● ", the age is still there
    assert "29s" in text[:20]


def test_offline_and_auth_put_the_age_first_too() -> None:
    base = FeedState(interval_s=1.0).fresh(now=0.0)
    assert base.failed(Freshness.OFFLINE, "refused").describe(now=65.0).startswith(
        "stale data 1m · offline")
    assert base.failed(Freshness.AUTH, "401").describe(now=3.0).startswith(
        "stale data 3s · authentication failed")


def test_error_without_data_yet_reads_as_before() -> None:
    state = FeedState().failed(Freshness.ERROR, "boom")
    assert state.describe(now=5.0) == "error: boom"


def test_fresh_data_says_fresh_and_the_age_comes_once_it_is_stale() -> None:
    """``fresh 1s``, ``fresh 2s``… repainted every status line on the screen once a second
    (a third of the dashboard's CPU at rest, issue #12). Fresh says fresh; how old the data
    is matters once it is stale, and then it counts (the health screen, F2, has every age)."""
    state = FeedState(interval_s=10.0).fresh(now=100.0)
    assert state.describe(now=100.4) == "fresh"
    assert state.describe(now=129.0) == "fresh"
    assert state.describe(now=131.0) == "stale 31s"
    assert state.describe(now=142.0) == "stale 42s"
