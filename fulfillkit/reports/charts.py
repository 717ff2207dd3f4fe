"""Matplotlib figures of a fulfillment frame: per carrier, and over time.

Both functions take what :func:`~fulfillkit.carrier_report` takes (a
:func:`fulfillkit.to_frame` frame or one read back with :func:`fulfillkit.read_frame`, a
``BatchResult``, a store, a list of records), count each fulfillment once (by ``id``,
however many tracking rows it has), fold carrier names with :mod:`fulfillkit.carriers`, and return a
:class:`matplotlib.figure.Figure` with a title, labelled axes and a legend.

The figures are built with :class:`~matplotlib.figure.Figure` directly, not through
``pyplot``: no global figure list to leak from, safe to draw from a worker thread (the
explorer widget does), and no double display in Jupyter. So that a figure on the last line
of a cell still shows as a picture, the first call registers a PNG formatter for
``Figure`` with IPython when it is running (which is what ``%matplotlib inline`` does).

Example:
    >>> import fulfillkit as fk
    >>> from fulfillkit.sandbox import make_dataset
    >>> df = fk.to_frame(make_dataset(100).fulfillments)
    >>> fig = plot_carriers(df)
    >>> fig.axes[0].get_title()
    'Fulfillments'
    >>> fig = plot_timeline(df, freq="W")
    >>> fig.axes[0].get_ylabel()
    'fulfillments per week'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from fulfillkit.optional import require
from fulfillkit.reports.figures import figure_png, freq_word, register_ipython_png

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from fulfillkit.carriers import CarrierTable
    from fulfillkit.reports.carriers import CarrierChoice
    from fulfillkit.reports.data import Fulfillments

__all__ = ["figure_png", "plot_carriers", "plot_timeline"]

OTHERS: Final = "all others"
"""The label of the bar or band that gathers carriers past ``top``."""

_NUMBER_COLOR: Final = "#1f77b4"
_URL_COLOR: Final = "#ff7f0e"
_VOLUME_COLOR: Final = "#4c72b0"


def plot_carriers(
    data: Fulfillments,
    *,
    table: CarrierTable | None = None,
    top: int = 12,
    carrier: CarrierChoice = "effective",
) -> Figure:
    """Fulfillments and tracking coverage per carrier, as one figure of two panels.

    Left: fulfillments per canonical carrier (horizontal bars, largest first, counts
    written on the bars). Right: the share of those fulfillments with at least one tracking
    number and with at least one tracking URL. Carriers past the ``top`` largest are
    gathered into one "all others" bar. The numbers are
    :func:`~fulfillkit.carrier_report`'s, with the same ``carrier=`` choice of stated,
    detected or effective carrier (the y axis label says which).

    Example:
        >>> import fulfillkit as fk
        >>> fig = plot_carriers(fk.to_frame([{"id": "a", "carrier": "ups"}]))
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['fulfillments', 'share of fulfillments']
    """
    import numpy as np

    require("matplotlib", "plots", "fk.plot_carriers")
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    from fulfillkit.reports.carriers import carrier_report
    from fulfillkit.reports.data import carrier_frame

    df = carrier_frame(data, what="plot_carriers", table=table)
    _check_top(top, "plot_carriers")
    register_ipython_png()
    report = carrier_report(df, table=table, carrier=carrier)
    names, counts, with_number, with_url = _carrier_rows(report, top)
    n = len(names)
    fig = Figure(figsize=(10, max(3.0, 1.2 + 0.42 * n)), layout="constrained")
    volume, coverage = fig.subplots(1, 2, sharey=True, width_ratios=[3, 2])
    y = np.arange(n)
    total = int(counts.sum())
    fig.suptitle(
        f"Fulfillments and tracking coverage by carrier ({total:,} fulfillments)",
        fontsize=13,
        fontweight="bold",
    )

    bars = volume.barh(y, counts, color=_VOLUME_COLOR, label="fulfillments")
    volume.bar_label(bars, labels=[f"{c:,}" for c in counts], padding=3, fontsize=9)
    volume.set_title("Fulfillments")
    volume.set_xlabel("fulfillments")
    volume.set_ylabel(f"carrier ({carrier})")
    volume.set_yticks(y, names)
    volume.invert_yaxis()
    volume.set_xlim(0, max(1, int(counts.max()) if n else 1) * 1.15)
    volume.legend(loc="lower right", frameon=False)
    volume.grid(axis="x", alpha=0.3)

    height = 0.38
    share_n = np.divide(with_number, counts, out=np.zeros(n), where=counts > 0)
    share_u = np.divide(with_url, counts, out=np.zeros(n), where=counts > 0)
    coverage.barh(y - height / 2, share_n, height, color=_NUMBER_COLOR, label="tracking number")
    coverage.barh(y + height / 2, share_u, height, color=_URL_COLOR, label="tracking URL")
    coverage.set_title("Tracking coverage")
    coverage.set_xlabel("share of fulfillments")
    coverage.set_ylabel("carrier")
    coverage.yaxis.label.set_visible(False)  # shared with the left panel
    coverage.set_xlim(0, 1)
    coverage.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    coverage.legend(loc="lower right", fontsize=9, framealpha=0.9)
    coverage.grid(axis="x", alpha=0.3)
    if n == 0:
        volume.text(0.5, 0.5, "no fulfillments", transform=volume.transAxes, ha="center")
    for ax in (volume, coverage):
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_timeline(
    data: Fulfillments,
    freq: str = "D",
    *,
    table: CarrierTable | None = None,
    top: int = 6,
    carrier: CarrierChoice = "effective",
) -> Figure:
    """Fulfillments over time by carrier: stacked counts per ``freq`` period of
    ``created_at`` (UTC).

    ``freq`` is a pandas offset alias: ``"D"`` (day), ``"W"`` (week), ``"MS"`` (month),
    ``"h"`` (hour), ... The ``top`` carriers by volume get their own colour; the rest are
    stacked as "all others". Up to 130 periods are drawn as stacked bars, more as a stacked
    area. Fulfillments without ``created_at`` cannot be placed and are left out (the title
    says how many). ``carrier=`` is :func:`~fulfillkit.carrier_report`'s choice of stated,
    detected or effective carrier (the legend title says which).

    Example:
        >>> import fulfillkit as fk
        >>> fig = plot_timeline(fk.to_frame([
        ...     {"id": "a", "carrier": "UPS", "created_at": "2024-01-01T10:00:00Z"},
        ...     {"id": "b", "carrier": "DHL", "created_at": "2024-01-02T10:00:00Z"}]))
        >>> fig.axes[0].get_legend().get_title().get_text()
        'carrier (effective)'
    """
    require("matplotlib", "plots", "fk.plot_timeline")
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    from fulfillkit.reports.data import carrier_frame

    df = carrier_frame(data, what="plot_timeline", table=table, also=("created_at",))
    _check_top(top, "plot_timeline")
    _check_freq(freq)
    register_ipython_png()
    events, unplaced = _timeline_events(df, carrier, table)
    word = freq_word(freq)
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax = fig.subplots()
    title = f"Fulfillments per {word} by carrier"
    if unplaced:
        title += f" ({unplaced:,} without created_at not shown)"
    ax.set_title(title, fontsize=13, fontweight="bold")
    ax.set_xlabel("created_at (UTC)")
    ax.set_ylabel(f"fulfillments per {word}")
    ax.spines[["top", "right"]].set_visible(False)
    if events.empty:
        ax.text(0.5, 0.5, "no fulfillments with created_at", transform=ax.transAxes, ha="center")
        ax.plot([], [], label="(none)")
        ax.legend(title=f"carrier ({carrier})")
        return fig

    counts = _timeline_counts(events, freq, top)
    if len(counts) <= 130:
        _stacked_bars(ax, counts)
    else:
        # Hundreds of periods of small counts are noise as drawn: a centred rolling mean
        # over about a sixtieth of the range keeps the shape, and the label says so.
        window = -(-len(counts) // 60)
        _stacked_area(ax, counts.rolling(window, center=True, min_periods=1).mean())
        ax.set_ylabel(f"fulfillments per {word} ({window}-{word} rolling mean)")
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(
        title=f"carrier ({carrier})", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
    )
    return fig


# --- helpers -----------------------------------------------------------------------------


def _check_top(top: object, what: str) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"{what}: top must be a whole number, 1 or more, got {top!r}")


def _check_freq(freq: object) -> None:
    """``freq`` must be a pandas offset alias (``"D"``, ``"W"``, ``"MS"``, ``"h"``, ...)."""
    from pandas.tseries.frequencies import to_offset

    try:
        if not isinstance(freq, str):
            raise TypeError
        to_offset(freq)
    except (TypeError, ValueError):
        raise ValueError(
            f"plot_timeline: freq must be a pandas offset alias such as 'D', 'W', 'MS' or "
            f"'h', got {freq!r}"
        ) from None


def _carrier_rows(report: pd.DataFrame, top: int) -> tuple[list[str], Any, Any, Any]:
    """Names, fulfillment counts, and counts with a number / a URL, ``top`` rows at most
    plus one for the rest."""
    import numpy as np

    counts = report["fulfillments"].to_numpy(dtype=np.int64, na_value=0)
    share_n = report["share_with_tracking"].to_numpy(dtype=np.float64, na_value=0.0)
    share_u = report["share_with_url"].to_numpy(dtype=np.float64, na_value=0.0)
    with_number = np.rint(counts * share_n)
    with_url = np.rint(counts * share_u)
    names = [str(name) for name in report.index]
    if len(names) > top + 1:
        rest = slice(top, None)
        names = [*names[:top], f"{OTHERS} ({len(names) - top})"]
        counts = np.append(counts[:top], counts[rest].sum())
        with_number = np.append(with_number[:top], with_number[rest].sum())
        with_url = np.append(with_url[:top], with_url[rest].sum())
    return names, counts, with_number, with_url


def _timeline_events(
    df: pd.DataFrame, carrier: CarrierChoice, table: CarrierTable | None
) -> tuple[pd.DataFrame, int]:
    """One row per fulfillment that has a ``created_at`` (naive UTC) and its carrier label;
    and how many had none."""
    import pandas as pd

    from fulfillkit.reports.carriers import check_carrier_choice, fulfillment_rows

    per = fulfillment_rows(df, carrier=check_carrier_choice(carrier), table=table)
    labels = per["label"].to_numpy(dtype=object)
    created = pd.to_datetime(per["created_at"], utc=True)
    placed = created.notna().to_numpy()
    events = pd.DataFrame(
        {"created_at": created[placed].dt.tz_convert(None).to_numpy(), "carrier": labels[placed]}
    )
    return events, int((~placed).sum())


def _timeline_counts(events: pd.DataFrame, freq: str, top: int) -> pd.DataFrame:
    """Fulfillments per ``freq`` period (rows, every period of the range, empty ones
    included so that gaps show as gaps) and carrier (columns: the ``top`` largest, then
    :data:`OTHERS` for the rest)."""
    import pandas as pd

    order = events["carrier"].value_counts()
    keep = list(order.index[:top])
    if len(order) > top:
        events = events.copy()
        events.loc[~events["carrier"].isin(keep), "carrier"] = OTHERS
        keep.append(OTHERS)
    counts = (
        events.groupby([pd.Grouper(key="created_at", freq=freq), "carrier"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=keep, fill_value=0)
    )
    periods = pd.DatetimeIndex(counts.index)
    return counts.reindex(pd.date_range(periods.min(), periods.max(), freq=freq), fill_value=0)


def _stacked_bars(ax: Any, counts: pd.DataFrame) -> None:
    """One bar per period, a band per carrier, 85% of a period wide."""
    import numpy as np
    import pandas as pd

    full = pd.DatetimeIndex(counts.index)
    # Bar widths are in days on a date axis.
    step = (full[1] - full[0]) / pd.Timedelta(days=1) if len(full) > 1 else 1.0
    width = 0.85 * float(step)
    bottom = np.zeros(len(counts))
    keep = list(counts.columns)
    x = full.to_pydatetime()
    for name, color in zip(keep, _colors(len(keep), others=keep[-1] == OTHERS), strict=True):
        values = counts[name].to_numpy(dtype=float)
        ax.bar(x, values, width=width, bottom=bottom, color=color, label=name, align="center")
        bottom += values


def _stacked_area(ax: Any, counts: pd.DataFrame) -> None:
    """A stacked area, a band per carrier (for many periods)."""
    import pandas as pd

    keep = list(counts.columns)
    ax.stackplot(
        pd.DatetimeIndex(counts.index).to_pydatetime(),
        *(counts[name].to_numpy(dtype=float) for name in keep),
        labels=keep,
        colors=_colors(len(keep), others=keep[-1] == OTHERS),
        alpha=0.9,
        linewidth=0,
    )


def _colors(n: int, *, others: bool) -> list[Any]:
    from matplotlib import colormaps

    palette: Any = getattr(colormaps["tab10"], "colors", ())
    colors = [palette[i % len(palette)] for i in range(n)]
    if others and colors:
        colors[-1] = "#b0b0b0"
    return colors
