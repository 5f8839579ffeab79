"""Fault injection for the simulator's HTTP face. Off by default (no rules).

A :class:`FaultRule` says which requests it hits (path — full, or without the
``/api/v3`` prefix — optionally a ``*`` glob, and method), how often (``probability``
from a seeded RNG, and at most ``count`` times), and what happens:

=================  =====================================================================
kind               effect
=================  =====================================================================
``latency``        waits ``latency_s`` then lets the request through (stacks with others)
``status``         answers ``status`` (500/502/503...) with an HTML body, like a proxy
                   (with ``Retry-After`` when ``retry_after`` is set)
``rate_limit``     answers 429; ``Retry-After`` in seconds, as an HTTP-date, or absent
``drop``           closes the connection without any response; the request is **not**
                   processed (the app never sees it)
``drop_mid``       processes the request, then sends the status line, headers and half
                   the body and closes: the change happened, its answer was lost
``malformed``      answers 200 with a broken body: ``invalid_json``, ``empty``,
                   ``wrong_shape`` (list ↔ object) or ``wrong_type`` (numbers → strings)
``unauthorized``   answers 401 ``{"code":"UNAUTHORIZED","message":"token expired"}``
=================  =====================================================================

Use it from Python through the server (``server.faults.add(FaultRule(...))``,
``server.faults.clear()``) or, when enabled, over HTTP at ``/_sim/faults``
(GET lists, POST adds one rule given as JSON, DELETE clears).

:class:`FaultMiddleware` must be the outermost ASGI layer so that ``send`` is the server's
own: dropping a connection closes the server's transport directly.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from typing import Any, Literal

from alp_tui.api.models import loads

Kind = Literal["latency", "status", "rate_limit", "drop", "drop_mid", "malformed",
               "unauthorized"]
KINDS: tuple[str, ...] = ("latency", "status", "rate_limit", "drop", "drop_mid",
                          "malformed", "unauthorized")
MALFORMED_VARIANTS = ("invalid_json", "empty", "wrong_shape", "wrong_type")
CONTROL_PATH = "/_sim/faults"
API_PREFIX = "/api/v3"

_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout", 429: "Too Many Requests"}


@dataclass
class FaultRule:
    """One fault. ``path`` is matched against the request path (``None`` = every path;
    ``*`` globs allowed, e.g. ``/api/v3/accounts/*``); ``count`` is how many more times it
    fires (``None`` = forever)."""

    kind: Kind
    path: str | None = None
    method: str | None = None
    probability: float = 1.0
    count: int | None = None
    latency_s: float = 0.0
    status: int = 503
    retry_after: float | None = None
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    variant: str = "invalid_json"
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.count is not None and self.count < 0:
            raise ValueError("count must not be negative")
        if self.kind == "malformed" and self.variant not in MALFORMED_VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(MALFORMED_VARIANTS)}")
        if self.kind == "status" and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status")
        if self.latency_s < 0 or self.latency_s > 600:
            raise ValueError("latency_s must be between 0 and 600")
        if self.retry_after_format not in ("seconds", "http-date"):
            raise ValueError("retry_after_format must be seconds or http-date")

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to the request and has firings left."""
        if self.count is not None and self.count <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return True
        # "/orderbook" means "/api/v3/orderbook": rules may name endpoints as the
        # reference does, without the prefix.
        candidates = (path, path.removeprefix(API_PREFIX) or "/")
        if any(c in self.path for c in "*?["):
            return any(fnmatch.fnmatchcase(p, self.path) for p in candidates)
        want = self.path.rstrip("/")
        return any(p.rstrip("/") == want for p in candidates)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (for the control endpoint)."""
        return asdict(self)


class FaultInjector:
    """The rule list and its seeded RNG; thread-safe (tests add rules from their thread
    while the server loop reads them)."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self.rng = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        """Append a rule; returns it (its ``fired`` counter shows how often it hit)."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Remove one rule if present."""
        with self._lock:
            self._rules = [r for r in self._rules if r is not rule]

    def clear(self) -> None:
        """Remove every rule: the server behaves normally again."""
        with self._lock:
            self._rules.clear()

    def reseed(self, seed: int | None) -> None:
        """Restart the RNG (for reproducible probabilistic faults)."""
        with self._lock:
            self.rng = random.Random(seed)

    @property
    def rules(self) -> list[FaultRule]:
        """A snapshot of the current rules."""
        with self._lock:
            return list(self._rules)

    def pick(self, method: str, path: str) -> tuple[float, FaultRule | None]:
        """Total latency to add and the first non-latency rule that fires, consuming one
        firing of every rule that fires."""
        delay = 0.0
        chosen: FaultRule | None = None
        with self._lock:
            if not self._rules:
                return 0.0, None
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.kind != "latency" and chosen is not None:
                    continue
                if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                rule.fired += 1
                if rule.kind == "latency":
                    delay += rule.latency_s
                else:
                    chosen = rule
        return delay, chosen


# --------------------------------------------------------------------------------------
# ASGI


async def _send_simple(send: Any, status: int, body: bytes, content_type: bytes,
                       extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _drop(send: Any, receive: Any) -> None:
    """Close the client connection with no (further) bytes.

    uvicorn's ``send`` is a bound method of the request cycle, which holds the transport.
    After closing it we wait for the disconnect so uvicorn does not answer 500 itself.
    Outside uvicorn (an in-process ASGI transport) there is no socket; raising is the
    nearest thing to a dropped connection there."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionResetError("fault injection: connection dropped")
    transport.close()
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


def _wrong_type(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _wrong_type(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrong_type(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) or type(value).__name__ == "Decimal":
        return "not-a-number"
    if isinstance(value, str):
        return 12345
    return value


def _mangle(variant: str, body: bytes) -> bytes:
    if variant == "empty":
        return b""
    if variant == "invalid_json":
        return b'{"buy": [{"price": 45000.0, "amount":'
    try:
        value = loads(body) if body else None
    except ValueError:
        value = None
    if variant == "wrong_shape":
        shaped: Any = {"unexpected": value} if isinstance(value, list) else [value]
        return json.dumps(shaped, default=str).encode()
    return json.dumps(_wrong_type(value), default=str).encode()


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultInjector` to every HTTP request."""

    def __init__(self, app: Any, injector: FaultInjector, *, control: bool = False) -> None:
        self.app = app
        self.injector = injector
        self.control = control

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        if self.control and path == CONTROL_PATH:
            await self._control(method, receive, send)
            return
        delay, rule = self.injector.pick(method, path)
        if delay > 0:
            await asyncio.sleep(delay)
        if rule is None:
            await self.app(scope, receive, send)
            return
        await self._fire(rule, scope, receive, send)

    async def _fire(self, rule: FaultRule, scope: dict[str, Any], receive: Any,
                    send: Any) -> None:
        kind = rule.kind
        if kind == "status":
            reason = _REASONS.get(rule.status, "Error")
            html = (f"<html><head><title>{rule.status} {reason}</title></head><body>"
                    f"<center><h1>{rule.status} {reason}</h1></center><hr>"
                    f"<center>nginx</center></body></html>").encode()
            await _send_simple(send, rule.status, html, b"text/html; charset=utf-8",
                               _retry_after(rule))
        elif kind == "rate_limit":
            body = b'{"code":"TOO_MANY_REQUESTS","message":"rate limit exceeded"}'
            await _send_simple(send, 429, body, b"application/json", _retry_after(rule))
        elif kind == "unauthorized":
            body = b'{"code":"UNAUTHORIZED","message":"token expired"}'
            await _send_simple(send, 401, body, b"application/json")
        elif kind == "drop":
            await _drop(send, receive)
        elif kind == "drop_mid":
            status, headers, body = await _capture(self.app, scope, receive)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(max(len(body), 2)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            half = body[: max(1, len(body) // 2)] if len(body) >= 2 else b"["
            await send({"type": "http.response.body", "body": half, "more_body": True})
            await _drop(send, receive)
        elif kind == "malformed":
            status, headers, body = await _capture(self.app, scope, receive)
            await _send_simple(send, 200, _mangle(rule.variant, body), b"application/json")

    async def _control(self, method: str, receive: Any, send: Any) -> None:
        if method == "GET":
            body = json.dumps([r.to_dict() for r in self.injector.rules]).encode()
            await _send_simple(send, 200, body, b"application/json")
            return
        if method == "DELETE":
            self.injector.clear()
            await _send_simple(send, 200, b"[]", b"application/json")
            return
        if method != "POST":
            await _send_simple(send, 405, b'{"code":"METHOD_NOT_ALLOWED","message":"use '
                               b'GET, POST or DELETE"}', b"application/json")
            return
        raw = await _read_body(receive, limit=16384)
        try:
            spec = json.loads(raw)
            if not isinstance(spec, dict):
                raise ValueError("a rule is a JSON object")
            spec.pop("fired", None)
            rule = FaultRule(**spec)
        except (ValueError, TypeError) as exc:
            body = json.dumps({"code": "BAD_REQUEST", "message": str(exc)}).encode()
            await _send_simple(send, 400, body, b"application/json")
            return
        self.injector.add(rule)
        await _send_simple(send, 200, json.dumps(rule.to_dict()).encode(), b"application/json")


def _retry_after(rule: FaultRule) -> list[tuple[bytes, bytes]]:
    """The Retry-After header the rule asks for (none when ``retry_after`` is None)."""
    if rule.retry_after is None:
        return []
    if rule.retry_after_format == "http-date":
        value = formatdate(time.time() + rule.retry_after, usegmt=True)
    else:
        secs = rule.retry_after
        value = str(int(secs)) if float(secs).is_integer() else str(secs)
    return [(b"retry-after", value.encode())]


async def _read_body(receive: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _capture(app: Any, scope: dict[str, Any], receive: Any
                   ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the real app and collect its answer, so a fault can mangle or cut it."""
    result: dict[str, Any] = {"status": 500, "headers": []}
    chunks: list[bytes] = []

    async def capture_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            result["status"] = message["status"]
            result["headers"] = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture_send)
    return result["status"], result["headers"], b"".join(chunks)
