"""Random text typed into every field of the real form: it never crashes, and whatever it
lets through the confirm step the simulator accepts (no format refusal)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Input, Select

from alp_tui.services.trading import Outcome
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.wait import workers_done

NUMBERISH = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\A[0-9]{0,6}(\.[0-9]{0,9})?\Z"),
    st.sampled_from(["0.01", "90000", "0.001", "1e3", "-1", " 7 ", "95000.5", "0.0100"]),
)


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    otype=st.sampled_from(["LIMIT", "MARKET", "STOP_LIMIT", "STOP_MARKET"]),
    side=st.sampled_from(["BID", "ASK"]),
    amount=NUMBERISH, price=NUMBERISH, stop=NUMBERISH,
    amount_in=st.sampled_from(["base", "quote"]),
    tif=st.sampled_from(["GTC", "IOC", "FOK", "AON"]),
)
async def test_random_text_in_the_form(new_harness: Any, otype: str, side: str,
                                       amount: str, price: str, stop: str, amount_in: str,
                                       tif: str) -> None:
    harness = new_harness()  # a fresh app per example
    async with harness.run_test(size=(120, 50)) as pilot:
        await workers_done(pilot.app)
        pilot.app.push_screen(OrderFormModal(harness.trading, harness.pair, side))
        await pilot.pause()
        await workers_done(pilot.app)
        modal = pilot.app.screen
        assert isinstance(modal, OrderFormModal)
        for name, value in (("order_type", otype), ("amount_in", amount_in), ("tif", tif)):
            modal.query_one(f"#{name}", Select).value = value
        for name, value in (("amount", amount), ("price", price), ("stop_price", stop)):
            modal.query_one(f"#{name}", Input).value = value
        await pilot.pause()
        modal.review()
        await pilot.pause()
        if not isinstance(pilot.app.screen, ConfirmModal):
            assert modal.result is not None and modal.result.errors
            return
        sent: list[Any] = []
        original = harness.trading.place

        async def spy(draft: Any, **kw: Any) -> Any:
            result = await original(draft, **kw)
            sent.append(result)
            return result

        harness.trading.place = spy  # type: ignore[method-assign]
        await pilot.press("enter")
        await workers_done(pilot.app)
        await pilot.pause()
        if not sent and isinstance(pilot.app.screen, ConfirmModal):
            # A fat-finger order is not sent by Enter: only once its amount is typed.
            assert result_flagged(modal)
            confirm = pilot.app.screen
            assert confirm.type_to_confirm is not None
            confirm.query_one("#confirm-typed", Input).value = confirm.type_to_confirm
            await pilot.press("enter")
            await workers_done(pilot.app)
            await pilot.pause()
        assert sent, "the confirmed order was sent"
        assert sent[0].outcome is Outcome.DONE, sent[0].message


def result_flagged(modal: OrderFormModal) -> bool:
    """True when the reviewed order tripped the fat-finger guard (so it asks for typing)."""
    return bool(modal.result and modal.result.preview.needs_typed_confirm)
