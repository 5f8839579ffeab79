"""The header's data age: said when the freshest data lags, not counted every second."""

from __future__ import annotations

from textual.widgets import Static

from alp_tui.ui.panes.header import HeaderPane
from tests.ui_panes.test_account_panes import StyledHost, _text


async def test_the_header_says_how_old_the_data_is_only_once_it_lags() -> None:
    """``STREAM 850ms``, ``STREAM 1s``… changed the header every second of a quiet market and
    each change recomposed the screen (issue #12, CPU at rest). Live data: the word alone;
    the freshest data 12 s old: the age beside it, as before."""
    header = HeaderPane(id="header")
    async with StyledHost(header).run_test(size=(160, 3)) as pilot:
        header.connection = "STREAM"
        header.data_age = 0.85
        await pilot.pause()
        conn = header.query_one("#header-conn", Static)
        assert _text(conn).strip() == "● STREAM"
        header.data_age = 12.4
        await pilot.pause()
        assert _text(conn).strip() == "● STREAM   12s"
        header.data_age = 0.2
        await pilot.pause()
        assert _text(conn).strip() == "● STREAM"
