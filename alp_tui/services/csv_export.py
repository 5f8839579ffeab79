"""Write the rows a table shows to a CSV file (0600) under the user's data dir."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from platformdirs import user_data_dir


def default_export_dir() -> Path:
    """``$XDG_DATA_HOME/alp-tui/exports``."""
    return Path(user_data_dir("alp-tui", appauthor=False)) / "exports"


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text: the header, then one line per row (values as shown, str())."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue()


def _cell(value: object) -> str:
    text = str(value)
    # Keep spreadsheets from running a cell as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "@") else text


def export_rows(name: str, header: Sequence[str], rows: Iterable[Sequence[object]], *,
                directory: str | Path | None = None, now: datetime | None = None) -> Path:
    """Write ``rows`` to ``<directory>/<name>-<UTC time>.csv``; returns the path."""
    folder = Path(directory) if directory is not None else default_export_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = (now or datetime.now(tz=UTC)).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "export"
    path = folder / f"{safe}-{stamp}.csv"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(rows_to_csv(header, rows))
    return path
