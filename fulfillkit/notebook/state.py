"""What the explorer shows, as plain data: no widget in sight, tested on its own.

:class:`ExplorerState` holds the frame being explored and everything a person chose about
it: the carrier grouping (stated / detected / effective), the filters (:class:`Filters`:
carrier, ``shipment_status``, a ``created_at`` date range, a text to find in ids and
tracking numbers), the window of rows the grid holds, the audit's severity filter. It
answers what the widgets render: the selection (fulfillments kept whole), the grid's
rows, the options with their counts, a one-line summary, the findings of the selection,
and the name an export gets. The widgets (:mod:`fulfillkit.notebook.explorer` and its
tabs) only read it and call its setters.

Example:
    >>> from fulfillkit.frames import to_frame
    >>> state = ExplorerState(to_frame([
    ...     {"id": "a", "carrier": "UPS", "created_at": "2024-03-01T10:00:00Z"},
    ...     {"id": "b", "carrier": "DHL", "created_at": "2024-04-01T10:00:00Z"}]))
    >>> state.set_filters(carrier="UPS")
    >>> state.selection["id"].tolist(), state.summary_text()
    (['a'], '1 of 2 fulfillments (1 row) · carrier UPS')
    >>> state.export_name(".csv", stamp="20240501T000000Z")
    'fulfillments-ups-20240501T000000Z.csv'
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from fulfillkit.frames import first_rows
from fulfillkit.reports.carriers import check_carrier_choice, fulfillment_labels

if TYPE_CHECKING:
    from fulfillkit.reports import CarrierChoice

__all__ = [
    "GRID_COLUMNS",
    "NO_STATUS",
    "SEVERITIES",
    "WINDOW_ROWS",
    "ExplorerState",
    "Filters",
    "Summary",
]

WINDOW_ROWS: Final = 5_000
"""Rows the grid holds at once: a selection larger than this is shown a window at a time
(the grid sorts and searches the window; the filters cover every row)."""

GRID_COLUMNS: Final = (
    "id",
    "order_id",
    "carrier",
    "shipment_status",
    "tracking_index",
    "tracking_number",
    "tracking_url",
    "created_at",
    "modified_at",
)
"""The frame's columns the grid shows unless all columns are asked for (when present)."""

HIDDEN_COLUMNS: Final = ("remote_data",)
"""Never sent to the grid: the raw provider record is kilobytes of JSON per row."""

NO_STATUS: Final = "(none)"
"""The status filter's value for fulfillments without a ``shipment_status``."""

SEVERITIES: Final = ("error", "warning", "info")
"""The audit's severities, worst first (the Audit tab's filter)."""

_FIND_COLUMNS: Final = ("id", "order_id", "tracking_number", "remote_id")


@dataclass(frozen=True, slots=True)
class Filters:
    """What the selection keeps. ``None`` / empty means "no filter".

    Attributes:
        carrier: a carrier label under the state's carrier choice.
        status: a ``shipment_status`` value, or :data:`NO_STATUS`.
        created_from, created_to: ``created_at`` days (UTC), both included.
        find: text found (case ignored) in ``id``, ``order_id``, ``tracking_number`` or
            ``remote_id``; the fulfillment is kept whole.
    """

    carrier: str | None = None
    status: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    find: str = ""

    def words(self) -> list[str]:
        """The filters in use, as short phrases (for the summary line)."""
        words = []
        if self.carrier is not None:
            words.append(f"carrier {self.carrier}")
        if self.status is not None:
            words.append(f"status {self.status}")
        if self.created_from is not None or self.created_to is not None:
            start = self.created_from.isoformat() if self.created_from else "…"
            end = self.created_to.isoformat() if self.created_to else "…"
            words.append(f"created {start} to {end}")
        if self.find:
            words.append(f"matching {self.find!r}")
        return words


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of the frame and of the selection; ``start`` / ``end`` are the window's rows
    (0-based, end excluded)."""

    rows: int
    fulfillments: int
    selected_rows: int
    selected_fulfillments: int
    start: int
    end: int

    @property
    def windowed(self) -> bool:
        """The selection is larger than what the grid holds."""
        return self.end - self.start < self.selected_rows


class ExplorerState:
    """The explorer's state; see the module docstring.

    Args:
        frame: a :func:`~fulfillkit.to_frame` frame (``None``: nothing loaded yet).
        carrier: the carrier grouping of the filter, the report and the charts.
        window_rows: rows the grid holds at once (:data:`WINDOW_ROWS`).
    """

    def __init__(
        self,
        frame: pd.DataFrame | None = None,
        *,
        carrier: CarrierChoice = "effective",
        window_rows: int = WINDOW_ROWS,
    ) -> None:
        if isinstance(window_rows, bool) or not isinstance(window_rows, int) or window_rows < 1:
            raise ValueError(f"window_rows must be a positive int, got {window_rows!r}")
        self.carrier: CarrierChoice = check_carrier_choice(carrier)
        self.window_rows = window_rows
        self.frame: pd.DataFrame | None = None
        self.errors: pd.DataFrame | None = None
        self.filters = Filters()
        self.window = 0
        self.all_columns = False
        self.severity: str | None = None
        self._labels: pd.Series[Any] | None = None
        self._mask: np.ndarray[Any, np.dtype[np.bool_]] | None = None
        self._selection: pd.DataFrame | None = None  # frame[mask], built with the mask
        self._selected: int | None = None  # fulfillments in the selection
        self._total: int | None = None  # fulfillments in the frame
        self._findings: pd.DataFrame | None = None
        if frame is not None:
            self.load(frame)

    # -- loading and choosing ----------------------------------------------------------------

    def load(self, frame: pd.DataFrame, *, errors: pd.DataFrame | None = None) -> None:
        """Explore ``frame`` (and show ``errors``, a frame of failed ids): filters and
        window start over, findings are computed again when asked for."""
        self.frame = frame
        self.errors = errors
        self.filters = Filters()
        self.window = 0
        self._findings = None
        self._relabel()

    def set_carrier_choice(self, carrier: str) -> None:
        """Group by the ``"stated"``, ``"detected"`` or ``"effective"`` carrier; the
        carrier filter is cleared (its labels changed)."""
        self.carrier = check_carrier_choice(carrier)
        self._relabel()
        self.set_filters(carrier=None)

    def set_filters(self, **changes: Any) -> None:
        """Change some of the :class:`Filters` (``carrier=``, ``status=``,
        ``created_from=``, ``created_to=``, ``find=``); the window starts over."""
        if "find" in changes:
            changes["find"] = str(changes["find"] or "").strip()
        for name in ("created_from", "created_to"):
            value = changes.get(name)
            if isinstance(value, datetime):
                changes[name] = value.date()
            elif value is not None and not isinstance(value, date):
                raise ValueError(f"{name} must be a date, got {value!r}")
        self.filters = dataclasses.replace(self.filters, **changes)
        self.window = 0
        self._forget_selection()

    def clear_filters(self) -> None:
        """No filter: the selection is the whole frame."""
        self.set_filters(carrier=None, status=None, created_from=None, created_to=None, find="")

    def move_window(self, step: int) -> None:
        """Show the next (``+1``) or previous (``-1``) window of the selection (clamped)."""
        self.window = min(max(0, self.window + step), self.windows - 1)

    # -- what is shown -----------------------------------------------------------------------

    @property
    def selection(self) -> pd.DataFrame | None:
        """The rows the filters keep (every row of a kept fulfillment); the frame itself
        when no filter is set."""
        frame = self.frame
        if frame is None:
            return None
        if self._selection is None:
            mask = self._selection_mask()
            self._selection = frame if mask.all() else frame[mask]
        return self._selection

    @property
    def windows(self) -> int:
        """How many windows the selection takes (at least 1)."""
        selection = self.selection
        n = 0 if selection is None else len(selection)
        return max(1, -(-n // self.window_rows))

    def summary(self) -> Summary:
        """Counts of the frame, of the selection and the window's rows."""
        frame, selection = self.frame, self.selection
        if frame is None or selection is None:
            return Summary(0, 0, 0, 0, 0, 0)
        start = self.window * self.window_rows
        end = min(start + self.window_rows, len(selection))
        if self._total is None:
            self._total = _fulfillments(frame)
        if self._selected is None:
            self._selected = self._total if selection is frame else _fulfillments(selection)
        return Summary(
            rows=len(frame),
            fulfillments=self._total,
            selected_rows=len(selection),
            selected_fulfillments=self._selected,
            start=start,
            end=end,
        )

    def summary_text(self) -> str:
        """One line: "12 of 130 fulfillments (14 rows) · carrier UPS"; the window when the
        selection is larger than the grid holds."""
        if self.frame is None:
            return "Nothing loaded yet."
        s = self.summary()
        rows = "row" if s.selected_rows == 1 else "rows"
        text = f"{s.selected_fulfillments:,} of {s.fulfillments:,} fulfillments "
        text += f"({s.selected_rows:,} {rows})"
        words = self.filters.words()
        if words:
            text += " · " + " · ".join(words)
        if s.windowed:
            text += (
                f" · grid holds rows {s.start + 1:,}–{s.end:,} (window {self.window + 1} of "
                f"{self.windows}): its sort and search cover these rows, the filters all"
            )
        return text

    def grid_frame(self) -> pd.DataFrame:
        """The window's rows as the grid shows them: the :data:`GRID_COLUMNS` (or every
        column but :data:`HIDDEN_COLUMNS`), with the carrier label under the current
        choice after ``carrier``, missing values as empty text, timestamps as UTC text."""
        frame = self.frame
        if frame is None or self._labels is None:
            return pd.DataFrame()
        s = self.summary()
        # By position, not by index label: a frame's index need not be unique.
        positions = np.flatnonzero(self._selection_mask())[s.start : s.end]
        rows = frame.iloc[positions]
        labels = self._labels.iloc[positions]
        if self.all_columns:
            columns = [c for c in rows.columns if c not in HIDDEN_COLUMNS]
        else:
            columns = [c for c in GRID_COLUMNS if c in rows.columns]
        shown = rows[columns].copy()
        at = columns.index("carrier") + 1 if "carrier" in columns else min(1, len(columns))
        shown.insert(at, f"carrier ({self.carrier})", labels.to_numpy(dtype=object))
        return _display(shown.reset_index(drop=True))

    # -- options for the widgets -------------------------------------------------------------

    def carrier_options(self) -> list[tuple[str, str]]:
        """(label with its fulfillment count, value) per carrier, largest first."""
        return _counted(self._per_fulfillment_labels())

    def status_options(self) -> list[tuple[str, str]]:
        """(label with count, value) per ``shipment_status``, :data:`NO_STATUS` for none;
        empty when the frame has no ``shipment_status`` column."""
        frame = self.frame
        if frame is None or "shipment_status" not in frame.columns:
            return []
        status = frame["shipment_status"][first_rows(frame)].astype("string")
        return _counted(status.fillna(NO_STATUS))

    def date_bounds(self) -> tuple[date | None, date | None]:
        """The first and last ``created_at`` day (UTC) of the frame."""
        frame = self.frame
        if frame is None or "created_at" not in frame.columns:
            return None, None
        created = pd.to_datetime(frame["created_at"], utc=True).dropna()
        if created.empty:
            return None, None
        return created.min().date(), created.max().date()

    # -- errors and findings -----------------------------------------------------------------

    def audit(self) -> pd.DataFrame:
        """:func:`~fulfillkit.audit` findings of the whole frame, computed once per frame
        (empty when nothing is loaded). Shared: do not change it."""
        from fulfillkit.reports import audit as run_audit

        frame = self.frame
        if frame is None:
            return pd.DataFrame()
        if self._findings is None:
            self._findings = run_audit(frame)
        return self._findings

    def restrict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``rows`` (findings, status changes: anything with an ``id``) about
        the selection's fulfillments; ``rows`` itself when the selection is every row or
        has no ``id``."""
        frame, selection = self.frame, self.selection
        if frame is None or selection is None or len(selection) >= len(frame):
            return rows
        if "id" not in selection:
            return rows
        keep = rows["id"].isin(selection["id"].dropna().unique())
        return rows[keep.to_numpy(dtype=bool)]

    def findings(self) -> pd.DataFrame:
        """:meth:`audit` findings of the selection (:meth:`restrict`), under the severity
        filter. ``attrs`` keep the audit's (``rules``, ``not_run``)."""
        if self.frame is None:
            return pd.DataFrame()
        everything = self.audit()
        findings = self.restrict(everything)
        if self.severity is not None:
            findings = findings[(findings["severity"] == self.severity).to_numpy(dtype=bool)]
        findings.attrs = dict(everything.attrs)
        return findings

    def not_run(self) -> dict[str, str] | None:
        """Audit rules that could not run on this frame, and what each needs (the audit's
        ``attrs["not_run"]``); ``None`` when the audit does not say."""
        if self.frame is None:
            return None
        not_run = self.audit().attrs.get("not_run")
        if not_run is None:
            return None
        return {str(k): str(v) for k, v in dict(not_run).items()}

    # -- exports -----------------------------------------------------------------------------

    def export_name(self, suffix: str, *, stamp: str | None = None) -> str:
        """The file name an export of the selection gets: what it holds, then when
        (``fulfillments-ups-in_transit-2024-03-01_2024-03-31-20240501T101500Z.csv``)."""
        f = self.filters
        parts = [_slug(f.carrier) if f.carrier is not None else "all"]
        if f.status is not None:
            parts.append(_slug(f.status))
        if f.created_from is not None or f.created_to is not None:
            start = f.created_from.isoformat() if f.created_from else "start"
            end = f.created_to.isoformat() if f.created_to else "end"
            parts.append(f"{start}_{end}")
        if f.find:
            parts.append("find-" + _slug(f.find)[:24])
        stamp = stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"fulfillments-{'-'.join(parts)}-{stamp}{suffix}"

    # -- internals ---------------------------------------------------------------------------

    def _relabel(self) -> None:
        frame = self.frame
        self._labels = None if frame is None else fulfillment_labels(frame, self.carrier)
        self._total = None
        self._forget_selection()

    def _forget_selection(self) -> None:
        """The filters or the labels changed: the mask, the selection and its count go."""
        self._mask = None
        self._selection = None
        self._selected = None

    def _per_fulfillment_labels(self) -> pd.Series[Any]:
        if self.frame is None or self._labels is None:
            return pd.Series([], dtype="string")
        return self._labels[first_rows(self.frame)]

    def _selection_mask(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        frame = self.frame
        assert frame is not None
        assert self._labels is not None
        if self._mask is not None:
            return self._mask
        f = self.filters
        keep = np.ones(len(frame), dtype=bool)
        if f.carrier is not None:
            keep &= (self._labels == f.carrier).to_numpy(dtype=bool, na_value=False)
        if f.status is not None:
            status = frame.get("shipment_status")
            if status is None:
                keep[:] = False
            elif f.status == NO_STATUS:
                keep &= status.isna().to_numpy(dtype=bool)
            else:
                keep &= (status == f.status).to_numpy(dtype=bool, na_value=False)
        if f.created_from is not None or f.created_to is not None:
            keep &= _in_days(frame, f.created_from, f.created_to)
        if f.find:
            keep &= _found(frame, f.find)
        self._mask = keep
        return keep


# --- helpers -------------------------------------------------------------------------------


def _fulfillments(frame: pd.DataFrame) -> int:
    """Fulfillments in ``frame``, counted as the carrier report counts them."""
    return int(first_rows(frame).sum())


def _counted(values: pd.Series[Any]) -> list[tuple[str, str]]:
    """(label with count, value), largest first, ties by name (as the carrier report)."""
    counts = values.value_counts(sort=False, dropna=True).sort_index()
    counts = counts.sort_values(ascending=False, kind="stable")
    return [(f"{name} ({int(n):,})", str(name)) for name, n in counts.items()]


def _in_days(frame: pd.DataFrame, start: date | None, end: date | None) -> Any:
    if "created_at" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    created = pd.to_datetime(frame["created_at"], utc=True)
    keep = created.notna().to_numpy(dtype=bool, copy=True)
    if start is not None:
        keep &= (created >= pd.Timestamp(start, tz="UTC")).to_numpy(dtype=bool)
    if end is not None:
        after = pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
        keep &= (created < after).to_numpy(dtype=bool)
    return keep


def _found(frame: pd.DataFrame, text: str) -> Any:
    """Rows of the fulfillments one of whose find columns contains ``text``."""
    hit = np.zeros(len(frame), dtype=bool)
    for column in _FIND_COLUMNS:
        if column in frame.columns:
            values = frame[column].astype("string")
            hit |= values.str.contains(text, case=False, regex=False).to_numpy(
                dtype=bool, na_value=False
            )
    if "id" not in frame.columns or not hit.any():
        return hit
    ids = frame["id"]
    return hit | ids.isin(ids[hit].dropna().unique()).to_numpy(dtype=bool)


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    """Text for timestamps (UTC, to the second), an empty cell for every missing value."""
    out = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            column.dtype
        ):
            text = pd.to_datetime(column, utc=True).dt.strftime("%Y-%m-%d %H:%M:%S")
            out[name] = text.astype(object).where(column.notna(), "")
        elif pd.api.types.is_timedelta64_dtype(column.dtype):
            out[name] = column.astype(str).astype(object).where(column.notna(), "")
        else:
            out[name] = column.astype(object).where(column.notna(), "")
    return pd.DataFrame(out, columns=frame.columns)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"
