"""Request read deadlines for the simulator's HTTP server.

uvicorn (0.55, h11) has a keep-alive timeout between requests but none while a request is
being read: a client that opens a connection and sends half its headers, or promises a
body it never sends, holds the connection (and, in the body case, an app task) until it
goes away. :func:`guarded_h11` gives uvicorn's own h11 protocol two deadlines:

- the headers: from the connection's start (or from the first byte of a later request on
  a kept-alive connection) until the request head is complete;
- the body: from the end of the head until the body's last byte.

A request that misses one is answered ``408 Request Timeout`` (when nothing was answered
yet) and its connection closed; every other connection is untouched. WebSocket upgrades
hand the connection over before either deadline can fire.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT_S = 5.0
DEFAULT_BODY_TIMEOUT_S = 10.0

_TIMEOUT_TEXT = b"the request was not sent in time"
_TIMEOUT_ANSWER = (b"HTTP/1.1 408 Request Timeout\r\n"
                   b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                   b"content-length: " + str(len(_TIMEOUT_TEXT)).encode() + b"\r\n\r\n"
                   + _TIMEOUT_TEXT)


class _GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with the header and body deadlines (class attributes)."""

    header_timeout_s = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s = DEFAULT_BODY_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._deadline_phase: Any = None  # the h11 state the armed deadline guards

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header deadline: the request must come within it."""
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        """Let uvicorn read, then re-arm the deadline for whatever is still missing."""
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        """Between requests uvicorn's keep-alive timeout applies, not ours; a pipelined
        request already partly here has its head deadline, and a body still owed after
        an early answer (a 413, say) its body deadline."""
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        """Nothing left to guard."""
        self._disarm()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        """The WebSocket protocol takes the connection over: our deadlines end here."""
        self._disarm()
        super().handle_websocket_upgrade(event)

    # --- the deadline --------------------------------------------------------------------
    def _watch(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.transport.get_protocol() is not self:  # upgraded to a WebSocket
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            # Waiting for a head. On a kept-alive connection with nothing received yet the
            # keep-alive timer is in charge; once a byte arrives (or on a new connection)
            # the head has header_timeout_s.
            if self.timeout_keep_alive_task is not None and not self.conn.trailing_data[0]:
                self._disarm()
                return
            self._arm(state, self.header_timeout_s)
        elif state is h11.SEND_BODY:
            self._arm(state, self.body_timeout_s)
        else:
            self._disarm()

    def _arm(self, phase: Any, seconds: float) -> None:
        if self._deadline is not None and self._deadline_phase is phase:
            return  # one deadline per phase: trickling bytes don't extend it
        self._disarm()
        self._deadline_phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._deadline_phase = None

    def _expired(self) -> None:
        self._deadline = None
        phase, self._deadline_phase = self._deadline_phase, None
        if self.transport is None or self.transport.is_closing():
            return
        if self.transport.get_protocol() is not self:
            return
        log.info("simulator: closing %s: request %s not received in time", self.client,
                 "head" if phase is h11.IDLE else "body")
        cycle = self.cycle
        answered = cycle is not None and cycle.response_started and phase is h11.SEND_BODY
        if cycle is not None and phase is h11.SEND_BODY:
            # The app waiting for the body hears a disconnect and its answer goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
        if not answered:
            self.transport.write(_TIMEOUT_ANSWER)
        self.transport.close()


def guarded_h11(header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
                body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with these read deadlines (for ``Config(http=...)``)."""
    if not (header_timeout_s > 0 and body_timeout_s > 0):
        raise ValueError("request timeouts must be positive")
    return type("GuardedH11", (_GuardedH11,), {"header_timeout_s": header_timeout_s,
                                                "body_timeout_s": body_timeout_s})
