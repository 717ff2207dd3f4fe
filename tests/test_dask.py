"""Dask partitions against the sandbox on loopback: threads, processes, a LocalCluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

import pandas as pd  # noqa: E402

import fulfillkit as fk  # noqa: E402
from fulfillkit.dask import Credentials, errors_of, read_connections, read_fulfillments  # noqa: E402
from fulfillkit.sandbox import (  # noqa: E402
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

MISSING = "00000000-0000-4000-8000-00000000dead"


@pytest.fixture(scope="module")
def dataset() -> Any:
    return make_dataset(240, seed=41)


@pytest.fixture(scope="module")
def server(dataset: Any) -> Iterator[SandboxServer]:
    app = SandboxApp(
        dataset, connection_tokens=(SANDBOX_CONNECTION_TOKEN, "second-connection-token")
    )
    with SandboxServer(app) as running:
        yield running


def _options(server: SandboxServer) -> dict[str, Any]:
    return {
        "api_key": SANDBOX_API_KEY,
        "connection_token": SANDBOX_CONNECTION_TOKEN,
        "base_url": server.url,
        "max_concurrency": 4,
    }


def _reference(server: SandboxServer, ids: list[str]) -> tuple[pd.DataFrame, fk.BatchResult]:
    with fk.Client(**_options(server)) as client:
        batch = client.get_many(ids, progress=False)
    return batch.to_frame(field_mappings="json"), batch


def _same_rows(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    keys = ["id", "tracking_index"]
    pd.testing.assert_frame_equal(
        got.sort_values(keys).reset_index(drop=True),
        expected.sort_values(keys).reset_index(drop=True),
    )


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_read_fulfillments_matches_get_many(
    server: SandboxServer, dataset: Any, scheduler: str
) -> None:
    ids = [*dataset.fulfillment_ids[:150], MISSING]
    df = read_fulfillments(ids, npartitions=4, client_options=_options(server))
    assert df.npartitions == 4
    expected, batch = _reference(server, ids)
    assert list(df.columns) == list(expected.columns)
    assert dict(df.dtypes) == dict(expected.dtypes)
    frame, errors = dask.compute(df, errors_of(df), scheduler=scheduler)
    _same_rows(frame, expected)
    assert errors["id"].tolist() == [MISSING]
    assert errors["kind"].tolist() == ["not_found"]
    assert len(batch.errors) == 1


def test_local_cluster_with_two_workers(
    server: SandboxServer, dataset: Any, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    ids = dataset.fulfillment_ids[:120]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        df = read_fulfillments(ids, npartitions=3, client_options=_options(server))
        frame = dask_client.compute(df).result()
        df.to_parquet(tmp_path / "out", partition_on=["carrier_canonical"])  # type: ignore[no-untyped-call]
    expected, _ = _reference(server, ids)
    _same_rows(frame, expected)
    back = pd.read_parquet(tmp_path / "out")
    assert len(back) == len(expected)
    assert set(back["carrier_canonical"].astype(str)) == set(expected["carrier_canonical"])


def test_read_connections_adds_the_connection_column(server: SandboxServer) -> None:
    options = _options(server)
    options.pop("connection_token")
    df = read_connections(
        {
            "main": SANDBOX_CONNECTION_TOKEN,
            "second": "second-connection-token",
            "revoked": "not-a-known-token-123",
        },
        client_options=options,
    )
    frame, errors = dask.compute(df, errors_of(df), scheduler="threads")
    assert list(frame.columns[:2]) == ["connection", "id"]
    assert set(frame["connection"]) == {"main", "second"}
    assert frame.groupby("connection")["id"].nunique().to_dict() == {"main": 240, "second": 240}
    assert errors["id"].tolist() == ["revoked"] and errors["kind"].tolist() == ["auth"]
    assert "not-a-known-token-123" not in errors.to_string()


def test_global_budget_is_divided_and_secrets_stay_out_of_the_graph(
    server: SandboxServer, dataset: Any
) -> None:
    df = read_fulfillments(
        dataset.fulfillment_ids[:40],
        npartitions=4,
        client_options=_options(server),
        rate_limit=(100, 60),
    )
    graph = dict(df.__dask_graph__())  # type: ignore[no-untyped-call]
    text = repr(graph) + " ".join(map(str, graph))
    assert SANDBOX_API_KEY not in text and SANDBOX_CONNECTION_TOKEN not in text
    credentials = Credentials(_options(server))
    assert SANDBOX_API_KEY not in repr(credentials)
    shares = [v for v in _walk(graph) if type(v).__name__ == "_Share"]
    assert shares and {s.rate_limit for s in shares} == {(25, 60.0)}


def _walk(obj: Any) -> Iterator[Any]:
    yield obj
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _walk(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _walk(value)
    else:
        for attr in ("args", "kwargs", "value"):
            inner = getattr(obj, attr, None)
            if isinstance(inner, (list, tuple, dict)):
                yield from _walk(inner)


def test_importing_fulfillkit_does_not_import_dask() -> None:
    import subprocess
    import sys

    code = "import sys, fulfillkit; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
