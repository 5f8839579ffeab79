"""Each fault kind does what it says, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from alp_tui.sim.faults import FaultInjector, FaultRule

from .fake_exchange import FakeExchange
from .helpers import Raw, body

BOOK = "/api/v3/orderbook"
Q = {"pair": "BTC_USDT"}


@pytest.fixture
def raw(make_sim_server) -> Iterator[Raw]:
    server = make_sim_server(exchange_factory=FakeExchange, fault_control=True)
    r = Raw(server)
    yield r
    r.close()


def test_off_by_default(raw: Raw) -> None:
    assert raw.server.faults.rules == []
    assert raw.get("/orderbook", Q, auth=False).status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_with_html_body_then_recovers(raw: Raw, status: int) -> None:
    rule = raw.server.faults.add(FaultRule(kind="status", path=BOOK, status=status, count=2))
    for _ in range(2):
        r = raw.get("/orderbook", Q, auth=False)
        assert r.status_code == status
        assert r.headers["content-type"].startswith("text/html")
        assert b"<html>" in r.content
    assert raw.get("/orderbook", Q, auth=False).status_code == 200
    assert rule.fired == 2
    # Another path was never affected.
    assert raw.get("/ticker", auth=False).status_code == 200


def test_rate_limit_retry_after_seconds(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="rate_limit", path=BOOK, retry_after=3, count=1))
    r = raw.get("/orderbook", Q, auth=False)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    assert body(r)["code"] == "TOO_MANY_REQUESTS"


def test_rate_limit_retry_after_http_date(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="rate_limit", path=BOOK, retry_after=30,
                                    retry_after_format="http-date", count=1))
    r = raw.get("/orderbook", Q, auth=False)
    assert r.status_code == 429
    when = parsedate_to_datetime(r.headers["retry-after"])
    assert when.tzinfo is not None


def test_rate_limit_without_retry_after(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="rate_limit", path=BOOK, count=1))
    r = raw.get("/orderbook", Q, auth=False)
    assert r.status_code == 429 and "retry-after" not in r.headers


def test_burst_of_429_by_glob(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="rate_limit", path="/api/v3/*", count=5))
    statuses = [raw.get("/ticker", auth=False).status_code for _ in range(7)]
    assert statuses == [429] * 5 + [200] * 2


def test_drop_closes_without_response(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="drop", path=BOOK, count=1))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
        raw.get("/orderbook", Q, auth=False)
    assert raw.get("/orderbook", Q, auth=False).status_code == 200


def test_drop_mid_response(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="drop_mid", path=BOOK, count=1))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        raw.get("/orderbook", Q, auth=False)
    assert raw.get("/orderbook", Q, auth=False).status_code == 200


def test_drop_mid_sends_headers_first(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="drop_mid", path=BOOK, count=1))
    with raw.client.stream("GET", "/orderbook", params=Q) as r:
        assert r.status_code == 200
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            r.read()


def test_malformed_invalid_json(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="malformed", path=BOOK, variant="invalid_json",
                                    count=1))
    r = raw.get("/orderbook", Q, auth=False)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        json.loads(r.content)


def test_malformed_empty(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="malformed", path=BOOK, variant="empty", count=1))
    r = raw.get("/orderbook", Q, auth=False)
    assert r.status_code == 200 and r.content == b""


def test_malformed_wrong_shape(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="malformed", path=BOOK, variant="wrong_shape",
                                    count=1))
    r = raw.get("/orderbook", Q, auth=False)
    assert isinstance(json.loads(r.content), list)  # the book is an object normally


def test_malformed_wrong_type(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="malformed", path=BOOK, variant="wrong_type",
                                    count=1))
    data = json.loads(raw.get("/orderbook", Q, auth=False).content)
    assert data["buy"][0]["price"] == "not-a-number"


def test_unauthorized_injection(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="unauthorized", path="/api/v3/accounts/balances",
                                    count=1))
    r = raw.get("/accounts/balances")
    assert r.status_code == 401 and body(r)["code"] == "UNAUTHORIZED"
    assert raw.get("/accounts/balances").status_code == 200


def test_latency_and_method_filter(raw: Raw) -> None:
    rule = raw.server.faults.add(FaultRule(kind="latency", path=BOOK, latency_s=0.01))
    stop = raw.server.faults.add(FaultRule(kind="status", path=BOOK, method="POST",
                                           status=500))
    assert raw.get("/orderbook", Q, auth=False).status_code == 200
    assert rule.fired == 1 and stop.fired == 0


def test_clear(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="status", status=503))
    assert raw.get("/ticker", auth=False).status_code == 503
    raw.server.faults.clear()
    assert raw.get("/ticker", auth=False).status_code == 200


def test_probability_is_seeded() -> None:
    def run(seed: int) -> list[bool]:
        inj = FaultInjector(seed)
        inj.add(FaultRule(kind="status", probability=0.3))
        return [inj.pick("GET", "/x")[1] is not None for _ in range(200)]
    first = run(42)
    assert first == run(42)
    assert 20 < sum(first) < 100


def test_rule_validation() -> None:
    with pytest.raises(ValueError):
        FaultRule(kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FaultRule(kind="status", probability=2)
    with pytest.raises(ValueError):
        FaultRule(kind="malformed", variant="weird")


def test_control_endpoint(raw: Raw) -> None:
    ctl = raw.server.base_url.replace("/api/v3", "") + "/_sim/faults"
    r = raw.client.post(ctl, json={"kind": "status", "path": BOOK, "status": 502,
                                   "count": 1})
    assert r.status_code == 200, r.text
    assert raw.get("/orderbook", Q, auth=False).status_code == 502
    assert len(raw.client.get(ctl).json()) == 1
    assert raw.client.post(ctl, json={"kind": "nope"}).status_code == 400
    assert raw.client.post(ctl, content=b"[").status_code == 400
    assert raw.client.delete(ctl).status_code == 200
    assert raw.server.faults.rules == []


def test_control_endpoint_off_by_default(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange)
    with httpx.Client() as c:
        url = server.base_url.replace("/api/v3", "") + "/_sim/faults"
        assert c.post(url, json={"kind": "status"}).status_code == 404


ORDER = {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BUY",
         "base_amount": "0.001", "limit_price": "10000"}


def _open_orders(server) -> list[int]:
    return [o["id"] for o in server.exchange.orders(server.account_id, open_only=True)]


def test_drop_means_not_processed_drop_mid_means_answer_lost(sim_server) -> None:
    raw = Raw(sim_server)
    path = "/api/v3/trading/order"
    sim_server.faults.add(FaultRule(kind="drop", path=path, method="POST", count=1))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        raw.post("/trading/order", ORDER)
    assert _open_orders(sim_server) == []
    sim_server.faults.add(FaultRule(kind="drop_mid", path=path, method="POST", count=1))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        raw.post("/trading/order", {**ORDER, "client_order_id": "lost-answer"})
    # The order was placed; only its answer was cut off.
    assert len(_open_orders(sim_server)) == 1
    raw.close()


def test_faults_survive_restart(make_sim_server) -> None:
    server = make_sim_server(exchange_factory=FakeExchange)
    rule = server.faults.add(FaultRule(kind="status", path=BOOK, status=503))
    server.restart()
    assert httpx.get(server.base_url + "/orderbook", params=Q).status_code == 503
    assert rule.fired == 1


def test_path_without_prefix_and_503_retry_after(raw: Raw) -> None:
    raw.server.faults.add(FaultRule(kind="status", path="/orderbook", status=503,
                                    retry_after=2, count=1))
    r = raw.get("/orderbook", Q, auth=False)
    assert r.status_code == 503 and r.headers["retry-after"] == "2"
    raw.server.faults.add(FaultRule(kind="status", path="/accounts/*", status=500, count=1))
    assert raw.get("/accounts/balances").status_code == 500
