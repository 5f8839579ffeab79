"""Raw-HTTP auth failures: token, X-SIGN, permissions."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import jwt
import pytest

from alp_tui.sim.auth import sign
from alp_tui.sim.exchange import ApiKeyRecord

from .fake_exchange import FakeExchange
from .helpers import Raw, body

ORDER = {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BUY",
         "base_amount": "0.01", "limit_price": "45000"}


@pytest.fixture
def raw(make_sim_server) -> Iterator[Raw]:
    server = make_sim_server(exchange_factory=FakeExchange)
    r = Raw(server)
    yield r
    r.close()


def _login(raw: Raw, key: str, secret: str) -> httpx.Response:
    payload = json.dumps({"api_key": key, "api_secret": secret}).encode()
    return raw.client.post("/auth", content=payload, headers={"X-SIGN": sign(secret, payload)})


def test_auth_issues_hs256_jwt_with_exp(raw: Raw) -> None:
    r = _login(raw, raw.server.api_key, raw.server.api_secret)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    token = body(r)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims["exp"] > claims["iat"]


@pytest.mark.parametrize("key_ok,secret_ok", [(False, True), (True, False)])
def test_auth_rejects_bad_credentials(raw: Raw, key_ok: bool, secret_ok: bool) -> None:
    key = raw.server.api_key if key_ok else "nope"
    secret = raw.server.api_secret if secret_ok else "wrong-secret"
    r = _login(raw, key, secret)
    assert r.status_code == 401
    assert body(r)["code"] == "UNAUTHORIZED"


def test_auth_without_x_sign_is_accepted_with_wrong_one_refused(raw: Raw) -> None:
    payload = json.dumps({"api_key": raw.server.api_key,
                          "api_secret": raw.server.api_secret}).encode()
    assert raw.client.post("/auth", content=payload).status_code == 200
    r = raw.client.post("/auth", content=payload, headers={"X-SIGN": "ab" * 32})
    assert r.status_code == 401


def test_missing_token(raw: Raw) -> None:
    r = raw.get("/accounts/balances", auth=False)
    assert r.status_code == 401 and body(r)["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("header", [
    "Bearer garbage", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer", "Token x.y.z",
])
def test_bad_token(raw: Raw, header: str) -> None:
    r = raw.client.get("/accounts/balances", headers={"Authorization": header})
    assert r.status_code == 401


def test_token_signed_with_another_key(raw: Raw) -> None:
    forged = jwt.encode({"sub": raw.server.api_key, "exp": 4_000_000_000}, b"x" * 32,
                        algorithm="HS256")
    r = raw.client.get("/accounts/balances", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


def test_alg_none_token_refused(raw: Raw) -> None:
    forged = jwt.encode({"sub": raw.server.api_key, "exp": 4_000_000_000}, None,
                        algorithm="none")
    r = raw.client.get("/accounts/balances", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


def test_expired_token(raw: Raw) -> None:
    token = raw.server.token(ttl_s=-5)
    r = raw.client.get("/accounts/balances", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "expired" in body(r)["message"]


def test_x_sign_missing_or_wrong(raw: Raw) -> None:
    assert raw.post("/trading/order", ORDER, signed=False).status_code == 401
    r = raw.post("/trading/order", ORDER, signed=False, headers={"X-SIGN": "00" * 32})
    assert r.status_code == 401
    assert "X-SIGN" in body(r)["message"]
    # Signed over other bytes than sent (re-serialised with other spacing).
    other = json.dumps(ORDER, separators=(",", ":")).encode()
    r = raw.post("/trading/order", json.dumps(ORDER).encode(), signed=False,
                 headers={"X-SIGN": sign(raw.server.api_secret, other)})
    assert r.status_code == 401
    # Upper-case hex of the right digest is the same signature.
    sent = json.dumps(ORDER).encode()
    r = raw.post("/trading/order", sent, signed=False,
                 headers={"X-SIGN": sign(raw.server.api_secret, sent).upper()})
    assert r.status_code == 200
    assert raw.server.exchange.calls[-1][0] == "place_order"


def test_x_sign_checked_on_delete(raw: Raw) -> None:
    r = raw.delete("/trading/order", {"all": True}, signed=False)
    assert r.status_code == 401
    assert raw.delete("/trading/order", {"all": True}).status_code == 200


def _limited(raw: Raw, **perms: bool) -> Raw:
    record = ApiKeyRecord("limited", "limited-secret", raw.server.account_id, **perms)
    raw.server.exchange.add_api_key(record)
    token = raw.server.auth.issue(record)
    other = Raw(raw.server, raw.client)
    other._token = token

    def send(method, path, payload, **kw):  # sign with the limited key's secret
        data = json.dumps(payload).encode()
        return raw.client.request(method, path, content=data, headers={
            "Authorization": f"Bearer {token}", "X-SIGN": sign("limited-secret", data)})
    other.send = send  # type: ignore[method-assign]
    return other


@pytest.mark.parametrize("method,path,payload,permission", [
    ("POST", "/trading/order", ORDER, "Trade"),
    ("DELETE", "/trading/order", {"all": True}, "Trade"),
    ("GET", "/withdraw/methods", {"currency": "BTC"}, "Can Withdraw"),
    ("GET", "/withdraw", {}, "Can Withdraw"),
    ("POST", "/withdraw", {"amount": "1", "method": 1, "attributes": {"address": "x"}},
     "Can Withdraw"),
    ("GET", "/margin", {"cross_margin": "true"}, "Margin"),
    ("POST", "/margin/borrow", {"borrow": "1", "currency": "USDT",
                                "wallet_type": "CROSS_MARGIN"}, "Margin"),
    ("DELETE", "/margin", {"wallet_type": "CROSS_MARGIN"}, "Margin"),
    ("GET", "/margin/liquidation", {}, "Margin"),
])
def test_missing_permission_403_names_it(raw: Raw, method: str, path: str, payload: dict,
                                         permission: str) -> None:
    limited = _limited(raw, can_trade=False, can_withdraw=False, can_margin=False)
    r = limited.get(path, payload) if method == "GET" else limited.send(method, path, payload)
    assert r.status_code == 403, r.text
    assert f'"{permission}"' in body(r)["message"]
    assert body(r)["code"] == "FORBIDDEN"


def test_read_only_key_can_read(raw: Raw) -> None:
    limited = _limited(raw, can_trade=False, can_withdraw=False, can_margin=False)
    assert limited.get("/accounts/balances").status_code == 200
    assert limited.get("/accounts/order").status_code == 200


def test_margin_account_id_must_be_own(raw: Raw) -> None:
    r = raw.post("/margin/transfer", {"account_id": 999999, "wallet_type": "CROSS_MARGIN",
                                      "direction": "ADD", "amount": "1", "currency": "USDT"})
    assert r.status_code == 403
    r = raw.post("/margin/transfer", {"account_id": raw.server.account_id,
                                      "wallet_type": "CROSS_MARGIN", "direction": "ADD",
                                      "amount": "1", "currency": "USDT"})
    assert r.status_code == 200, r.text


def test_replaced_key_invalidates_token(raw: Raw) -> None:
    token = raw.token
    raw.server.exchange.keys.pop(raw.server.api_key)
    r = raw.client.get("/accounts/balances", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_verified_token_cache_still_expires() -> None:
    import time as _time

    from alp_tui.sim.auth import Authenticator
    from alp_tui.sim.errors import SimError

    record = ApiKeyRecord("k", "s", 1)
    now = [_time.time()]
    auth = Authenticator({"k": record}.get, clock=lambda: now[0])
    token = auth.issue(record, ttl_s=100)
    assert auth.authenticate(f"Bearer {token}").account_id == 1
    assert auth.authenticate(f"Bearer {token}").account_id == 1  # from the cache
    now[0] += 200
    with pytest.raises(SimError) as info:
        auth.authenticate(f"Bearer {token}")
    assert info.value.status == 401 and "expired" in info.value.message


def test_token_ttl_is_configurable(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange, token_ttl_s=5)
    raw = Raw(server)
    claims = jwt.decode(raw.token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 5
    raw.close()
