"""What a batch returns: :class:`BatchResult` (fulfillments) and :class:`OrdersResult`.

Every distinct requested id is accounted for: fetched, failed (one
:class:`~fulfillkit.FailedId` with the reason), or, only after an interruption or a
stop, pending. Their reprs (plain text and Jupyter HTML) are built here with
:mod:`fulfillkit.formatting`, so the fetch layer needs nothing from the notebook layer.

Example:
    >>> r = BatchResult(fulfillments=[], errors=[FailedId("x", "not_found", 500, "gone", 1)])
    >>> r.ok, len(r), r.error_counts()
    (False, 0, {'not_found': 1})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Self

from fulfillkit.errors import FailedId, error_for_failures
from fulfillkit.formatting import CARD_STYLE, escape, html_code, html_missing, short, when
from fulfillkit.models import Fulfillment, Order

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from fulfillkit.carriers import CarrierTable

FieldMappings = Literal["columns", "json"]

__all__ = ["BatchResult", "OrdersResult", "batch_html", "batch_text", "failed_ids_frame"]


@dataclass(slots=True, kw_only=True)
class _Outcome:
    """What every batch result has: the errors, the ids left pending, and their summaries."""

    errors: list[FailedId]
    pending: list[str] = field(default_factory=list)
    remote_data: bool | None = None
    """Whether the batch asked for the provider's raw data (``None``: not known, as for a
    result built by hand); ``to_frame()`` adds the remote-data columns exactly then."""

    def _count(self) -> int:
        raise NotImplementedError

    @property
    def ok(self) -> bool:
        """True when every id was fetched."""
        return not self.errors and not self.pending

    @property
    def requested(self) -> int:
        """How many distinct ids were asked for."""
        return self._count() + len(self.errors) + len(self.pending)

    def __len__(self) -> int:
        return self._count()

    def error_counts(self) -> dict[str, int]:
        """Number of errors per kind, most frequent first."""
        return dict(Counter(e.kind for e in self.errors).most_common())

    def failed_ids(self) -> list[str]:
        """The ids that ended in :attr:`errors` (e.g. to retry them later)."""
        return [e.id for e in self.errors]

    def raise_for_errors(self) -> Self:
        """Raise the first error's exception type if any id failed; else return self.

        Example:
            >>> BatchResult(fulfillments=[], errors=[]).raise_for_errors().ok
            True
        """
        if self.errors:
            raise error_for_failures(
                self.errors,
                f"{len(self.errors)} of {self.requested} ids failed ({self.error_counts()})",
            )
        return self

    def errors_frame(self) -> pd.DataFrame:
        """The errors as a DataFrame (``id``, ``kind``, ``status``, ``message``, ``attempts``)."""
        return failed_ids_frame(self.errors)

    def _summary(self, name: str) -> str:
        parts = [f"{name}={self._count()}", f"errors={len(self.errors)}"]
        if self.pending:
            parts.append(f"pending={len(self.pending)}")
        if self.errors:
            parts.append(f"by_kind={self.error_counts()}")
        return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(slots=True, kw_only=True)
class BatchResult(_Outcome):
    """The outcome of :meth:`Client.get_many`: every distinct requested id, accounted for.

    ``fulfillments`` holds one record per id that succeeded, in first-seen input order;
    ``errors`` one :class:`FailedId` per id that failed, in the same order; ``pending``
    the ids never finished (only non-empty after an interruption or a stop). ``len()`` and
    iteration are over the fulfillments.

    Example:
        >>> batch = BatchResult(fulfillments=[Fulfillment(id="a")], errors=[])
        >>> batch.ok, [f.id for f in batch]
        (True, ['a'])
    """

    fulfillments: list[Fulfillment]
    written: int = 0
    """Records streamed to a sink (``get_many(..., sink=...)``) instead of being kept in
    :attr:`fulfillments`."""

    def _count(self) -> int:
        return len(self.fulfillments)

    @property
    def requested(self) -> int:
        """How many distinct ids were asked for."""
        return len(self.fulfillments) + self.written + len(self.errors) + len(self.pending)

    def __iter__(self) -> Iterator[Fulfillment]:
        return iter(self.fulfillments)

    # to_frame's options written out on purpose (as frames.build does): a notebook's help
    # shows the whole signature, which **kwargs would hide.
    def to_frame(
        self,
        *,
        remote_data: bool | None = None,
        sep: str = ".",
        explode: bool = True,
        carriers: CarrierTable | None = None,
        url_templates: Mapping[str, str] | None = None,
        field_mappings: FieldMappings = "columns",
    ) -> pd.DataFrame:
        """The fetched records as a tidy DataFrame: see :func:`fulfillkit.to_frame` for the
        options. ``remote_data`` defaults to what the batch fetched, so the
        ``shipment_status`` and ``remote_data`` columns are there exactly when it has them.

        Example:
            >>> BatchResult(fulfillments=[Fulfillment(id="a")], errors=[]).to_frame()["id"].tolist()
            ['a']
        """
        from fulfillkit.frames import to_frame

        return to_frame(
            self.fulfillments,
            **self._options(remote_data, sep, explode, carriers, url_templates, field_mappings),
        )

    def to_arrow(
        self,
        *,
        remote_data: bool | None = None,
        sep: str = ".",
        explode: bool = True,
        carriers: CarrierTable | None = None,
        url_templates: Mapping[str, str] | None = None,
        field_mappings: FieldMappings = "columns",
    ) -> pa.Table:
        """The fetched records as a ``pyarrow.Table``: see :func:`fulfillkit.to_arrow`;
        options as for :meth:`to_frame`."""
        from fulfillkit.frames import to_arrow

        return to_arrow(
            self.fulfillments,
            **self._options(remote_data, sep, explode, carriers, url_templates, field_mappings),
        )

    def to_polars(
        self,
        *,
        remote_data: bool | None = None,
        sep: str = ".",
        explode: bool = True,
        carriers: CarrierTable | None = None,
        url_templates: Mapping[str, str] | None = None,
        field_mappings: FieldMappings = "columns",
    ) -> Any:
        """The fetched records as a ``polars.DataFrame`` (extra ``polars``): see
        :func:`fulfillkit.to_polars`; options as for :meth:`to_frame`."""
        from fulfillkit.frames import to_polars

        return to_polars(
            self.to_arrow(
                remote_data=remote_data,
                sep=sep,
                explode=explode,
                carriers=carriers,
                url_templates=url_templates,
                field_mappings=field_mappings,
            )
        )

    def _options(
        self,
        remote_data: bool | None,
        sep: str,
        explode: bool,
        carriers: CarrierTable | None,
        url_templates: Mapping[str, str] | None,
        field_mappings: FieldMappings,
    ) -> dict[str, Any]:
        """The options for ``to_frame``; ``remote_data`` defaults to what the batch fetched."""
        from fulfillkit.frames import frame_options

        remote = self.remote_data if remote_data is None else remote_data
        return frame_options(remote, sep, explode, carriers, url_templates, field_mappings)

    def audit(
        self,
        *,
        rules: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        now: datetime | str | None = None,
        max_lag: timedelta | str | None = None,
        untracked_days: float = 7,
        table: CarrierTable | None = None,
    ) -> pd.DataFrame:
        """Data-quality findings on the fetched records: see :func:`fulfillkit.audit`
        (given the records, it also tells unparseable timestamps from missing ones)."""
        from fulfillkit.reports import audit

        return audit(
            self.fulfillments,
            rules=rules,
            exclude=exclude,
            now=now,
            max_lag=max_lag,
            untracked_days=untracked_days,
            table=table,
        )

    def __repr__(self) -> str:
        summary = self._summary("fulfillments")
        return (
            summary.replace(", errors=", f", written={self.written}, errors=", 1)
            if self.written
            else summary
        )

    def _repr_html_(self) -> str:
        return batch_html(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else batch_text(self))


@dataclass(slots=True, kw_only=True)
class OrdersResult(_Outcome):
    """The outcome of :meth:`Client.get_orders`: ``orders`` (first-seen order), ``errors``.

    Example:
        >>> OrdersResult(orders=[Order(id="o1")], errors=[]).ok
        True
    """

    orders: list[Order]

    def _count(self) -> int:
        return len(self.orders)

    def to_frame(self) -> pd.DataFrame:
        """The fetched orders as a DataFrame: see :func:`fulfillkit.orders_frame`.

        Example:
            >>> OrdersResult(orders=[Order(id="o1")], errors=[]).to_frame()["id"].tolist()
            ['o1']
        """
        from fulfillkit.frames import orders_frame

        return orders_frame(self.orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self.orders)

    def __repr__(self) -> str:
        return self._summary("orders")


def failed_ids_frame(errors: Sequence[FailedId]) -> pd.DataFrame:
    """Failure rows as a DataFrame: ``id``, ``kind``, ``message`` (``string``), ``status``,
    ``attempts`` (``Int64``). What a batch's and a sync report's ``errors_frame()`` give.

    Example:
        >>> failed_ids_frame([FailedId("a", "not_found", 500, "gone", 1)])["kind"].tolist()
        ['not_found']
    """
    import pandas as pd

    return pd.DataFrame(
        {
            "id": pd.array([e.id for e in errors], dtype="string"),
            "kind": pd.array([e.kind for e in errors], dtype="string"),
            "status": pd.array([e.status for e in errors], dtype="Int64"),
            "message": pd.array([e.message for e in errors], dtype="string"),
            "attempts": pd.array([e.attempts for e in errors], dtype="Int64"),
        }
    )


# -- reprs ----------------------------------------------------------------------------------


def batch_text(batch: BatchResult, *, rows: int = 5) -> str:
    """A plain-text summary of a batch: counts, errors by kind, and the first failures.

    Example:
        >>> from fulfillkit.models import Fulfillment
        >>> b = BatchResult(fulfillments=[Fulfillment(id="a")],
        ...     errors=[FailedId("b", "not_found", 500, "gone", 1)])
        >>> print(batch_text(b))
        BatchResult: 2 requested, 1 fetched, 1 failed
          errors by kind: not_found 1
          b  not_found  500  gone
    """
    head = (
        f"BatchResult: {batch.requested} requested, {len(batch.fulfillments)} fetched, "
        f"{len(batch.errors)} failed"
    )
    if batch.pending:
        head += f", {len(batch.pending)} pending"
    lines = [head]
    if batch.errors:
        kinds = ", ".join(f"{kind} {n}" for kind, n in batch.error_counts().items())
        lines.append(f"  errors by kind: {kinds}")
        for e in batch.errors[:rows]:
            status = "-" if e.status is None else str(e.status)
            lines.append(f"  {short(e.id, 40)}  {e.kind}  {status}  {short(e.message, 80)}")
        if len(batch.errors) > rows:
            lines.append(f"  ... and {len(batch.errors) - rows} more (batch.errors_frame())")
    return "\n".join(lines)


def batch_html(batch: BatchResult, *, rows: int = 5) -> str:
    """A batch as HTML: counts, an error summary by kind (with an example id and message
    each) and the first ``rows`` fulfillments and errors.

    Example:
        >>> b = BatchResult(fulfillments=[], errors=[FailedId("<x>", "server", 500, "<boom>", 2)])
        >>> out = batch_html(b)
        >>> "&lt;x&gt;" in out and "<x>" not in out and "&lt;boom&gt;" in out
        True
    """
    ok = not batch.errors and not batch.pending
    summary = (
        f"<b>BatchResult</b>: {batch.requested:,} requested, "
        f"<b>{len(batch.fulfillments):,}</b> fetched, "
        f"<b class='{'' if ok else 'fk-bad'}'>{len(batch.errors):,}</b> failed"
    )
    if batch.pending:
        summary += f", {len(batch.pending):,} pending"
    parts = [f"<div class='fk-card'>{CARD_STYLE}<div>{summary}</div>"]
    if batch.errors:
        first: dict[str, FailedId] = {}
        for e in batch.errors:
            first.setdefault(e.kind, e)
        kinds = "".join(
            f"<tr><td>{escape(short(kind))}</td><td class='fk-num'>{n:,}</td>"
            f"<td>{html_code(first[kind].id)}</td><td>{escape(short(first[kind].message))}</td></tr>"
            for kind, n in batch.error_counts().items()
        )
        parts.append(
            "<div><b>Errors by kind</b></div><table><tr><th>kind</th><th>count</th>"
            f"<th>example id</th><th>message</th></tr>{kinds}</table>"
        )
    if batch.fulfillments:
        shown = batch.fulfillments[:rows]
        body = "".join(
            f"<tr><td>{html_code(f.id)}</td>"
            f"<td>{escape(short(f.carrier)) if f.carrier else html_missing()}</td>"
            f"<td>{html_code(f.order_id)}</td>"
            f"<td class='fk-num'>{len(f.tracking_numbers or [])}</td>"
            f"<td>{escape(when(f.created_at)) if f.created_at else html_missing()}</td></tr>"
            for f in shown
        )
        more = len(batch.fulfillments) - len(shown)
        parts.append(
            f"<div><b>First {len(shown)} of {len(batch.fulfillments):,} fulfillments</b>"
            f"{' (batch.to_frame() for all)' if more else ''}</div>"
            "<table><tr><th>id</th><th>carrier</th><th>order_id</th><th>tracking</th>"
            f"<th>created_at</th></tr>{body}</table>"
        )
    parts.append("</div>")
    return "".join(parts)
