"""The account part of the dashboard: what the account holds and owes, and its histories.

At 160x48 and larger, balances, open orders and margin (loans and levels) are in view
together, side by side in a strip, and the tabs below hold the histories. Smaller, all of
them are tabs (and without API keys, whatever the size). The strip's panes are second
instances of the tab panes (``<topic>-strip`` ids): the app hands every pane of a topic the
same data, so whichever is shown is current, and nothing has to move between containers
when the terminal is resized.
"""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, TabbedContent, TabPane

from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.panes.registry import ACCOUNT_SLOTS, make_pane

__all__ = ["ROOMY", "STRIP_TOPICS", "AccountArea"]

ROOMY = (160, 48)
"""From this terminal size (columns, rows) up, the strip shows."""

STRIP_TOPICS = ("balances", "orders", "margin")
"""The topics in view together when there is room; the other tabs hold histories."""


class AccountArea(Vertical):
    """The strip (when roomy) above the account tabs (``#account-tabs``)."""

    BINDINGS = [
        Binding("v", "full_table", "Full table", id="account.full_table",
                tooltip="Show the focused strip pane's full table (every column) in the "
                        "tabs below; it goes back to the strip when another tab opens"),
    ]

    roomy: reactive[bool] = reactive(False)
    """Whether the terminal is at least :data:`ROOMY`: the strip shows."""

    def __init__(self, *, has_credentials: bool, id: str = "account-area") -> None:
        super().__init__(id=id)
        self.has_credentials = has_credentials
        self._screen: Screen[object] | None = None

    def compose(self) -> ComposeResult:
        """The strip's panes, then every account pane in its tab."""
        placeholder = not self.has_credentials
        with Horizontal(id="account-strip"):
            for slot in ACCOUNT_SLOTS:
                if slot.topic in STRIP_TOPICS:
                    pane = make_pane(replace(slot, pane_id=f"{slot.topic}-strip"),
                                     use_placeholder=placeholder)
                    pane.border_title = slot.title
                    pane.fit_columns = True  # type: ignore[attr-defined]  # whole numbers only
                    yield pane
        with TabbedContent(id="account-tabs", initial="balances"):
            for slot in ACCOUNT_SLOTS:
                with TabPane(slot.title, id=slot.topic):
                    yield make_pane(slot, use_placeholder=placeholder)

    def on_mount(self) -> None:
        """Follow the terminal's size (a layout refresh comes with every resize)."""
        self._screen = self.screen
        self._screen.screen_layout_refresh_signal.subscribe(self, self._fit)
        self._fit()

    def _fit(self, _screen: object = None) -> None:
        width, height = self.app.size
        # without keys the panes would only repeat how to add them: tabs keep the room
        self.roomy = self.has_credentials and width >= ROOMY[0] and height >= ROOMY[1]

    def watch_roomy(self, roomy: bool) -> None:
        """Strip shown with the histories as tabs, or every account pane a tab."""
        focused = self.app.focused
        carried = next((w.topic for w in (focused.ancestors_with_self if focused else ())
                        if isinstance(w, DataPane) and w.topic in STRIP_TOPICS), None)
        self.set_class(roomy, "-roomy")
        tabs = self.query_one("#account-tabs", TabbedContent)
        if roomy and tabs.active in STRIP_TOPICS:
            tabs.active = next(s.topic for s in ACCOUNT_SLOTS if s.topic not in STRIP_TOPICS)
        for topic in STRIP_TOPICS:
            if roomy:
                tabs.hide_tab(topic)
            else:
                tabs.show_tab(topic)
        if carried is not None:  # the focused pane went out of view: its twin takes it
            if not roomy:
                tabs.active = carried
            twin = self.query_one(f"#{carried}-strip") if roomy else tabs.get_pane(carried)
            tables = twin.query(DataTable)
            if tables:
                self.call_after_refresh(tables.last().focus)

    def _focused_strip_pane(self) -> DataPane | None:
        focused = self.screen.focused
        return next((w for w in (focused.ancestors_with_self if focused else ())
                     if isinstance(w, DataPane) and str(w.id).endswith("-strip")), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``v`` only from a pane of the strip (hidden from the footer elsewhere)."""
        if action == "full_table":
            return self.roomy and self._focused_strip_pane() is not None  # False: hidden
        return True

    def action_full_table(self) -> None:
        """The focused strip pane's topic as a tab (every column), opened and focused."""
        pane = self._focused_strip_pane()
        if not self.roomy or pane is None:
            return
        tabs = self.query_one("#account-tabs", TabbedContent)
        tabs.show_tab(pane.topic)
        tabs.active = pane.topic
        tables = tabs.get_pane(pane.topic).query(DataTable)
        if tables:
            tables.last().focus()
        self.refresh_bindings()  # no "v" from the full table

    @on(TabbedContent.TabActivated, "#account-tabs")
    def _back_to_the_strip(self) -> None:
        """Another tab opened: a strip topic shown full goes back to the strip only."""
        if self.roomy:
            tabs = self.query_one("#account-tabs", TabbedContent)
            for topic in STRIP_TOPICS:
                if topic != tabs.active:
                    tabs.hide_tab(topic)

    def shown_topics(self) -> set[str]:
        """The account topics on screen: the open tab's, and the strip's when roomy."""
        tab = self.query_one("#account-tabs", TabbedContent).active
        return ({tab} if tab else set()) | (set(STRIP_TOPICS) if self.roomy else set())
