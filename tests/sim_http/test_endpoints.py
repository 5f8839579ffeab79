"""Every endpoint of the reference over raw HTTP against the real simulated exchange;
answers parse into the client's models with exact decimals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from alp_tui.api import models as m
from alp_tui.sim.server import SimServer

from .helpers import Raw, body

PUBLIC: list[tuple[str, dict[str, Any], Any]] = [
    ("/time", {}, m.ServerTime),
    ("/currencies", {}, list[m.Currency]),
    ("/currency-rates", {}, dict[str, Any]),
    ("/pairs", {}, list[m.PairInfo]),
    ("/pairs", {"currency1": "BTC"}, list[m.PairInfo]),
    ("/ticker", {}, list[m.Ticker]),
    ("/ticker", {"pair": "BTC_USDT"}, m.Ticker),
    ("/ticker", {"pair": "btc/usdt"}, m.Ticker),
    ("/orderbook", {"pair": "BTC_USDT"}, m.OrderBook),
    ("/order_book", {"pair": "BTC_USDT", "group": "1", "limit_buy": "5"}, m.OrderBook),
    ("/charts", {"pair": "BTC_USDT", "interval": "60"}, list[m.Candle]),
    ("/charts", {"pair": "BTC_USDT", "interval": "DAY", "limit": "5"}, list[m.Candle]),
    ("/trades", {"pair": "BTC_USDT", "limit": "10"}, list[m.PublicTrade]),
]

PRIVATE_GET: list[tuple[str, dict[str, Any], Any]] = [
    ("/accounts/accounts", {"include_subaccounts": "true"}, list[m.Account]),
    ("/accounts/balances", {}, list[m.Balance]),
    ("/accounts/feeinfo", {}, list[m.FeeInfo]),
    ("/accounts/order", {"pair": "BTC_USDT", "open_only": "True", "side": "BUY"},
     list[m.Order]),
    ("/accounts/trades", {"pair": "BTC_USDT"}, list[m.AccountTrade]),
    ("/accounts/activity", {"currency": "USDT"}, list[m.Activity]),
    ("/deposit/methods", {"currency": "USDT"}, list[m.DepositMethod]),
    ("/deposit", {}, list[m.Deposit]),
    ("/withdraw/methods", {"currency": "USDT"}, list[m.WithdrawMethod]),
    ("/withdraw", {"currency": "USDT"}, list[m.Withdrawal]),
    ("/margin", {"cross_margin": "true"}, list[m.Loan]),
    ("/margin/transfer", {"currency": "USDT"}, list[m.MarginTransfer]),
    ("/margin/borrow", {"pair": "", "currency": "USDT", "open_only": "false"},
     list[m.Borrow]),
    ("/margin/repay", {}, list[m.Repay]),
    ("/margin/interest", {}, list[m.Interest]),
    ("/margin/liquidation", {}, list[m.Liquidation]),
]


@pytest.fixture
def raw(sim_server: SimServer) -> Iterator[Raw]:
    r = Raw(sim_server)
    yield r
    r.close()


def test_public_endpoints(raw: Raw) -> None:
    for path, params, tp in PUBLIC:
        r = raw.get(path, params, auth=False)
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"].startswith("application/json")
        TypeAdapter(tp).validate_python(body(r))


def test_private_reads(raw: Raw) -> None:
    for path, params, tp in PRIVATE_GET:
        r = raw.get(path, params)
        assert r.status_code == 200, (path, r.text)
        TypeAdapter(tp).validate_python(body(r))
        assert raw.get(path, params, auth=False).status_code == 401, path


def test_book_depth_capped_at_20(raw: Raw) -> None:
    r = raw.get("/orderbook", {"pair": "BTC_USDT", "limit_buy": "500", "limit_sell": "21"},
                auth=False)
    book = body(r)
    assert len(book["buy"]) <= 20 and len(book["sell"]) <= 20


def test_unknown_pair(raw: Raw) -> None:
    for path in ("/orderbook", "/trades", "/ticker"):
        r = raw.get(path, {"pair": "NOPE_USDT"}, auth=False)
        assert r.status_code == 400, path
        assert body(r)["message"] == "pair not found"
    r = raw.get("/charts", {"pair": "NOPE_USDT", "interval": "60"}, auth=False)
    assert r.status_code == 400


def test_charts_needs_interval(raw: Raw) -> None:
    r = raw.get("/charts", {"pair": "BTC_USDT"}, auth=False)
    assert r.status_code == 400 and "interval" in body(r)["formErrors"]
    r = raw.get("/charts", {"pair": "BTC_USDT", "interval": "7"}, auth=False)
    assert r.status_code == 400 and "interval" in body(r)["formErrors"]


def test_place_list_cancel(raw: Raw) -> None:
    order = {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
             "wallet_type": "SPOT", "base_amount": 0.001, "limit_price": 10000,
             "client_order_id": "t-1", "tif": "GTC", "side_effect": "NO_SIDE_EFFECT",
             "expire_after": None, "valid_till": None}
    r = raw.post("/trading/order", order)
    assert r.status_code == 200, r.text
    ids = body(r)
    assert isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], int)
    bal = {(b["currency"], b["wallet_type"]): b for b in body(raw.get("/accounts/balances"))}
    assert bal[("USDT", "SPOT")]["reserve"] > 0
    open_orders = body(raw.get("/accounts/order", {"open_only": "true"}))
    assert ids[0] in [o["id"] for o in open_orders]
    r = raw.delete("/trading/order", {"order_ids": ids, "all": False, "pair": ""})
    assert r.status_code == 200, r.text
    assert body(r) == {str(ids[0]): "CANCELLED"}


def test_cancel_by_pair_and_all(raw: Raw) -> None:
    for i in range(2):
        raw.post("/trading/order", {"pair": "BTC_USDT", "order_type": "LIMIT",
                                    "order_side": "BUY", "base_amount": "0.001",
                                    "limit_price": "10000", "client_order_id": f"c{i}"})
    r = raw.delete("/trading/order", {"pair": "BTC_USDT"})
    assert r.status_code == 200 and len(body(r)) == 2
    assert raw.delete("/trading/order", {"all": True}).status_code == 200
    r = raw.delete("/trading/order", {"order_ids": [], "all": False, "pair": ""})
    assert r.status_code == 400 and "formErrors" in body(r)


def test_engine_refusal_is_form_error(raw: Raw) -> None:
    r = raw.post("/trading/order", {"pair": "BTC_USDT", "order_type": "LIMIT",
                                    "order_side": "BUY", "base_amount": "1000000",
                                    "limit_price": "10000"})
    assert r.status_code == 400
    assert "formErrors" in body(r) or body(r)["code"]


def test_margin_flow(raw: Raw) -> None:
    acc = raw.server.account_id
    r = raw.post("/margin/transfer", {"account_id": acc, "wallet_type": "CROSS_MARGIN",
                                      "direction": "ADD", "amount": 100, "currency": "USDT",
                                      "pair": None, "note": None})
    assert r.status_code == 200, r.text
    assert isinstance(body(r), int)
    r = raw.post("/margin/borrow", {"account_id": acc, "borrow": 10, "currency": "USDT",
                                    "wallet_type": "MARGIN_CROSS", "type": "LOAN_MANUAL"})
    assert r.status_code == 200, r.text
    assert isinstance(body(r), int)
    r = raw.post("/margin/repay", {"account_id": acc, "amount": 5, "currency": "USDT",
                                   "wallet_type": "CROSS_MARGIN"})
    assert r.status_code == 200, r.text
    assert isinstance(body(r), list) and len(body(r)) == 1
    loans = body(raw.get("/margin", {"cross_margin": "true"}))
    TypeAdapter(list[m.Loan]).validate_python(loans)
    assert raw.get("/margin").status_code == 400
    assert len(body(raw.get("/margin/transfer"))) >= 1
    assert len(body(raw.get("/margin/borrow"))) >= 1
    r = raw.delete("/margin", {"account_id": acc, "wallet_type": "CROSS_MARGIN", "pair": ""})
    assert r.status_code in (200, 400), r.text
    r = raw.delete("/margin", {"wallet_type": "SPOT"})
    assert r.status_code == 400 and "wallet_type" in body(r)["formErrors"]


def test_withdraw(raw: Raw) -> None:
    methods = body(raw.get("/withdraw/methods", {"currency": "USDT"}))
    assert methods
    r = raw.post("/withdraw", {"amount": 20, "method": methods[0]["id"],
                               "attributes": {"address": "T" + "a" * 33},
                               "client_order_id": "w-1"})
    assert r.status_code in (200, 400), r.text
    r = raw.post("/withdraw", {"amount": 20, "method": methods[0]["id"]})
    assert r.status_code == 400 and "attributes" in body(r)["formErrors"]
    r = raw.get("/deposit/methods")
    assert r.status_code == 400 and "currency" in body(r)["formErrors"]


def test_time_window_rules(raw: Raw) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    ok = {"start_time": (now - timedelta(days=30)).strftime(fmt),
          "end_time": now.strftime(fmt)}
    assert raw.get("/accounts/order", ok).status_code == 200
    too_long = {"start_time": (now - timedelta(days=31)).strftime(fmt),
                "end_time": now.strftime(fmt)}
    r = raw.get("/accounts/order", too_long)
    assert r.status_code == 400 and "end_time" in body(r)["formErrors"]
    r = raw.get("/accounts/trades", {"start_time": "yesterday"})
    assert r.status_code == 400 and "start_time" in body(r)["formErrors"]
    offset = {"start_time": "2026-11-01T10:00:00+02:00"}
    assert raw.get("/accounts/activity", offset).status_code == 200
    # The official client sends isoformat with +00:00.
    iso = {"start_time": (now - timedelta(days=1)).isoformat(), "end_time": now.isoformat()}
    assert raw.get("/deposit", iso).status_code == 200


def test_order_shows_up_within_default_window(raw: Raw) -> None:
    r = raw.post("/trading/order", {"pair": "BTC_USDT", "order_type": "LIMIT",
                                    "order_side": "BUY", "base_amount": "0.001",
                                    "limit_price": "10000"})
    oid = body(r)[0]
    assert oid in [o["id"] for o in body(raw.get("/accounts/order"))]
