"""Helpers of the session tests: a session on the simulator, fast sleeps, a wait loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alp_tui.api.client import AlpClient
from alp_tui.config import Config
from alp_tui.session import Session
from tests.support.sim import offer
from tests.support.wait import wait_until

__all__ = ["FastSleep", "make_session", "offer", "until"]


class FastSleep:
    """The feed's ``sleep(delay, wake)``: records each delay asked, waits a moment only,
    so a test sees many polling rounds in well under a second of real time."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float, wake: asyncio.Event) -> None:
        self.delays.append(delay)
        if delay >= 3600:  # an inactive topic waits for a wake-up
            try:
                await asyncio.wait_for(wake.wait(), 0.05)
            except TimeoutError:
                pass
            return
        await asyncio.sleep(0.01)


def make_session(server: Any, tmp_path: Path, *, config: Config | None = None,
                 sleep: Any = None, **kwargs: Any) -> Session:
    """A session with the simulator's keys, its journal under ``tmp_path``."""
    cfg = config or Config()

    def client() -> AlpClient:
        return AlpClient(server.base_url, server.api_key, server.api_secret, 10)

    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    return Session(cfg, client, has_credentials=True,
                   journal_path=tmp_path / "journal.sqlite3", **extra, **kwargs)


async def until(condition: Callable[[], Any], timeout: float = 30.0) -> None:
    """Wait until ``condition()`` is true, with no app (the project's one wait helper)."""
    await wait_until(None, condition, timeout=timeout)


