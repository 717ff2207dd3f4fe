"""The one data rule: whatever a notebook user naturally holds, as a frame.

Every public function that takes fulfillments to analyse or write (``export``,
``carrier_report``, ``audit``, ``audit_summary``, ``report_html``, the plots, the explorer)
turns its data argument into a DataFrame through :func:`frame_of`, so they all accept the
same things, the same way:

* a DataFrame (a :func:`~fulfillkit.to_frame` frame, or any frame a writer is handed) or a
  ``pyarrow.Table`` (:func:`~fulfillkit.to_arrow`);
* anything with a ``to_frame()`` method: a :class:`~fulfillkit.BatchResult`, a store
  (recognised by that method alone, so nothing here imports the layers above);
* records: a list (or any iterable) of :class:`~fulfillkit.Fulfillment` objects or the
  dicts the API returns, mixed freely (built with :func:`~fulfillkit.to_frame`).

Anything else (a path, a single record, a list of numbers) is refused with
:class:`~fulfillkit.InvalidDataError`, which says what to pass.

Example:
    >>> frame_of([{"id": "a", "carrier": "UPS"}])["carrier"].tolist()
    ['UPS']
    >>> try:
    ...     frame_of([1, 2], what="export")
    ... except InvalidDataError as exc:
    ...     print(str(exc).split("; ")[1])
    got a list whose item 0 is 'int'
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
import pyarrow as pa

from fulfillkit.errors import InvalidDataError
from fulfillkit.frames.build import checked_frame
from fulfillkit.frames.records import checked_records
from fulfillkit.frames.schema import to_pandas

__all__ = ["ACCEPTED", "frame_of", "records_of"]

ACCEPTED: Final = "a to_frame() frame, a BatchResult, a store or a list of fulfillment records"
"""What :func:`frame_of` accepts, as error messages say it."""


def _refuse(what: str, got: str) -> InvalidDataError:
    return InvalidDataError(f"{what} takes {ACCEPTED}; got {got}")


def records_of(data: object, *, what: str = "this function") -> list[Any] | None:
    """``data`` as a list of records when it is records (Fulfillment objects or mappings),
    ``None`` when it is a frame, a table or has ``to_frame()``; else
    :class:`InvalidDataError`. For callers that can do more with records than with a
    frame (the audit tells unparseable timestamps from missing ones).

    Example:
        >>> records_of(({"id": "a"},)), records_of(pd.DataFrame())
        ([{'id': 'a'}], None)
    """
    if isinstance(data, (pd.DataFrame, pa.Table)) or callable(getattr(data, "to_frame", None)):
        if isinstance(data, pd.Series):
            raise _refuse(what, "a Series (pass the whole frame, not one column)")
        return None
    return checked_records(data, what=what, noun=ACCEPTED)


def frame_of(data: object, *, what: str = "this function") -> pd.DataFrame:
    """``data`` as a DataFrame, by the rule of this module (``what`` names the caller in
    errors). A frame is returned as is (not copied); a table or records are built into
    one; an object with ``to_frame()`` is asked for its frame.

    Raises:
        InvalidDataError: ``data`` is none of those; nothing was done.
    """
    records = records_of(data, what=what)
    if records is not None:
        return checked_frame(records)
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pa.Table):
        return to_pandas(data)
    frame = data.to_frame()  # type: ignore[attr-defined]
    if isinstance(frame, pa.Table):
        return to_pandas(frame)
    if not isinstance(frame, pd.DataFrame):
        raise _refuse(what, f"a {type(data).__name__} whose to_frame() is not a DataFrame")
    return frame
