"""SQLite persistence: one table of JSON documents keyed by (kind, id).

The exchange keeps its state in memory and writes every object a request changed in one
transaction at the end of that request (write-through), so an acknowledged request is on
disk before its answer leaves. ``Decimal`` values round-trip exactly (stored as strings
under a ``$d`` marker); ``":memory:"`` turns persistence off entirely.
"""

from __future__ import annotations

import json
import sqlite3
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


class Store:
    """A (kind, id) → document table in one SQLite file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.enabled = path != ":memory:"
        self._conn: sqlite3.Connection | None = None
        if self.enabled:
            # The exchange serialises access with its own lock; the connection may be used
            # from the server thread and the test thread alike.
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a crash of this process without losing commits.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS objects ("
                " kind TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL,"
                " PRIMARY KEY (kind, id))")
            self._conn = conn

    def load(self) -> dict[str, list[Any]]:
        """Every stored document, grouped by kind, in id order."""
        out: dict[str, list[Any]] = {}
        if self._conn is None:
            return out
        for kind, _id, data in self._conn.execute(
                "SELECT kind, id, data FROM objects ORDER BY kind, id"):
            out.setdefault(kind, []).append(loads(data))
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
