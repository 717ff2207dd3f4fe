"""The data argument of every report, and the columns each report needs.

Every public function of :mod:`fulfillkit.reports` that takes fulfillments
(:func:`~fulfillkit.carrier_report`, :func:`~fulfillkit.audit`,
:func:`~fulfillkit.audit_summary`, :func:`~fulfillkit.report_html`, the plots, the carrier
labels) turns its data argument into a frame with :func:`report_frame`: the one data rule
(:func:`fulfillkit.frames.frame_of`: a ``to_frame`` frame, a ``pyarrow.Table``, a
``BatchResult``, a store, a list of records), then the one column rule
(:func:`require_columns`): a frame that lacks a column the function needs raises
:class:`~fulfillkit.errors.InvalidDataError` naming every missing column and how to get them,
before any work.

Example:
    >>> import pandas as pd
    >>> try:
    ...     report_frame(pd.DataFrame({"id": ["a"]}), what="carrier_report",
    ...                  needs=("id", ("tracking_number", "tracking_numbers")))
    ... except InvalidDataError as exc:
    ...     print(str(exc).split(";")[0])
    carrier_report needs the column tracking_number (or tracking_numbers), which the frame lacks
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Protocol, TypeAlias

import pandas as pd
import pyarrow as pa

from fulfillkit.carriers import CarrierTable
from fulfillkit.errors import InvalidDataError
from fulfillkit.frames import frame_of
from fulfillkit.models import Fulfillment

__all__ = [
    "CARRIER_COLUMNS",
    "FrameSource",
    "Fulfillments",
    "Needs",
    "carrier_frame",
    "carrier_needs",
    "check_table",
    "missing_columns",
    "report_frame",
    "require_columns",
]


class FrameSource(Protocol):
    """Anything with a ``to_frame()`` method: a ``BatchResult``, a store."""

    def to_frame(self) -> pd.DataFrame: ...


Fulfillments: TypeAlias = (
    pd.DataFrame | pa.Table | FrameSource | Iterable[Fulfillment | Mapping[str, Any]]
)
"""What a report accepts as its data (see :func:`fulfillkit.frames.frame_of`)."""

Needs: TypeAlias = Sequence[str | tuple[str, ...]]
"""The columns a function needs: each item a column name, or a tuple of alternatives (any
one of them will do)."""

_STATED: Final = ("carrier_canonical", "carrier")
CARRIER_COLUMNS: Final[tuple[str | tuple[str, ...], ...]] = (
    "id",
    ("tracking_number", "tracking_numbers"),
    _STATED,
)
"""What the carrier report, the plots and the carrier labels need: ``id``, the tracking
numbers (exploded or as the ``explode=False`` list) and the stated carrier (folded, or as
sent)."""

_HOW: Final = (
    "pass a to_frame() frame (fk.read_frame reads an export back), a BatchResult or the records"
)


def check_table(table: object, *, what: str) -> CarrierTable | None:
    """``table`` when it is ``None`` or a :class:`~fulfillkit.carriers.CarrierTable`, else a
    ``ValueError`` saying what to pass."""
    if table is None or isinstance(table, CarrierTable):
        return table
    raise ValueError(
        f"{what}: table= takes a fulfillkit.carriers.CarrierTable (such as "
        f"DEFAULT_CARRIERS.with_rules(...)), got {type(table).__name__}"
    )


def carrier_needs(
    table: object, *, what: str, needs: Needs = CARRIER_COLUMNS
) -> tuple[str | tuple[str, ...], ...]:
    """``needs`` (:data:`CARRIER_COLUMNS` unless given), with ``carrier`` itself for the
    stated carrier when a ``table`` is to fold it again (``table`` checked by
    :func:`check_table`).

    Example:
        >>> from fulfillkit.carriers import DEFAULT_CARRIERS
        >>> carrier_needs(DEFAULT_CARRIERS, what="carrier_report")[-1]
        'carrier'
    """
    if check_table(table, what=what) is None:
        return tuple(needs)
    return tuple("carrier" if need == _STATED else need for need in needs)


def missing_columns(frame: pd.DataFrame | Iterable[str], needs: Needs) -> list[str]:
    """The needs ``frame`` (or these column names) does not meet, as text (``"a"``,
    ``"a (or b)"``).

    Example:
        >>> missing_columns(pd.DataFrame({"b": [1]}), ["id", ("a", "b"), ("c", "d")])
        ['id', 'c (or d)']
    """
    columns = set(frame)  # a frame iterates over its column names
    out = []
    for need in needs:
        options = (need,) if isinstance(need, str) else need
        if not columns & set(options):
            out.append(options[0] + "".join(f" (or {o})" for o in options[1:]))
    return out


def require_columns(
    frame: pd.DataFrame, needs: Needs, *, what: str, how: str = _HOW
) -> pd.DataFrame:
    """``frame`` itself when it has every column of ``needs``, else
    :class:`~fulfillkit.errors.InvalidDataError` naming the missing ones and ``how`` to get
    them."""
    lacking = missing_columns(frame, needs)
    if lacking:
        plural = "s" if len(lacking) > 1 else ""
        raise InvalidDataError(
            f"{what} needs the column{plural} {', '.join(lacking)}, which the frame lacks; {how}"
        )
    return frame


def report_frame(data: object, *, what: str, needs: Needs, how: str = _HOW) -> pd.DataFrame:
    """``data`` as a frame by the one data rule, checked for the columns ``what`` needs
    (:func:`require_columns`).

    Raises:
        InvalidDataError: ``data`` is not fulfillments, or its frame lacks a needed column.
    """
    return require_columns(frame_of(data, what=what), needs, what=what, how=how)


def carrier_frame(
    data: object, *, what: str, table: object = None, also: Needs = ()
) -> pd.DataFrame:
    """:func:`report_frame` for the carrier views: :func:`carrier_needs` and ``also``."""
    return report_frame(data, what=what, needs=(*carrier_needs(table, what=what), *also))
