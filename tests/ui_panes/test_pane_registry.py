"""A pane that cannot be built fails loudly; it never turns quietly into a placeholder."""

from __future__ import annotations

import pytest

from alp_tui.ui.panes.placeholder import PlaceholderPane
from alp_tui.ui.panes.registry import ACCOUNT_SLOTS, MARKET_SLOTS, PaneSlot, make_pane


def test_every_listed_pane_is_built_from_its_module() -> None:
    for slot in MARKET_SLOTS + ACCOUNT_SLOTS:
        pane = make_pane(slot)
        assert not isinstance(pane, PlaceholderPane), slot
        assert pane.id == slot.pane_id


def test_a_pane_module_that_fails_to_import_raises() -> None:
    slot = PaneSlot("trades", "alp_tui.ui.panes.no_such_pane", "TradesPane", "Trades", "t")
    with pytest.raises(ModuleNotFoundError, match="no_such_pane"):
        make_pane(slot)


def test_a_missing_pane_class_raises() -> None:
    slot = PaneSlot("trades", "alp_tui.ui.panes.trades", "NoSuchPane", "Trades", "t")
    with pytest.raises(TypeError, match="NoSuchPane"):
        make_pane(slot)


def test_placeholder_only_when_asked() -> None:
    pane = make_pane(ACCOUNT_SLOTS[0], use_placeholder=True)
    assert isinstance(pane, PlaceholderPane)
    assert pane.id == ACCOUNT_SLOTS[0].pane_id
