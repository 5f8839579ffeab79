"""Test helpers for the API client: a scripted fake exchange behind httpx.MockTransport."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import jwt

from alp_tui.api import AlpClient

BASE = "https://alp.test/api/v3"
KEY = "test-key-0123456789"
SECRET = "s3cr3t-VALUE-do-not-leak-42"
FIXTURES = Path(__file__).parent / "fixtures"
_JWT_KEY = "a-32-byte-or-longer-signing-key-for-tests!"


def fixture_bytes(name: str) -> bytes:
    """Raw bytes of fixtures/<name> (e.g. ``reference/pairs.json``)."""
    return (FIXTURES / name).read_bytes()


def make_jwt(exp: float | None, iat: float | None = None, sub: str = "acct-1") -> str:
    """A signed-looking JWT with the given claims (signature irrelevant to the client)."""
    claims: dict[str, Any] = {"sub": sub}
    if exp is not None:
        claims["exp"] = int(exp)
    if iat is not None:
        claims["iat"] = int(iat)
    return jwt.encode(claims, _JWT_KEY, algorithm="HS256")


Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class FakeExchange:
    """Routes (method, path-after-base) to canned answers and records every request.

    ``/auth`` is served by default with a token valid for an hour by the server clock
    ``server_now`` (defaults to the local clock) and a matching Date header.
    """

    def __init__(self, *, server_skew_s: float = 0.0, lifetime_s: float = 3600) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[httpx.Request] = []
        self.server_skew_s = server_skew_s
        self.lifetime_s = lifetime_s
        self.tokens: list[str] = []
        self.date_header = True
        self.on("POST", "/auth", self._auth)

    def server_now(self) -> float:
        """The fake server's wall clock."""
        return time.time() + self.server_skew_s

    def _auth(self, request: httpx.Request) -> httpx.Response:
        now = self.server_now()
        token = make_jwt(now + self.lifetime_s, sub=f"t{len(self.tokens)}")
        self.tokens.append(token)
        headers = {"Date": formatdate(now, usegmt=True)} if self.date_header else {}
        return httpx.Response(200, json=token, headers=headers)

    def on(self, method: str, path: str, answer: Handler | httpx.Response | Any) -> None:
        """Serve ``answer``: a handler, a Response, or JSON-able data / raw bytes."""
        if callable(answer):
            self.routes[(method, path)] = answer
        elif isinstance(answer, httpx.Response):
            self.routes[(method, path)] = lambda _r, a=answer: _copy(a)
        elif isinstance(answer, bytes):
            self.routes[(method, path)] = lambda _r, a=answer: httpx.Response(
                200, content=a, headers={"Content-Type": "application/json"})
        else:
            raw = json.dumps(answer).encode()
            self.routes[(method, path)] = lambda _r, a=raw: httpx.Response(
                200, content=a, headers={"Content-Type": "application/json"})

    def sent(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        """Recorded requests, optionally filtered."""
        return [r for r in self.requests
                if (method is None or r.method == method)
                and (path is None or rel_path(r) == path)]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """MockTransport handler."""
        await request.aread()
        self.requests.append(request)
        route = self.routes.get((request.method, rel_path(request)))
        if route is None:
            return httpx.Response(404, json={"code": "NOT_FOUND", "message": "no route"})
        result = route(request)
        if not isinstance(result, httpx.Response):
            result = await result  # type: ignore[misc]
        return result

    def client(self, **kw: Any) -> AlpClient:
        """An AlpClient wired to this fake (credentials on unless overridden)."""
        kw.setdefault("api_key", KEY)
        kw.setdefault("api_secret", SECRET)
        return AlpClient(BASE, transport=httpx.MockTransport(self.handle), **kw)


def _copy(resp: httpx.Response) -> httpx.Response:
    return httpx.Response(resp.status_code, headers=resp.headers, content=resp.content)


def rel_path(request: httpx.Request) -> str:
    """The request path after the /api/v3 base."""
    path = request.url.path
    prefix = "/api/v3"
    return path[len(prefix):] if path.startswith(prefix) else path
