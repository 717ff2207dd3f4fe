"""A batch's options as one value: what ``get_many`` / ``get_orders`` were asked for.

:class:`BatchOptions` is built once by a client face from its keyword arguments, checked
there (before any request: a bad value names itself), and passed down the engine whole,
the way :mod:`fulfillkit.frames.build` passes its options, instead of nine parameters
threaded through every layer. The faces still spell their keywords out, so that a
notebook's help shows them; a test keeps those signatures equal to this value's fields.

Example:
    >>> options = BatchOptions(remote_data=True, via="auto")
    >>> options.params(), options.via
    ({'remote_data': 'true'}, 'auto')
    >>> BatchOptions(via="fast")
    Traceback (most recent call last):
    ...
    fulfillkit.errors.ConfigurationError: via must be 'id', 'list' or 'auto', got 'fast'
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Final, Literal

from fulfillkit.errors import ConfigurationError
from fulfillkit.fetch.checkpoint import OnMismatch
from fulfillkit.fetch.protocol import request_params

if TYPE_CHECKING:
    from fulfillkit.fetch.sink import ParquetSink

__all__ = ["OPTION_NAMES", "BatchOptions", "ProgressCallback", "Via"]

Via = Literal["id", "list", "auto"]
ProgressCallback = Callable[[int, int, int], None]
"""``on_progress(done, total, failed)``: called on the event loop after each id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchOptions:
    """Everything a batch was asked for besides its ids (see ``Client.get_many``).

    Attributes:
        remote_data: also fetch the provider's raw record.
        progress: show a progress bar (``None``: unless ``TQDM_DISABLE`` says otherwise).
        checkpoint: a JSON Lines file that makes the batch resumable.
        checkpoint_mismatch: ``"raise"`` or ``"discard"`` a checkpoint of another connection.
        via: ``"id"``, ``"list"`` or ``"auto"``: how records are fetched.
        sink: a Parquet dataset folder the records stream to (fulfillments only).
        on_progress: ``on_progress(done, total, failed)`` after each id.
        stop: a ``threading.Event``; once set, no new request starts.
    """

    remote_data: bool = False
    progress: bool | None = None
    checkpoint: str | os.PathLike[str] | None = None
    checkpoint_mismatch: OnMismatch = "raise"
    via: Via = "id"
    sink: str | os.PathLike[str] | ParquetSink | None = None
    on_progress: ProgressCallback | None = None
    stop: threading.Event | None = None

    def __post_init__(self) -> None:
        request_params(self.remote_data)  # refuses a non-bool
        if self.progress is not None and not isinstance(self.progress, bool):
            raise ConfigurationError(f"progress must be True, False or None: {self.progress!r}")
        if self.via not in ("id", "list", "auto"):
            raise ConfigurationError(f"via must be 'id', 'list' or 'auto', got {self.via!r}")
        if self.checkpoint_mismatch not in ("raise", "discard"):
            raise ConfigurationError(
                "checkpoint_mismatch must be 'raise' or 'discard', got "
                f"{self.checkpoint_mismatch!r}"
            )
        for name in ("checkpoint", "sink"):
            value = getattr(self, name)
            is_path = isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes)
            if value is not None and not is_path and not hasattr(value, "write"):
                raise ConfigurationError(
                    f"{name} must be a path (str or pathlib.Path), got {type(value).__name__}"
                )
        if self.on_progress is not None and not callable(self.on_progress):
            raise ConfigurationError(
                "on_progress must be callable: on_progress(done, total, failed)"
            )
        if self.stop is not None and not callable(getattr(self.stop, "is_set", None)):
            raise ConfigurationError("stop must be a threading.Event")

    def params(self) -> dict[str, str]:
        """The query parameters every request of the batch sends."""
        return request_params(self.remote_data)


OPTION_NAMES: Final = tuple(f.name for f in fields(BatchOptions))
"""The option names, in order: the faces' keyword arguments after ``ids``."""
