"""Progress bars through ``tqdm.auto``: a widget in Jupyter, text in a terminal.

``progress=None`` (the default) shows a bar unless ``TQDM_DISABLE`` says otherwise, read
at each call (tqdm itself reads its ``TQDM_*`` settings once, when it is imported, so
setting or clearing the variable later, ``%env TQDM_DISABLE=1`` in a notebook, would not
count): ``disable`` is always passed, from ``progress`` or that variable. Every other
``TQDM_*`` setting is tqdm's own. ``progress=True`` shows a bar whatever the environment.
The bar shows done/total, the rate and an error count; never an id, a URL or a secret.

Example:
    >>> bar = progress_bar(total=3, progress=False)
    >>> bar.update(3); bar.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from tqdm.auto import tqdm

__all__ = ["BarStatus", "PacedBar", "progress_bar"]


class PacedBar(tqdm):  # type: ignore[misc]
    """A ``tqdm.auto`` bar whose rate, and so ETA, never exceeds a known rate limit.

    Against a rate-limited server the first window's burst makes tqdm's measured rate far
    higher than what the rest of the batch can sustain; capping it with the pacer's
    estimate (``rate_cap()``, records per second) keeps the ETA honest.
    """

    rate_cap: Callable[[], float | None] | None = None

    @property
    def format_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = super().format_dict
        cap = self.rate_cap() if self.rate_cap is not None else None
        if cap is not None and cap > 0:
            rate = values.get("rate")
            if rate is None:
                elapsed = values.get("elapsed") or 0.0
                done = values.get("n", 0) - (values.get("initial") or 0)
                rate = done / elapsed if elapsed > 0 and done > 0 else None
            values["rate"] = cap if rate is None else min(rate, cap)
        return values


def _env_disabled() -> bool:
    value = os.environ.get("TQDM_DISABLE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def progress_bar(
    *,
    total: int | None,
    progress: bool | None,
    desc: str = "fulfillments",
    initial: int = 0,
    rate_cap: Callable[[], float | None] | None = None,
) -> Any:
    """A ``tqdm.auto`` bar for ``total`` records; disabled only when ``progress`` is False.

    ``rate_cap`` returns the most records per second a rate limit allows (or ``None``).
    """
    kwargs: dict[str, Any] = {
        "total": total,
        "initial": initial,
        "desc": desc,
        "unit": " rec",
        "dynamic_ncols": True,
        "smoothing": 0.05,
        "mininterval": 0.2,
    }
    kwargs["disable"] = _env_disabled() if progress is None else not progress
    bar = PacedBar(**kwargs)
    bar.rate_cap = rate_cap
    return bar


class BarStatus:
    """The bar's postfix: the error count, and while the rate limit holds requests, how
    long it still waits (a bar that sits still for a minute says why).

    ``rate_wait()`` returns the seconds new requests must still wait; inside
    :meth:`watching`, a ticker refreshes the postfix twice a second (only for a visible
    bar: a disabled one costs nothing).

    Example:
        >>> status = BarStatus(progress_bar(total=1, progress=False), lambda: 54.2)
        >>> status.errors = 2
        >>> status.text()
        'errors=2, rate limit: waiting 55 s'
    """

    def __init__(self, bar: Any, rate_wait: Callable[[], float] | None) -> None:
        self.bar = bar
        self.rate_wait = rate_wait
        self.errors = 0

    def text(self) -> str:
        """The postfix text now."""
        parts = [f"errors={self.errors}"] if self.errors else []
        wait = self.rate_wait() if self.rate_wait is not None else 0.0
        if wait >= 1.0:
            parts.append(f"rate limit: waiting {math.ceil(wait)} s")
        return ", ".join(parts)

    def show(self) -> None:
        """Refresh the postfix (cheap when the bar is disabled)."""
        if not getattr(self.bar, "disable", True):
            self.bar.set_postfix_str(self.text(), refresh=False)

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Refresh the postfix twice a second while the body runs (a visible bar only)."""
        if self.rate_wait is None or getattr(self.bar, "disable", True):
            yield
            return

        async def tick() -> None:
            while True:
                await asyncio.sleep(0.5)
                self.show()
                self.bar.refresh()

        ticker = asyncio.get_running_loop().create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
