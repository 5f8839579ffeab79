"""Unit tests of the wire conversions: money, integers, flags, times, windows, encoding."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alp_tui.api.enums import ChartInterval, OrderSide, WalletType
from alp_tui.api.models import loads
from alp_tui.sim import wire
from alp_tui.sim.errors import SimError
from alp_tui.sim.wire import Form, FormErrors, dumps, loads_body, parse_rfc3339


@pytest.mark.parametrize("value,expected", [
    (Decimal("0.01"), Decimal("0.01")), ("45000.5", Decimal("45000.5")), (3, Decimal(3)),
    ("1E+2", Decimal("100")), ("0.100000000000000000000", Decimal("0.1")),
])
def test_money_ok(value, expected) -> None:
    form = Form({"x": value})
    assert form.money("x") == expected
    form.check()


@pytest.mark.parametrize("value", [
    "NaN", "Infinity", "-Infinity", "sNaN", "-1", 0, "0", True, [], {}, "abc", "1e999999",
    "1e16", "0.0000000000000000001", "1" * 70, " ",
])
def test_money_bad(value) -> None:
    form = Form({"x": value})
    form.money("x", required=True)
    with pytest.raises(FormErrors) as info:
        form.check()
    assert "x" in info.value.errors


def test_money_zero_when_allowed() -> None:
    assert Form({"x": "0"}).money("x", allow_zero=True) == 0


@pytest.mark.parametrize("value,ok", [
    ("5", True), (5, True), (Decimal("5"), True), (Decimal("5.5"), False), ("5.0", False),
    (True, False), ("-1", False), ("99999999999999999999999", False), ("", None),
])
def test_integer(value, ok) -> None:
    form = Form({"x": value})
    got = form.integer("x")
    if ok is None:
        assert got is None and not form.errors
    elif ok:
        assert got == 5 and not form.errors
    else:
        assert "x" in form.errors


@pytest.mark.parametrize("value,expected", [
    ("true", True), ("True", True), ("1", True), ("false", False), ("False", False),
    ("0", False), (True, True), (False, False),
])
def test_boolean(value, expected) -> None:
    form = Form({"x": value})
    assert form.boolean("x") is expected and not form.errors


def test_boolean_bad() -> None:
    form = Form({"x": "maybe"})
    form.boolean("x")
    assert "x" in form.errors


def test_enums_via_aliases() -> None:
    form = Form({"s": "BUY", "w": "MARGIN_CROSS", "i": "HOUR"})
    assert form.enum("s", OrderSide) is OrderSide.BID
    assert form.enum("w", WalletType) is WalletType.CROSS_MARGIN
    assert form.interval("i") is ChartInterval.HOUR
    bad = Form({"s": "UP", "i": "7"})
    bad.enum("s", OrderSide)
    bad.interval("i")
    assert set(bad.errors) == {"s", "i"}


@pytest.mark.parametrize("text", [
    "2006-01-02T15:04:05Z", "2006-01-02T15:04:05+07:00", "2006-01-02T15:04:05.123456Z",
    "2006-01-02t15:04:05z", "3000-01-01T00:00:00Z",
])
def test_rfc3339_ok(text: str) -> None:
    assert parse_rfc3339(text).tzinfo is not None


@pytest.mark.parametrize("text", [
    "2006-01-02", "2006-01-02T15:04:05", "yesterday", "2006-13-02T15:04:05Z", 12345,
    "0001-01-01T00:00:00Z",
])
def test_rfc3339_bad(text) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_window_defaults() -> None:
    assert Form({}).window(NOW) == (NOW - timedelta(days=30), None)
    start = "2026-11-01T00:00:00Z"
    s, e = Form({"start_time": start}).window(NOW)
    assert e - s == timedelta(days=30)
    s, e = Form({"end_time": start}).window(NOW)
    assert e - s == timedelta(days=30)


def test_window_over_30_days_and_reversed() -> None:
    form = Form({"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-03-01T00:00:00Z"})
    form.window(NOW)
    assert "end_time" in form.errors
    form = Form({"start_time": "2026-03-01T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"})
    form.window(NOW)
    assert "end_time" in form.errors
    exact = Form({"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-31T00:00:00Z"})
    exact.window(NOW)
    assert not exact.errors


@pytest.mark.parametrize("raw", [b"", b"  ", b"[]", b"1", b"{", b'{"a": NaN}',
                                 b'{"a": Infinity}', b"\xff", b"[" * 100000])
def test_loads_body_refuses(raw: bytes) -> None:
    with pytest.raises(SimError) as info:
        loads_body(raw)
    assert info.value.status == 400


def test_loads_body_decimal() -> None:
    assert loads_body(b'{"a": 12345678.123456789012}')["a"] == Decimal("12345678.123456789012")


def test_dumps_exact_digits() -> None:
    value = {"a": Decimal("12345678.123456789012"), "b": Decimal("0.00000010"),
             "c": [1, None, True, "é"], "d": OrderSide.BID, "e": Decimal("1E+2"),
             "t": datetime(2026, 1, 1, tzinfo=UTC)}
    out = dumps(value)
    assert b"12345678.123456789012" in out and b"0.00000010" in out
    back = loads(out)
    assert back["a"] == Decimal("12345678.123456789012")
    assert back["d"] == "BID" and back["e"] == 100 and back["t"] == "2026-01-01T00:00:00Z"
    assert dumps(Decimal("NaN")) == b"null"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=12,
                   min_value=-(10**15), max_value=10**15))
def test_dumps_roundtrip(value: Decimal) -> None:
    assert loads(dumps({"v": value}))["v"] == value


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=10))
def test_dumps_matches_json(value) -> None:
    assert json.loads(dumps(value)) == value


def test_pair_not_found_shape() -> None:
    assert wire.pair_not_found().body() == {"code": "BAD_REQUEST", "message": "pair not found"}


@pytest.mark.parametrize("value", ["²", "٣", "--5", "5-", "+5"])
def test_integer_refuses_non_ascii_digits(value: str) -> None:
    form = Form({"x": value})
    form.integer("x")
    assert form.errors["x"] == "must be an integer"


@pytest.mark.parametrize("value", ["1_000", "١٢", "0x10", "1.2.3", "1e", ".", "e5"])
def test_money_refuses_odd_number_spellings(value: str) -> None:
    form = Form({"x": value})
    form.money("x")
    assert "x" in form.errors


@pytest.mark.parametrize("value", ["1.", ".5", "+2", "1e-3", "10E2"])
def test_money_accepts_plain_spellings(value: str) -> None:
    form = Form({"x": value})
    assert form.money("x") == Decimal(value) and not form.errors
