"""fulfillkit: Panora e-commerce fulfillments, fetched fast and analysed in pandas.

Fetch one or thousands of fulfillments by id, concurrently, with retries that match how
Panora really fails; get typed records, a tidy DataFrame, a carrier report, CSV or
Parquet. An embedded Panora sandbox lets everything run with no credentials.

Example:
    >>> import fulfillkit as fk
    >>> with fk.Client.sandbox(n=50) as client:
    ...     batch = client.get_many(client.sandbox_ids, progress=False)
    >>> batch.ok, len(batch)
    (True, 50)

Importing the package has no side effects and does not import pandas: the DataFrame
functions (``to_frame``, ``export``, ``carrier_report``, ...) load it on first use.
"""

# No ``from __future__ import annotations`` and no helper left at module level: the
# module's globals are its public names (plus the submodules Python binds and ``_LAZY``),
# so that ``vars(fk)`` holds nothing else. A name is added by one line in ``__all__`` and,
# for a name loaded on first use, one line in ``_LAZY`` (and its import for type checkers).
import typing as _typing

from .client import AsyncClient, Client
from .errors import (
    APIStatusError,
    AuthenticationError,
    BatchInterrupted,
    CheckpointError,
    ClientClosedError,
    ConfigurationError,
    EndpointNotFoundError,
    FailedId,
    FetchFailed,
    FulfillkitError,
    InvalidDataError,
    InvalidIdError,
    InvalidResponseError,
    NetworkError,
    NotAStoreError,
    NotFoundError,
    OutputPathError,
    RateLimitError,
    ServerError,
    SinkError,
    StoreBusyError,
    StoreError,
    StoreVersionError,
    TimeoutError,
    UnknownCursorError,
    UnreachableError,
)
from .fetch.results import BatchResult, OrdersResult
from .fetch.retry import RetryPolicy
from .models import Fulfillment, Order
from .version import __version__

if _typing.TYPE_CHECKING:
    from .carriers import (
        canonical_carrier,
        canonical_carriers,
        detect_carrier,
        detect_carriers,
        tracking_url,
    )
    from .frames import (
        ExportFormatError,
        FieldMappingCollisionError,
        UnparsedTimestampWarning,
        export,
        items_frame,
        join_orders,
        orders_frame,
        read_frame,
        to_arrow,
        to_frame,
        to_polars,
    )
    from .notebook.display import display_report
    from .notebook.widgets import explorer
    from .reports import (
        audit,
        audit_summary,
        carrier_report,
        plot_carriers,
        plot_fulfillment_lag,
        plot_status_mix,
        plot_time_in_status,
        plot_timeline,
        plot_tracking_coverage,
        report_html,
        time_in_status,
    )
    from .store import Store, SyncReport, status_changes

del _typing

__all__ = [
    "APIStatusError",
    "AsyncClient",
    "AuthenticationError",
    "BatchInterrupted",
    "BatchResult",
    "CheckpointError",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "EndpointNotFoundError",
    "ExportFormatError",
    "FailedId",
    "FetchFailed",
    "FieldMappingCollisionError",
    "FulfillkitError",
    "Fulfillment",
    "InvalidDataError",
    "InvalidIdError",
    "InvalidResponseError",
    "NetworkError",
    "NotAStoreError",
    "NotFoundError",
    "Order",
    "OrdersResult",
    "OutputPathError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "SinkError",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StoreVersionError",
    "SyncReport",
    "TimeoutError",
    "UnknownCursorError",
    "UnparsedTimestampWarning",
    "UnreachableError",
    "__version__",
    "audit",
    "audit_summary",
    "canonical_carrier",
    "canonical_carriers",
    "carrier_report",
    "detect_carrier",
    "detect_carriers",
    "display_report",
    "explorer",
    "export",
    "items_frame",
    "join_orders",
    "orders_frame",
    "plot_carriers",
    "plot_fulfillment_lag",
    "plot_status_mix",
    "plot_time_in_status",
    "plot_timeline",
    "plot_tracking_coverage",
    "read_frame",
    "report_html",
    "status_changes",
    "time_in_status",
    "to_arrow",
    "to_frame",
    "to_polars",
    "tracking_url",
]

# Loaded on first use (pandas, pyarrow, matplotlib and ipywidgets stay unimported until
# then): public name -> the submodule that defines it.
_LAZY = {
    "ExportFormatError": "frames",
    "FieldMappingCollisionError": "frames",
    "UnparsedTimestampWarning": "frames",
    "audit": "reports",
    "audit_summary": "reports",
    "canonical_carrier": "carriers",
    "canonical_carriers": "carriers",
    "carrier_report": "reports",
    "detect_carrier": "carriers",
    "detect_carriers": "carriers",
    "display_report": "notebook.display",
    "explorer": "notebook.widgets",
    "export": "frames",
    "items_frame": "frames",
    "join_orders": "frames",
    "orders_frame": "frames",
    "plot_carriers": "reports",
    "plot_fulfillment_lag": "reports",
    "plot_status_mix": "reports",
    "plot_time_in_status": "reports",
    "plot_timeline": "reports",
    "plot_tracking_coverage": "reports",
    "time_in_status": "reports",
    "read_frame": "frames",
    "report_html": "reports",
    "to_arrow": "frames",
    "to_frame": "frames",
    "to_polars": "frames",
    "tracking_url": "carriers",
    "Store": "store",
    "SyncReport": "store",
    "status_changes": "store",
}


def __getattr__(name: str) -> object:
    """Load a name of ``_LAZY`` on first use and keep it (PEP 562); ``FetchError`` is the
    deprecated old name of ``FailedId`` (it warns)."""
    if name == "FetchError":
        from . import errors

        return errors.FetchError
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fulfillkit' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API, as ``__all__`` lists it (``dir(fk)``, tab completion)."""
    return sorted(__all__)
