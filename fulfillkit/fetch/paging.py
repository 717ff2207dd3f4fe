"""Panora's cursor paging as a small strategy object, and what one listed page holds.

The list loop (:meth:`~fulfillkit.fetch.engine.Fetcher.listing`) only calls the
paginator, in dlt's shape: :meth:`CursorPaginator.next_request` adds the cursor to the
query, :meth:`CursorPaginator.update_state` reads the page's ``next_cursor``, and
:attr:`CursorPaginator.has_next` says whether to go on. Panora's cursor is opaque (in
practice the base64 of the first row of the next page): it is passed back verbatim, the
last page has a null one, and a cursor served twice is a server bug that would loop
forever, so it stops the listing.

A paginator can start at a stored cursor: the store resumes a listing from an earlier
sync's cursor instead of from the first page.

Example:
    >>> pager = CursorPaginator()
    >>> pager.next_request({"limit": "2"})
    {'limit': '2'}
    >>> pager.update_state("eA==")
    >>> pager.next_request({"limit": "2"}), pager.has_next
    ({'limit': '2', 'cursor': 'eA=='}, True)
    >>> pager.update_state(None); pager.has_next
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from fulfillkit.errors import InvalidResponseError

__all__ = ["CursorPaginator", "ListedPage"]

R = TypeVar("R")


class CursorPaginator:
    """Where a listing is, and where it goes next (see the module docstring).

    Attributes:
        cursor: the cursor of the next request (``None``: the first page).
        has_next: whether there is a page to ask for.
    """

    def __init__(self, start: str | None = None) -> None:
        if start is not None and (not isinstance(start, str) or not start):
            raise ValueError(f"a start cursor must be a non-empty string, got {start!r}")
        self.cursor = start
        self.has_next = True
        self._seen: set[str] = set() if start is None else {start}

    def __repr__(self) -> str:
        return f"CursorPaginator(cursor={self.cursor!r}, has_next={self.has_next})"

    def next_request(self, params: dict[str, str]) -> dict[str, str]:
        """The query of the next page: ``params`` plus the cursor, if any."""
        return params if self.cursor is None else {**params, "cursor": self.cursor}

    def update_state(self, next_cursor: str | None) -> None:
        """Take the answered page's ``next_cursor``.

        Raises:
            InvalidResponseError: the server sent a cursor it had sent already.
        """
        if next_cursor is None:
            self.has_next = False
            return
        if next_cursor in self._seen:
            self.has_next = False
            raise InvalidResponseError(
                "the list endpoint returned a cursor it had already returned; "
                "stopping instead of looping"
            )
        self._seen.add(next_cursor)
        self.cursor = next_cursor


@dataclass(frozen=True, slots=True)
class ListedPage(Generic[R]):
    """One page as the list loop hands it on.

    Attributes:
        records: the page's records not listed before (deduplicated by id), in order.
        cursor: the cursor this page was asked for with (``None``: the first page).
        next_cursor: the server's ``next_cursor`` (``None``: the last page).
    """

    records: list[R]
    cursor: str | None
    next_cursor: str | None
