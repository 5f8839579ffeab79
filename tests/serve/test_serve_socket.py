"""The page's WebSocket carries the dashboard (textual-serve's protocol, spoken by hand), only
to pages of this server, and Ctrl+C ends the dashboard processes the server started."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path

import httpx
import pytest
import websockets
from serve_support import WS_URL_RE, Served, process_alive, wait_ended

from alp_tui.sim.server import SimServer

SEEN_TIMEOUT_S = 60.0


def socket_url(page_url: str) -> str:
    """The socket URL the page hands to xterm.js (as the browser would find it)."""
    page = httpx.get(page_url, timeout=30).text
    match = WS_URL_RE.search(page)
    assert match, page[:500]
    return match.group(1)


async def read_until(ws: websockets.ClientConnection, *needles: bytes) -> bytes:
    """The terminal bytes the server sends, until every needle has been seen."""
    seen = b""
    async with asyncio.timeout(SEEN_TIMEOUT_S):
        while not all(needle in seen for needle in needles):
            message = await ws.recv()
            if isinstance(message, bytes):  # terminal output; text frames are meta (JSON)
                seen += message
    return seen


@pytest.mark.slow
async def test_socket_carries_the_demo_dashboard_and_ctrl_c_ends_it() -> None:
    with Served(["--demo"]) as served:
        url = socket_url(served.url)
        async with websockets.connect(f"{url}?width=140&height=40") as ws:
            await ws.send(json.dumps(["resize", {"width": 140, "height": 40}]))
            await read_until(ws, b"BTC_USDT", b"DEMO")
            await ws.send(json.dumps(["stdin", "?"]))  # a key: the help screen opens
            await read_until(ws, b"keys and mouse")
            await ws.send(json.dumps(["ping", "x"]))
            # Ctrl+C while the tab is open: the server tells the tab it is going away and
            # ends the tab's dashboard.
            [pid] = served.dashboard_pids()
            assert process_alive(pid)
            served.proc.send_signal(signal.SIGINT)  # type: ignore[union-attr]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(SEEN_TIMEOUT_S):
                    while True:
                        await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert served.stop() == 0
        assert wait_ended([pid]) == []
        assert "tab closed" in served.stderr
        assert "Traceback" not in served.stdout + served.stderr


async def test_other_sites_cannot_open_the_socket_or_rebind_the_page() -> None:
    with Served([]) as served:  # no tab is opened here, so no dashboard starts
        url = socket_url(served.url)
        port = url.rsplit(":", 1)[1].split("/")[0]
        # Another web site open in the user's browser tries the socket: refused.
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(url, origin="http://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        # A name that resolves to 127.0.0.1 (DNS rebinding) gets no page.
        rebound = httpx.get(served.url, headers={"Host": f"evil.example:{port}"}, timeout=30)
        assert rebound.status_code == 403
        download = httpx.get(f"{served.url}/download/any",
                             headers={"Host": f"evil.example:{port}"}, timeout=30)
        assert download.status_code == 403
        # The page opened as localhost may use the socket at 127.0.0.1: the same server.
        page = httpx.get(served.url.replace("127.0.0.1", "localhost"), timeout=30)
        assert page.status_code == 200 and f"ws://localhost:{port}/ws" in page.text
        assert served.dashboard_pids() == []
        assert served.stop(signal.SIGTERM) == 0
        assert "refused" in served.stderr


@pytest.mark.slow
async def test_keys_reach_the_dashboard_only_and_it_dies_with_a_killed_server(
        sim_server: SimServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[exchange]\nbase_url = "{sim_server.base_url}"\n'
                      f'api_key = "{sim_server.api_key}"\n')
    config.chmod(0o600)
    secret = sim_server.api_secret
    # The secret comes from the environment, as a user would keep it out of the file.
    with Served(["--config", str(config), "--pair", "eth_usdt"],
                env={"ALP_API_SECRET": secret}) as served:
        page = httpx.get(served.url, timeout=30).text
        url = socket_url(served.url)
        async with websockets.connect(f"{url}?width=140&height=40") as ws:
            # The balances (signed requests) show: the dashboard has the keys.
            await read_until(ws, b"ETH_USDT", b"LIVE", b"100,000.00")
            [pid] = served.dashboard_pids()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
            # Even a server killed outright takes the dashboard (which can trade) with it.
            assert served.stop(signal.SIGKILL) == -signal.SIGKILL
            assert wait_ended([pid]) == []
    for where in (page, url, served.url, served.stdout, served.stderr, cmdline):
        assert secret not in where
    assert re.search(r"--pair\x00ETH_USDT\x00--config\x00", cmdline)


@pytest.mark.slow
async def test_paper_is_served_to_one_tab_at_a_time(sim_server: SimServer,
                                                    tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[exchange]\nbase_url = "{sim_server.base_url}"\n')
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}  # the paper account, away from the user's
    with Served(["--paper", "--config", str(config)], env=env) as served:
        url = socket_url(served.url)
        async with websockets.connect(f"{url}?width=140&height=40") as first:
            await read_until(first, b"BTC_USDT", b"PAPER")
            # A second tab would be a second paper exchange over the same account file.
            async with websockets.connect(f"{url}?width=140&height=40") as second:
                said = await read_until(second, b"already open in another tab")
                assert b"Close that tab, then reload" in said
            [pid] = served.dashboard_pids()
        assert wait_ended([pid]) == []
        assert served.stop() == 0
