"""Panes do not redraw (nor lay the screen out again) for text or data that did not change.

Counted with a spy on ``refresh``: behaviour, not timing (issue #12, CPU at rest).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from alp_tui.ui.widgets.static_text import set_static_text


class _Spy:
    """Counts a widget's refresh calls, and those asking for a layout pass."""

    def __init__(self, widget: Any) -> None:
        self.calls = 0
        self.layouts = 0
        original = widget.refresh

        def refresh(*regions: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.layouts += bool(kwargs.get("layout"))
            return original(*regions, **kwargs)

        widget.refresh = refresh


class _One(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(id="line")


async def test_unchanged_text_is_not_redrawn() -> None:
    app = _One()
    async with app.run_test() as pilot:
        line = app.query_one("#line", Static)
        spy = _Spy(line)
        assert set_static_text(line, Text("3 open · BTC_USDT", style="bold"))
        first = spy.calls
        assert first >= 1 and spy.layouts == 1  # the first text may change the size
        assert not set_static_text(line, Text("3 open · BTC_USDT", style="bold"))
        assert spy.calls == first  # the same text again: nothing to draw
        await pilot.pause()
        assert "3 open" in str(line.render())


async def test_changed_text_of_the_same_shape_needs_no_layout() -> None:
    app = _One()
    async with app.run_test():
        line = app.query_one("#line", Static)
        set_static_text(line, "total 1,234.56 USDT")
        spy = _Spy(line)
        assert set_static_text(line, "total 1,234.57 USDT")  # same length: repaint only
        assert spy.calls >= 1 and spy.layouts == 0
        assert set_static_text(line, "total 11,234.57 USDT")  # longer: may need more room
        assert spy.layouts == 1
        assert set_static_text(line, Text("total 11,234.57 USDT", style="red"))  # new style
        assert spy.layouts == 1
        assert "11,234.57" in str(line.render())
