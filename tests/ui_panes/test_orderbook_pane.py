"""Pilot tests of the order book pane."""

from __future__ import annotations

from decimal import Decimal

from textual.message import Message

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import BookLevel, OrderBook
from alp_tui.feed.state import FeedState
from alp_tui.ui.panes.orderbook import OrderBookPane
from alp_tui.ui.widgets.pane_status import PaneStatus
from tests.support.pane_data import BTC_USDT, ETH_USDT, make_book, make_order
from tests.support.panes import PaneHarness

D = Decimal


def small_book() -> OrderBook:
    """Two asks and two bids with easy numbers (API order: bids descending, asks ascending)."""
    return OrderBook(
        buy=[BookLevel(price=D("99.5"), amount=D("1.25")), BookLevel(price=D("99"), amount=D("2"))],
        sell=[BookLevel(price=D("100"), amount=D("0.5")), BookLevel(price=D("101"), amount=D("3"))],
    )


async def started(size: tuple[int, int] = (44, 22)):
    """A harness with one book pane set to BTC_USDT, plus the list of messages it posts."""
    messages: list[Message] = []
    pane = OrderBookPane(id="orderbook")
    app = PaneHarness(pane)
    return app, pane, messages


def posted(messages: list[Message], kind: type) -> list:
    """Messages of ``kind``, once each (the hook sees a message at every bubbling step)."""
    seen: dict[int, Message] = {}
    for m in messages:
        if isinstance(m, kind):
            seen.setdefault(id(m), m)
    return list(seen.values())


async def test_asks_above_bids_with_totals_spread_and_mid() -> None:
    app, pane, messages = await started()
    async with app.run_test(size=(44, 22), message_hook=messages.append) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(small_book())
        await pilot.pause()
        rows = [r.strip() for r in pane.ladder.row_texts()]
        levels = [r for r in rows if r[:1].isdigit()]
        # Highest ask first, then the best ask, then best bid, then the next bid.
        assert [r.split()[0] for r in levels] == ["101.00", "100.00", "99.50", "99.00"]
        # Amounts and cumulative totals at the pair's amount precision (6).
        assert levels[0].split()[1:] == ["3.000000", "3.500000"]
        assert levels[1].split()[1:] == ["0.500000", "0.500000"]
        assert levels[2].split()[1:] == ["1.250000", "1.250000"]
        assert levels[3].split()[1:] == ["2.000000", "3.250000"]
        spread_line = next(r for r in rows if "spread" in r)
        assert "spread 0.50" in spread_line
        assert "mid 99.75" in spread_line
        assert pane.ladder.book is not None
        assert pane.ladder.book.mid == D("99.75")


async def test_mid_gets_one_more_decimal_only_when_needed() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(
            OrderBook(
                buy=[BookLevel(price=D("100.00"), amount=D(1))],
                sell=[BookLevel(price=D("100.01"), amount=D(1))],
            )
        )
        await pilot.pause()
        assert any("mid 100.005" in r for r in pane.ladder.row_texts())


async def test_thousands_separators_and_precision() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(60, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(make_book(20))
        await pilot.pause()
        text = "\n".join(pane.ladder.row_texts())
        assert "45,000.50" in text  # best ask
        assert "45,000.00" in text  # best bid


async def test_levels_adapt_to_height_and_depth_bars_are_monotone() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(make_book(20))
        await pilot.pause()
        ladder = pane.ladder
        height = ladder.size.height
        visible = ladder.visible_levels()
        assert len(visible) == height - 2  # all lines but header and spread show levels
        asks = [(k, d) for k, d in ladder.depth_cells() if k[0] is OrderSide.ASK]
        bids = [(k, d) for k, d in ladder.depth_cells() if k[0] is OrderSide.BID]
        # Asks are drawn highest first: their bars shrink towards the spread; bids grow away.
        ask_depths = [d for _, d in asks]
        bid_depths = [d for _, d in bids]
        assert ask_depths == sorted(ask_depths, reverse=True)
        assert bid_depths == sorted(bid_depths)
        assert max(ask_depths + bid_depths) == ladder.size.width - 1

        await pilot.resize_terminal(44, 40)
        await pilot.pause()
        assert len(ladder.visible_levels()) == min(40, ladder.size.height - 2)
        assert len(ladder.visible_levels()) > len(visible)


async def test_keyboard_selection_posts_level_selected_and_order_requested() -> None:
    app, pane, messages = await started()
    async with app.run_test(size=(44, 22), message_hook=messages.append) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(small_book())
        pane.focus()
        await pilot.press("down")  # first press: best bid
        await pilot.press("down")  # next bid
        await pilot.press("up", "up")  # back over the spread to the best ask
        await pilot.pause()
        selected = posted(messages, OrderBookPane.LevelSelected)
        assert [(m.side, m.price) for m in selected] == [
            (OrderSide.BID, D("99.5")),
            (OrderSide.BID, D("99")),
            (OrderSide.BID, D("99.5")),
            (OrderSide.ASK, D("100")),
        ]
        assert all(m.pair == "BTC_USDT" for m in selected)
        await pilot.press("b")
        await pilot.press("s")
        await pilot.pause()
        requests = posted(messages, OrderBookPane.OrderRequested)
        assert [(m.side, m.price, m.level_side) for m in requests] == [
            (OrderSide.BID, D("100"), OrderSide.ASK),
            (OrderSide.ASK, D("100"), OrderSide.ASK),
        ]


async def test_b_without_selection_posts_nothing() -> None:
    app, pane, messages = await started()
    async with app.run_test(size=(44, 22), message_hook=messages.append) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(small_book())
        pane.focus()
        await pilot.press("b")
        await pilot.pause()
        assert posted(messages, OrderBookPane.OrderRequested) == []


async def test_click_selects_level() -> None:
    app, pane, messages = await started()
    async with app.run_test(size=(44, 22), message_hook=messages.append) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(small_book())
        await pilot.pause()
        ladder = pane.ladder
        line = ladder.line_of((OrderSide.BID, D("99")))
        assert line is not None
        await pilot.click(ladder, offset=(5, line))
        await pilot.pause()
        selected = posted(messages, OrderBookPane.LevelSelected)
        assert [(m.side, m.price) for m in selected] == [(OrderSide.BID, D("99"))]
        assert pane.selected == (OrderSide.BID, D("99"))
        # A click on the spread line selects nothing new.
        spread_line = next(i for i, r in enumerate(ladder.row_texts()) if "spread" in r)
        await pilot.click(ladder, offset=(5, spread_line))
        await pilot.pause()
        assert len(posted(messages, OrderBookPane.LevelSelected)) == 1


async def test_grouping_toggle_posts_message_and_shows_state() -> None:
    app, pane, messages = await started()
    async with app.run_test(size=(44, 22), message_hook=messages.append) as pilot:
        pane.set_pair(BTC_USDT)
        pane.focus()
        assert pane.query_one(PaneStatus).title == "grouped"  # by default: streamed live
        assert pane.border_subtitle == "grouped"
        await pilot.press("g")
        await pilot.pause()
        assert [m.grouped for m in posted(messages, OrderBookPane.GroupingToggled)] == [False]
        assert pane.grouped is False
        assert pane.query_one(PaneStatus).title == "ungrouped"
        assert pane.border_subtitle == ""
        await pilot.press("g")
        await pilot.pause()
        assert [m.grouped for m in posted(messages, OrderBookPane.GroupingToggled)] == [False, True]


async def test_changed_levels_flash_and_first_book_does_not() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        ladder = pane.ladder
        ladder.flash_seconds = 3600  # no expiry during the test
        pane.show_data(small_book())
        await pilot.pause()
        assert ladder.flashing == frozenset()
        changed = OrderBook(
            buy=[
                BookLevel(price=D("99.5"), amount=D("1.25")),
                BookLevel(price=D("99"), amount=D("5")),
            ],
            sell=[
                BookLevel(price=D("100"), amount=D("0.5")),
                BookLevel(price=D("100.5"), amount=D("1")),
                BookLevel(price=D("101"), amount=D("3")),
            ],
        )
        pane.show_data(changed)
        await pilot.pause()
        assert ladder.flashing == {(OrderSide.BID, D("99")), (OrderSide.ASK, D("100.5"))}
        assert ladder.is_flashing((OrderSide.BID, D("99")))
        assert not ladder.is_flashing((OrderSide.BID, D("99.5")))


async def test_flash_expires_on_timer() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        ladder = pane.ladder
        ladder.flash_seconds = 0.0
        pane.show_data(small_book())
        pane.show_data(make_book(3))
        ladder._expire_flashes()  # what the timer calls
        await pilot.pause()
        assert ladder.flashing == frozenset()


async def test_own_orders_marked_on_their_levels() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(small_book())
        pane.set_own_orders(
            [
                make_order(1, OrderSide.BID, D("99.00")),
                make_order(2, OrderSide.ASK, D("101")),
                make_order(3, OrderSide.ASK, D("99")),  # no ask at 99
                make_order(4, OrderSide.BID, D("99.5"), pair="ETH_USDT"),  # another pair
            ]
        )
        await pilot.pause()
        ladder = pane.ladder
        assert ladder.own_levels == {(OrderSide.BID, D("99")), (OrderSide.ASK, D("101"))}
        rows = ladder.row_texts()
        marked = [r for r in rows if r.startswith("●")]
        assert len(marked) == 2
        # Marks follow the book: a new book without the 101 ask drops that mark.
        pane.show_data(
            OrderBook(
                buy=small_book().buy,
                sell=[BookLevel(price=D("100"), amount=D("0.5"))],
            )
        )
        await pilot.pause()
        assert ladder.own_levels == {(OrderSide.BID, D("99"))}


async def test_set_pair_clears_book_and_selection_at_once() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(small_book())
        pane.focus()
        await pilot.press("down")
        assert pane.selected is not None
        pane.set_pair(ETH_USDT)
        assert pane.ladder.book is None
        assert pane.selected is None
        await pilot.pause()
        text = "\n".join(pane.ladder.row_texts())
        assert "99.50" not in text
        assert "waiting for the ETH_USDT order book" in text
        assert pane.border_title == "Order book ETH_USDT"


async def test_empty_book_says_so() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(OrderBook(buy=[], sell=[]))
        await pilot.pause()
        assert any("empty book" in r for r in pane.ladder.row_texts())
        assert pane.ladder.visible_levels() == []


async def test_one_sided_book() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(OrderBook(buy=[BookLevel(price=D(1), amount=D(1))], sell=[]))
        await pilot.pause()
        assert any("no asks" in r for r in pane.ladder.row_texts())


async def test_feed_state_reaches_status_line() -> None:
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        state = FeedState().fresh()
        pane.set_feed_state(state)
        await pilot.pause()
        assert pane.query_one(PaneStatus).state == state


async def test_updates_repaint_only_changed_lines() -> None:
    """An identical book repaints nothing; marking one own order repaints one line."""
    app, pane, _ = await started()
    async with app.run_test(size=(44, 22)) as pilot:
        pane.set_pair(BTC_USDT)
        ladder = pane.ladder
        pane.show_data(make_book(20))
        await pilot.pause()
        calls: list[tuple] = []
        original = ladder.refresh

        def spy(*regions, **kwargs):
            calls.append(regions)
            return original(*regions, **kwargs)

        ladder.refresh = spy  # type: ignore[method-assign]
        pane.show_data(make_book(20))  # same amounts
        assert calls == []
        assert ladder.flashing == frozenset()
        best_bid = ladder.book.bids[0].price
        pane.set_own_orders([make_order(1, OrderSide.BID, best_bid)])
        assert len(calls) == 1
        (region,) = calls[0]
        assert region.height == 1
        assert region.y == ladder.line_of((OrderSide.BID, best_bid))



def test_header_titles_never_run_together() -> None:
    import re

    from alp_tui.ui.widgets.book_columns import LevelColumns

    titles = re.compile(r"^ (Price USDT|Price) +(Amount BTC|Amount)( +(Total BTC|Total))? *$")
    for width in range(24, 60):
        header = LevelColumns.fit(width, 9, 8, 8, "USDT", "BTC").header()
        assert titles.match(header), (width, header)
    assert LevelColumns.fit(29, 9, 8, 8, "USDT", "BTC").header().split() == [
        "Price", "USDT", "Amount", "Total"]
