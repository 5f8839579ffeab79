"""Fault injection for the simulator's WebSocket feed (switched at run time).

:class:`FeedFaults` holds the switches (go silent, refuse new connections, withhold the
next diffs of a pair); :class:`FeedFaultControls`, mixed into the hub, acts on the
connections from any thread (drop them all, send the documented text ping ``1``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alp_tui.sim.ws_frames import CLOSE_RESTART


@dataclass
class FeedFaults:
    """Switches for fault injection; flip them while the server runs."""

    silent: bool = False
    refuse_connections: bool = False
    drop_diffs: dict[str, int] = field(default_factory=dict)


class FeedFaultControls:
    """The hub's fault-injection entry points (a mixin of the hub)."""

    # Provided by the hub.
    faults: FeedFaults
    _loop: asyncio.AbstractEventLoop | None
    _conns: set[Any]  # the hub's FeedConn objects
    _seq: dict[str, int]

    # --- faults -------------------------------------------------------------------------
    def _on_loop(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Run ``fn`` on the server loop; True when it ran here and now."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            fn(*args)
            return True
        loop.call_soon_threadsafe(fn, *args)
        return False

    def drop_connections(self, code: int = CLOSE_RESTART) -> int:
        """Close every connection (fault injection; callable from any thread); returns how
        many there were."""
        count = len(self._conns)

        def drop() -> None:
            for conn in list(self._conns):
                conn.close(code)

        self._on_loop(drop)
        return count

    def send_text_pings(self) -> int:
        """Send the documented text ping ``1`` to every client (the live server never
        does; a client must answer ``2``). Returns how many were sent."""
        conns = [c for c in self._conns if not c.closed]

        def ping() -> None:
            for conn in conns:
                conn.text_pings_out += 1
                conn.send("1")

        self._on_loop(ping)
        return len(conns)

    @property
    def text_pongs(self) -> int:
        """Text ``2`` answers received over all current connections."""
        return sum(c.text_pongs for c in self._conns)

    def diff_seq(self, pair: str) -> int:
        """The sequence number of ``pair``'s latest diff (0 before the first)."""
        return self._seq.get(pair, 0)

    def drop_next_diffs(self, pair: str, count: int = 1) -> None:
        """Withhold the next ``count`` diff frames of ``pair`` (a gap in the sequence)."""
        self.faults.drop_diffs[pair] = self.faults.drop_diffs.get(pair, 0) + count
