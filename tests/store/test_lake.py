"""A store's Parquet lake: partitioned by connection and month, read back by Dask, DuckDB,
Polars and pyarrow as the same rows as the store's own frame."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

import fulfillkit as fk
from fulfillkit.sandbox import SANDBOX_API_KEY, SandboxApp, make_dataset


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> fk.Store:
    import httpx

    path = tmp_path_factory.mktemp("lake") / "shop.duckdb"
    store = fk.Store(path)
    token_b = "sandbox-connection-token-lake"
    for label, dataset, token in (
        ("eu/shop", make_dataset(150, seed=11), "sandbox-connection-token-0001"),
        ("us shop", make_dataset(90, seed=12), token_b),
    ):
        app = SandboxApp(dataset, connection_tokens=(token,))
        with fk.Client(
            SANDBOX_API_KEY,
            connection_token=token,
            base_url="http://sandbox.localhost",
            transport=httpx.ASGITransport(app=app),
        ) as client:
            store.sync(client, label=label, orders=False, progress=False)
    return store


def test_export_partitions_by_connection_and_month(store: fk.Store, tmp_path: Path) -> None:
    lake = store.export(tmp_path / "new" / "lake")
    assert lake.is_dir()
    connections = sorted(p.name for p in lake.iterdir())
    assert connections == ["connection=eu%2Fshop", "connection=us%20shop"]
    months = {p.name for p in (lake / "connection=eu%2Fshop").iterdir()}
    assert all(m.startswith("month=20") for m in months) and len(months) > 6
    table = ds.dataset(lake, format="parquet", partitioning="hive").to_table()
    expected = store.to_frame(field_mappings="json")
    assert table.num_rows == len(expected)
    assert set(table.column("connection").to_pylist()) == {"eu/shop", "us shop"}


def test_the_lake_reads_back_in_dask_duckdb_and_polars(store: fk.Store, tmp_path: Path) -> None:
    lake = store.export(tmp_path / "lake")
    expected = store.to_frame(field_mappings="json")
    pytest.importorskip("dask.dataframe")
    from fulfillkit.dask import read_lake

    frame = read_lake(lake).compute()  # type: ignore[no-untyped-call]
    assert len(frame) == len(expected)
    assert sorted(frame["id"].unique()) == sorted(expected["id"].unique())
    counts = frame.groupby("connection", observed=True)["id"].nunique().to_dict()
    assert {str(k): v for k, v in counts.items()} == {"eu/shop": 150, "us shop": 90}
    con = duckdb.connect()
    n = con.sql(
        "select count(*) from read_parquet($glob, hive_partitioning = true)",
        params={"glob": f"{lake}/**/*.parquet"},
    ).fetchall()[0][0]
    assert n == len(expected)
    polars = pytest.importorskip("polars")
    assert polars.scan_parquet(f"{lake}/**/*.parquet").collect().height == len(expected)


def test_export_replaces_the_folder_whole(store: fk.Store, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "stale.parquet").write_text("old")
    store.export(lake)
    assert not (lake / "stale.parquet").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    with pytest.raises(fk.OutputPathError, match="is a file"):
        store.export(a_file)
    assert a_file.read_text() == "keep me"


def test_read_lake_names_a_missing_folder(tmp_path: Path) -> None:
    pytest.importorskip("dask.dataframe")
    from fulfillkit.dask import read_lake

    with pytest.raises(FileNotFoundError, match=r"store\.export"):
        read_lake(tmp_path / "nowhere")
