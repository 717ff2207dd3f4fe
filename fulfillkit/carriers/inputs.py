"""What the carrier functions accept, said in one line when they get something else.

The scalar functions take one text value (or ``None``: missing); a tracking number may also
be a whole number (a CSV column read as numbers). The column functions take a pandas
Series or a plain sequence of values, never a DataFrame or a bare string.

Example:
    >>> text_or_none("UPS", "canonical_carrier")
    'UPS'
    >>> values_of(("a", None), "detect_carriers")
    ['a', None]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fulfillkit.errors import InvalidDataError
from fulfillkit.formatting import is_missing

__all__ = ["text_or_none", "values_of"]


def text_or_none(value: Any, what: str, *, numbers: bool = False) -> Any:
    """``value`` if it is text or ``None`` (with ``numbers``, any one value: a tracking number
    read from a CSV as a number; a value that is no tracking number simply detects nothing),
    else :class:`~fulfillkit.InvalidDataError` (a container: a list, a dict, a column)."""
    if value is None or isinstance(value, str):
        return value
    container = isinstance(value, (Iterable, dict)) and not isinstance(value, bytes)
    if numbers and not container:
        return value
    if is_missing(value):
        return None  # pandas' missing values
    accepted = "text, a number or None" if numbers else "text or None"
    column = "; for a column use the plural function" if container else ""
    raise InvalidDataError(
        f"{what} takes one value ({accepted}), got {type(value).__name__}{column}"
    )


def values_of(values: Any, what: str) -> list[Any]:
    """The values of a column (a pandas Series, a list, a tuple, a numpy array, ...), else
    :class:`~fulfillkit.InvalidDataError` saying what to pass."""
    if isinstance(values, (str, bytes)) or hasattr(values, "columns"):
        raise InvalidDataError(
            f"{what} takes a column of values (a pandas Series or a list), got a "
            f"{type(values).__name__}; pass one column, e.g. df['carrier']"
        )
    if not isinstance(values, Iterable):
        raise InvalidDataError(
            f"{what} takes a column of values (a pandas Series or a list), got "
            f"{type(values).__name__}"
        )
    return list(values)
