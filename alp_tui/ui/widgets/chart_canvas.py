"""A line-API canvas for pre-rendered chart lines.

The chart pane converts plotext's ANSI output into :class:`Strip` lines in its build thread
(:func:`ansi_to_strips`); drawing them is then a list lookup per line on the event loop.
A new picture repaints only the lines that differ from the one on screen: the live
last-price line moving one row costs two lines, not the whole canvas.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from alp_tui.ui.widgets.lines import component_fg, message_line

__all__ = ["ChartCanvas", "ansi_to_strips"]


def ansi_to_strips(ansi: str, width: int) -> list[Strip]:
    """Turn ANSI text into one strip per line, cropped or padded to ``width`` cells.

    Pure and thread-safe (a private console per call); meant to run in the build thread.
    """
    console = Console(width=max(1, width), color_system="truecolor", force_terminal=True)
    strips: list[Strip] = []
    for line in ansi.splitlines():
        text = Text.from_ansi(line, no_wrap=True, end="")
        segments = [seg for seg in text.render(console, end="") if seg.text]
        strips.append(Strip(segments).crop_extend(0, width, None))
    return strips


class ChartCanvas(Widget):
    """Pre-rendered chart lines (:meth:`show_lines`) or a message (:meth:`show_message`)."""

    COMPONENT_CLASSES = {"chart-canvas--message"}

    DEFAULT_CSS = """
    ChartCanvas { height: 1fr; width: 1fr; }
    ChartCanvas > .chart-canvas--message { color: $text-muted; text-style: italic; }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Strip] = []
        self._message: str | None = ""

    @property
    def message(self) -> str | None:
        """The message shown instead of a chart, or None while a chart is shown."""
        return self._message

    @property
    def lines(self) -> list[Strip]:
        """The chart lines shown (empty while a message is shown)."""
        return self._lines

    def text(self) -> str:
        """What the canvas shows, as plain text (for tests)."""
        if self._message is not None:
            return self._message
        return "\n".join(strip.text for strip in self._lines)

    def show_lines(self, lines: list[Strip]) -> None:
        """Show a chart, repainting only the lines that changed (all after a message or
        when the number of lines changed)."""
        old, had_message = self._lines, self._message is not None
        self._lines = lines
        self._message = None
        if had_message or len(old) != len(lines):
            self.refresh()
            return
        # Textual re-renders every line of a widget refreshed without a region; a line
        # strip equal to the old one (or the very same one, as the overlay keeps them)
        # can stay as it is on screen.
        width = max(self.size.width, 1)
        changed = [Region(0, y, width, 1) for y, (was, now) in enumerate(zip(old, lines,
                                                                            strict=True))
                   if was is not now and was != now]
        if changed:
            self.refresh(*changed)

    def show_message(self, message: str) -> None:
        """Show ``message`` instead of a chart."""
        if message != self._message:
            self._lines = []
            self._message = message
            self.refresh()

    def render_line(self, y: int) -> Strip:
        """A chart line over the widget's background, or the centred message."""
        width = self.size.width
        base = self.rich_style
        if self._message is not None:
            return message_line(self, y, self._message,
                                base + component_fg(self, "chart-canvas--message"))
        if y >= len(self._lines):
            return Strip.blank(width, base)
        return self._lines[y].apply_style(base).crop_extend(0, width, base)
