"""Strings that can't be stored or sent back (lone surrogates, NUL, huge) are refused with a
400 naming the field, and never jam the simulator: the same account and every other
endpoint keep answering, with and without a state file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from alp_tui.sim.server import SimServer

from .helpers import Raw, body

NASTY = ["\ud800", "a\udfffb", "x\x00y", "x" * 5000]
ORDER = {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
         "base_amount": "0.001", "limit_price": "40000"}
TRANSFER = {"wallet_type": "CROSS_MARGIN", "direction": "ADD", "amount": "10",
            "currency": "USDT"}
WITHDRAW = {"amount": "50", "method": 3,
            "attributes": {"address": "T" + "a" * 33}}


def _alive(raw: Raw, client_order_id: str = "ok-after") -> None:
    """Everything still answers: public, private, and a real order goes through."""
    assert raw.get("/time", auth=False).status_code == 200
    assert raw.get("/orderbook", {"pair": "BTC_USDT"}, auth=False).status_code == 200
    assert raw.get("/accounts/order").status_code == 200
    assert raw.get("/margin/transfer").status_code == 200
    r = raw.post("/trading/order", {**ORDER, "client_order_id": client_order_id})
    assert r.status_code == 200, r.text


def _refused(r: Any, field: str) -> None:
    assert r.status_code == 400, r.text
    assert field in body(r)["formErrors"], r.text


@pytest.mark.parametrize("state", [False, True], ids=["memory", "state-file"])
@pytest.mark.parametrize("value", NASTY, ids=["surrogate", "surrogate-inside", "nul", "huge"])
def test_bad_text_is_a_field_error_and_jams_nothing(
        make_sim_server: Callable[..., SimServer], tmp_path: Path, state: bool,
        value: str) -> None:
    kwargs: dict[str, Any] = {"state_path": str(tmp_path / "sim.sqlite3")} if state else {}
    server = make_sim_server(**kwargs)
    raw = Raw(server)
    try:
        _refused(raw.post("/trading/order", {**ORDER, "client_order_id": value}),
                 "client_order_id")
        _refused(raw.post("/margin/transfer", {**TRANSFER, "note": value}), "note")
        _refused(raw.post("/withdraw", {**WITHDRAW, "client_order_id": value}),
                 "client_order_id")
        _refused(raw.post("/withdraw", {**WITHDRAW, "attributes": {
            "address": "T" + "a" * 33, "memo": value}}), "attributes")
        _refused(raw.post("/withdraw", {**WITHDRAW, "attributes": {
            "address": "T" + "a" * 33, value: "x"}}), "attributes")
        _alive(raw)
        server.exchange.step()  # the market tick runs too
        _alive(raw, "ok-after-tick")
    finally:
        raw.close()


def test_login_with_an_unencodable_secret_is_401(sim_server: SimServer) -> None:
    raw = Raw(sim_server)
    try:
        r = raw.send("POST", "/auth", {"api_key": sim_server.api_key, "api_secret": "\ud800"},
                     auth=False)
        assert r.status_code == 401, r.text
    finally:
        raw.close()


def test_python_callers_are_checked_too(sim_server: SimServer) -> None:
    """The exchange itself refuses such text (paper mode and tests call it directly)."""
    from alp_tui.sim.errors import SimError
    ex = sim_server.exchange
    acc = sim_server.account_id
    assert acc is not None
    with pytest.raises(SimError) as info:
        ex.place_order(acc, {**ORDER, "base_amount": Decimal("0.001"),
                             "limit_price": Decimal(40000), "client_order_id": "\ud800"})
    assert info.value.form_errors == {"client_order_id": info.value.form_errors[
        "client_order_id"]}
    with pytest.raises(SimError):
        ex.margin_transfer(acc, "CROSS_MARGIN", "ADD", Decimal(1), "USDT", note="\x00")
    with pytest.raises(SimError):
        ex.create_account(email="\ud800@x", name="n")


def test_a_failed_write_undoes_that_request_only(
        make_sim_server: Callable[..., SimServer], tmp_path: Path) -> None:
    path = tmp_path / "sim.sqlite3"
    server = make_sim_server(state_path=str(path))
    raw = Raw(server)
    try:
        before = body(raw.get("/accounts/balances", {"currency": "USDT"}))
        store = server.exchange._store
        real_write = store.write
        calls = {"n": 0}

        def fail_once(*args: Any, **kwargs: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 1:
                raise sqlite3.OperationalError("disk I/O error")
            real_write(*args, **kwargs)

        store.write = fail_once  # type: ignore[method-assign]
        r = raw.post("/trading/order", {**ORDER, "client_order_id": "lost"})
        assert r.status_code == 503, r.text
        assert "undone" in body(r)["message"]
        # The refused order left no trace; the balance holds nothing for it.
        orders = body(raw.get("/accounts/order"))
        assert [o for o in orders if o["client_order_id"] == "lost"] == []
        assert body(raw.get("/accounts/balances", {"currency": "USDT"})) == before
        # The next requests succeed, including the same order again.
        r = raw.post("/trading/order", {**ORDER, "client_order_id": "lost"})
        assert r.status_code == 200, r.text
        _alive(raw)
        server.exchange.step()
    finally:
        raw.close()
    server.restart()
    raw = Raw(server)
    try:
        ids = [o["client_order_id"] for o in body(raw.get("/accounts/order"))]
        assert sorted(ids) == ["lost", "ok-after"]
    finally:
        raw.close()
