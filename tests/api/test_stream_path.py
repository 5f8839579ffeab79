"""The feed's path: ``/ws`` (live, later edition) or ``/alp-ws`` (the official client). A
server that refuses the handshake on one path is tried on the other, and the one that
answered is kept."""

from __future__ import annotations

import json
import random
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from alp_tui.api.stream import StreamClient, StreamState
from tests.support.wait import wait_until


async def test_a_server_with_only_alp_ws_is_found() -> None:
    paths: list[str] = []

    def only_alp_ws(connection: ServerConnection, request: Request) -> Response | None:
        paths.append(request.path)
        if request.path != "/alp-ws":
            return connection.respond(HTTPStatus.NOT_FOUND, "no such path\n")
        return None

    async def handler(ws: ServerConnection) -> None:
        await ws.send(json.dumps(["welcome", 1, 20_000_000_000, 20_000_000_000, "u"]))
        async for _ in ws:
            pass

    async with serve(handler, "127.0.0.1", 0, process_request=only_alp_ws) as server:
        port = server.sockets[0].getsockname()[1]
        client = StreamClient(f"ws://127.0.0.1:{port}/ws", backoff_initial_s=0.01,
                              backoff_max_s=0.05, rng=random.Random(1))
        async with client:
            await wait_until(None, lambda: client.state is StreamState.CONNECTED,
                             what="connected on /alp-ws")
        assert paths[0] == "/ws" and paths[-1] == "/alp-ws"
        assert client.url.endswith("/alp-ws")
