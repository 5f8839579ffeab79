"""A durable record of every trading action, written before the request leaves.

Each entry is committed to SQLite (``journal.sqlite3`` under the user data dir, mode 0600)
in state ``pending`` before the request is sent, then completed as ``done`` with the
response, ``failed`` with the error, or ``unknown`` when the answer never came and the
lookup could not settle it. :meth:`Journal.unanswered` lists what a crash or a dropped
connection left open, for :mod:`alp_tui.services.reconcile` to settle on the next start.

Entries hold a summary of the request (pair, side, amounts, prices; never keys, secrets,
tokens or withdrawal addresses in full).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    venue TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    client_order_id TEXT,
    state TEXT NOT NULL,
    response TEXT,
    error TEXT,
    updated_ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_state ON entries(state);
CREATE INDEX IF NOT EXISTS entries_coid ON entries(client_order_id);
"""


class EntryState(StrEnum):
    """Where a journaled action stands."""

    PENDING = "pending"  # written, request sent or about to be; no answer yet
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"  # no answer and the lookup could not tell


class EntryKind(StrEnum):
    """What a journaled action did."""

    PLACE = "place"
    CANCEL = "cancel"
    CANCEL_PAIR = "cancel_pair"
    CANCEL_ALL = "cancel_all"
    REPLACE = "replace"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class JournalEntry:
    """One row of the journal."""

    id: int
    ts: float
    venue: str
    kind: str
    request: dict[str, Any]
    client_order_id: str | None
    state: EntryState
    response: Any
    error: str | None
    updated_ts: float

    @property
    def is_open(self) -> bool:
        """True while nobody knows how the action ended."""
        return self.state in (EntryState.PENDING, EntryState.UNKNOWN)


def default_journal_path() -> Path:
    """``$XDG_DATA_HOME/alp-tui/journal.sqlite3`` (platform equivalent elsewhere)."""
    return Path(user_data_dir("alp-tui", appauthor=False)) / "journal.sqlite3"


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


class Journal:
    """The action journal. Thread-safe; every write is committed before it returns.

    A journal file that cannot be used (not a database, truncated, a corrupt header, a
    directory, not writable) never stops the app: it is moved aside to
    ``journal.sqlite3.corrupt-<UTC time>`` and a new journal is started in its place (in
    memory when even that fails). :attr:`notice` then says what happened, in one sentence
    for the UI to show once.
    """

    def __init__(self, path: str | Path | None = None, *, clock: Any = time.time) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self._clock = clock
        self._lock = threading.Lock()
        self.notice: str | None = None
        self.moved_to: Path | None = None
        if str(self.path) == ":memory:":
            self._db = self._open(self.path)
            return
        try:
            self._db = self._open(self.path)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                self._db = self._recover(exc)
                return
            # Another alp-tui holds it: the file is fine, never move it aside.
            self.notice = ("The trading journal is in use by another alp-tui; this "
                           "session's actions are journaled in memory only.")
            self.path = Path(":memory:")
            self._db = self._open(self.path)
        except (sqlite3.DatabaseError, OSError) as exc:
            self._db = self._recover(exc)

    def _open(self, path: Path) -> sqlite3.Connection:
        """Open (creating if needed) and check the journal at ``path``; raises on a file
        that is not a usable journal."""
        memory = str(path) == ":memory:"
        if not memory:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            if not path.is_file():
                raise IsADirectoryError(f"{path} is not a file")
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
        db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            if not memory:
                db.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: each commit is in the WAL file before it returns, so it
                # survives the app crashing or being killed (an OS crash may lose the last
                # entries).
                db.execute("PRAGMA synchronous=NORMAL")
                # A truncated file opens fine and fails on the first read of a missing page:
                # read every page now rather than in the middle of placing an order.
                check = db.execute("PRAGMA quick_check").fetchone()
                if check is None or check[0] != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            db.executescript(_SCHEMA)
            db.execute("SELECT id, ts, venue, kind, request, client_order_id, state, response,"
                       " error, updated_ts FROM entries LIMIT 1").fetchall()
            if not memory:
                # Prove the file takes writes (a read-only file fails here, not later).
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
        except BaseException:
            db.close()
            raise
        if not memory:
            for suffix in ("-wal", "-shm"):
                side = Path(str(path) + suffix)
                if side.exists():
                    with contextlib.suppress(OSError):
                        os.chmod(side, 0o600)
        return db

    def _recover(self, exc: BaseException) -> sqlite3.Connection:
        """Move the unusable journal aside and start a new one (in memory as a last
        resort); sets :attr:`notice`."""
        why = _reason(exc)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._clock()))
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists() or aside.is_symlink():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                side = Path(str(self.path) + suffix)
                if side.exists():
                    os.replace(side, Path(str(aside) + suffix))
            self.moved_to = aside
            db = self._open(self.path)
        except (sqlite3.DatabaseError, OSError) as again:
            log.warning("journal: %s unusable (%s), and no new one could be started there "
                        "(%s)", self.path, why, _reason(again))
            self.notice = (
                f"The trading journal {self.path} could not be used ({why})"
                + (f"; it was moved to {aside.name}" if self.moved_to else "")
                + ". This session's actions are journaled in memory only."
            )
            self.path = Path(":memory:")
            return self._open(self.path)
        log.warning("journal: %s unusable (%s); moved to %s", self.path, why, aside)
        self.notice = (f"The trading journal could not be read ({why}); it was moved to "
                       f"{aside} and a new journal was started.")
        return db

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # --- writes -----------------------------------------------------------------------

    def begin(self, kind: EntryKind | str, request: dict[str, Any], *,
              client_order_id: str | None = None, venue: str = "") -> int:
        """Record an action about to be sent; returns its entry id."""
        now = self._clock()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO entries (ts, venue, kind, request, client_order_id, state,"
                " updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now, venue, str(kind), _dumps(request), client_order_id,
                 EntryState.PENDING.value, now),
            )
            return int(cur.lastrowid or 0)

    def finish(self, entry_id: int, state: EntryState, *, response: Any = None,
               error: str | None = None) -> None:
        """Record how an action ended (or that it is still unknown)."""
        with self._lock:
            self._db.execute(
                "UPDATE entries SET state = ?, response = ?, error = ?, updated_ts = ?"
                " WHERE id = ?",
                (state.value, None if response is None else _dumps(response), error,
                 self._clock(), entry_id),
            )

    def done(self, entry_id: int, response: Any) -> None:
        """The action succeeded with ``response``."""
        self.finish(entry_id, EntryState.DONE, response=response)

    def failed(self, entry_id: int, error: str, response: Any = None) -> None:
        """The action was refused or did not happen."""
        self.finish(entry_id, EntryState.FAILED, response=response, error=error)

    def unknown(self, entry_id: int, error: str, response: Any = None) -> None:
        """No answer, and the lookup could not settle it."""
        self.finish(entry_id, EntryState.UNKNOWN, response=response, error=error)

    # --- reads ------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[JournalEntry]:
        with self._lock:
            rows = self._db.execute(sql, tuple(args)).fetchall()
        return [self._entry(row) for row in rows]

    @staticmethod
    def _entry(row: Sequence[Any]) -> JournalEntry:
        return JournalEntry(
            id=row[0], ts=row[1], venue=row[2], kind=row[3], request=json.loads(row[4]),
            client_order_id=row[5], state=EntryState(row[6]),
            response=None if row[7] is None else json.loads(row[7]), error=row[8],
            updated_ts=row[9],
        )

    _COLUMNS = ("id, ts, venue, kind, request, client_order_id, state, response, error,"
                " updated_ts")

    def get(self, entry_id: int) -> JournalEntry | None:
        """One entry by id."""
        rows = self._rows(f"SELECT {self._COLUMNS} FROM entries WHERE id = ?", (entry_id,))
        return rows[0] if rows else None

    def entries(self, *, since: float | None = None, until: float | None = None,
                limit: int | None = None, venue: str | None = None) -> list[JournalEntry]:
        """Entries newest first, optionally within [since, until) and for one venue."""
        clauses, args = [], []
        if since is not None:
            clauses.append("ts >= ?")
            args.append(since)
        if until is not None:
            clauses.append("ts < ?")
            args.append(until)
        if venue is not None:
            clauses.append("venue = ?")
            args.append(venue)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        tail = f" LIMIT {int(limit)}" if limit else ""
        return self._rows(
            f"SELECT {self._COLUMNS} FROM entries{where} ORDER BY id DESC{tail}", args
        )

    def unanswered(self, venue: str | None = None) -> list[JournalEntry]:
        """Entries still pending or unknown, oldest first."""
        args: list[Any] = [EntryState.PENDING.value, EntryState.UNKNOWN.value]
        extra = ""
        if venue is not None:
            extra = " AND venue = ?"
            args.append(venue)
        return self._rows(
            f"SELECT {self._COLUMNS} FROM entries WHERE state IN (?, ?){extra} ORDER BY id",
            args,
        )

    def claimed_order_ids(self) -> set[int]:
        """Order ids already attributed to some entry's response (for lookups by match)."""
        ids: set[int] = set()
        for entry in self._rows(
            f"SELECT {self._COLUMNS} FROM entries WHERE kind IN ('place', 'replace')"
            " AND response IS NOT NULL"
        ):
            ids.update(_order_ids(entry.response))
        return ids

    # --- export -----------------------------------------------------------------------

    def export_csv(self, path: str | Path, entries: Iterable[JournalEntry] | None = None) -> int:
        """Write ``entries`` (default: all) to ``path`` as CSV; returns the row count."""
        rows = list(self.entries() if entries is None else entries)
        text = entries_to_csv(rows)
        Path(path).write_text(text, encoding="utf-8")
        return len(rows)


def _reason(exc: BaseException) -> str:
    """A short, secret-free reason for a journal that cannot be used."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__


def _order_ids(response: Any) -> list[int]:
    out: list[int] = []
    if isinstance(response, dict):
        for key in ("order_ids", "placed"):
            value = response.get(key)
            if isinstance(value, list):
                out.extend(int(v) for v in value if isinstance(v, int | str) and str(v).isdigit())
    elif isinstance(response, list):
        out.extend(int(v) for v in response if isinstance(v, int))
    return out


CSV_HEADER = ("id", "time_utc", "venue", "kind", "request", "client_order_id", "state",
              "response", "error")


def entries_to_csv(entries: Iterable[JournalEntry]) -> str:
    """The entries as CSV text, times in UTC ISO 8601."""
    from datetime import UTC, datetime

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_HEADER)
    for e in entries:
        writer.writerow([
            e.id, datetime.fromtimestamp(e.ts, tz=UTC).isoformat(timespec="seconds"), e.venue,
            e.kind, _dumps(e.request), e.client_order_id or "", e.state.value,
            "" if e.response is None else _dumps(e.response), e.error or "",
        ])
    return buf.getvalue()
