"""Compatibility with the official ``alpcom-api`` 1.0.3 client.

That package pins ``pydantic==2.1.1`` and ``requests==2.31.0``, which conflict with this
project's dependencies, so it is not installed here; and the 1.0.3 wheel as published does
not import at all (``apis.py`` imports ``alpcom_api.dto.api`` and ``dto.constants``, but the
wheel ships ``dto`` as a single module). These tests replay on the wire what
it sends (facts read from its source, not its code): paths joined onto the base URL, GET
parameters with Python booleans as ``True``/``False`` and datetimes as ``isoformat()``
(``+00:00``), bodies as ``json.dumps`` with default separators and floats, signed with
X-SIGN on every JSON request including ``POST /auth``, its order defaults
(``client_order_id "1"``, ``expire_after 3000-01-01T00:00:00Z``), ``pair: ""`` on margin
calls, and its strict response handling (``application/json`` content type, the keys its
models require). When the real package is importable, the last test drives it directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from alp_tui.api.models import loads
from alp_tui.sim.server import SimServer

# Required (non-defaulted) fields of the official client's response models.
REQUIRED = {
    "currencies": {"short_name", "sign"},
    "pairs": {"name", "currency1", "currency2", "amount_precision", "price_precision",
              "maximum_order_size", "minimum_order_size", "minimum_order_value"},
    "ticker": {"pair", "last", "vol", "buy", "sell", "high", "low", "diff", "timestamp"},
    "candle": {"open", "close", "high", "low", "volume", "time"},
    "trade": {"id", "account_id", "pair", "amount", "price", "timestamp", "type"},
    "account": {"id", "email", "name"},
    "balance": {"balance", "reserve", "currency", "wallet_type", "last_update_at",
                "account_id"},
    "order": {"id", "account_id", "pair", "amount", "price", "side", "status", "type",
              "wallet_type", "amount_canceled", "amount_filled", "date", "open_at", "tif",
              "updated_at"},
    "deposit_method": {"network", "currency", "attributes", "confirmations", "min_deposit",
                       "max_deposit", "is_enabled"},
    "withdraw_method": {"id", "network", "currency", "attributes", "fee_rate", "fee_amount",
                        "fee_currency", "min_withdraw", "max_withdraw", "is_enabled"},
}


class Official:
    """Speaks HTTP the way alpcom-api 1.0.3 does."""

    def __init__(self, server: SimServer) -> None:
        self.url = server.base_url
        self.secret = server.api_secret
        self.http = httpx.Client(timeout=10)
        self.headers: dict[str, str] = {}
        token = self.json("auth", {"api_key": server.api_key, "api_secret": server.api_secret})
        assert isinstance(token, str)
        self.headers["Authorization"] = f"Bearer {token}"

    @staticmethod
    def clean(**kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, val in kwargs.items():
            if val is None:
                continue
            if isinstance(val, datetime):
                out[key] = val.replace(microsecond=0, tzinfo=UTC).isoformat()
            elif isinstance(val, bool):
                out[key] = str(val)  # requests writes True/False
            else:
                out[key] = val
        return out

    def _result(self, r: httpx.Response) -> Any:
        assert r.status_code < 400, (r.request.url, r.status_code, r.text)
        assert "application/json" in r.headers.get("content-type", "")
        return json.loads(r.content) if r.content else None

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(f"{self.url}/{path}", params=self.clean(**params),
                          headers=self.headers)
        return self._result(r)

    def json(self, path: str, data: dict[str, Any], method: str = "POST") -> Any:
        body = json.dumps(data).encode()  # requests: default separators, allow_nan=False
        headers = {**self.headers, "Content-Type": "application/json",
                   "X-SIGN": hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()}
        return self._result(self.http.request(method, f"{self.url}/{path}", content=body,
                                              headers=headers))


@pytest.fixture
def official(sim_server: SimServer) -> Iterator[Official]:
    client = Official(sim_server)
    yield client
    client.http.close()


def _has(row: dict[str, Any], kind: str) -> None:
    missing = REQUIRED[kind] - row.keys()
    assert not missing, (kind, missing)


def test_public_api(official: Official, sim_server: SimServer) -> None:
    # One trade on the tape (the server runs without market life): a resting sell taken
    # by a market buy, both sent as the official client sends them.
    ex = sim_server.exchange
    seller = ex.create_account(email="s@t", name="s", funds={"BTC": Decimal(1)})
    ex.place_order(seller, {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "ASK",
                            "base_amount": Decimal("0.01"), "limit_price": Decimal(50000)})
    official.json("trading/order", {
        "pair": "BTC_USDT", "order_side": "BID", "client_order_id": "1", "wallet_type": "SPOT",
        "side_effect": "NO_SIDE_EFFECT", "expire_after": "3000-01-01T00:00:00Z",
        "base_amount": 0.01, "order_type": "MARKET"})
    for row in official.get("currencies"):
        _has(row, "currencies")
    for row in official.get("pairs", currency1=None, currency2=None):
        _has(row, "pairs")
    _has(official.get("ticker", pair="BTC_USDT"), "ticker")
    for row in official.get("ticker"):
        _has(row, "ticker")
    book = official.get("orderbook", pair="BTC_USDT", group=1, limit_buy=10, limit_sell=10)
    assert set(book) >= {"buy", "sell"}
    since = int((datetime.now(UTC) - timedelta(days=10)).timestamp())
    for row in official.get("charts", pair="BTC_USDT", interval=1440, since=since):
        _has(row, "candle")
    trades = official.get("trades", pair="BTC_USDT", limit=10)
    assert trades
    for row in trades:
        _has(row, "trade")


def test_accounts_api(official: Official) -> None:
    for row in official.get("accounts/accounts", include_subaccounts=False):
        _has(row, "account")
    for row in official.get("accounts/balances", currency="USDT"):
        _has(row, "balance")
        assert row["currency"] == "USDT"
    assert isinstance(official.get("accounts/feeinfo"), list)
    now = datetime.now(UTC)
    assert isinstance(official.get("accounts/order", pair="ETH_USDT", open_only=True,
                                   side=None, start_time=now - timedelta(days=2),
                                   end_time=now), list)
    assert isinstance(official.get("accounts/trades", pair="ETH_USDT"), list)
    assert isinstance(official.get("accounts/activity", currency="USDT"), list)


def test_funding_api(official: Official) -> None:
    for row in official.get("deposit/methods", currency="USDT"):
        _has(row, "deposit_method")
    assert isinstance(official.get("deposit", currency="USDT"), list)
    for row in official.get("withdraw/methods", currency="USDT"):
        _has(row, "withdraw_method")
    assert isinstance(official.get("withdraw", currency="USDT"), list)


def test_trading_api(official: Official) -> None:
    # LimitOrderRequest(pair='ETH_USDT', order_side=SELL, base_amount=0.05,
    # limit_price=1800).model_dump(mode='json', exclude_none=True):
    req = {"pair": "ETH_USDT", "order_side": "ASK", "client_order_id": "1",
           "wallet_type": "SPOT", "side_effect": "NO_SIDE_EFFECT",
           "expire_after": "3000-01-01T00:00:00Z", "base_amount": 0.05,
           "limit_price": 1800.0, "order_type": "LIMIT", "tif": "GTC"}
    result = official.json("trading/order", req)
    assert isinstance(result, list) and len(result) == 1
    order_id = result[0]
    rows = official.get("accounts/order", pair="ETH_USDT", open_only=True)
    for row in rows:
        _has(row, "order")
    assert order_id in [r["id"] for r in rows]
    cancelled = official.json("trading/order", {"order_ids": [order_id]}, method="DELETE")
    assert {int(k): v for k, v in cancelled.items()} == {order_id: "CANCELLED"}
    # cancel_orders_of_pair and cancel_all_orders
    assert isinstance(official.json("trading/order", {"pair": "ETH_USDT"}, "DELETE"), dict)
    assert isinstance(official.json("trading/order", {"all": True}, "DELETE"), dict)


def test_margin_api(official: Official, sim_server: SimServer) -> None:
    acc = sim_server.account_id
    transfer = official.json("margin/transfer", {
        "account_id": acc, "wallet_type": "CROSS_MARGIN", "direction": "ADD",
        "amount": 100.0, "currency": "USDT"})
    int(transfer)
    int(official.json("margin/borrow", {"account_id": acc, "borrow": 10.0,
                                        "currency": "USDT", "wallet_type": "CROSS_MARGIN",
                                        "type": "LOAN_MANUAL"}))
    int(official.json("margin/repay", {"account_id": acc, "amount": 5.0, "currency": "USDT",
                                       "wallet_type": "CROSS_MARGIN",
                                       "type": "LOAN_MANUAL"})[0])
    assert isinstance(official.get("margin", cross_margin=True), list)
    for path in ("margin/transfer", "margin/borrow", "margin/repay", "margin/interest",
                 "margin/liquidation"):
        assert isinstance(official.get(path, pair="", currency="USDT"), list), path


def test_real_package_if_installed(sim_server: SimServer) -> None:
    alpcom = pytest.importorskip("alpcom_api.factories", exc_type=ImportError)
    dto = pytest.importorskip("alpcom_api.dto", exc_type=ImportError)
    public = alpcom.get_public_api(url=sim_server.base_url)
    assert public.orderbook("BTC_USDT") is not None
    private = alpcom.get_private_api(sim_server.api_key, sim_server.api_secret,
                                     url=sim_server.base_url)
    assert private.accounts().balances()
    order_id = private.trading().place_order(dto.LimitOrderRequest(
        pair="ETH_USDT", order_side=dto.OrderSide.SELL, base_amount=0.05, limit_price=1800,
        client_order_id="compat-1"))
    assert private.trading().cancel_order(order_id) == "CANCELLED"


def test_exact_bytes_signed(official: Official, sim_server: SimServer) -> None:
    # The signature covers the bytes as sent: a body with the official client's spacing
    # passes, the same JSON re-spaced under the old signature does not.
    body = json.dumps({"all": True}).encode()
    sig = hmac.new(sim_server.api_secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {**official.headers, "X-SIGN": sig}
    ok = official.http.request("DELETE", f"{official.url}/trading/order", content=body,
                               headers=headers)
    assert ok.status_code == 200
    bad = official.http.request("DELETE", f"{official.url}/trading/order",
                                content=b'{"all":true}', headers=headers)
    assert bad.status_code == 401
    assert loads(bad.content)["code"] == "UNAUTHORIZED"
