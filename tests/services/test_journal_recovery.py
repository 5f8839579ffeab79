"""Finding 5 of #14: an unreadable journal never stops the app. It is moved aside to
``journal.sqlite3.corrupt-<time>`` and trading goes on with a new journal."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from alp_tui.services.journal import EntryState, Journal


def _valid_journal(path: Path, entries: int = 200) -> None:
    journal = Journal(path)
    for i in range(entries):
        journal.begin("place", {"pair": "BTC_USDT", "note": "x" * 200, "i": i})
    journal.close()
    # Fold the WAL into the main file so the damage below hits real pages.
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()


def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(4096) + b"not a database at all" * 100)


def truncated(path: Path) -> None:
    _valid_journal(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def header_corrupt(path: Path) -> None:
    _valid_journal(path)
    data = bytearray(path.read_bytes())
    data[0:16] = b"SQLite format 9\x00"  # the magic string
    data[16:24] = b"\xff" * 8  # page size, format versions
    path.write_bytes(bytes(data))


def directory(path: Path) -> None:
    path.mkdir()
    (path / "something").write_text("in the way")


VARIANTS: dict[str, Callable[[Path], None]] = {
    "garbage": garbage, "truncated": truncated, "header-corrupt": header_corrupt,
    "directory": directory,
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_unreadable_journal_is_moved_aside_and_a_new_one_started(
        tmp_path: Path, variant: str) -> None:
    path = tmp_path / "data" / "journal.sqlite3"
    path.parent.mkdir()
    VARIANTS[variant](path)
    before = sorted(p.name for p in path.parent.iterdir())
    journal = Journal(path, clock=lambda: 1_800_000_000.0)
    assert journal.notice is not None and "moved to" in journal.notice
    assert journal.moved_to is not None
    assert journal.moved_to.name.startswith("journal.sqlite3.corrupt-20270115T")
    assert journal.moved_to.exists()  # the old file is kept for the user, not deleted
    assert "journal.sqlite3" in before
    # Trading goes on: the new journal at the same path takes and keeps entries.
    assert journal.path == path and path.is_file()
    entry = journal.begin("place", {"pair": "BTC_USDT"})
    journal.done(entry, {"order_ids": [1]})
    journal.close()
    again = Journal(path)
    assert again.notice is None
    assert [e.state for e in again.entries()] == [EntryState.DONE]


def test_a_healthy_journal_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _valid_journal(path, entries=3)
    journal = Journal(path)
    assert journal.notice is None and journal.moved_to is None
    assert len(journal.entries()) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if "corrupt" in p.name) == []


def test_when_nothing_can_be_written_the_journal_is_kept_in_memory(tmp_path: Path) -> None:
    # A path whose parent is a file: neither the journal nor its replacement can exist.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    journal = Journal(blocker / "journal.sqlite3")
    assert journal.notice is not None and "in memory" in journal.notice
    entry = journal.begin("place", {"pair": "BTC_USDT"})
    assert journal.get(entry) is not None
