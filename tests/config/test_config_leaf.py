"""config is a leaf (import-linter): what it writes out of the wire vocabulary stays equal to
the wire's own definitions."""

from __future__ import annotations

import pytest

from alp_tui.api.enums import ChartInterval, normalize_pair
from alp_tui.config import VALID_INTERVALS, _normalize_pair


def test_intervals_are_the_wire_intervals_but_one_minute() -> None:
    wire = tuple(i.value for i in ChartInterval if i is not ChartInterval.ONE_MIN)
    assert wire == VALID_INTERVALS


@pytest.mark.parametrize("name", ["BTC_USDT", "btc/usdt", " eth-usdt ", "Sol_Usdt", ""])
def test_pair_names_read_as_the_client_reads_them(name: str) -> None:
    assert _normalize_pair(name) == normalize_pair(name)
