"""What a sync did: :class:`SyncReport` (counts, requests, errors, what it left for next time).

Example:
    >>> report = SyncReport(connection="shop", new=3, requests=2)
    >>> report.ok, len(report), report.outcome
    (True, 3, 'complete')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fulfillkit.errors import FailedId, error_for_failures
from fulfillkit.fetch.results import failed_ids_frame
from fulfillkit.formatting import CARD_STYLE, escape, html_code, short

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SyncReport"]


@dataclass(slots=True, kw_only=True)
class SyncReport:
    """The outcome of :meth:`Store.sync <fulfillkit.Store.sync>`.

    Attributes:
        connection: the connection's label (several, comma-separated, for a combined
            report of ``store.sync([a, b])``; :attr:`parts` then holds each one's).
        outcome: ``complete``; ``capped`` (``max_requests`` reached: :attr:`left_for_next`
            says what waits for the next sync); ``failed`` (a listing failed for good:
            see :attr:`errors`).
        new, changed, unchanged: records by what they were to the store.
        deleted_cursor_fallbacks: resumed listings whose cursor row was gone upstream, so
            an earlier cursor (or a full scan) was used.
        requests: requests sent (retries included: what a rate limit counts).
        errors: one :class:`~fulfillkit.FailedId` per record that could not be fetched,
            and one per listing that failed (its id names the resource).
        plans: per resource, the refresh chosen and why (``refresh="auto"`` compares what
            each choice costs).
        by_resource: per resource (``fulfillments``, ``orders``), its ``new``, ``changed``
            and ``unchanged`` (the attributes above are their sums).
        left_for_next: open records not re-read (and listings not finished) because of
            ``max_requests``.
        started_at, ended_at: when it ran (UTC); ``duration`` in seconds.
        sync_id: the row in the ``syncs`` view.
    """

    connection: str = ""
    outcome: str = "complete"
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted_cursor_fallbacks: int = 0
    requests: int = 0
    errors: list[FailedId] = field(default_factory=list)
    plans: dict[str, str] = field(default_factory=dict)
    by_resource: dict[str, dict[str, int]] = field(default_factory=dict)
    left_for_next: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    sync_id: int | None = None
    parts: list[SyncReport] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Seconds the sync took."""
        if self.started_at is None or self.ended_at is None:
            return 0.0
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        """Complete, with no errors."""
        return self.outcome == "complete" and not self.errors

    @property
    def pending(self) -> list[str]:
        """Nothing is pending after a sync: what it did not reach is :attr:`left_for_next`
        (kept for the shape every ``.partial`` has)."""
        return []

    @property
    def requested(self) -> int:
        """Records the sync handled, failed ones included."""
        return self.new + self.changed + self.unchanged + len(self.errors)

    def __len__(self) -> int:
        return self.new + self.changed + self.unchanged

    @classmethod
    def combine(cls, parts: Sequence[SyncReport]) -> SyncReport:
        """One report for several connections' syncs (sums; the worst outcome)."""
        order = ("complete", "capped", "failed", "interrupted")
        return cls(
            connection=", ".join(p.connection for p in parts),
            outcome=max((p.outcome for p in parts), key=order.index, default="complete"),
            new=sum(p.new for p in parts),
            changed=sum(p.changed for p in parts),
            unchanged=sum(p.unchanged for p in parts),
            deleted_cursor_fallbacks=sum(p.deleted_cursor_fallbacks for p in parts),
            requests=sum(p.requests for p in parts),
            errors=[e for p in parts for e in p.errors],
            left_for_next=sum(p.left_for_next for p in parts),
            started_at=min((p.started_at for p in parts if p.started_at), default=None),
            ended_at=max((p.ended_at for p in parts if p.ended_at), default=None),
            parts=list(parts),
        )

    def errors_frame(self) -> pd.DataFrame:
        """The errors as a DataFrame (``id``, ``kind``, ``status``, ``message``, ``attempts``)."""
        return failed_ids_frame(self.errors)

    def raise_for_errors(self) -> SyncReport:
        """Raise the first error's exception type if anything failed; else return self."""
        if self.errors:
            raise error_for_failures(
                self.errors, f"{len(self.errors)} error(s) in the sync of {self.connection}"
            )
        return self

    def __repr__(self) -> str:
        return (
            f"SyncReport(connection={self.connection!r}, outcome={self.outcome!r}, "
            f"new={self.new}, changed={self.changed}, unchanged={self.unchanged}, "
            f"errors={len(self.errors)}, requests={self.requests})"
        )

    def text(self) -> str:
        """A plain-text summary (what the CLI prints).

        Example:
            >>> print(SyncReport(connection="shop", new=2, requests=1).text())
            sync of shop: complete in 0.0 s, 1 request(s)
              new 2, changed 0, unchanged 0, errors 0
        """
        lines = [
            f"sync of {self.connection}: {self.outcome} in {self.duration:.1f} s, "
            f"{self.requests} request(s)",
            f"  new {self.new}, changed {self.changed}, unchanged {self.unchanged}, "
            f"errors {len(self.errors)}",
        ]
        for resource, plan in self.plans.items():
            counts = self.by_resource.get(resource)
            tally = (
                f" (new {counts['new']}, changed {counts['changed']}, unchanged "
                f"{counts['unchanged']})"
                if counts
                else ""
            )
            lines.append(f"  {resource}: {plan}{tally}")
        if self.deleted_cursor_fallbacks:
            lines.append(
                f"  resumed from an earlier cursor {self.deleted_cursor_fallbacks} time(s)"
            )
        if self.left_for_next:
            lines.append(f"  left for the next sync: {self.left_for_next} (max_requests)")
        lines.extend(
            f"  {short(error.id, 40)}  {error.kind}  {short(error.message, 80)}"
            for error in self.errors[:5]
        )
        if len(self.errors) > 5:
            lines.append(f"  ... and {len(self.errors) - 5} more (report.errors_frame())")
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else self.text())

    def _repr_html_(self) -> str:
        bad = "" if self.ok else " class='fk-bad'"
        rows = "".join(
            f"<tr><td>{escape(name)}</td><td class='fk-num'>{value}</td></tr>"
            for name, value in (
                ("new", f"{self.new:,}"),
                ("changed", f"{self.changed:,}"),
                ("unchanged", f"{self.unchanged:,}"),
                ("errors", f"{len(self.errors):,}"),
                ("requests", f"{self.requests:,}"),
                ("cursor fallbacks", f"{self.deleted_cursor_fallbacks:,}"),
                ("left for next sync", f"{self.left_for_next:,}"),
                ("duration", f"{self.duration:.1f} s"),
            )
        )
        plans = "".join(
            f"<div>{escape(resource)}: {escape(plan)}</div>"
            for resource, plan in self.plans.items()
        )
        errors = "".join(
            f"<tr><td>{html_code(e.id)}</td><td>{escape(e.kind)}</td>"
            f"<td>{escape(short(e.message))}</td></tr>"
            for e in self.errors[:5]
        )
        error_table = (
            f"<div><b>Errors</b></div><table><tr><th>id</th><th>kind</th><th>message</th></tr>"
            f"{errors}</table>"
            if errors
            else ""
        )
        return (
            f"<div class='fk-card'>{CARD_STYLE}<div><b>SyncReport</b> of "
            f"{escape(self.connection)}: <b{bad}>{escape(self.outcome)}</b></div>"
            f"<table>{rows}</table>{plans}{error_table}</div>"
        )
