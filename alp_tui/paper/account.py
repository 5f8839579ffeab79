"""The paper account on disk: where it lives, how it opens, how it starts over.

Everything is under ``$XDG_DATA_HOME/alp-tui/paper/`` (mode 0700): ``paper.sqlite3`` the
exchange state (balances, orders, history, loans; mode 0600), ``journal.sqlite3`` the
paper trading journal (kept apart from the live one) and ``listing.json`` the upstream's
pairs as last seen. ``alp-tui paper reset`` deletes them; the next start funds a fresh
account from ``[paper] balances``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from alp_tui.sim.exchange import ApiKeyRecord, Exchange

PAPER_API_KEY = "paper-local"
PRIVATE_EVENTS = frozenset({"order", "wallet", "account_trade"})


def default_paper_dir() -> Path:
    """``$XDG_DATA_HOME/alp-tui/paper`` (platform equivalent elsewhere)."""
    return Path(user_data_dir("alp-tui", appauthor=False)) / "paper"


@dataclass(frozen=True)
class PaperPaths:
    """The files of one paper account."""

    root: Path

    @property
    def state(self) -> Path:
        """The exchange's SQLite state."""
        return self.root / "paper.sqlite3"

    @property
    def journal(self) -> Path:
        """The paper trading journal (services.journal)."""
        return self.root / "journal.sqlite3"

    @property
    def listing(self) -> Path:
        """The upstream listing as last fetched."""
        return self.root / "listing.json"

    def prepare(self) -> None:
        """Create the directory (0700) and the state file (0600) before SQLite opens it,
        so no other user can ever read it, whatever the umask."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(self.root, 0o700)
        if not self.state.exists():
            os.close(os.open(self.state, os.O_CREAT | os.O_WRONLY, 0o600))
        with contextlib.suppress(OSError):
            os.chmod(self.state, 0o600)

    def reset(self) -> list[Path]:
        """Delete the account's files; returns those that existed."""
        removed: list[Path] = []
        for base in (self.state, self.journal, self.listing):
            for path in (base, Path(f"{base}-wal"), Path(f"{base}-shm")):
                if path.exists():
                    path.unlink()
                    removed.append(path)
        return removed


class PaperExchange(Exchange):
    """The simulator's exchange with only private events for listeners: its book is a
    mirror of the upstream's and its trades are paper fills, so the WebSocket feed must not
    publish them as market data (the gateway relays the upstream's market frames instead)."""

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Register ``listener`` for order, wallet and account-trade events only."""
        def private_only(event: dict[str, Any]) -> None:
            if event.get("type") in PRIVATE_EVENTS:
                listener(event)

        super().add_listener(private_only)


def open_paper_account(exchange: Exchange, api_secret: str,
                       balances: Mapping[str, Decimal]) -> int:
    """The paper account's id: the existing one, or a new one funded with ``balances``.
    The local key gets ``api_secret`` (a fresh one each run)."""
    record = exchange.find_api_key(PAPER_API_KEY)
    if record is None:
        account_id = exchange.create_account(email="paper@alp-tui.local", name="Paper Trader",
                                             funds=dict(balances))
    else:
        account_id = record.account_id
    exchange.add_api_key(ApiKeyRecord(PAPER_API_KEY, api_secret, account_id,
                                      can_trade=True, can_withdraw=True, can_margin=True))
    return account_id
