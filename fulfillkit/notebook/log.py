"""Where the explorer's callbacks speak: a status line and a log.

A widget callback that raises would print its traceback to the kernel's log, where nobody
looks. :meth:`Log.logged` catches it instead: a one-line message in the status line (red),
the whole traceback in the explorer's Log tab. Messages are HTML the caller made safe;
exception texts are escaped here.

Example:
    >>> log = Log()
    >>> with log.logged():
    ...     raise ValueError("<b>no</b>")
    >>> "ValueError: &lt;b&gt;no&lt;/b&gt;" in log.status.value
    True
"""

from __future__ import annotations

import contextlib
import html
import traceback
from collections.abc import Iterator

import ipywidgets as w

from fulfillkit.errors import FulfillkitError
from fulfillkit.notebook.html import bad

__all__ = ["Log"]


class Log:
    """The status line (``status``, an ``HTML`` widget) and the log (``output``)."""

    def __init__(self) -> None:
        self.status = w.HTML("<span class='fk-muted'>Nothing loaded yet.</span>")
        self.output = w.Output(layout=w.Layout(max_height="240px", overflow="auto"))

    def say(self, message: str, *, failed: bool = False) -> None:
        """Show ``message`` (safe HTML) in the status line, red when ``failed``."""
        self.status.value = bad(message) if failed else message

    def write(self, text: str) -> None:
        """Append plain text to the log."""
        self.output.append_stdout(text if text.endswith("\n") else text + "\n")

    def failure(self, exc: BaseException) -> None:
        """Say what failed in the status line, with its traceback in the log."""
        name = type(exc).__name__
        if isinstance(exc, FulfillkitError):
            self.say(html.escape(f"{name}: {exc}"), failed=True)
            self.write(f"{name}: {exc}")
        else:
            self.say(html.escape(f"{name}: {exc}") + " (details in the Log tab)", failed=True)
            self.write("".join(traceback.format_exception(exc)))

    @contextlib.contextmanager
    def logged(self) -> Iterator[None]:
        """Run a callback: its prints go to the log, an exception to :meth:`failure`."""
        with self.output:
            try:
                yield
            except Exception as exc:
                self.failure(exc)

    def close(self) -> None:
        self.status.close()
        self.output.close()
