"""Matrix row: the app is killed (SIGKILL) right after an order POST left. On the next
start the journal's unanswered entry is reconciled and reported: no duplicate, no orphan.

Done for real: a child process places the order through the service against a simulator
in this process (with a state file); the simulator processes the order and holds the
answer back; the child is SIGKILLed; the simulator restarts from its state file; a new
service on the same journal reconciles."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from alp_tui.api.client import AlpClient
from alp_tui.services.journal import EntryState, Journal
from alp_tui.services.reconcile import reconcile
from alp_tui.services.trading import Outcome, TradingService
from tests.support.sim import HoldingSimServer, ledger_orders
from tests.support.wait import wait_until

CHILD = Path(__file__).with_name("place_and_wait.py")


async def test_kill_9_after_the_post_is_reconciled_on_next_start(tmp_path: Path) -> None:
    journal_path = tmp_path / "journal.sqlite3"
    server = HoldingSimServer(seed=1, market_life=False, state_path=str(tmp_path / "sim.db"))
    server.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        server.hold.arm(1, hold_s=60.0)
        env = {**os.environ, "ALP_API_KEY": server.api_key,
               "ALP_API_SECRET": server.api_secret}
        proc = subprocess.Popen([sys.executable, str(CHILD), server.base_url,
                                 str(journal_path)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        await wait_until(None, server.hold.processed.is_set, timeout=30,
                       what="the child's order to reach the exchange")
        proc.send_signal(signal.SIGKILL)
        out, _err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        assert b"answered" not in out  # it died without an answer
        server.hold.release.set()
        (placed,) = ledger_orders(server)

        # the journal holds the entry, unanswered, written before the request left
        (entry,) = Journal(journal_path).unanswered()
        assert entry.state is EntryState.PENDING
        assert entry.client_order_id == placed["client_order_id"]

        # next start: the exchange comes back from its state file, the app reconciles
        server.restart()
        async with AlpClient(server.base_url, server.api_key, server.api_secret,
                             timeout_s=5) as client:
            journal = Journal(journal_path)
            service = TradingService(client, journal)
            (report,) = await reconcile(service)
            assert report.outcome is Outcome.DONE, report.message
            assert report.ids == (placed["id"],)
            assert f"#{placed['id']}" in report.message and "placed" in report.message
            assert journal.unanswered() == []
            assert await reconcile(service) == []  # settled once, for good
            orders = await client.orders()
        # no duplicate: one order on the exchange; no orphan: the journal accounts for it
        assert [o.id for o in orders] == [placed["id"]]
        done = journal.get(entry.id)
        assert done is not None and done.state is EntryState.DONE
        assert done.response["order_ids"] == [placed["id"]]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        server.hold.release.set()
        await asyncio.to_thread(server.stop)
