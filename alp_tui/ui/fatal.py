"""The app's exit after an unhandled exception: a traceback without local variables.

Textual's default traceback shows each frame's locals, and a frame may hold the API secret,
a token or a signature; secrets never reach the screen.
"""

from __future__ import annotations

from typing import Any

from textual.app import App


def exit_without_locals(app: App[Any]) -> None:
    """Ring, keep a traceback with no local variables for the exit, and close (what
    Textual's private ``App._fatal_error`` does, less the locals)."""
    import rich
    from rich.segment import Segments
    from rich.traceback import Traceback

    app.bell()
    traceback = Traceback(show_locals=False, width=None, suppress=[rich])
    app._exit_renderables.append(Segments(app.console.render(traceback, app.console.options)))
    app._close_messages_no_wait()
