"""The exchange's call discipline: one lock, a wide decimal context, flush at the end.

Every public method of :class:`~alp_tui.sim.exchange.Exchange` is wrapped by :func:`api`:
it runs under the exchange lock with a 60-digit decimal context (no product or sum of
balances ever rounds, so conservation is exact), and the outermost call of a nested chain
persists what changed in one transaction and then tells the listeners (``_flush``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Context, localcontext
from typing import Any, TypeVar

CTX = Context(prec=60)

_F = TypeVar("_F", bound=Callable[..., Any])


def api(fn: _F) -> _F:
    """Run a public method under the lock with the wide decimal context; the outermost
    call flushes changes to disk (one transaction) and then tells the listeners."""

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        """The locked, journalled call."""
        with self._lock, localcontext(CTX):
            self._depth += 1
            try:
                return fn(self, *args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._flush()

    return wrapper  # type: ignore[return-value]
