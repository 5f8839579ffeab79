"""The simulator as an independent client sees it: raw HTTP built from the reference and
the wire notes, never through our own client (which could share a misreading)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from alp_tui.sim.server import SimServer
from tests.sim_http.helpers import Raw, body


@pytest.fixture(scope="module")
def raw() -> Iterator[Raw]:
    with SimServer(seed=5, market_life=True) as server:
        caller = Raw(server)
        yield caller
        caller.close()


def _market_by_quote(raw: Raw, cid: str) -> int:
    r = raw.post("/trading/order", {
        "pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
        "wallet_type": "SPOT", "client_order_id": cid, "side_effect": "NO_SIDE_EFFECT",
        "valid_till": None, "expire_after": None, "base_amount": None, "quote_amount": "50"})
    assert r.status_code == 200, r.text
    (order_id,) = body(r)
    return order_id


def test_a_market_buy_sized_in_quote_shows_no_negative_amounts(raw: Raw) -> None:
    order_id = _market_by_quote(raw, "q-1")
    orders = body(raw.get("/accounts/order", {"pair": "BTC_USDT"}))
    (order,) = [o for o in orders if o["id"] == order_id]
    trades = [t for t in body(raw.get("/accounts/trades", {"pair": "BTC_USDT"}))
              if t.get("order_id") == order_id]
    assert order["status"] == "FILLED" and trades
    assert order["amount_filled"] > 0
    for field in ("amount", "amount_filled", "amount_canceled", "amount_unfilled"):
        assert order[field] >= 0, (field, order[field])
    assert order["amount_filled"] + order["amount_canceled"] <= order["amount"] or \
        order["amount"] == 0
    for trade in trades:
        assert trade["amount"] > 0
        assert trade["amount_unfilled"] >= 0, trade["amount_unfilled"]
    assert sum((Decimal(t["amount"]) for t in trades), Decimal(0)) == order["amount_filled"]


@pytest.mark.parametrize("accept", ["application/xml", "text/html", "text/csv, text/plain"])
def test_a_format_that_is_not_json_is_406(raw: Raw, accept: str) -> None:
    """The reference's errors: 406 Not Acceptable, "you requested a format that isn't
    json"; the body is still the exchange's JSON error shape."""
    r = raw.client.get("/ticker", params={"pair": "BTC_USDT"}, headers={"Accept": accept})
    assert r.status_code == 406
    assert body(r) == {"code": "NOT_ACCEPTABLE", "message": "only application/json is served"}


@pytest.mark.parametrize("accept", [None, "", "*/*", "application/json",
                                    "application/json; charset=utf-8", "application/*",
                                    "text/html, application/json;q=0.9", "*/*;q=0.8"])
def test_json_or_anything_is_acceptable(raw: Raw, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    r = raw.client.get("/ticker", params={"pair": "BTC_USDT"}, headers=headers)
    assert r.status_code == 200 and body(r)["pair"] == "BTC_USDT"


@pytest.mark.parametrize("params", [{}, {"limit_buy": "0", "limit_sell": "0"},
                                    {"limit_buy": "100", "limit_sell": "21"}],
                         ids=["no-limits", "zero", "over-20"])
def test_the_book_has_20_levels_a_side_at_most(raw: Raw, params: dict[str, str]) -> None:
    """Notes, live exchange: 20 levels a side at most, limits above 20 give 20; ``buy``
    best (highest) first, ``sell`` lowest first, numbers as JSON numbers."""
    book = body(raw.get("/orderbook", {"pair": "ETH_USDT", **params}, auth=False))
    buy = [level["price"] for level in book["buy"]]
    sell = [level["price"] for level in book["sell"]]
    assert 0 < len(buy) <= 20 and 0 < len(sell) <= 20
    assert buy == sorted(buy, reverse=True) and sell == sorted(sell) and buy[0] < sell[0]
    assert all(isinstance(level["amount"], Decimal) for level in book["buy"] + book["sell"])


def test_a_book_limit_under_20_is_kept(raw: Raw) -> None:
    book = body(raw.get("/orderbook", {"pair": "ETH_USDT", "limit_buy": "3",
                                       "limit_sell": "1"}, auth=False))
    assert (len(book["buy"]), len(book["sell"])) == (3, 1)
