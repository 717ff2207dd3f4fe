"""The plots analysts ask for beyond volumes: status mix, fulfillment lag, tracking coverage
over time and time in status, each a :class:`matplotlib.figure.Figure`.

Every function takes its data by the one data rule (:func:`fulfillkit.frames.frame_of`: a
``to_frame`` frame, a ``BatchResult``, records or a store), except
:func:`plot_time_in_status`, which takes a status-changes frame
(:func:`fulfillkit.status_changes`) or a store. A frame without the columns a plot needs
raises :class:`~fulfillkit.InvalidDataError` naming them and how to get them. Each figure
has a title, axis labels with their units, and colours from the Okabe-Ito palette
(:data:`PALETTE`), which stays distinct for the common forms of colour blindness; each
fulfillment counts once, under its carrier as :func:`~fulfillkit.carrier_report` counts it.

:func:`~fulfillkit.reports.figures.figure_svg` writes any of them as inline SVG (what
:func:`fulfillkit.report_html` embeds), :func:`~fulfillkit.reports.charts.figure_png` as
PNG. The numbers behind two of them are plain functions, tested alone: :func:`status_mix`
and :func:`time_in_status`.

Example:
    >>> import fulfillkit as fk
    >>> from fulfillkit.sandbox import make_dataset
    >>> df = fk.to_frame(make_dataset(200).fulfillments, remote_data=True)
    >>> plot_status_mix(df).axes[0].get_xlabel()
    "share of the carrier's fulfillments (%)"
    >>> from fulfillkit.reports.figures import figure_svg
    >>> figure_svg(plot_tracking_coverage(df, freq="MS")).startswith("<svg")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from fulfillkit.errors import InvalidDataError
from fulfillkit.frames import first_rows
from fulfillkit.optional import require
from fulfillkit.reports.carriers import check_carrier_choice, fulfillment_labels
from fulfillkit.reports.data import report_frame, require_columns
from fulfillkit.reports.figures import freq_word, register_ipython_png

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fulfillkit.carriers import CarrierTable
    from fulfillkit.reports.carriers import CarrierChoice

__all__ = [
    "NO_STATUS",
    "PALETTE",
    "STATUS_CHANGE_COLUMNS",
    "STATUS_COLORS",
    "plot_fulfillment_lag",
    "plot_status_mix",
    "plot_time_in_status",
    "plot_tracking_coverage",
    "status_mix",
    "time_in_status",
]

PALETTE: Final = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
"""Okabe and Ito's colour-blind-safe palette, in the order the plots use it."""

NO_STATUS: Final = "no status"
"""The status-mix label of fulfillments without a ``shipment_status``."""
OTHER_STATUSES: Final = "other"
STATUS_COLORS: Final = {
    "delivered": "#009E73",
    "out_for_delivery": "#0072B2",
    "in_transit": "#56B4E9",
    "confirmed": "#F0E442",
    "label_printed": "#CC79A7",
    "attempted_delivery": "#E69F00",
    "failure": "#D55E00",
    OTHER_STATUSES: "#555555",
    NO_STATUS: "#BBBBBB",
}
"""The colour of each ``shipment_status`` in :func:`plot_status_mix`, in stacking order
(arrived first, failed last); any other status is stacked as ``other``."""

STATUS_CHANGE_COLUMNS: Final = ("id", "carrier", "to_status", "changed_at")
"""What :func:`time_in_status` reads from :func:`fulfillkit.status_changes`' frame."""

_OTHERS_COLOR: Final = "#999999"
_REMOTE: Final = "fetch with remote_data=True (Shopify's shipment_status is in the raw record)"


# --- shipment status by carrier ----------------------------------------------------------


def status_mix(
    data: object,
    *,
    carrier: CarrierChoice = "effective",
    table: CarrierTable | None = None,
) -> pd.DataFrame:
    """Fulfillments per carrier (rows, largest first) and ``shipment_status`` (columns, in
    :data:`STATUS_COLORS` order, then any other value, then :data:`NO_STATUS`): counts,
    each fulfillment once.

    Example:
        >>> import fulfillkit as fk
        >>> df = fk.to_frame([
        ...     {"id": "a", "carrier": "UPS", "remote_data": {"shipment_status": "delivered"}},
        ...     {"id": "b", "carrier": "UPS", "remote_data": {}}], remote_data=True)
        >>> status_mix(df).to_dict("index")
        {'UPS': {'delivered': 1, 'no status': 1}}
    """
    frame = report_frame(data, what="fk.status_mix", needs=("id", "shipment_status"), how=_REMOTE)
    one = first_rows(frame)
    labels = fulfillment_labels(frame, check_carrier_choice(carrier), table=table)[one]
    status = frame["shipment_status"][one].astype("string").fillna(NO_STATUS)
    counts = pd.crosstab(labels.to_numpy(dtype=object), status.to_numpy(dtype=object))
    known = [s for s in STATUS_COLORS if s in counts.columns and s != NO_STATUS]
    rest = sorted(c for c in counts.columns if c not in STATUS_COLORS)
    tail = [NO_STATUS] if NO_STATUS in counts.columns else []
    counts = counts[known + rest + tail]
    counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    counts.index.name, counts.columns.name = "carrier", "shipment_status"
    return counts.astype("int64")


def plot_status_mix(
    data: object,
    *,
    carrier: CarrierChoice = "effective",
    table: CarrierTable | None = None,
    top: int = 12,
) -> Figure:
    """Shipment-status mix by carrier: one horizontal bar per carrier, stacked to 100% by
    Shopify's ``shipment_status`` (delivered first, failures last, none in grey), with the
    carrier's fulfillment count on the axis. Carriers past the ``top`` largest are gathered
    into "all others". Needs ``shipment_status`` (``remote_data=True``).

    Example:
        >>> import fulfillkit as fk
        >>> fig = plot_status_mix(fk.to_frame([{"id": "a", "carrier": "DHL", "remote_data":
        ...     {"shipment_status": "in_transit"}}], remote_data=True))
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
        ['DHL (1)']
    """
    frame = report_frame(
        data, what="fk.plot_status_mix", needs=("id", "shipment_status"), how=_REMOTE
    )
    counts = status_mix(frame, carrier=carrier, table=table)
    if len(counts) > top + 1:
        others = f"all others ({len(counts) - top})"
        rest = counts.iloc[top:].sum()
        counts = counts.iloc[:top].copy()
        counts.loc[others] = rest
    fig, ax = _figure("fk.plot_status_mix", height=1.6 + 0.42 * max(len(counts), 1))
    total = int(counts.to_numpy().sum())
    ax.set_title(
        f"Shipment status by carrier ({total:,} fulfillments)", fontsize=13, fontweight="bold"
    )
    ax.set_xlabel("share of the carrier's fulfillments (%)")
    ax.set_ylabel(f"carrier ({carrier})")
    sizes = counts.sum(axis=1).to_numpy(dtype=float)
    shares = counts.to_numpy(dtype=float) / np.maximum(sizes, 1)[:, None] * 100
    y = np.arange(len(counts))
    left = np.zeros(len(counts))
    for j, status in enumerate(counts.columns):
        color = STATUS_COLORS.get(status, STATUS_COLORS[OTHER_STATUSES])
        ax.barh(y, shares[:, j], left=left, color=color, label=status, edgecolor="white")
        left += shares[:, j]
    names = [f"{name} ({int(n):,})" for name, n in zip(counts.index, sizes, strict=True)]
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    if counts.empty:
        _nothing(ax, "no fulfillments")
    else:
        ax.legend(
            title="shipment_status", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
        )
    return fig


# --- order to fulfillment lag ------------------------------------------------------------


def plot_fulfillment_lag(
    data: object,
    *,
    carrier: CarrierChoice = "effective",
    table: CarrierTable | None = None,
    top: int = 12,
) -> Figure:
    """How long orders waited to be fulfilled, by carrier: one box per carrier (median,
    quartiles, whiskers at 1.5 IQR, outliers as dots), sorted by median, in hours when
    nearly all lags are under three days and in days otherwise (the axis label says
    which). Needs ``fulfillment_lag``: join the orders first
    (``fk.join_orders(df, client.get_orders(df["order_id"]))``). Fulfillments whose order
    is unknown are left out (the title says how many).

    Example:
        >>> import fulfillkit as fk
        >>> df = fk.join_orders(
        ...     fk.to_frame([{"id": "f", "order_id": "o", "carrier": "UPS",
        ...                   "created_at": "2024-01-02T00:00:00Z"}]),
        ...     [{"id": "o", "created_at": "2024-01-01T12:00:00Z"}])
        >>> plot_fulfillment_lag(df).axes[0].get_xlabel()
        'order to fulfillment (hours)'
    """
    frame = report_frame(
        data,
        what="fk.plot_fulfillment_lag",
        needs=("id", "fulfillment_lag"),
        how="join the orders first: fk.join_orders(df, client.get_orders(df['order_id']))",
    )
    one = first_rows(frame)
    labels = fulfillment_labels(frame, check_carrier_choice(carrier), table=table)[one]
    lag = pd.to_timedelta(frame["fulfillment_lag"][one])
    known = lag.notna().to_numpy()
    hours = lag[known].dt.total_seconds().to_numpy(dtype=float) / 3600
    in_days = bool(len(hours)) and float(np.quantile(hours, 0.9)) > 72
    values = hours / 24 if in_days else hours
    groups = _groups(labels.to_numpy(dtype=object)[known], values, top)
    fig, ax = _figure("fk.plot_fulfillment_lag", height=1.6 + 0.45 * max(len(groups), 1))
    title = "Order to fulfillment lag by carrier"
    if (~known).any():
        title += f" ({int((~known).sum()):,} without a known order not shown)"
    ax.set_title(title, fontsize=13, fontweight="bold")
    ax.set_xlabel(f"order to fulfillment ({'days' if in_days else 'hours'})")
    ax.set_ylabel(f"carrier ({carrier})")
    _boxes(ax, groups)
    if groups and min(float(np.min(v)) for _, v in groups) < 0:
        ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
    return fig


# --- tracking coverage over time ---------------------------------------------------------


def plot_tracking_coverage(data: object, freq: str = "W") -> Figure:
    """Tracking coverage over time: per ``freq`` period of ``created_at`` (``"D"``,
    ``"W"``, ``"MS"``, ...), the share of the fulfillments created then that carry a
    tracking number and a tracking URL the record gave (top), and how many were created
    (bottom, so that a share of a handful is read as such). Works on exploded and
    ``explode=False`` frames; each fulfillment counts once.

    Example:
        >>> import fulfillkit as fk
        >>> fig = plot_tracking_coverage(fk.to_frame([{"id": "a", "tracking_numbers": ["1"],
        ...     "created_at": "2024-01-01T00:00:00Z"}]), freq="D")
        >>> [ax.get_ylabel() for ax in fig.axes]
        ['share of fulfillments (%)', 'fulfillments per day']
    """
    frame = report_frame(
        data,
        what="fk.plot_tracking_coverage",
        needs=("id", "created_at", ("tracking_number", "tracking_count")),
        how="pass a to_frame() frame",
    )
    number, url = _tracking_columns(frame)
    per = (
        pd.DataFrame(
            {
                "id": frame["id"].to_numpy(dtype=object),
                "created_at": pd.to_datetime(frame["created_at"], utc=True).dt.tz_convert(None),
                "number": number,
                "url": url,
            }
        )
        .groupby("id", sort=False, dropna=False)
        .agg(created_at=("created_at", "min"), number=("number", "any"), url=("url", "any"))
    )
    per = per[per["created_at"].notna()]
    word = freq_word(freq)
    require("matplotlib", "plots", "fk.plot_tracking_coverage")
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    register_ipython_png()
    fig = Figure(figsize=(11, 5.6), layout="constrained")
    shares, volume = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.2])
    fig.suptitle(
        f"Tracking coverage by {word} created ({len(per):,} fulfillments)",
        fontsize=13,
        fontweight="bold",
    )
    shares.set_ylabel("share of fulfillments (%)")
    volume.set_ylabel(f"fulfillments per {word}")
    volume.set_xlabel("created_at (UTC)")
    for ax in (shares, volume):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
    shares.set_ylim(0, 100)
    shares.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    if per.empty:
        _nothing(shares, "no fulfillments with created_at")
        return fig
    periods = per.groupby(pd.Grouper(key="created_at", freq=freq)).agg(
        n=("number", "size"), number=("number", "sum"), url=("url", "sum")
    )
    x = pd.DatetimeIndex(periods.index).to_pydatetime()
    n = periods["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        for column, label, color, marker in (
            ("number", "with a tracking number", PALETTE[0], "o"),
            ("url", "with a tracking URL from the record", PALETTE[1], "s"),
        ):
            share = np.where(n > 0, periods[column].to_numpy(dtype=float) / n * 100, np.nan)
            shares.plot(x, share, color=color, marker=marker, markersize=3, label=label)
    shares.legend(loc="lower left", frameon=False)
    step = (x[1] - x[0]).total_seconds() / 86400 if len(x) > 1 else 1.0
    volume.bar(x, n, width=0.8 * step, color=_OTHERS_COLOR)
    volume.set_ylim(bottom=0)
    return fig


# --- time in status ----------------------------------------------------------------------


def time_in_status(data: object, start: str = "in_transit", end: str = "delivered") -> pd.DataFrame:
    """Per fulfillment seen entering ``start`` and later ``end``: ``id``, ``carrier`` (the
    stated carrier, folded to its canonical name), ``started_at``, ``ended_at`` and
    ``hours`` between them (``Float64``). ``data`` is :func:`fulfillkit.status_changes`'
    frame or a store (anything with a ``status_changes()`` method). A status is "entered"
    at the first change whose ``to_status`` it is; ``end`` counts from ``start`` on.

    Example:
        >>> changes = pd.DataFrame({"id": ["a", "a", "b"], "carrier": ["ups", "ups", "DHL"],
        ...     "to_status": ["in_transit", "delivered", "delivered"],
        ...     "changed_at": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 12:00",
        ...                                   "2024-01-01 00:00"], utc=True)})
        >>> time_in_status(changes)[["id", "carrier", "hours"]].to_dict("records")
        [{'id': 'a', 'carrier': 'UPS', 'hours': 36.0}]
    """
    from fulfillkit.carriers import canonical_carriers

    changes = _status_changes_of(data)
    frame = changes[list(STATUS_CHANGE_COLUMNS)].copy()
    frame["changed_at"] = pd.to_datetime(frame["changed_at"], utc=True)
    status = frame["to_status"].astype("string")
    began = (
        frame[(status == start).fillna(False).to_numpy(dtype=bool)]
        .groupby("id", sort=False, as_index=False)
        .agg(carrier=("carrier", "first"), started_at=("changed_at", "min"))
    )
    reached = frame.loc[(status == end).fillna(False).to_numpy(dtype=bool), ["id", "changed_at"]]
    reached = reached.merge(began[["id", "started_at"]], on="id")
    reached = reached[(reached["changed_at"] >= reached["started_at"]).to_numpy(dtype=bool)]
    ended = reached.groupby("id", sort=False, as_index=False).agg(ended_at=("changed_at", "min"))
    out = began.merge(ended, on="id")
    out["carrier"] = canonical_carriers(out["carrier"].astype("string"))
    hours = (out["ended_at"] - out["started_at"]).dt.total_seconds() / 3600
    out["hours"] = hours.astype("Float64")
    return out[["id", "carrier", "started_at", "ended_at", "hours"]].reset_index(drop=True)


def plot_time_in_status(
    data: object, start: str = "in_transit", end: str = "delivered", *, top: int = 12
) -> Figure:
    """Time in status by carrier, from a store's observed status changes: hours from
    entering ``start`` to entering ``end`` (:func:`time_in_status`), one box per carrier,
    sorted by median. ``data`` is a store or :func:`fulfillkit.status_changes`' frame. The
    times are Panora's ``modified_at`` of the versions a sync saw, so a store synced once a
    day measures to the day: the more often it syncs, the finer the boxes.

    Example:
        >>> changes = pd.DataFrame({"id": ["a", "a"], "carrier": ["UPS", "UPS"],
        ...     "to_status": ["in_transit", "delivered"],
        ...     "changed_at": pd.to_datetime(["2024-01-01", "2024-01-03"], utc=True)})
        >>> plot_time_in_status(changes).axes[0].get_xlabel()
        'hours from in_transit to delivered'
    """
    spans = time_in_status(data, start, end)
    groups = _groups(
        spans["carrier"].to_numpy(dtype=object), spans["hours"].to_numpy(dtype=float), top
    )
    fig, ax = _figure("fk.plot_time_in_status", height=1.6 + 0.45 * max(len(groups), 1))
    ax.set_title(
        f"Time from {start} to {end} by carrier ({len(spans):,} fulfillments)",
        fontsize=13,
        fontweight="bold",
    )
    ax.set_xlabel(f"hours from {start} to {end}")
    ax.set_ylabel("carrier (stated)")
    _boxes(ax, groups, empty=f"no fulfillment was seen going from {start} to {end}")
    return fig


# --- helpers -----------------------------------------------------------------------------


def _status_changes_of(data: object) -> pd.DataFrame:
    """A status-changes frame from a frame or from a store's ``status_changes()``."""
    reader = getattr(data, "status_changes", None)
    if not isinstance(data, pd.DataFrame) and callable(reader):
        data = reader()
    if not isinstance(data, pd.DataFrame):
        raise InvalidDataError(
            "fk.time_in_status takes a store or fk.status_changes(store)'s frame; "
            f"got {type(data).__name__}"
        )
    return require_columns(
        data, STATUS_CHANGE_COLUMNS, what="fk.time_in_status", how="pass fk.status_changes(store)"
    )


def _tracking_columns(frame: pd.DataFrame) -> tuple[Any, Any]:
    """Per row: has a tracking number, has a record URL (an exploded frame, else an
    ``explode=False`` one: the caller checked it has ``tracking_count``)."""
    if "tracking_number" in frame.columns:
        number = frame["tracking_number"].notna().to_numpy(dtype=bool)
        url = frame.get("tracking_url")
        has_url = np.zeros(len(frame), dtype=bool) if url is None else url.notna().to_numpy()
        derived = frame.get("tracking_url_derived")
        if derived is not None and derived.dtype == "boolean":
            has_url = has_url & ~derived.fillna(False).to_numpy(dtype=bool)
        return number, has_url
    number = (frame["tracking_count"].fillna(0) > 0).to_numpy(dtype=bool)  # explode=False
    urls = frame.get("tracking_urls")
    has_url = (
        np.zeros(len(frame), dtype=bool)
        if urls is None
        else (urls.fillna("[]").astype(str) != "[]").to_numpy(dtype=bool)
    )
    return number, has_url


def _groups(labels: Any, values: Any, top: int) -> list[tuple[str, Any]]:
    """(label with n, values) per carrier, sorted by median, the ``top`` largest kept and
    the rest gathered into one "all others" group."""
    if not len(values):
        return []
    frame = pd.DataFrame({"label": labels, "value": values}).dropna()
    sizes = frame["label"].value_counts()
    keep = set(sizes.index[:top])
    if len(sizes) > top + 1:
        frame.loc[~frame["label"].isin(keep), "label"] = f"all others ({len(sizes) - top})"
    grouped = [(str(k), g.to_numpy(dtype=float)) for k, g in frame.groupby("label")["value"]]
    grouped.sort(key=lambda kv: (float(np.median(kv[1])), kv[0]))
    return [(f"{name} (n={len(v):,})", v) for name, v in grouped]


def _boxes(ax: Axes, groups: list[tuple[str, Any]], *, empty: str = "no fulfillments") -> None:
    if not groups:
        _nothing(ax, empty)
        return
    parts = ax.boxplot(
        [v for _, v in groups],
        orientation="horizontal",
        tick_labels=[name for name, _ in groups],
        patch_artist=True,
        widths=0.6,
        flierprops={"marker": ".", "markersize": 3, "alpha": 0.5},
        medianprops={"color": "#000000", "linewidth": 1.5},
    )
    for box in parts["boxes"]:  # one colour: a box is a carrier, its colour means nothing
        box.set_facecolor(PALETTE[4])
        box.set_edgecolor(PALETTE[0])
    ax.invert_yaxis()  # the shortest median on top
    ax.grid(axis="x", alpha=0.3)


def _figure(feature: str, *, height: float) -> tuple[Figure, Axes]:
    require("matplotlib", "plots", feature)
    from matplotlib.figure import Figure

    register_ipython_png()
    fig = Figure(figsize=(10, max(3.2, height)), layout="constrained")
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _nothing(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555")
