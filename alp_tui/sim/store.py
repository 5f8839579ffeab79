"""SQLite persistence: one table of JSON documents keyed by (kind, id).

The exchange keeps its state in memory and writes every object a request changed in one
transaction at the end of that request (write-through), so an acknowledged request is on
disk before its answer leaves. ``Decimal`` values round-trip exactly (stored as strings
under a ``$d`` marker); ``":memory:"`` turns persistence off entirely.

The file holds API secrets: it (and SQLite's -wal/-shm beside it) is created 0600 and an
older one loses any group/other access; a directory the store creates for it is 0700. A
directory that already exists keeps its mode (it may be the user's home or /tmp).
Anything unreadable is a :class:`StateFileError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import stat
from collections.abc import Iterable
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    raise TypeError(f"cannot store {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$d" in obj:
        return Decimal(obj["$d"])
    return obj


def dumps(data: Any) -> str:
    """JSON text with exact decimals."""
    return json.dumps(data, default=_default, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    """Inverse of :func:`dumps`."""
    return json.loads(text, object_hook=_hook)


class StateFileError(Exception):
    """The state file can't be opened or read back; the message names the file."""


def _private_file(path: str) -> None:
    """Create the state file's missing directories (0700) and the file itself (0600)
    before SQLite opens it, so the secrets in it are never readable by others whatever
    the umask. An existing file is tightened once it proved to be a state file."""
    missing: list[str] = []
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(folder) and folder != os.path.dirname(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    for made in reversed(missing):
        os.mkdir(made, 0o700)
        os.chmod(made, 0o700)  # mkdir's mode is filtered by the umask
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "is a directory", path)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))


def _tighten(path: str) -> None:
    """No access for group and others on the file and SQLite's -wal/-shm (an older file
    may have been made wider); the owner's bits stay (a read-only file stays read-only)."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & 0o077:
                os.chmod(name, mode & 0o700)


class Store:
    """A (kind, id) → document table in one SQLite file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.enabled = path != ":memory:"
        self._conn: sqlite3.Connection | None = None
        if self.enabled:
            try:
                self._conn = self._open(path)
            except (OSError, sqlite3.Error) as exc:
                raise StateFileError(f"{path}: {_reason(exc)}") from None

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        _private_file(path)
        # The exchange serialises access with its own lock; the connection may be used
        # from the server thread and the test thread alike.
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "objects" not in tables:
                # Someone else's database: don't add a table of secrets to it.
                raise sqlite3.DatabaseError("not a simulator state file (no objects table)")
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a crash of this process without losing commits.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS objects ("
                " kind TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL,"
                " PRIMARY KEY (kind, id))")
        except BaseException:
            conn.close()
            raise
        _tighten(path)
        return conn

    def load(self) -> dict[str, list[Any]]:
        """Every stored document, grouped by kind, in id order (a :class:`StateFileError`
        naming the file when one can't be read)."""
        out: dict[str, list[Any]] = {}
        if self._conn is None:
            return out
        try:
            for kind, oid, data in self._conn.execute(
                    "SELECT kind, id, data FROM objects ORDER BY kind, id"):
                try:
                    out.setdefault(str(kind), []).append(loads(data))
                except (TypeError, ValueError, ArithmeticError) as exc:
                    raise StateFileError(
                        f"{self.path}: the stored {kind} {oid} is not readable "
                        f"({type(exc).__name__}: {exc})") from None
        except sqlite3.Error as exc:
            raise StateFileError(f"{self.path}: {_reason(exc)}") from None
        return out

    def write(self, rows: Iterable[tuple[str, int, Any]],
              deletes: Iterable[tuple[str, int]] = ()) -> None:
        """Upsert ``rows`` and delete ``deletes`` in one transaction."""
        if self._conn is None:
            return
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO objects (kind, id, data) VALUES (?, ?, ?)",
                [(kind, oid, dumps(data)) for kind, oid, data in rows])
            conn.executemany("DELETE FROM objects WHERE kind = ? AND id = ?", list(deletes))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close the file."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _reason(exc: BaseException) -> str:
    """A short sentence for an open/read failure (OSError's strerror without errno)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
