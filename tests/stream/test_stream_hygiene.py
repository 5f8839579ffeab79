"""The streaming modules stay free of textual (the core never imports the UI)."""

from __future__ import annotations

import subprocess
import sys


def test_stream_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import alp_tui.api.stream, alp_tui.api.stream_events, alp_tui.api.local_book\n"
        "import alp_tui.sim.ws, alp_tui.feed.stream_feed\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def test_jwt_never_in_reprs() -> None:
    from alp_tui.api.stream import StreamClient

    async def token() -> str:
        return "eyJ.secret.token"

    client = StreamClient("ws://127.0.0.1:1/ws", token_provider=token)
    assert "secret" not in repr(client)
