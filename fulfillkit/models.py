"""Typed records for what Panora returns, validated straight from response bytes.

Panora documents eleven fields on a fulfillment and marks every one optional and nullable.
Real (Shopify) payloads are messier than the documented example, so the model is lenient
exactly where the data is:

* ``items`` is documented as an object, is ``{}`` in practice, and was meant to be a list of
  line items: ``None``, a dict or a list are all accepted and kept as they came.
* ``tracking_numbers`` / ``tracking_urls`` may be ``null``; numbers sent as JSON numbers are
  kept as strings.
* Unknown extra fields are kept (``model_extra``), never dropped.
* ``created_at`` / ``modified_at`` become timezone-aware datetimes (a naive value is read as
  UTC, which is what Panora stores). A value that cannot be parsed does not lose the
  record: the field becomes ``None`` and the raw text is kept in
  :attr:`Fulfillment.unparsed_timestamps`.

Validation runs once per response through prebuilt :class:`pydantic.TypeAdapter` objects
(:data:`FULFILLMENT_ADAPTER`), never through per-request model construction.

Example:
    >>> f = Fulfillment.model_validate({"id": "f1", "carrier": "UPS", "tracking_numbers": None})
    >>> f.carrier, f.tracking_numbers
    ('UPS', None)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from fulfillkit.formatting import (
    CARD_STYLE,
    escape,
    html_code,
    html_link,
    html_missing,
    short,
    to_json,
    when,
)

__all__ = [
    "FULFILLMENT_ADAPTER",
    "FULFILLMENT_PAGE_ADAPTER",
    "ORDER_ADAPTER",
    "ORDER_PAGE_ADAPTER",
    "Fulfillment",
    "FulfillmentPage",
    "Order",
    "OrderPage",
    "fulfillment_html",
    "fulfillment_text",
]

_TIMESTAMP_FIELDS = ("created_at", "modified_at")


def _as_aware(value: datetime | None) -> datetime | None:
    """Read a naive datetime as UTC: Panora stores and serves UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


AwareTimestamp = Annotated[datetime | None, AfterValidator(_as_aware)]


class _Record(BaseModel):
    """Shared config and timestamp leniency for Panora's unified records."""

    model_config = ConfigDict(
        extra="allow",
        coerce_numbers_to_str=True,
        frozen=False,
        populate_by_name=True,
    )

    id: str | None = None
    remote_id: str | None = None
    field_mappings: dict[str, Any] | None = None
    remote_data: dict[str, Any] | None = None
    created_at: AwareTimestamp = None
    modified_at: AwareTimestamp = None

    _unparsed_timestamps: dict[str, Any] = PrivateAttr(default_factory=dict)
    _raw_json: bytes | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _tolerate_bad_timestamps(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # Zero cost on the happy path: only a failed validation takes the slow road.
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            if not bad or not bad <= set(_TIMESTAMP_FIELDS):
                raise
            cleaned = dict(data)
            raw = {name: cleaned.pop(name) for name in sorted(bad)}
            record = handler(cleaned)
            record._unparsed_timestamps = raw
            return record

    @property
    def unparsed_timestamps(self) -> dict[str, Any]:
        """Raw values of timestamp fields that could not be parsed (usually empty)."""
        return dict(self._unparsed_timestamps)

    @property
    def raw_json(self) -> bytes | None:
        """The record exactly as the server sent it (UTF-8 JSON bytes), when the fetch
        asked to keep it (the store does); ``None`` otherwise."""
        return self._raw_json

    def keep_raw_json(self, raw: bytes) -> None:
        """Attach the bytes this record was parsed from (see :attr:`raw_json`)."""
        self._raw_json = raw


class Fulfillment(_Record):
    """One Panora e-commerce fulfillment (``UnifiedEcommerceFulfillmentOutput``).

    Every field is optional, as in Panora's spec. Extra fields are kept.

    Example:
        >>> Fulfillment.model_validate_json(b'{"id": "f1", "items": {}}').items
        {}
    """

    order_id: str | None = None
    carrier: str | None = None
    tracking_numbers: list[str | None] | None = None
    tracking_urls: list[str | None] | None = None
    items: dict[str, Any] | list[Any] | None = None

    def _repr_html_(self) -> str:
        return fulfillment_html(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else fulfillment_text(self))


class Order(_Record):
    """One Panora e-commerce order (``UnifiedEcommerceOrderOutput``), as far as joins need it.

    Example:
        >>> Order.model_validate({"id": "o1", "total_price": 12.5}).total_price
        12.5
    """

    order_status: str | None = None
    order_number: str | None = None
    payment_status: str | None = None
    currency: str | None = None
    total_price: float | None = None
    total_discount: float | None = None
    total_shipping: float | None = None
    total_tax: float | None = None
    fulfillment_status: str | None = None
    customer_id: str | None = None
    items: list[Any] | dict[str, Any] | None = None


class FulfillmentPage(BaseModel):
    """One page of ``GET /ecommerce/fulfillments``: cursors and records."""

    model_config = ConfigDict(extra="allow")

    prev_cursor: str | None = None
    next_cursor: str | None = None
    data: list[Fulfillment]


class OrderPage(BaseModel):
    """One page of ``GET /ecommerce/orders``: cursors and records."""

    model_config = ConfigDict(extra="allow")

    prev_cursor: str | None = None
    next_cursor: str | None = None
    data: list[Order]


FULFILLMENT_ADAPTER: TypeAdapter[Fulfillment] = TypeAdapter(Fulfillment)
ORDER_ADAPTER: TypeAdapter[Order] = TypeAdapter(Order)
FULFILLMENT_PAGE_ADAPTER: TypeAdapter[FulfillmentPage] = TypeAdapter(FulfillmentPage)
ORDER_PAGE_ADAPTER: TypeAdapter[OrderPage] = TypeAdapter(OrderPage)


# --- how a fulfillment shows in a terminal and in Jupyter --------------------------------------


def fulfillment_text(f: Fulfillment) -> str:
    """A plain-text summary of one fulfillment, a few lines long (its IPython pretty repr).

    Example:
        >>> print(fulfillment_text(Fulfillment(id="f1", carrier="UPS",
        ...     tracking_numbers=["1Z1"], tracking_urls=[])))
        Fulfillment f1
          carrier:   UPS
          order_id:  -
          tracking:  1Z1
    """
    rows: list[tuple[str, str]] = [
        ("carrier", short(f.carrier)),
        ("order_id", short(f.order_id)),
        ("tracking", ", ".join(short(n) for n in f.tracking_numbers or []) or "-"),
    ]
    if f.remote_id is not None:
        rows.insert(0, ("remote_id", short(f.remote_id)))
    if f.created_at is not None:
        rows.append(("created", when(f.created_at)))
    if f.modified_at is not None:
        rows.append(("modified", when(f.modified_at)))
    if f.field_mappings:
        rows.append(("fields", ", ".join(short(k) for k in f.field_mappings)))
    if f.unparsed_timestamps:
        rows.append(("unparsed", short(f.unparsed_timestamps)))
    lines = [f"Fulfillment {short(f.id)}"]
    lines.extend(f"  {name + ':':<10} {value}" for name, value in rows)
    return "\n".join(lines)


def fulfillment_html(f: Fulfillment) -> str:
    """One fulfillment as a small HTML table (its ``_repr_html_``): ids, carrier, tracking
    numbers paired with their URLs (links only when ``http(s)``), timestamps, field mappings
    and items. Every value from the API is escaped, quotes included.

    Example:
        >>> out = fulfillment_html(Fulfillment(id="x", tracking_urls=["javascript:alert(1)"]))
        >>> "href" in out, "javascript:alert(1)" in out
        (False, True)
    """
    rows: list[tuple[str, str]] = [
        ("id", html_code(f.id)),
        ("remote_id", html_code(f.remote_id)),
        ("order_id", html_code(f.order_id)),
        ("carrier", html_missing() if f.carrier is None else escape(short(f.carrier))),
        ("tracking", _tracking_html(f)),
        ("created_at", escape(when(f.created_at)) if f.created_at else html_missing()),
        ("modified_at", escape(when(f.modified_at)) if f.modified_at else html_missing()),
    ]
    if f.unparsed_timestamps:
        unparsed = escape(short(to_json(f.unparsed_timestamps)))
        rows.append(("unparsed", f"<span class='fk-bad'>{unparsed}</span>"))
    if f.field_mappings:
        inner = "".join(
            f"<tr><th>{escape(short(k))}</th><td>{escape(short(to_json(v)))}</td></tr>"
            for k, v in f.field_mappings.items()
        )
        rows.append(("field_mappings", f"<table>{inner}</table>"))
    if f.items:
        rows.append(("items", f"<code>{escape(short(to_json(f.items)))}</code>"))
    if f.model_extra:
        rows.append(("other fields", escape(short(", ".join(map(str, f.model_extra))))))
    if f.remote_data:
        rows.append(("remote_data", f"<span class='fk-muted'>{len(f.remote_data)} keys</span>"))
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f"<div class='fk-card'>{CARD_STYLE}<b>Fulfillment</b><table>{body}</table></div>"


def _tracking_html(f: Fulfillment) -> str:
    """Numbers and URLs paired by position, as a list (a missing side stays blank)."""
    numbers, urls = list(f.tracking_numbers or []), list(f.tracking_urls or [])
    if not numbers and not urls:
        return html_missing()
    size = max(len(numbers), len(urls))
    numbers += [None] * (size - len(numbers))
    urls += [None] * (size - len(urls))
    items = "".join(
        f"<li>{html_code(n)} {html_link(u)}</li>" for n, u in zip(numbers, urls, strict=True)
    )
    return f"<ul style='margin:0;padding-left:1.2em'>{items}</ul>"
