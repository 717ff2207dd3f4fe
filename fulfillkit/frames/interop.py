"""Zero-copy hand-offs of a fulfillment table to Polars and DuckDB (optional extras).

``pip install 'fulfillkit[polars]'`` / ``'fulfillkit[duckdb]'``; without them everything
else works and these functions fail with one line naming the extra.

Example:
    >>> import fulfillkit as fk                              # doctest: +SKIP
    >>> fk.to_polars(records).group_by("carrier_canonical").len()   # doctest: +SKIP
    >>> tbl = fk.to_arrow(records)                           # doctest: +SKIP
    >>> duckdb.sql("select carrier_canonical, count(*) from tbl group by 1")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from fulfillkit.carriers import DEFAULT_CARRIERS, TRACKING_URL_TEMPLATES, CarrierTable
from fulfillkit.frames.build import to_arrow
from fulfillkit.frames.schema import FieldMappings
from fulfillkit.models import Fulfillment
from fulfillkit.optional import require

__all__ = ["sql", "to_polars"]


def _table(data: object, **options: Any) -> pa.Table:
    """A table already built, one from an object that builds its own (a batch, a store),
    or ``to_arrow`` of records with ``options`` (which refuses anything else, saying what
    to pass)."""
    if isinstance(data, pa.Table):
        return data
    own = getattr(data, "to_arrow", None)
    if callable(own):
        table = own()
        if isinstance(table, pa.Table):
            return table
    return to_arrow(data, **options)  # type: ignore[arg-type]


# to_arrow's options written out on purpose (as to_frame's are): help shows them.
def to_polars(
    data: pa.Table | Iterable[Fulfillment | Mapping[str, Any]] | Any,
    *,
    remote_data: bool | None = None,
    sep: str = ".",
    explode: bool = True,
    carriers: CarrierTable = DEFAULT_CARRIERS,
    url_templates: Mapping[str, str] = TRACKING_URL_TEMPLATES,
    field_mappings: FieldMappings = "columns",
) -> Any:
    """Fulfillments as a ``polars.DataFrame``: :func:`~fulfillkit.to_arrow` handed to
    ``polars.from_arrow`` (no copy of the buffers: the table's chunks stay Polars' chunks;
    ``.rechunk()`` the result if one contiguous chunk is wanted). ``data`` is a table
    already built (the options are then ignored), a ``BatchResult`` or a store (their
    ``to_polars()`` takes the options), or records (the options go to ``to_arrow``).

    Raises:
        ImportError: polars is not installed (``pip install 'fulfillkit[polars]'``).
        InvalidDataError: ``data`` is none of those.
    """
    polars = require("polars", "polars", "fk.to_polars")
    table = _table(
        data,
        remote_data=remote_data,
        sep=sep,
        explode=explode,
        carriers=carriers,
        url_templates=url_templates,
        field_mappings=field_mappings,
    )
    return polars.from_arrow(table, rechunk=False)


def sql(query: str, **tables: pa.Table | Iterable[Fulfillment | Mapping[str, Any]]) -> pa.Table:
    """Run a DuckDB query over fulfillment tables named by keyword; the result as Arrow.

    Each keyword is a table name in ``query``; its value a ``pyarrow.Table`` or records
    (built with :func:`~fulfillkit.to_arrow`). DuckDB reads the Arrow buffers in place.
    (``duckdb.sql("... from tbl")`` on a local ``tbl = batch.to_arrow()`` works as well.)

    Example:
        >>> sql("select count(*) as n from f", f=[{"id": "a"}])["n"].to_pylist()  # doctest: +SKIP
        [1]

    Raises:
        ImportError: duckdb is not installed (``pip install 'fulfillkit[duckdb]'``).
    """
    duckdb = require("duckdb", "duckdb", "fulfillkit.frames.sql")
    connection = duckdb.connect()
    try:
        for name, data in tables.items():
            connection.register(name, _table(data))
        result: pa.Table = connection.sql(query).to_arrow_table()
        return result
    finally:
        connection.close()
