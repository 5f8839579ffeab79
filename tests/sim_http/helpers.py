"""Raw-HTTP helpers for the simulator tests: log in, sign, call."""

from __future__ import annotations

import json
from typing import Any

import httpx

from alp_tui.api.models import loads
from alp_tui.sim.auth import sign
from alp_tui.sim.server import SimServer


class Raw:
    """A thin raw-HTTP caller bound to one server and its demo key."""

    def __init__(self, server: SimServer, client: httpx.Client | None = None) -> None:
        self.server = server
        self.client = client or httpx.Client(base_url=server.base_url, timeout=10)
        self._token: str | None = None

    @property
    def token(self) -> str:
        """A JWT from ``POST /auth`` (cached)."""
        if self._token is None:
            body = json.dumps({"api_key": self.server.api_key,
                               "api_secret": self.server.api_secret}).encode()
            r = self.client.post("/auth", content=body, headers={
                "X-SIGN": sign(self.server.api_secret, body),
                "Content-Type": "application/json"})
            assert r.status_code == 200, r.text
            self._token = loads(r.content)
        return self._token

    def get(self, path: str, params: dict[str, Any] | None = None, *,
            auth: bool = True, headers: dict[str, str] | None = None) -> httpx.Response:
        """GET with the Bearer token unless ``auth=False``."""
        h = {"Authorization": f"Bearer {self.token}"} if auth else {}
        h.update(headers or {})
        return self.client.get(path, params=params, headers=h)

    def send(self, method: str, path: str, body: Any, *, auth: bool = True,
             signed: bool = True, headers: dict[str, str] | None = None) -> httpx.Response:
        """POST/DELETE a JSON body (or raw bytes), signed with X-SIGN."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        h = {"Content-Type": "application/json"}
        if auth:
            h["Authorization"] = f"Bearer {self.token}"
        if signed:
            h["X-SIGN"] = sign(self.server.api_secret, raw)
        h.update(headers or {})
        return self.client.request(method, path, content=raw, headers=h)

    def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        """Signed POST."""
        return self.send("POST", path, body, **kw)

    def delete(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        """Signed DELETE."""
        return self.send("DELETE", path, body, **kw)

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def body(r: httpx.Response) -> Any:
    """The response body decoded with exact decimals."""
    return loads(r.content)
