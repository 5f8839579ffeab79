"""A tiny app that composes panes side by side, for pilot tests and benchmarks, styled by
the dashboard's own stylesheets (what a pane looks like here is what it looks like in the
app)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from alp_tui.ui import app as app_module

APP_CSS = [Path(app_module.__file__).with_name(name) for name in app_module.AlpApp.CSS_PATH]


class PaneHarness(App[None]):
    """Composes the given panes (record messages with ``run_test(message_hook=...)``)."""

    CSS_PATH = APP_CSS
    # The app sizes its panes by their place on the dashboard (#orderbook 3fr of the book
    # column, ...); here each pane shares the row instead.
    CSS = """
    #harness DataPane { width: 1fr; height: 1fr; }
    #left { width: 2fr; }
    #right { width: 1fr; }
    """

    def __init__(self, *panes: Widget, layout: str = "row") -> None:
        super().__init__()
        self._panes = panes
        self._layout = layout

    def compose(self) -> ComposeResult:
        """The panes: in a row, or the first on the left and the others stacked right."""
        if self._layout == "dashboard" and len(self._panes) >= 2:
            with Horizontal(id="harness"):
                with Vertical(id="left"):
                    yield self._panes[0]
                with Vertical(id="right"):
                    yield from self._panes[1:]
        else:
            with Horizontal(id="harness"):
                yield from self._panes
