"""Helpers for pilot tests: build the dashboard against a simulator, tell when it is fresh.

Wait with :func:`tests.support.wait.wait_until`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from alp_tui.config import Config
from alp_tui.feed.state import Freshness
from alp_tui.ui.app import AlpApp, create_app
from tests.support.wait import wait_until as support_wait_until

MARKET_TOPICS = ("tickers", "orderbook", "chart", "trades")


def sim_app(server: Any, *, keys: bool = False, config: Config | None = None,
            config_path: Path | None = None, **kwargs: Any) -> AlpApp:
    """The dashboard against ``server`` (public-only unless ``keys``)."""
    return create_app(
        config or Config(),
        base_url=server.base_url,
        api_key=server.api_key if keys else "",
        api_secret=server.api_secret if keys else "",
        mode="demo",
        config_path=config_path,
        **kwargs,
    )


async def wait_until(pilot: Pilot, condition: Callable[[], bool], *, tries: int | None = None,
                     what: str = "condition", **kwargs: Any) -> None:
    """Kept for tests written before :mod:`tests.support.wait` (#18); use that module's
    ``wait_until``. ``tries`` is ignored: the support helper waits up to a deadline."""
    await support_wait_until(pilot, condition, what=what, **kwargs)


def all_fresh(app: AlpApp, topics: tuple[str, ...] = MARKET_TOPICS) -> bool:
    """Every topic has had a good answer."""
    return all(
        (s := app.topic_states.get(t)) is not None and s.updated_at is not None
        and s.kind is Freshness.FRESH
        for t in topics
    )
