"""The journal on its own: states, unanswered, CSV export, file mode."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

from alp_tui.services.journal import EntryState, Journal


def test_states_unanswered_and_export(tmp_path: Path) -> None:
    clock = iter(range(1_700_000_000, 1_700_000_100))
    journal = Journal(tmp_path / "sub" / "journal.sqlite3", clock=lambda: float(next(clock)))
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600
    a = journal.begin("place", {"pair": "BTC_USDT", "side": "BUY"}, client_order_id="c1",
                      venue="v1")
    b = journal.begin("cancel", {"order_ids": [5]}, venue="v1")
    c = journal.begin("withdraw", {"amount": "25"}, client_order_id="c3", venue="v2")
    assert [e.id for e in journal.unanswered()] == [a, b, c]
    journal.done(a, {"order_ids": [7]})
    journal.failed(b, "Refused: order not found")
    journal.unknown(c, "timeout; lookup failed")
    assert [e.id for e in journal.unanswered(venue="v2")] == [c]
    assert journal.unanswered(venue="v1") == []
    assert journal.get(a).state is EntryState.DONE  # type: ignore[union-attr]
    assert journal.claimed_order_ids() == {7}
    out = tmp_path / "journal.csv"
    assert journal.export_csv(out) == 3
    rows = list(csv.reader(out.open()))
    assert rows[0][:4] == ["id", "time_utc", "venue", "kind"]
    assert {r[6] for r in rows[1:]} == {"done", "failed", "unknown"}
    assert rows[-1][1] == "2023-11-14T22:13:20+00:00"
    journal.close()
    # Reopened, nothing is lost.
    again = Journal(tmp_path / "sub" / "journal.sqlite3")
    assert len(again.entries()) == 3
