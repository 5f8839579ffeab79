"""A tiny app that composes market panes side by side, for pilot tests and screenshots."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

import alp_tui.ui.panes as panes_pkg

MARKET_TCSS = Path(panes_pkg.__file__).with_name("market_panes.tcss")


class PaneHarness(App[None]):
    """Composes the given panes (record messages with ``run_test(message_hook=...)``)."""

    CSS_PATH = [MARKET_TCSS]
    CSS = """
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
            with Horizontal():
                with Vertical(id="left"):
                    yield self._panes[0]
                with Vertical(id="right"):
                    yield from self._panes[1:]
        else:
            with Horizontal():
                yield from self._panes
