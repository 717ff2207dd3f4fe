"""Arrow, Polars and DuckDB views of fetched fulfillments: same rows, no copies needed."""

from __future__ import annotations

import sys

import pyarrow as pa
import pytest

import fulfillkit as fk
from fulfillkit.frames import sql, to_arrow, to_frame
from fulfillkit.sandbox import Dataset, SandboxApp
from tests.conftest import ClientFactory


def test_a_batch_gives_the_same_table_as_arrow_pandas_and_polars(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    polars = pytest.importorskip("polars")
    batch = make_client(app).get_many(dataset.fulfillment_ids[:30])
    table = batch.to_arrow()
    assert isinstance(table, pa.Table)
    frame = batch.to_frame()
    assert table.column_names == list(frame.columns)
    assert table.num_rows == len(frame)
    assert table.column("id").to_pylist() == frame["id"].tolist()
    pl_frame = batch.to_polars()
    assert isinstance(pl_frame, polars.DataFrame)
    assert pl_frame.columns == table.column_names
    assert pl_frame["tracking_number"].to_list() == table.column("tracking_number").to_pylist()


def test_duckdb_queries_a_batch_table_by_name(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    duckdb = pytest.importorskip("duckdb")
    batch = make_client(app).get_many(dataset.fulfillment_ids[30:60])
    tbl = batch.to_arrow()
    counted = duckdb.sql("select count(distinct id) as n from tbl").fetchall()
    assert counted == [(len(batch.fulfillments),)]
    by_carrier = sql("select carrier_canonical, count(*) as n from f group by 1 order by 1", f=tbl)
    expected = batch.to_frame().groupby("carrier_canonical").size().sort_index()
    assert by_carrier.column("carrier_canonical").to_pylist() == expected.index.tolist()
    assert by_carrier.column("n").to_pylist() == expected.tolist()


def test_missing_extras_fail_with_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # what "not installed" looks like
    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(ImportError, match=r"pip install 'fulfillkit\[polars\]'"):
        fk.to_polars([{"id": "a"}])
    with pytest.raises(ImportError, match=r"pip install 'fulfillkit\[duckdb\]'") as info:
        sql("select 1", f=[{"id": "a"}])
    assert "\n" not in str(info.value)


def test_arrow_types_and_pandas_dtypes_follow_the_documented_mapping() -> None:
    from fulfillkit.frames import arrow_schema, schema

    table = to_arrow([{"id": "a", "tracking_numbers": ["1"], "created_at": "2024-10-01T12Z"}])
    assert table.schema.equals(arrow_schema())
    assert to_frame([]).dtypes.to_dict() == schema()
