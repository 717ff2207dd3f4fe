"""The Fulfillment model accepts what real payloads contain and loses nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fulfillkit as fk
from fulfillkit.models import FULFILLMENT_ADAPTER

DOCUMENTED = {
    "id",
    "remote_id",
    "order_id",
    "carrier",
    "tracking_numbers",
    "tracking_urls",
    "items",
    "field_mappings",
    "remote_data",
    "created_at",
    "modified_at",
}


def test_the_eleven_documented_fields_all_optional() -> None:
    assert set(fk.Fulfillment.model_fields) == DOCUMENTED
    empty = fk.Fulfillment.model_validate({})
    assert all(getattr(empty, name) is None for name in DOCUMENTED)


@pytest.mark.parametrize("items", [None, {}, {"a": 1}, [], [{"sku": "X", "quantity": 2}]])
def test_items_any_real_shape_kept_as_is(items: Any) -> None:
    record = FULFILLMENT_ADAPTER.validate_json(json.dumps({"id": "f", "items": items}))
    assert record.items == items


def test_null_lists_and_numeric_tracking_numbers() -> None:
    record = FULFILLMENT_ADAPTER.validate_json(
        b'{"tracking_numbers": null, "tracking_urls": [null, "https://x"]}'
    )
    assert record.tracking_numbers is None
    assert record.tracking_urls == [None, "https://x"]
    numeric = fk.Fulfillment.model_validate({"tracking_numbers": [123456789012]})
    assert numeric.tracking_numbers == ["123456789012"]


def test_unknown_fields_are_kept() -> None:
    record = FULFILLMENT_ADAPTER.validate_json(b'{"id": "f", "shop_domain": "x.myshopify.com"}')
    assert record.model_extra == {"shop_domain": "x.myshopify.com"}
    assert record.model_dump()["shop_domain"] == "x.myshopify.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-10-01T12:00:00.123Z", datetime(2024, 10, 1, 12, 0, 0, 123000, tzinfo=UTC)),
        ("2024-10-01T12:00:00Z", datetime(2024, 10, 1, 12, tzinfo=UTC)),
        ("2024-10-01T08:00:00-04:00", datetime(2024, 10, 1, 12, tzinfo=UTC)),
        ("2024-10-01T12:00:00", datetime(2024, 10, 1, 12, tzinfo=UTC)),  # naive: UTC
    ],
)
def test_timestamps_become_aware(raw: str, expected: datetime) -> None:
    record = fk.Fulfillment.model_validate({"created_at": raw, "modified_at": raw})
    assert record.created_at == expected and record.modified_at == expected
    assert record.created_at is not None and record.created_at.utcoffset() is not None


def test_unparseable_timestamp_keeps_the_record() -> None:
    record = FULFILLMENT_ADAPTER.validate_json(
        b'{"id": "f1", "carrier": "UPS", "created_at": "yesterday-ish",'
        b' "modified_at": "2024-10-01T12:00:00.000Z"}'
    )
    assert record.id == "f1" and record.carrier == "UPS"
    assert record.created_at is None
    assert record.modified_at == datetime(2024, 10, 1, 12, tzinfo=UTC)
    assert record.unparsed_timestamps == {"created_at": "yesterday-ish"}


def test_other_type_errors_still_fail() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        FULFILLMENT_ADAPTER.validate_json(b'{"carrier": ["UPS"], "created_at": "bad"}')
    with pytest.raises(ValidationError):
        FULFILLMENT_ADAPTER.validate_json(b"null")


_text = st.text(max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@given(
    record_id=_text,
    numbers=st.none() | st.lists(st.none() | _text, max_size=4),
    urls=st.none() | st.lists(st.none() | _text, max_size=4),
    items=st.none() | st.dictionaries(_text, _json, max_size=3) | st.lists(_json, max_size=3),
    mappings=st.none() | st.dictionaries(_text, _json, max_size=4),
    created=st.none() | _text | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)
def test_any_plausible_record_validates_without_loss(
    record_id: str,
    numbers: list[str | None] | None,
    urls: list[str | None] | None,
    items: Any,
    mappings: dict[str, Any] | None,
    created: str | None,
) -> None:
    payload = {
        "id": record_id,
        "tracking_numbers": numbers,
        "tracking_urls": urls,
        "items": items,
        "field_mappings": mappings,
        "created_at": created,
    }
    record = FULFILLMENT_ADAPTER.validate_json(json.dumps(payload))
    assert record.id == record_id
    assert record.tracking_numbers == numbers and record.tracking_urls == urls
    assert record.items == items and record.field_mappings == mappings
    if record.created_at is None and created is not None:
        assert record.unparsed_timestamps == {"created_at": created}
    if record.created_at is not None:
        assert record.created_at.utcoffset() is not None
