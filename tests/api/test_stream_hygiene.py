"""Stream hygiene: no secret in reprs (that the stream modules import no textual:
tests/test_layering.py)."""

from __future__ import annotations


def test_jwt_never_in_reprs() -> None:
    from alp_tui.api.stream import StreamClient

    async def token() -> str:
        return "eyJ.secret.token"

    client = StreamClient("ws://127.0.0.1:1/ws", token_provider=token)
    assert "secret" not in repr(client)
