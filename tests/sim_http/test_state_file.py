"""``alp-tui sim --state``: the file keeps the API secret private, and a file that can't be
read back stops the start with exit 2 and a line naming it (run as a real process)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import Raw
from .sim_process import run_sim, start_sim


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _state_db(path: Path, *rows: tuple[str, int, str]) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE objects (kind TEXT NOT NULL, id INTEGER NOT NULL,"
                 " data TEXT NOT NULL, PRIMARY KEY (kind, id))")
    conn.executemany("INSERT INTO objects VALUES (?, ?, ?)", rows)
    conn.commit()
    conn.close()


def test_state_file_and_new_directory_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "made" / "here"
    state = folder / "sim.sqlite"
    old_umask = os.umask(0o022)  # the usual umask would make both world-readable
    try:
        sim = start_sim("--state", str(state), "--no-market-life", "--api-secret", "S3")
    finally:
        os.umask(old_umask)
    try:
        raw = Raw(sim)  # type: ignore[arg-type]
        assert raw.get("/accounts/balances").status_code == 200
        assert _mode(state) == 0o600
        for side in (Path(f"{state}-wal"), Path(f"{state}-shm")):
            if side.exists():
                assert _mode(side) == 0o600, side
        assert _mode(folder) == 0o700
        assert _mode(folder.parent) == 0o700
        raw.close()
    finally:
        assert sim.stop() == 0
    assert _mode(state) == 0o600


def test_an_older_wide_state_file_is_made_private(tmp_path: Path) -> None:
    state = tmp_path / "old.sqlite"
    _state_db(state)
    state.chmod(0o644)
    sim = start_sim("--state", str(state), "--no-market-life")
    try:
        assert _mode(state) == 0o600
    finally:
        assert sim.stop() == 0


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def _row_without_id(path: Path) -> None:
    _state_db(path, ("wallet", 1, json.dumps({"account_id": 1})))


def _account_without_id(path: Path) -> None:
    _state_db(path, ("account", 1, "{}"))


def _broken_json(path: Path) -> None:
    _state_db(path, ("wallet", 1, "{nope"))


def _bad_decimal(path: Path) -> None:
    _state_db(path, ("meta", 0, json.dumps({"ids": {}, "last": {"BTC_USDT": {"$d": "x"}}})))


def _bad_enum(path: Path) -> None:
    _state_db(path, ("wallet", 1, json.dumps(
        {"id": 1, "account_id": 1, "wallet_type": "NOPE", "currency": "BTC", "pair": None,
         "balance": {"$d": "1"}, "reserve": {"$d": "0"}, "updated_at": 0})))


def _record_not_an_object(path: Path) -> None:
    _state_db(path, ("deposit", 1, json.dumps([1, 2, 3])))


def _someone_elses_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()


def _a_directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize("make", [_garbage, _row_without_id, _account_without_id,
                                  _broken_json, _bad_decimal, _bad_enum,
                                  _record_not_an_object, _someone_elses_database,
                                  _a_directory])
def test_unreadable_state_exits_2_naming_the_file(tmp_path: Path,
                                                  make: Callable[[Path], None]) -> None:
    state = tmp_path / "state.sqlite"
    make(state)
    done = run_sim("--port", "0", "--no-market-life", "--state", str(state))
    assert done.returncode == 2, done.stderr
    assert f"cannot read the state file {state}" in done.stderr
    assert "Traceback" not in done.stderr
    assert "serving" not in done.stdout


def test_someone_elses_database_is_left_as_it_was(tmp_path: Path) -> None:
    state = tmp_path / "notes.sqlite"
    _someone_elses_database(state)
    state.chmod(0o644)
    done = run_sim("--port", "0", "--no-market-life", "--state", str(state))
    assert done.returncode == 2
    conn = sqlite3.connect(state)
    tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert tables == {"notes"}
    assert _mode(state) == 0o644


def test_state_under_a_file_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "plain"
    blocker.write_text("x")
    state = blocker / "state.sqlite"
    done = run_sim("--port", "0", "--no-market-life", "--state", str(state))
    assert done.returncode == 2, done.stderr
    assert str(state) in done.stderr and "Traceback" not in done.stderr
