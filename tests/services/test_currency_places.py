"""Each currency's display decimals, learned from the pairs (services.format)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from alp_tui.api.models import PairInfo
from alp_tui.services.format import currency_places, format_money


def _pair(base: str, quote: str, amount: int, price: int) -> PairInfo:
    return PairInfo(name=f"{base}_{quote}", currency1=base, currency2=quote,
                    amount_precision=amount, price_precision=price,
                    maximum_order_size=Decimal(100), minimum_order_size=Decimal("0.001"),
                    minimum_order_value=Decimal(1))


def test_a_quoted_currency_counts_cents_a_traded_one_its_lot_step() -> None:
    places = currency_places([_pair("BTC", "USDT", 6, 2), _pair("DOGE", "USDT", 0, 5),
                              _pair("LTC", "BTC", 2, 8), _pair("ETH", "USDT", 5, 2)])
    # USDT is money: its coarsest price step (a DOGE price's 5 decimals are not cents)
    assert places["USDT"] == 2
    # BTC is traded as a base: its amount step, though LTC_BTC prices carry 8
    assert places["BTC"] == 6
    assert (places["DOGE"], places["ETH"], places["LTC"]) == (0, 5, 2)


def test_a_quote_priced_coarser_than_cents_still_shows_cents() -> None:
    assert currency_places([_pair("X", "EUR", 2, 0)])["EUR"] == 2


def test_an_amount_of_a_currency_at_its_places_or_exact_when_unknown() -> None:
    places = currency_places([_pair("AVAX", "USDT", 2, 3), _pair("BTC", "USDT", 6, 2)])
    assert format_money(Decimal("98621.6528467"), "USDT", places) == "98,621.65"
    # what is available never rounds up past what there is
    assert format_money(Decimal("0.999"), "USDT", places, rounding=ROUND_DOWN) == "0.99"
    # a currency no pair lists: exact on the exchange's 8-decimal grid, grouped
    assert format_money(Decimal("1234.50000000"), "XYZ", places) == "1,234.5"
