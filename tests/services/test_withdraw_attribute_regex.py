"""A withdraw method's attribute ``regex`` (what the server says an address or memo must
look like) is checked before anything is sent: a wrong or truncated address is an error on
its field; a method without one, or with one Python cannot compile, keeps the old rule."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from alp_tui.api.models import MethodAttribute, WithdrawMethod
from alp_tui.services.withdraw_draft import attribute_problem, build_withdraw

TRC20 = "^T[0-9A-Za-z]{33}$"
GOOD = "T" + "A1b2C3d4E5f6G7h8J9k1M2n3P4q5R6s7T"  # 34 characters


def _method(*attributes: MethodAttribute, network: str = "TRC20") -> WithdrawMethod:
    return WithdrawMethod(id=3, network=network, currency="USDT", attributes=list(attributes),
                          fee_amount=Decimal(1), min_withdraw=Decimal(10))


def test_a_valid_address_passes_and_is_sent_as_typed() -> None:
    method = _method(MethodAttribute(key="address", regex=TRC20))
    draft, errors = build_withdraw(method, "25", {"address": f"  {GOOD} "}, Decimal(100))
    assert errors == {}
    assert draft is not None and draft.attributes == {"address": GOOD}


@pytest.mark.parametrize("address", [GOOD[:-1], GOOD + "x", "0x" + "a" * 40, "T" + "é" * 33])
def test_a_wrong_or_truncated_address_is_an_error_on_its_field(address: str) -> None:
    method = _method(MethodAttribute(key="address", regex=TRC20))
    draft, errors = build_withdraw(method, "25", {"address": address}, Decimal(100))
    assert draft is None
    said = errors["attr-address"]
    assert said == "Not a valid TRC20 address: check it was copied whole"
    assert address not in said  # the field shows what was typed; the error says why


def test_each_attribute_has_its_own_regex() -> None:
    method = _method(MethodAttribute(key="address", regex="^r[0-9A-Za-z]{33}$"),
                     MethodAttribute(key="memo", regex=r"^\d{1,10}$"), network="XRP")
    good = "r" + "a" * 33
    assert build_withdraw(method, "25", {"address": good, "memo": "12345"}, None)[1] == {}
    _draft, errors = build_withdraw(method, "25", {"address": good, "memo": "12a"}, None)
    assert set(errors) == {"attr-memo"} and "XRP memo" in errors["attr-memo"]


def test_without_a_regex_any_one_word_goes_as_before() -> None:
    method = _method(MethodAttribute(key="address"), MethodAttribute(key="memo", regex=""))
    draft, errors = build_withdraw(method, "25", {"address": "x", "memo": "y"}, None)
    assert errors == {} and draft is not None
    assert "required" in build_withdraw(method, "25", {"memo": "y"}, None)[1]["attr-address"]
    assert "no spaces" in build_withdraw(method, "25", {"address": "a b", "memo": "y"},
                                         None)[1]["attr-address"]


def test_a_regex_python_cannot_compile_is_skipped_and_logged_once(
        caplog: pytest.LogCaptureFixture) -> None:
    js_only = "^(?<net>T)[0-9A-Za-z]{33}$"  # a JavaScript named group: not Python syntax
    method = _method(MethodAttribute(key="address", regex=js_only))
    with caplog.at_level(logging.WARNING, logger="alp_tui.services.withdraw_draft"):
        for _ in range(3):
            draft, errors = build_withdraw(method, "25", {"address": "anything"}, None)
            assert errors == {} and draft is not None
    said = [r for r in caplog.records if js_only in r.getMessage()]
    assert len(said) == 1
    assert "anything" not in caplog.text  # what the trader typed is not logged


def test_attribute_problem_alone() -> None:
    address = MethodAttribute(key="address", regex=TRC20)
    assert attribute_problem(address, GOOD, "TRC20") is None
    assert attribute_problem(address, GOOD[:20], "TRC20")
    assert attribute_problem(MethodAttribute(key="address"), "whatever", "TRC20") is None
