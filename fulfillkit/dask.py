"""Scale out on Dask: millions of ids, many connections, one shared rate budget.

Install with ``pip install fulfillkit[dask]``; importing :mod:`fulfillkit` never imports
Dask, only importing this module does.

* :func:`read_fulfillments` splits the distinct ids into partitions; each partition builds
  its own :class:`~fulfillkit.Client` on the worker, fetches its ids with
  :meth:`~fulfillkit.Client.get_many` and returns :func:`~fulfillkit.to_frame` of them. The
  collection's ``meta`` is an empty ``to_frame``, so the schema is exactly ``to_frame``'s
  with ``field_mappings="json"``: custom fields vary between partitions, so they travel as
  one JSON text column instead of a column per key.
* :func:`read_connections` lists whole connections (the list endpoint), one partition per
  connection, adding a ``connection`` column.
* :func:`read_lake` reads a store's Parquet lake (``fk.Store(...).export("lake/")``) with no
  request at all: the store scales out this way (one file per connection and month).
* Errors are never dropped: every partition also yields its
  :meth:`~fulfillkit.BatchResult.errors_frame`, and :func:`errors_of` returns them as a
  second Dask DataFrame built from the *same* tasks (compute both together with
  ``dask.compute(df, errors_of(df))`` so that each id is fetched once).
* A global ``rate_limit=(requests, seconds)`` is divided among the partitions that run at
  once (``parallelism``, by default all of them), so the cluster as a whole stays within
  Panora's limit.
* Secrets: the API key and tokens are wrapped in :class:`Credentials`, whose repr, str and
  Dask token never show them, so they do not appear in task names, the dashboard or logs.
  Like any task argument they are pickled to the workers; to keep them off the wire
  entirely, pass none and set ``PANORA_API_KEY`` / ``PANORA_CONNECTION_TOKEN`` in the
  workers' environment.

Example:
    >>> import dask
    >>> from fulfillkit.dask import errors_of, read_fulfillments
    >>> df = read_fulfillments(ids, npartitions=4,                     # doctest: +SKIP
    ...                        client_options={"base_url": url, "api_key": key,
    ...                                        "connection_token": token})
    >>> frame, errors = dask.compute(df, errors_of(df))                # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from pydantic import SecretStr

from fulfillkit.errors import FailedId, FetchFailed, FulfillkitError
from fulfillkit.fetch.engine import with_partial
from fulfillkit.fetch.protocol import check_ids
from fulfillkit.fetch.results import BatchResult
from fulfillkit.frames import STRING, to_frame
from fulfillkit.optional import require

from .client import Client

if TYPE_CHECKING:
    import dask.dataframe as dd
    from dask.delayed import delayed
else:
    dd = require("dask.dataframe", "dask", "fulfillkit.dask")
    delayed = require("dask.delayed", "dask", "fulfillkit.dask").delayed

__all__ = ["Credentials", "errors_of", "read_connections", "read_fulfillments", "read_lake"]

_SECRET_OPTIONS = ("api_key", "connection_token")
_errors_by_name: dict[str, dd.DataFrame] = {}
_registry_lock = threading.Lock()


class Credentials:
    """Client options with the secrets sealed: safe to show in a task graph.

    ``repr`` and ``str`` print only the non-secret options; Dask's tokenizer sees a random
    per-object token, so no secret leaks into a task key either.

    Example:
        >>> c = Credentials({"api_key": "sk-12345678", "base_url": "https://api.panora.dev"})
        >>> "sk-12345678" in repr(c)
        False
    """

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = dict(options or {})
        self._secrets = {
            k: SecretStr(v) if isinstance(v, str) else v
            for k, v in opts.items()
            if k in _SECRET_OPTIONS and v is not None
        }
        self._public = {k: v for k, v in opts.items() if k not in _SECRET_OPTIONS}
        self._token = uuid.uuid4().hex

    def __dask_tokenize__(self) -> str:
        return self._token

    def __repr__(self) -> str:
        sealed = ", ".join(f"{k}=SecretStr('**********')" for k in sorted(self._secrets))
        public = ", ".join(f"{k}={v!r}" for k, v in sorted(self._public.items()))
        return f"Credentials({', '.join(p for p in (public, sealed) if p)})"

    __str__ = __repr__

    def client(self, *, connection_token: str | None = None, **overrides: Any) -> Client:
        """A :class:`Client` built from these options (on the worker)."""
        kwargs = {**self._public, **overrides}
        for name, secret in self._secrets.items():
            kwargs[name] = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if connection_token is not None:
            kwargs["connection_token"] = connection_token
        api_key = kwargs.pop("api_key", None)
        return Client(api_key, **kwargs)


@dataclass(frozen=True, slots=True)
class _Share:
    """One partition's share of the global rate budget."""

    rate_limit: tuple[int, float] | None


def _share(rate_limit: tuple[int, float] | str | None, parallel: int) -> _Share:
    if rate_limit is None or rate_limit == "auto":
        return _Share(None)
    if isinstance(rate_limit, str):
        raise ValueError(f"rate_limit must be (requests, seconds) or None: {rate_limit!r}")
    count, window = rate_limit
    per = max(1, count // max(1, parallel))
    return _Share((per, float(window)))


def _fetch_partition(
    ids: list[str], credentials: Credentials, share: _Share, remote_data: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One partition: its frames, or one fulfillkit exception whose ``.partial`` holds
    what it fetched (every id pending when the client could not even be built)."""
    try:
        with credentials.client(rate_limit=share.rate_limit) as client:
            batch = client.get_many(ids, remote_data=remote_data, progress=False)
    except FulfillkitError as exc:
        with_partial(exc, lambda: BatchResult(fulfillments=[], errors=[], pending=list(ids)))
        raise
    return _frames(batch, remote_data)


def _frames(batch: BatchResult, remote_data: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = batch.to_frame(remote_data=remote_data, field_mappings="json")
    return frame, batch.errors_frame()


def _list_partition(
    name: str, credentials: Credentials, share: _Share, remote_data: bool, token: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One connection: its frames (a listing that failed keeps what it listed, plus one
    error row named after the connection), or one fulfillkit exception with ``.partial``."""
    secret = token.get_secret_value() if isinstance(token, SecretStr) else token
    try:
        with credentials.client(rate_limit=share.rate_limit, connection_token=secret) as client:
            records = list(client.list(remote_data=remote_data, progress=False))
    except FetchFailed as exc:  # a connection that fails is an error row, not a lost run
        listed = exc.partial.fulfillments if isinstance(exc.partial, BatchResult) else []
        failed = BatchResult(fulfillments=listed, errors=[FailedId.from_exception(name, exc)])
        frame, errors = _frames(failed, remote_data)
    except FulfillkitError as exc:  # closed, misconfigured: stop, with what was listed
        with_partial(exc, lambda: BatchResult(fulfillments=[], errors=[]))
        raise
    else:
        frame, errors = _frames(BatchResult(fulfillments=records, errors=[]), remote_data)
    frame.insert(0, "connection", pd.Series([name] * len(frame), dtype=STRING, index=frame.index))
    return frame, errors


def _meta(remote_data: bool, connection: bool = False) -> pd.DataFrame:
    meta = to_frame([], remote_data=remote_data, field_mappings="json")
    if connection:
        meta.insert(0, "connection", pd.Series([], dtype=STRING))
    return meta


def _collections(parts: list[Any], meta: pd.DataFrame) -> tuple[dd.DataFrame, dd.DataFrame]:
    error_meta = BatchResult(fulfillments=[], errors=[]).errors_frame()
    frames = dd.from_delayed([p[0] for p in parts], meta=meta, verify_meta=False)
    errors = dd.from_delayed([p[1] for p in parts], meta=error_meta, verify_meta=False)
    with _registry_lock:
        _errors_by_name[frames._name] = errors
    return frames, errors


def read_fulfillments(
    ids: Iterable[str],
    *,
    npartitions: int | None = None,
    remote_data: bool = False,
    client_options: Mapping[str, Any] | None = None,
    rate_limit: tuple[int, float] | str | None = "auto",
    parallelism: int | None = None,
) -> dd.DataFrame:
    """Fulfillments by id as a Dask DataFrame with ``to_frame``'s schema.

    Args:
        ids: any iterable of id strings; validated and deduplicated before anything runs.
        npartitions: default one partition per 1,000 ids.
        remote_data: fetch and keep ``remote_data``.
        client_options: keyword arguments for :class:`~fulfillkit.Client` on the workers
            (``api_key``, ``connection_token``, ``base_url``, ``max_concurrency``, ...);
            unset credentials are read from the workers' environment.
        rate_limit: the *global* budget ``(requests, seconds)``, divided among the
            partitions that run at once; ``"auto"`` leaves each client its own default.
        parallelism: how many partitions run at once (default: all of them), which is
            what the budget is divided by.

    Example:
        >>> df = read_fulfillments(ids, npartitions=8)                   # doctest: +SKIP
        >>> df.to_parquet("out/", partition_on=["carrier_canonical"])    # doctest: +SKIP
    """
    distinct = check_ids(ids)
    n = npartitions or max(1, math.ceil(len(distinct) / 1000))
    if n < 1:
        raise ValueError(f"npartitions must be >= 1, got {npartitions}")
    n = min(n, max(1, len(distinct)))
    size = math.ceil(len(distinct) / n) if distinct else 1
    chunks = [distinct[i : i + size] for i in range(0, len(distinct), size)] or [[]]
    credentials = Credentials(client_options)
    share = _share(rate_limit, parallelism or len(chunks))
    fetch = delayed(_fetch_partition, nout=2, pure=False)
    parts = [fetch(chunk, credentials, share, remote_data) for chunk in chunks]
    return _collections(parts, _meta(remote_data))[0]


def read_connections(
    connections: Mapping[str, str],
    *,
    remote_data: bool = False,
    client_options: Mapping[str, Any] | None = None,
    rate_limit: tuple[int, float] | str | None = "auto",
    parallelism: int | None = None,
) -> dd.DataFrame:
    """Every fulfillment of several connections, one partition per connection, with a
    ``connection`` column holding the mapping's key.

    Example:
        >>> df = read_connections({"eu-shop": tok1, "us-shop": tok2})   # doctest: +SKIP
    """
    if not connections:
        raise ValueError("connections must name at least one connection")
    credentials = Credentials(client_options)
    share = _share(rate_limit, parallelism or len(connections))
    listing = delayed(_list_partition, nout=2, pure=False)
    parts = [
        listing(name, credentials, share, remote_data, SecretStr(token))
        for name, token in connections.items()
    ]
    return _collections(parts, _meta(remote_data, connection=True))[0]


def read_lake(path: str | os.PathLike[str], *, columns: list[str] | None = None) -> dd.DataFrame:
    """A store's Parquet lake (written by :meth:`fulfillkit.Store.export`) as a Dask
    DataFrame: the columns of ``store.to_frame(field_mappings="json")`` plus the partition
    columns ``connection`` and ``month`` (read from the folder names), one partition per
    file. No request is sent.

    Example:
        >>> df = read_lake("lake/")                                      # doctest: +SKIP
        >>> june = df[df.month == "2025-06"]                             # doctest: +SKIP
        >>> june.groupby("carrier_canonical").size().compute()           # doctest: +SKIP
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no lake at {folder}: write one with store.export({str(folder)!r})"
        )
    lake = dd.read_parquet(str(folder), columns=columns, dataset={"partitioning": "hive"})
    return cast("dd.DataFrame", lake)


def errors_of(frame: dd.DataFrame) -> dd.DataFrame:
    """The per-id errors of a collection made by :func:`read_fulfillments` or
    :func:`read_connections`: ``id``, ``kind``, ``status``, ``message``, ``attempts``.

    Example:
        >>> frame, errors = dask.compute(df, errors_of(df))              # doctest: +SKIP
    """
    with _registry_lock:
        errors = _errors_by_name.get(frame._name)
    if errors is None:
        raise ValueError(
            "errors_of() takes the collection returned by read_fulfillments/read_connections "
            "itself (not a derived one)"
        )
    return errors
