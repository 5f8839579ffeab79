"""Command palette (ctrl+p): every dashboard action, following the current context.

The app lists its commands through :meth:`AlpApp.palette_commands`; a module that adds an
action adds a :class:`PaletteCommand` there (or subclasses this provider).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One palette entry. ``discover`` entries show before anything is typed."""

    name: str
    help: str
    run: Callable[[], object]
    discover: bool = False


class HasPaletteCommands(Protocol):
    """What the provider needs from the app."""

    def palette_commands(self) -> Iterable[PaletteCommand]: ...


class DashboardCommands(Provider):
    """Switch pair, chart interval, pane focus, theme, views, refresh, watchlist..."""

    def _commands(self) -> list[PaletteCommand]:
        app = self.app
        if not hasattr(app, "palette_commands"):
            return []
        return list(app.palette_commands())  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        """Frequent commands, shown on an empty prompt."""
        for command in self._commands():
            if command.discover:
                yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        """Fuzzy match on the command names."""
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run,
                          text=command.name, help=command.help)
