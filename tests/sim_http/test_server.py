"""SimServer lifecycle: loopback default, body limit, restart with state, market tick."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from decimal import Decimal

import httpx
import pytest

from alp_tui.sim.server import SimServer, is_loopback

from .fake_exchange import FakeExchange
from .helpers import Raw, body

ORDER = {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BUY",
         "base_amount": "0.01", "limit_price": "20000", "client_order_id": "keep-me"}


def test_binds_loopback_by_default(sim_server: SimServer) -> None:
    assert sim_server.base_url.startswith("http://127.0.0.1:")
    assert sim_server._socket is not None
    assert sim_server._socket.getsockname()[0] == "127.0.0.1"


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


def test_other_host_warns() -> None:
    with pytest.warns(RuntimeWarning, match="reachable from other machines"):
        SimServer(host="0.0.0.0", exchange_factory=FakeExchange)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SimServer(exchange_factory=FakeExchange)


def test_start_returns_listening_url_and_credentials(sim_server: SimServer) -> None:
    r = httpx.get(sim_server.base_url + "/time")
    assert r.status_code == 200 and isinstance(body(r)["serverTime"], int)
    assert sim_server.api_key and sim_server.api_secret
    assert sim_server.exchange.find_api_key(sim_server.api_key) is not None


def test_given_credentials_are_used(make_sim_server) -> None:
    server = make_sim_server(api_key="K", api_secret="S")
    assert (server.api_key, server.api_secret) == ("K", "S")
    raw = Raw(server)
    assert raw.get("/accounts/balances").status_code == 200
    raw.close()


def test_body_size_limit(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange, body_limit=1024)
    raw = Raw(server)
    big = {"pair": "BTC_USDT", "pad": "x" * 2000}
    r = raw.post("/trading/order", big)
    assert r.status_code == 413
    # Without a Content-Length (chunked), the limit holds too.
    def chunks():
        yield b'{"pad": "'
        for _ in range(40):
            yield b"x" * 100
        yield b'"}'
    r = raw.client.post("/trading/order", content=chunks(),
                        headers={"Authorization": f"Bearer {raw.token}", "X-SIGN": "0"})
    assert r.status_code == 413
    raw.close()


def test_default_body_limit_is_64k(sim_server: SimServer) -> None:
    raw = Raw(sim_server)
    assert raw.post("/trading/order", {"pad": "x" * 70_000}).status_code == 413
    raw.close()


def test_restart_keeps_state_and_port(make_sim_server, tmp_path) -> None:
    state = str(tmp_path / "sim.sqlite")
    server = make_sim_server(state_path=state)
    raw = Raw(server)
    r = raw.post("/trading/order", ORDER)
    assert r.status_code == 200, r.text
    order_id = body(r)[0]
    before = body(raw.get("/accounts/balances"))
    port, url = server.port, server.base_url

    assert server.restart() == url
    assert server.port == port
    # The old token still works (the signing key belongs to the server object), and the
    # client's kept-alive connection was closed by the restart.
    raw.client.close()
    raw.client = httpx.Client(base_url=server.base_url, timeout=10)
    after = body(raw.get("/accounts/balances"))
    assert after == before
    orders = body(raw.get("/accounts/order", {"open_only": "true"}))
    assert [o["id"] for o in orders] == [order_id]
    raw.close()


def test_stop_is_idempotent_and_frees_port(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange)
    port = server.port
    server.stop()
    server.stop()
    assert not server.running
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_port_in_use_raises(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange)
    other = SimServer(port=server.port, exchange_factory=FakeExchange)
    with socket.socket() as s:
        # SO_REUSEADDR allows rebinding a TIME_WAIT port, never a listening one.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError):
            s.bind(("127.0.0.1", server.port))
    with pytest.raises(OSError):
        other.start()


def test_market_tick_calls_step(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange, market_life=True, tick_s=0.01)
    deadline = time.monotonic() + 10
    while server.exchange.steps < 3 and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert server.exchange.steps >= 3


def test_no_tick_without_market_life(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange, market_life=False, tick_s=0.01)
    httpx.get(server.base_url + "/time")
    assert server.exchange.steps == 0


def test_live_quirks_unknown_path_401(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange, live_quirks=True)
    r = httpx.get(server.base_url + "/does-not-exist")
    assert r.status_code == 401 and body(r)["code"] == "UNAUTHORIZED"


def test_context_manager() -> None:
    with SimServer(exchange_factory=FakeExchange, market_life=False) as server:
        assert httpx.get(server.base_url + "/time").status_code == 200
    assert not server.running


def test_exact_decimals_survive_http(sim_server: SimServer) -> None:
    raw = Raw(sim_server)
    rows = body(raw.get("/accounts/balances"))
    assert all(isinstance(r["balance"], Decimal | int) for r in rows)
    raw.close()


async def test_in_process_asgi_without_socket() -> None:
    from alp_tui.api import AlpClient

    server = SimServer(seed=1, market_life=False)
    transport = httpx.ASGITransport(app=server.asgi())
    try:
        async with AlpClient(base_url="http://127.0.0.1/api/v3", api_key=server.api_key,
                             api_secret=server.api_secret, transport=transport) as client:
            assert await client.balances()
            ids = await client.place_order(pair="BTC_USDT", order_side="BUY",
                                           order_type="LIMIT", base_amount="0.001",
                                           limit_price="10000")
            assert len(ids) == 1
        assert not server.running
    finally:
        server.stop()


async def test_concurrent_orders_are_consistent(sim_server: SimServer) -> None:
    import asyncio
    import json

    from alp_tui.sim.auth import sign

    token = sim_server.token()
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=sim_server.base_url, limits=limits) as c:
        async def place(i: int) -> httpx.Response:
            data = json.dumps({"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BUY",
                               "base_amount": "0.001", "limit_price": str(10000 + i),
                               "client_order_id": f"c{i}"}).encode()
            return await c.post("/trading/order", content=data, headers={
                "Authorization": f"Bearer {token}",
                "X-SIGN": sign(sim_server.api_secret, data)})
        responses = await asyncio.gather(*(place(i) for i in range(60)))
    assert all(r.status_code == 200 for r in responses)
    ids = [body(r)[0] for r in responses]
    assert len(set(ids)) == 60
    usdt = next(b for b in sim_server.exchange.balances(sim_server.account_id)
                if b["currency"] == "USDT" and b["wallet_type"] == "SPOT")
    expected = sum(Decimal("0.001") * (10000 + i) for i in range(60))
    assert usdt["reserve"] >= expected  # fees may be held on top


def test_date_header(sim_server: SimServer) -> None:
    r = httpx.get(sim_server.base_url + "/time")
    assert "date" in r.headers
