"""Issue #15's first finding, checked the way it was found: a real ``alp-tui sim --state``
process, correctly signed requests carrying text that can't be stored, then everything
else must still answer, and the state file must still load."""

from __future__ import annotations

from pathlib import Path

from .helpers import Raw, body
from .sim_process import start_sim

ORDER = ('{"pair":"BTC_USDT","order_type":"LIMIT","order_side":"BID","base_amount":"0.001",'
         '"limit_price":"50000","client_order_id":%s}')
NOTE = ('{"wallet_type":"CROSS_MARGIN","direction":"ADD","amount":"1","currency":"USDT",'
        '"note":%s}')


def _answers_everything(raw: Raw, cid: str) -> None:
    assert raw.client.get("/time").status_code == 200
    assert raw.client.get("/orderbook", params={"pair": "BTC_USDT"}).status_code == 200
    assert raw.get("/accounts/order").status_code == 200
    r = raw.post("/trading/order", (ORDER % f'"{cid}"').encode())
    assert r.status_code == 200, r.text


def test_unstorable_text_is_refused_and_the_sim_keeps_answering(tmp_path: Path) -> None:
    state = str(tmp_path / "sim.sqlite")
    args = ("--state", state, "--no-market-life", "--api-key", "K", "--api-secret", "S")
    sim = start_sim(*args)
    try:
        raw = Raw(sim)  # type: ignore[arg-type]
        # The JSON escapes travel as written: a lone surrogate, a NUL.
        for text, field in (('"\\ud800"', "client_order_id"), ('"a\\u0000b"', "client_order_id")):
            r = raw.post("/trading/order", (ORDER % text).encode())
            assert r.status_code == 400 and field in body(r)["formErrors"], r.text
        r = raw.post("/margin/transfer", (NOTE % '"\\ud800"').encode())
        assert r.status_code == 400 and "note" in body(r)["formErrors"], r.text
        _answers_everything(raw, "after-bad-text")
        raw.close()
    finally:
        assert sim.stop() == 0
    again = start_sim(*args)
    try:
        raw = Raw(again)  # type: ignore[arg-type]
        ids = [o["client_order_id"] for o in body(raw.get("/accounts/order"))]
        assert ids == ["after-bad-text"]
        _answers_everything(raw, "after-restart")
        raw.close()
    finally:
        assert again.stop() == 0
