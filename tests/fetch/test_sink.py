"""ParquetSink: row groups as records arrive, a fixed schema, atomic publication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

import fulfillkit as fk
from fulfillkit.fetch.sink import FIELD_MAPPINGS_COLUMN, ParquetSink, expand_field_mappings
from fulfillkit.frames import read_frame, to_frame
from fulfillkit.models import FULFILLMENT_ADAPTER, Fulfillment
from fulfillkit.sandbox import make_dataset


@pytest.fixture(scope="module")
def records() -> list[Fulfillment]:
    raw = make_dataset(150, seed=11).fulfillments
    return [FULFILLMENT_ADAPTER.validate_python(r) for r in raw]


def _write(path: Path, records: list[Fulfillment], **kwargs: Any) -> ParquetSink:
    with ParquetSink(path, **kwargs) as sink:
        for record in records:
            sink.write(str(record.id), record)
            assert sink.buffered < sink.row_group_size  # never more than a row group held
    return sink


def test_rows_and_base_dtypes_match_to_frame(tmp_path: Path, records: list[Fulfillment]) -> None:
    path = tmp_path / "out.parquet"
    sink = _write(path, records, row_group_size=40)
    assert (sink.written, sink.row_groups) == (150, 4)
    df = read_frame(path)
    # the dataset is exactly to_frame's frame with the field mappings as JSON text
    expected = to_frame(records, field_mappings="json", remote_data=False)
    pd.testing.assert_frame_equal(df, expected)
    flat = to_frame(records, remote_data=False)  # field mappings as columns, one per key
    base = [c for c in flat.columns if not c.startswith("field_mappings.")]
    assert [c for c in df.columns if c != FIELD_MAPPINGS_COLUMN] == base
    read_back = pd.read_parquet(path)  # pandas metadata: Int64 and string restored too
    assert read_back.dtypes.astype(str).to_dict() == df.dtypes.astype(str).to_dict()
    parts = sorted(path.glob("part-*.parquet"))
    assert len(parts) == 4
    assert [pq.ParquetFile(p).metadata.num_rows for p in parts] == [
        t.num_rows for t in pq.read_table(path).to_batches()
    ] or sum(pq.ParquetFile(p).metadata.num_rows for p in parts) == len(df)
    assert sink.rows == len(df)


def test_field_mappings_are_lossless_json_and_expand_like_to_frame(
    tmp_path: Path, records: list[Fulfillment]
) -> None:
    path = tmp_path / "out.parquet"
    _write(path, records, row_group_size=7)  # keys and dtypes differ between row groups
    df = read_frame(path)
    first_rows = df.drop_duplicates("id").set_index("id")[FIELD_MAPPINGS_COLUMN]
    for record in records:
        text = first_rows[str(record.id)]
        assert (None if pd.isna(text) else json.loads(text)) == record.field_mappings
    expected = to_frame(records)
    mapped = [c for c in expected.columns if c.startswith("field_mappings.")]
    assert mapped  # the sandbox has field mappings to expand
    expanded = expand_field_mappings(df)
    assert sorted(c for c in expanded.columns if c.startswith("field_mappings.")) == sorted(mapped)
    pd.testing.assert_frame_equal(expanded[mapped], expected[mapped])


def test_remote_data_column(tmp_path: Path, records: list[Fulfillment]) -> None:
    path = tmp_path / "out.parquet"
    _write(path, records[:10], remote_data=True)
    df = read_frame(path)
    expected = to_frame(records[:10], remote_data=True, field_mappings="json")
    pd.testing.assert_frame_equal(df, expected)
    assert list(df.columns)[-1] == "remote_data" and FIELD_MAPPINGS_COLUMN in df.columns
    assert json.loads(df["remote_data"][0]) == records[0].remote_data


def test_empty_sink_writes_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    with ParquetSink(path):
        pass
    df = read_frame(path)
    assert len(df) == 0
    expected = to_frame([])
    for name, dtype in expected.dtypes.items():
        assert df[name].dtype == dtype, name


def test_failure_keeps_committed_parts_and_no_temporary_file(
    tmp_path: Path, records: list[Fulfillment]
) -> None:
    path = tmp_path / "out.parquet"
    sink = ParquetSink(path, row_group_size=5)

    def fail() -> None:
        with sink:
            for record in records[:12]:
                sink.write(str(record.id), record)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert len(pq.read_table(path)) >= 10  # two committed parts, the buffer of 2 dropped
    assert sorted(p.name.startswith("part-") for p in path.iterdir()) == [True, True]
    with pytest.raises(ValueError, match="closed"):
        sink.write("x", records[0])


def test_a_file_where_the_dataset_should_be_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    path.write_bytes(b"previous")
    with pytest.raises(fk.OutputPathError, match="is a file"):
        ParquetSink(path).open()
    assert path.read_bytes() == b"previous"


def test_missing_folders_are_created_like_every_other_writer(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "out.parquet"
    ParquetSink(path).close()
    assert path.is_dir() and read_frame(path).empty


def test_a_sink_under_home_is_written_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: list[Fulfillment]
) -> None:
    """``~`` is expanded for the write too, not only for the check: no ``./~`` folder."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    sink = _write(Path("~/out.parquet"), records[:5])
    assert sink.path == home / "out.parquet"
    assert len(read_frame(home / "out.parquet")) == len(to_frame(records[:5]))
    assert not (cwd / "~").exists()


def test_parts_are_committed_as_they_fill(tmp_path: Path, records: list[Fulfillment]) -> None:
    path = tmp_path / "out.parquet"
    sink = ParquetSink(path, row_group_size=3)
    for record in records[:10]:
        sink.write(str(record.id), record)
    assert len(list(path.glob("part-*.parquet"))) == 3  # 9 committed, 1 buffered
    assert sink.close() == path
    assert sink.close() == path  # idempotent
    assert len(read_frame(path).drop_duplicates("id")) == 10


def test_bad_row_group_size() -> None:
    with pytest.raises(ValueError, match="row_group_size"):
        ParquetSink("x.parquet", row_group_size=0)


def test_get_many_streams_to_the_sink(tmp_path: Path) -> None:
    path = tmp_path / "batch.parquet"
    with fk.Client.sandbox(n=40) as client:
        ids = [*client.sandbox_ids, "missing"]
        batch = client.get_many(ids, progress=False, sink=path)
        reference = client.get_many(client.sandbox_ids, progress=False)
    assert batch.fulfillments == []
    assert getattr(batch, "written", None) == 40
    assert [e.id for e in batch.errors] == ["missing"]
    assert batch.requested == 41 and not batch.pending
    df = read_frame(path)
    assert sorted(set(df["id"])) == sorted(client.sandbox_ids)
    expected = to_frame(reference.fulfillments)
    base = [c for c in expected.columns if not c.startswith("field_mappings.")]
    got = df[base].sort_values(["id", "tracking_index"]).reset_index(drop=True)
    want = expected[base].sort_values(["id", "tracking_index"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


def test_get_many_sink_with_checkpoint_resumes(tmp_path: Path) -> None:
    sink, ckpt = tmp_path / "a.parquet", tmp_path / "a.jsonl"
    with fk.Client.sandbox(n=30) as client:
        first = client.get_many(client.sandbox_ids[:10], progress=False, sink=sink, checkpoint=ckpt)
        again = client.get_many(client.sandbox_ids, progress=False, sink=sink, checkpoint=ckpt)
    assert (first.written, again.written) == (10, 30)
    assert sorted(set(pq.read_table(sink).column("id").to_pylist())) == sorted(client.sandbox_ids)


def test_get_many_refuses_to_overwrite_a_dataset_without_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    with fk.Client.sandbox(n=3) as client:
        client.get_many(client.sandbox_ids, progress=False, sink=path)
        with pytest.raises(fk.SinkError, match="checkpoint") as info:
            client.get_many(client.sandbox_ids, progress=False, sink=path)
    assert info.value.partial is not None and info.value.partial.requested == 3


def test_get_many_via_list_streams_to_the_sink(tmp_path: Path) -> None:
    path = tmp_path / "listed.parquet"
    with fk.Client.sandbox(n=30) as client:
        batch = client.get_many(client.sandbox_ids, progress=False, via="list", sink=path)
        ids = set(client.sandbox_ids)
    assert batch.ok and batch.fulfillments == [] and getattr(batch, "written", None) == 30
    assert set(read_frame(path)["id"]) == ids
