"""An unhandled exception ends the dashboard with a traceback that shows no local
variables: a frame may hold the API secret, and Textual's default would print it."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from rich.console import Console

from alp_tui.config import Config
from alp_tui.ui.app import create_app

SECRET = "s3cret-never-on-screen-0123456789"


async def test_a_crash_prints_the_error_but_no_local_variables() -> None:
    @contextlib.asynccontextmanager
    async def no_client() -> AsyncIterator[Any]:
        yield object()

    app = create_app(Config(), client_factory=no_client, start_feed=False)
    app.error_console = Console(record=True, width=120, file=io.StringIO())  # what exit prints

    def sign_and_fail() -> None:
        api_secret = SECRET  # what a signing frame holds
        raise RuntimeError(f"boom ({len(api_secret)} characters signed)")

    with pytest.raises(RuntimeError, match="boom"):  # run_test hands the crash on
        async with app.run_test(size=(100, 30)) as pilot:
            app.call_later(sign_and_fail)
            await pilot.pause()
    shown = app.error_console.export_text()
    assert "RuntimeError" in shown and "boom (33 characters signed)" in shown
    assert SECRET not in shown
