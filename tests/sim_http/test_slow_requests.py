"""A request whose head or body never finishes is answered 408 and its connection closed
after the server's read deadline; other clients are served meanwhile (raw sockets)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from alp_tui.sim.server import SimServer

# Short deadlines keep the test quick; the recv timeout is far longer, so a connection
# still held (the bug) fails the test instead of passing by luck.
DEADLINE_S = 0.5
HELD_S = 30.0


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer(seed=3, market_life=False, header_timeout_s=DEADLINE_S,
                   body_timeout_s=DEADLINE_S) as srv:
        yield srv


def _connect(server: SimServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=HELD_S)
    return sock


def _read_to_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a socket.timeout if it never does)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (head and content-length body) from a kept-alive socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536) or pytest.fail(f"closed mid-response: {data!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536) or pytest.fail("closed mid-body")
    return head + b"\r\n\r\n" + body


def _still_serving(server: SimServer) -> None:
    assert httpx.get(server.base_url + "/time", timeout=10).status_code == 200


def test_half_a_request_head_is_closed_with_408(server: SimServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        _still_serving(server)  # the stuck connection holds nobody else up
        answer = _read_to_close(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b"the request was not sent in time")
    _still_serving(server)


def test_a_silent_connection_is_closed(server: SimServer) -> None:
    with _connect(server) as sock:
        assert _read_to_close(sock).startswith(b"HTTP/1.1 408 ")


def test_a_body_that_never_comes_is_closed_with_408(server: SimServer) -> None:
    body = json.dumps({"api_key": server.api_key, "api_secret": "x"}).encode()
    with _connect(server) as sock:
        sock.sendall(b"POST /api/v3/auth HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
        answer = _read_to_close(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    _still_serving(server)


def test_trickled_head_bytes_do_not_extend_the_deadline(server: SimServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/v3/time HTTP/1.1\r\n")
        sock.settimeout(DEADLINE_S / 5)
        got = b""
        for _ in range(int(HELD_S / (DEADLINE_S / 5))):
            try:
                sock.sendall(b"X-A: b\r\n")
            except OSError:  # closed under us: that's the point
                break
            try:
                got = sock.recv(65536)
            except TimeoutError:
                continue
            break
        else:
            pytest.fail("a trickled head held the connection")
    assert got == b"" or got.startswith(b"HTTP/1.1 408 ")


def test_kept_alive_connections_and_whole_requests_are_untouched(server: SimServer) -> None:
    with _connect(server) as sock:
        for _ in range(2):
            sock.sendall(b"GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = _read_response(sock)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
        # Idle between requests for longer than the read deadline: keep-alive rules.
        sock.settimeout(DEADLINE_S * 3)
        with pytest.raises(TimeoutError):
            sock.recv(65536)
        sock.settimeout(HELD_S)
        sock.sendall(b"GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")


def test_websocket_connections_outlive_the_deadline(server: SimServer) -> None:
    from websockets.sync.client import connect

    url = server.base_url.replace("http://", "ws://").replace("/api/v3", "/ws")
    with connect(url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))[0] == "welcome"
        with pytest.raises(TimeoutError):  # quiet past the read deadline
            ws.recv(timeout=DEADLINE_S * 3)
        ws.send(json.dumps(["subscribe", "ticker.BTC_USDT"]))
        assert json.loads(ws.recv(timeout=10))[0] == "subscribe"


def test_a_body_still_owed_after_an_early_answer_does_not_hold_the_connection(
        server: SimServer) -> None:
    with _connect(server) as sock:
        # Declares more than the body limit: answered 413 at once, the body never comes.
        sock.sendall(b"POST /api/v3/auth HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Length: 100000\r\n\r\n{")
        answer = _read_to_close(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")
    _still_serving(server)
