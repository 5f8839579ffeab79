"""A local file found broken at start (here the trading journal) is said once in a toast
and stays in the error log (F3): a trader who looks away for 20 s still learns of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.dashboard import sim_app
from tests.support.wait import wait_until


async def test_corrupt_journal_is_told_and_kept_in_the_error_log(market_sim: Any,
                                                                 tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    journal.write_bytes(b"not a database" * 200)
    journal.chmod(0o600)
    app = sim_app(market_sim, keys=True)
    app.journal_path = journal
    toasts: list[str] = []
    notify = app.notify

    def record(message: str, *args: Any, **kwargs: Any) -> None:
        toasts.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: any("moved aside" in t or "corrupt" in t
                                            for t in toasts), what="the toast")
        logged = [e.message for e in app.session.errors.items()]
        assert any("corrupt" in m or "moved aside" in m for m in logged), logged
        assert app.header_pane.error_count >= 1
    assert sum("corrupt" in t or "moved aside" in t for t in toasts) == 1  # said once
