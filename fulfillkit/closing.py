"""One ``with`` protocol for everything that must be closed: :class:`Closing`.

A class that holds a connection, a thread or a file defines ``close()`` and inherits
``__enter__`` / ``__exit__`` from here, so ``with thing:`` closes it however the block
ends, and the nine lines of the protocol are written once. Imports nothing of fulfillkit
(the bottom layer).

Example:
    >>> class Door(Closing):
    ...     shut = False
    ...     def close(self) -> None:
    ...         self.shut = True
    >>> with Door() as door:
    ...     pass
    >>> door.shut
    True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

__all__ = ["Closing"]


class Closing(ABC):
    """Mixin: ``with x:`` returns ``x`` and calls ``x.close()`` at the end of the block
    (``x.abort()`` when the block raised)."""

    __slots__ = ()

    @abstractmethod
    def close(self) -> object:
        """Release what the object holds (connections, threads, files); a subclass may
        return what it produced (a sink, the path it committed)."""

    def abort(self) -> None:
        """Release after a block that raised; the same as :meth:`close` unless a class
        must not commit half a job (a sink throws its unfinished part away)."""
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
