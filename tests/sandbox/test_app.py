"""The embedded Panora sandbox: realistic data, fidelity to the real server, faults.

Every HTTP behaviour is checked both in-process (``httpx.ASGITransport``) and over loopback
HTTP to uvicorn (``SandboxServer``), with plain httpx clients, and every 200 response of the
fulfillment endpoints is validated against Panora's own OpenAPI schema.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from fulfillkit.cli import build_parser
from fulfillkit.sandbox import (
    FAST_RATE_LIMIT,
    PANORA_RATE_LIMIT,
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Dataset,
    Faults,
    SandboxApp,
    SandboxServer,
    SandboxStats,
    make_dataset,
)
from fulfillkit.sandbox import tracking as tn
from fulfillkit.sandbox.__main__ import add_arguments
from fulfillkit.sandbox.app import DroppedConnection
from fulfillkit.sandbox.faults import PERMANENT_KINDS, TRANSIENT_KINDS
from fulfillkit.sandbox.ratelimit import RATE_LIMIT_ENV, parse_rate_limit
from fulfillkit.sandbox.server import bind_socket
from tests.sandbox.conftest import Connector

AUTH = {"x-api-key": SANDBOX_API_KEY, "x-connection-token": SANDBOX_CONNECTION_TOKEN}
FULFILLMENTS = "/ecommerce/fulfillments"
ORDERS = "/ecommerce/orders"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
PANORA_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
SHOPIFY_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
MISSING = "0b6f1d7e-9a51-4c1f-8e0b-6a2b4b1f9c3d"  # a valid UUID no dataset holds
TYPE_ERROR = "TypeError: Cannot read properties of undefined (reading '{}')"
PRISMA_TAKE = (
    "\nInvalid `prisma.{}.findMany()` invocation:\n\n\n"
    "Argument `take`: Invalid value provided. Expected Int, provided Float."
)

Json = dict[str, Any]


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data() -> Dataset:
    return make_dataset(300, seed=11)


@pytest.fixture(scope="module")
def big() -> Dataset:
    """Large enough for the rare shapes (formula titles, unicode keys) to be certain."""
    return make_dataset(3000, seed=5)


def _reference_dir() -> Path:
    default = Path(__file__).resolve().parents[3] / "shared" / "reference"
    return Path(os.environ.get("FULFILLKIT_REFERENCE_DIR", default))


@pytest.fixture(scope="module")
def spec_validators() -> dict[str, OAS30Validator]:
    """OAS 3.0 validators for the two 200 responses, built from Panora's own spec."""
    path = _reference_dir() / "panora-fulfillments-openapi.json"
    if not path.is_file():
        pytest.skip(f"upstream spec not present: {path} (set FULFILLKIT_REFERENCE_DIR)")
    spec = json.loads(path.read_text(encoding="utf-8"))
    validators = {}
    for name, route in (("list", FULFILLMENTS), ("retrieve", FULFILLMENTS + "/{id}")):
        content = spec["paths"][route]["get"]["responses"]["200"]["content"]
        schema = {**content["application/json"]["schema"], "components": spec["components"]}
        validators[name] = OAS30Validator(schema)
    return validators


def _errors(validator: OAS30Validator, body: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(body)]


async def _list_all(client: httpx.AsyncClient, path: str, limit: int, **params: str) -> list[Json]:
    pages: list[Json] = []
    cursor: str | None = None
    while True:
        query = {"limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=AUTH)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 1000, "paging never ends"


# --- data ------------------------------------------------------------------------------


def test_datasets_are_deterministic_per_seed() -> None:
    first, again, other = make_dataset(200, seed=3), make_dataset(200, seed=3), make_dataset(200)
    assert json.dumps(first.fulfillments) == json.dumps(again.fulfillments)
    assert json.dumps(first.orders) == json.dumps(again.orders)
    assert not set(first.fulfillment_ids) & set(other.fulfillment_ids)
    assert len(first.fulfillment_ids) == len(first.fulfillments) == 200
    assert make_dataset(0).fulfillments == []


def test_records_look_like_panora_over_shopify(data: Dataset) -> None:
    orders = {order["id"]: order for order in data.orders}
    kinds: Counter[str] = Counter()
    for record in data.fulfillments:
        assert list(record) == [
            *("id", "carrier", "tracking_urls", "tracking_numbers", "items", "order_id"),
            *("field_mappings", "remote_id", "created_at", "modified_at", "remote_data"),
        ]
        assert UUID4.fullmatch(record["id"])
        assert PANORA_TIME.fullmatch(record["created_at"])
        assert PANORA_TIME.fullmatch(record["modified_at"])
        assert record["modified_at"] >= record["created_at"]
        order_id = record["order_id"]
        if order_id is None:
            kinds["null order"] += 1
        elif order_id in orders:
            kinds["joined"] += 1
            assert orders[order_id]["created_at"] < record["created_at"]
        else:
            kinds["dangling order"] += 1
        numbers, urls = record["tracking_numbers"], record["tracking_urls"]
        kinds[f"numbers {numbers if not numbers else 'some'}"] += 1
        kinds[f"urls {urls if not urls else 'some'}"] += 1
        if numbers and urls is not None and len(urls) != len(numbers):
            kinds["lengths differ"] += 1
        kinds[f"items {record['items']!r}"] += 1
        kinds["mapped" if record["field_mappings"] else "unmapped"] += 1
    assert kinds["joined"] > 250
    assert kinds["null order"]
    assert kinds["dangling order"]
    for shape in ("numbers None", "numbers []", "urls None", "urls []", "lengths differ"):
        assert kinds[shape], shape
    assert kinds["items {}"] > kinds["items None"] > 0
    assert kinds["unmapped"] > kinds["mapped"] > 0
    carriers = {record["carrier"] for record in data.fulfillments}
    assert {None, "Other", "UPS", "USPS", "FedEx"} <= carriers
    assert carriers & {"ups", " UPS ", "United Parcel Service"}
    created = [record["created_at"] for record in data.fulfillments]
    assert created == sorted(created), "records are in list (created_at) order"
    assert len(set(created)) < len(created), "some rows share created_at"


def test_remote_data_is_the_shopify_fulfillment(data: Dataset, big: Dataset) -> None:
    statuses: Counter[str | None] = Counter()
    for record in data.fulfillments:
        remote = record["remote_data"]
        assert record["remote_id"] == str(remote["id"])
        assert remote["admin_graphql_api_id"] == f"gid://shopify/Fulfillment/{remote['id']}"
        assert remote["tracking_company"] == record["carrier"]
        assert remote["tracking_numbers"] == (record["tracking_numbers"] or [])
        assert remote["tracking_number"] == (record["tracking_numbers"] or [None])[0]
        assert re.fullmatch(r"#\d{4,}\.\d", remote["name"])
        assert remote["service"] == "manual"
        assert SHOPIFY_TIME.fullmatch(remote["created_at"])
        assert SHOPIFY_TIME.fullmatch(remote["updated_at"])
        assert isinstance(remote["order_id"], int)
        assert isinstance(remote["location_id"], int)
        assert 1 <= len(remote["line_items"]) <= 4
        for line in remote["line_items"]:
            assert re.fullmatch(r"\d+\.\d\d", line["price"])
            assert line["quantity"] >= 1
            assert {"id", "sku", "product_id", "variant_id", "title", "name"} <= set(line)
        statuses[remote["status"]] += 1
        statuses[remote["shipment_status"]] += 1
    assert statuses.most_common(1)[0][0] == "success"
    assert {"delivered", "in_transit", None} <= set(statuses)
    # Orders: Shopify ids matching the fulfillments (their shape: test_orders_as_panora...).
    orders = {order["id"]: order for order in data.orders}
    for record in data.fulfillments:
        order = orders.get(record["order_id"])
        if order is not None:
            assert record["remote_data"]["order_id"] == order["remote_data"]["id"]
    titles = {
        line["title"] for record in big.fulfillments for line in record["remote_data"]["line_items"]
    }
    assert any(title.startswith("=") for title in titles)


def test_orders_have_no_items_and_whole_number_totals(data: Dataset) -> None:
    money = ("total_price", "total_discount", "total_shipping", "total_tax")
    rounded = 0
    for order in data.orders:
        assert "items" not in order
        remote = order["remote_data"]
        assert remote["line_items"], "the line items live in remote_data"
        for name in money:
            assert type(order[name]) is int and order[name] >= 0, (name, order[name])
        exact = {
            "total_price": remote["total_price"],
            "total_discount": remote["total_discounts"],
            "total_tax": remote["total_tax"],
            "total_shipping": remote["total_shipping_price_set"]["shop_money"]["amount"],
        }
        for name, text in exact.items():
            assert re.fullmatch(r"\d+\.\d\d", text), text
            cents = int(text.replace(".", ""))
            assert order[name] == (cents + 50) // 100, (name, text)  # rounded, half up
            rounded += cents % 100 != 0
    assert rounded, "some totals had cents that the whole numbers drop"


def test_field_mappings_are_flat_strings_unless_tolerance_is_asked_for(big: Dataset) -> None:
    mappings = [r["field_mappings"] for r in (*big.fulfillments, *big.orders)]
    assert sum(map(bool, mappings)) < len(mappings) / 2, "mostly {}"
    values = [v for fm in mappings for v in fm.values()]
    assert values and all(type(v) is str for v in values)
    assert {"true", "false", "2", "0901"} <= set(values), "numbers and booleans come as text"
    assert any(any(not key.isascii() for key in fm) for fm in mappings)
    formula = [v for v in values if v[:1] in "=+-@"]
    assert {value[0] for value in formula} == set("=+-@")
    tolerant = make_dataset(3000, seed=5, tolerance_mappings=True)
    odd = [
        r["field_mappings"]
        for r in tolerant.fulfillments
        if any(type(v) is not str for v in r["field_mappings"].values())
    ]
    assert 0 < len(odd) < len(tolerant.fulfillments) * 0.05, len(odd)
    assert any(any(isinstance(v, dict) for v in fm.values()) for fm in odd)
    assert any(any(isinstance(v, bool | int | float) for v in fm.values()) for fm in odd)
    # Only the mappings differ: the rest of every record is the default dataset's.
    for plain, loose in zip(big.fulfillments, tolerant.fulfillments, strict=True):
        assert {**plain, "field_mappings": None} == {**loose, "field_mappings": None}


def test_list_items_are_opt_in() -> None:
    assert not any(isinstance(r["items"], list) for r in make_dataset(400, seed=2).fulfillments)
    drifted = make_dataset(400, seed=2, list_items=True).fulfillments
    lists = [r["items"] for r in drifted if isinstance(r["items"], list)]
    assert lists
    assert all(isinstance(item, dict) and "sku" in item for i in lists for item in i)


def test_check_digit_validators_agree_with_published_samples() -> None:
    # (validator, samples, position of the check digit) from carriers' and UPU's examples.
    cases: list[tuple[Callable[[str], bool], list[str], int]] = [
        (tn.is_valid_ups, ["1Z5R89390357567127", "1Z879E930346834440", "1Z999AA10123456784"], -1),
        (tn.is_valid_usps_impb, ["9261292700768711948021"], -1),
        (tn.is_valid_fedex_express, ["986578788855", "477179081230", "799531274483"], -1),
        (tn.is_valid_dhl_express, ["3318810025", "8487135506", "1099255990"], -1),
        (tn.is_valid_s10, ["RR123456785GB"], 10),
    ]
    for check, samples, position in cases:
        for sample in samples:
            assert check(sample), sample
            chars = list(sample)
            chars[position] = str((int(chars[position]) + 1) % 10)
            assert not check("".join(chars)), chars


_FAMILIES: dict[str, Callable[[str], bool]] = {
    **dict.fromkeys(["UPS", "ups", " UPS ", "United Parcel Service"], tn.is_valid_ups),
    **dict.fromkeys(["USPS", "usps"], tn.is_valid_usps_impb),
    **dict.fromkeys(["FedEx", "Fedex", "FEDEX", "FedEx Ground"], tn.is_valid_fedex_express),
    **dict.fromkeys(["DHL", "DHL Express", "dhl"], tn.is_valid_dhl_express),
    **dict.fromkeys(["Royal Mail", "Canada Post", "La Poste", "Australia Post"], tn.is_valid_s10),
}


def test_tracking_numbers_have_valid_check_digits(big: Dataset) -> None:
    checked: Counter[Callable[[str], bool]] = Counter()
    for record in big.fulfillments:
        check = _FAMILIES.get(record["carrier"] or "")
        for number in record["tracking_numbers"] or []:
            if check is not None:
                assert check(number), (record["carrier"], number)
                checked[check] += 1
        for number, url in zip(
            record["tracking_numbers"] or [], record["tracking_urls"] or [], strict=False
        ):
            assert number in url
    assert set(checked) == set(_FAMILIES.values())
    suffixes = {n[-2:] for r in big.fulfillments for n in r["tracking_numbers"] or []}
    assert {"GB", "CA", "FR", "AU"} <= suffixes


# --- the HTTP surface ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_retrieve_and_remote_data_quirk(connect: Connector, data: Dataset) -> None:
    app = SandboxApp(data)
    fid = data.fulfillment_ids[5]
    async with connect(app) as client:
        plain = await client.get(f"{FULFILLMENTS}/{fid}", headers=AUTH)
        assert plain.status_code == 200
        assert plain.headers["content-type"].startswith("application/json")
        assert plain.json() == data.get_fulfillment(fid)
        assert "remote_data" not in plain.json()
        full = data.get_fulfillment(fid, remote_data=True)
        assert full is not None
        for value in ("true", "false", "0", "no"):
            response = await client.get(f"{FULFILLMENTS}/{fid}?remote_data={value}", headers=AUTH)
            assert response.json() == full
        empty = await client.get(f"{FULFILLMENTS}/{fid}?remote_data=", headers=AUTH)
        assert "remote_data" not in empty.json()
        upper = await client.get(f"{FULFILLMENTS}/{fid.upper()}", headers=AUTH)
        assert upper.json()["id"] == fid  # Postgres compares UUIDs, not strings
        oid = data.order_ids[3]
        order = await client.get(f"{ORDERS}/{oid}", headers=AUTH, params={"remote_data": "true"})
        assert order.json() == data.get_order(oid, True)
        again = await client.get(f"{FULFILLMENTS}/{fid}", headers=AUTH)
        assert again.content == plain.content


def _error_cases(data: Dataset) -> list[tuple[str, dict[str, str], int, str]]:
    fid = data.fulfillment_ids[0]
    cursor = base64.b64encode(MISSING.encode()).decode()
    no_uuid = base64.b64encode(b"not-a-uuid").decode()
    key_only = {"x-api-key": SANDBOX_API_KEY}
    return [
        (f"{FULFILLMENTS}/{fid}", {}, 401, "Unauthorized"),
        (FULFILLMENTS, {"x-connection-token": SANDBOX_CONNECTION_TOKEN}, 401, "Unauthorized"),
        (f"{FULFILLMENTS}/{fid}", {**AUTH, "x-api-key": "sk_live_x"}, 500, "API Key not found."),
        (
            FULFILLMENTS,
            {**key_only, "x-connection-token": "tok-123"},
            500,
            "ReferenceError: Connection undefined for token tok-123",
        ),
        (
            f"{ORDERS}?limit=5",
            {**key_only, "x-connection-token": "tok-123"},
            500,
            "ReferenceError: Connection undefined for token tok-123",
        ),
        (
            f"{FULFILLMENTS}/{fid}",
            {**key_only, "x-connection-token": "tok-123"},
            500,
            "Connection undefined for token tok-123",
        ),
        (f"{FULFILLMENTS}/{MISSING}", AUTH, 500, f"Fulfillment with ID {MISSING} not found."),
        (f"{ORDERS}/{MISSING}", AUTH, 500, f"Order with ID {MISSING} not found."),
        (f"{FULFILLMENTS}?limit=abc", AUTH, 400, "Bad Request"),
        (f"{FULFILLMENTS}?limit=-1", AUTH, 500, TYPE_ERROR.format("id_ecom_fulfilment")),
        (f"{ORDERS}?limit=-20", AUTH, 500, TYPE_ERROR.format("id_ecom_order")),
        (f"{FULFILLMENTS}?limit=2.5", AUTH, 500, PRISMA_TAKE.format("ecom_fulfilments")),
        (f"{ORDERS}?limit=0.5", AUTH, 500, PRISMA_TAKE.format("ecom_orders")),
        (f"{FULFILLMENTS}?limit=Infinity", AUTH, 400, "Bad Request"),
        (f"{FULFILLMENTS}?remote_data=yes", AUTH, 400, "Bad Request"),
        (f"{FULFILLMENTS}?cursor={no_uuid}", AUTH, 400, "Bad Request"),
        (f"{ORDERS}?limit=x", AUTH, 400, "Bad Request"),
        (f"{FULFILLMENTS}?cursor={cursor}", AUTH, 500, "The provided cursor does not exist!"),
        ("/ecommerce/fulfilments?limit=1", AUTH, 404, "Cannot GET /ecommerce/fulfilments?limit=1"),
        (f"{FULFILLMENTS}/{fid}/items", AUTH, 404, f"Cannot GET {FULFILLMENTS}/{fid}/items"),
        ("/", AUTH, 404, "Cannot GET /"),
    ]


@pytest.mark.anyio
async def test_every_documented_error(connect: Connector, data: Dataset) -> None:
    app = SandboxApp(data)
    async with connect(app) as client:
        for path, headers, status, message in _error_cases(data):
            response = await client.get(path, headers=headers)
            assert (response.status_code, response.json()["message"]) == (status, message), path
            body = response.json()
            assert list(body) == ["statusCode", "timestamp", "path", "message"]
            assert body["statusCode"] == status
            assert body["path"] == path
            assert PANORA_TIME.fullmatch(body["timestamp"])
            assert response.headers["content-type"].startswith("application/json")
            assert response.headers["access-control-allow-origin"] == "*"
        posted = await client.post(FULFILLMENTS, headers=AUTH, json={})
        assert (posted.status_code, posted.json()["message"]) == (
            404,
            f"Cannot POST {FULFILLMENTS}",
        )
        bad_uuid = await client.get(f"{FULFILLMENTS}/not-a-uuid", headers=AUTH)
        assert bad_uuid.status_code == 500
        assert "Error creating UUID, invalid character" in bad_uuid.json()["message"]
        assert "found `n` at 1" in bad_uuid.json()["message"]
    assert app.stats.by_status[500] >= 6
    assert app.stats.by_status[404] == 4


@pytest.mark.anyio
async def test_path_ids_arrive_decoded_and_verbatim(connect: Connector, data: Dataset) -> None:
    app = SandboxApp(data)
    ids = ["a/b", "a?b=1", "a#b", "100%", "two words", "..", ".", "ünïcødé", "a%2Fb"]
    async with connect(app) as client:
        for record_id in ids:
            encoded = urllib.parse.quote(record_id, safe="").replace(".", "%2E")
            response = await client.get(f"{FULFILLMENTS}/{encoded}", headers=AUTH)
            assert response.status_code == 500, record_id
            assert "Error creating UUID" in response.json()["message"]
            assert response.json()["path"] == f"{FULFILLMENTS}/{encoded}"
        broken = await client.get(f"{FULFILLMENTS}/%FF", headers=AUTH)
        assert (broken.status_code, broken.json()["message"]) == (
            400,
            "Failed to decode param '%FF'",
        )
    assert app.stats.seen_ids == ids
    assert app.stats.per_id["a/b"] == 1
    assert f"{FULFILLMENTS}/%2E%2E" in app.stats.raw_paths
    assert app.stats.by_route["fulfillments.retrieve"] == len(ids) + 1


@pytest.mark.anyio
async def test_missing_connection_token_serves_another_connection(
    connect: Connector, data: Dataset
) -> None:
    app = SandboxApp(data)
    async with connect(app) as client:
        headers = {"x-api-key": SANDBOX_API_KEY}
        response = await client.get(FULFILLMENTS, headers=headers, params={"limit": "20"})
        assert response.status_code == 200
        served = [record["id"] for record in response.json()["data"]]
        assert len(served) == 20
        assert not set(served) & set(data.fulfillment_ids)
        assert served == app.other_dataset.fulfillment_ids[:20]
        # Retrieve ignores the connection upstream: the other connection's ids leak too.
        leaked = await client.get(f"{FULFILLMENTS}/{served[0]}", headers=AUTH)
        assert leaked.status_code == 200
        assert leaked.json()["id"] == served[0]


@pytest.mark.anyio
async def test_pagination_to_the_end(connect: Connector, data: Dataset) -> None:
    app = SandboxApp(data)
    created = [record["created_at"] for record in data.fulfillments]
    tie = next(i for i in range(1, len(created)) if created[i] == created[i - 1])
    async with connect(app) as client:
        # A page boundary inside a tie: the next page re-serves the tied row.
        first = (await client.get(FULFILLMENTS, params={"limit": tie}, headers=AUTH)).json()
        assert base64.b64decode(first["next_cursor"]).decode() == data.fulfillment_ids[tie]
        assert first["prev_cursor"] is None
        cursor = first["next_cursor"]
        second = (
            await client.get(FULFILLMENTS, params={"limit": tie, "cursor": cursor}, headers=AUTH)
        ).json()
        assert second["data"][0]["id"] == first["data"][-1]["id"]
        assert second["prev_cursor"] == cursor
        pages = await _list_all(client, FULFILLMENTS, tie)
        seen = [record["id"] for page in pages for record in page["data"]]
        assert len(seen) > len(set(seen)), "ties make pages overlap"
        assert set(seen) == set(data.fulfillment_ids)
        assert pages[-1]["next_cursor"] is None
        assert all(p["next_cursor"] for p in pages[:-1])
        default = await _list_all(client, FULFILLMENTS, 50, remote_data="true")
        assert [r["id"] for p in default for r in p["data"]][:50] == data.fulfillment_ids[:50]
        assert all("remote_data" in r for p in default for r in p["data"])
        everything = (await client.get(FULFILLMENTS, params={"limit": 10_000}, headers=AUTH)).json()
        assert [r["id"] for r in everything["data"]] == data.fulfillment_ids
        assert everything["next_cursor"] is None
        zero = (await client.get(FULFILLMENTS, params={"limit": 0}, headers=AUTH)).json()
        assert zero["data"] == []
        assert zero["next_cursor"] is not None
        orders = await _list_all(client, ORDERS, 50)
        assert [r["id"] for p in orders for r in p["data"]] == data.order_ids


def _rate(response: httpx.Response) -> tuple[str, str, int] | None:
    """(limit, remaining, reset seconds) from the X-RateLimit-* headers, or None."""
    if "x-ratelimit-limit" not in response.headers:
        assert not any(name.startswith("x-ratelimit") for name in response.headers)
        return None
    headers = response.headers
    reset = int(headers["x-ratelimit-reset"])
    return headers["x-ratelimit-limit"], headers["x-ratelimit-remaining"], reset


@pytest.mark.anyio
async def test_rate_limit_is_panoras_by_default_and_configurable(
    connect: Connector, data: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(RATE_LIMIT_ENV, raising=False)
    faithful = SandboxApp(data)
    assert PANORA_RATE_LIMIT == (100, 60.0)
    async with connect(faithful) as client:
        fid, oid = data.fulfillment_ids[0], data.order_ids[0]
        for path in (f"{FULFILLMENTS}/{fid}", FULFILLMENTS, f"{ORDERS}/{oid}", ORDERS):
            response = await client.get(path, headers=AUTH)
            assert response.status_code == 200
            rate = _rate(response)
            assert rate is not None, path
            assert rate[:2] == ("100", "99"), "each route has its own window"
            assert 0 < rate[2] <= 60
        for path, status in ((f"{FULFILLMENTS}/{fid}", 401), (f"{ORDERS}?limit=x", 400)):
            response = await client.get(path, headers={} if status == 401 else AUTH)
            assert response.status_code == status
            assert _rate(response) is not None, "errors count and carry the headers too"
        unknown = await client.get("/ecommerce/shipments", headers=AUTH)
        assert unknown.status_code == 404
        assert _rate(unknown) is None, "no route, no throttle"
    monkeypatch.setenv(RATE_LIMIT_ENV, "off")
    async with connect(SandboxApp(data)) as client:
        assert _rate(await client.get(FULFILLMENTS, headers=AUTH)) is None
    monkeypatch.setenv(RATE_LIMIT_ENV, "7/2")
    async with connect(SandboxApp(data)) as client:
        rate = _rate(await client.get(FULFILLMENTS, headers=AUTH))
        assert rate is not None and rate[:2] == ("7", "6") and rate[2] <= 2
    async with connect(SandboxApp(data, rate_limit=PANORA_RATE_LIMIT)) as client:
        rate = _rate(await client.get(FULFILLMENTS, headers=AUTH))
        assert rate is not None and rate[0] == "100", "an explicit limit beats the variable"
    with pytest.raises(ValueError, match="LIMIT/SECONDS"):
        parse_rate_limit("fast")
    assert parse_rate_limit(" 5 ") == (5, 60.0)
    assert FAST_RATE_LIMIT[0] / FAST_RATE_LIMIT[1] >= 1000, "fast enough for demos"


@pytest.mark.anyio
async def test_rate_limit_headers_and_429(connect: Connector, data: Dataset) -> None:
    fid = data.fulfillment_ids[0]
    async with connect(SandboxApp(data, rate_limit=None)) as client:
        response = await client.get(f"{FULFILLMENTS}/{fid}", headers=AUTH)
        assert _rate(response) is None
    app = SandboxApp(data, rate_limit=(3, 60))
    async with connect(app) as client:
        remaining = []
        for _ in range(3):
            response = await client.get(f"{FULFILLMENTS}/{fid}", headers=AUTH)
            assert response.status_code == 200
            rate = _rate(response)
            assert rate is not None and rate[0] == "3"
            assert 0 < rate[2] <= 60
            remaining.append(rate[1])
        assert remaining == ["2", "1", "0"]
        throttled = await client.get(f"{FULFILLMENTS}/{fid}", headers=AUTH)
        assert throttled.status_code == 429
        assert throttled.json()["message"] == "ThrottlerException: Too Many Requests"
        assert 0 < int(throttled.headers["retry-after"]) <= 60
        assert _rate(throttled) == ("3", "0", int(throttled.headers["retry-after"]))
        assert throttled.headers["access-control-allow-origin"] == "*"
        unauthenticated = await client.get(f"{FULFILLMENTS}/{fid}")
        assert unauthenticated.status_code == 429, "the throttle runs before auth"
        listed = await client.get(FULFILLMENTS, headers=AUTH)  # another route, another window
        assert listed.status_code == 200
        assert listed.headers["x-ratelimit-remaining"] == "2"
        error = await client.get(f"{FULFILLMENTS}?limit=x", headers=AUTH)
        assert error.status_code == 400
        assert error.headers["x-ratelimit-remaining"] == "1"
    # Per client: another IP has its own windows on the same app.
    async with connect(app, client_ip="127.0.0.2") as other:
        response = await other.get(f"{FULFILLMENTS}/{fid}", headers=AUTH)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-remaining"] == "2"
    short = SandboxApp(data, rate_limit=(1, 0.3))
    async with connect(short) as client:
        assert (await client.get(FULFILLMENTS, headers=AUTH)).status_code == 200
        assert (await client.get(FULFILLMENTS, headers=AUTH)).status_code == 429
        await asyncio.sleep(0.35)
        assert (await client.get(FULFILLMENTS, headers=AUTH)).status_code == 200


@pytest.mark.anyio
async def test_cors_on_every_answer_and_options_is_204(connect: Connector, data: Dataset) -> None:
    app = SandboxApp(data, rate_limit=(2, 60))
    fid = data.fulfillment_ids[0]
    preflight = {
        "origin": "https://app.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "x-api-key,x-connection-token",
    }
    paths = [FULFILLMENTS, f"{FULFILLMENTS}/{fid}", f"{ORDERS}?limit=3", "/no/such/route", "/"]
    async with connect(app) as client:
        for path in paths:
            response = await client.options(path, headers=preflight)
            assert response.status_code == 204, path
            assert response.content == b""
            assert response.headers["access-control-allow-origin"] == "*"
            assert "GET" in response.headers["access-control-allow-methods"].split(",")
            assert response.headers["access-control-allow-headers"] == (
                "x-api-key,x-connection-token"
            )
            assert _rate(response) is None, "CORS answers before the throttle"
        bare = await client.options(FULFILLMENTS)
        assert bare.status_code == 204
        assert "access-control-allow-headers" not in bare.headers
        ok = await client.get(f"{FULFILLMENTS}/{fid}", headers=AUTH)
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "*"
        assert ok.headers["x-ratelimit-remaining"] == "1", "OPTIONS did not count"
        for path, status in ((f"{FULFILLMENTS}/{fid}", 401), ("/nope", 404)):
            response = await client.get(path)
            assert response.status_code == status
            assert response.headers["access-control-allow-origin"] == "*"
    assert app.stats.by_status[204] == len(paths) + 1


@pytest.mark.anyio
async def test_retrieve_accepts_upper_case_uuids(connect: Connector, data: Dataset) -> None:
    app = SandboxApp(data)
    async with connect(app) as client:
        for path, rid in ((FULFILLMENTS, data.fulfillment_ids[7]), (ORDERS, data.order_ids[7])):
            for params in ({}, {"remote_data": "true"}):
                lower = await client.get(f"{path}/{rid}", params=params, headers=AUTH)
                assert lower.status_code == 200
                for variant in (rid.upper(), rid[:13].upper() + rid[13:]):
                    response = await client.get(f"{path}/{variant}", params=params, headers=AUTH)
                    assert response.status_code == 200, variant
                    assert response.content == lower.content, "the canonical record"
                    assert response.json()["id"] == rid
        missing = await client.get(f"{FULFILLMENTS}/{MISSING.upper()}", headers=AUTH)
        assert (missing.status_code, missing.json()["message"]) == (
            500,
            f"Fulfillment with ID {MISSING.upper()} not found.",
        )
        for bad in ("NOT-A-UUID", data.fulfillment_ids[0].upper() + "0"):
            response = await client.get(f"{FULFILLMENTS}/{bad}", headers=AUTH)
            assert response.status_code == 500, bad
            assert "Error creating UUID" in response.json()["message"]


@pytest.mark.anyio
async def test_orders_over_http_have_no_items_and_whole_totals(
    connect: Connector, data: Dataset
) -> None:
    money = ("total_price", "total_discount", "total_shipping", "total_tax")
    async with connect(SandboxApp(data)) as client:
        pages = await _list_all(client, ORDERS, 100, remote_data="true")
        listed = [order for page in pages for order in page["data"]]
        assert [order["id"] for order in listed] == data.order_ids
        one = await client.get(f"{ORDERS}/{data.order_ids[2]}", headers=AUTH)
        for order in (*listed, one.json()):
            assert "items" not in order
            assert all(type(order[name]) is int for name in money), order
        assert b'"items"' not in one.content


@pytest.mark.anyio
async def test_limit_is_parsed_like_javascripts_number(connect: Connector, data: Dataset) -> None:
    async with connect(SandboxApp(data)) as client:
        for text, rows in (("1.0", 1), ("1e1", 10), ("0x4", 4), ("-0", 0), ("", 0)):
            response = await client.get(FULFILLMENTS, params={"limit": text}, headers=AUTH)
            assert response.status_code == 200, text
            body = response.json()
            assert [r["id"] for r in body["data"]] == data.fulfillment_ids[:rows], text
        zero = (await client.get(FULFILLMENTS, params={"limit": "0"}, headers=AUTH)).json()
        assert zero["data"] == []
        assert zero["next_cursor"] == base64.b64encode(data.fulfillment_ids[0].encode()).decode()
        for text, status in (("-3", 500), ("0.5", 500), ("1e-1", 500), ("ten", 400), ("NaN", 400)):
            response = await client.get(FULFILLMENTS, params={"limit": text}, headers=AUTH)
            assert response.status_code == status, text
        # Validation (400) comes first, then the connection, then the database (500).
        both = await client.get(f"{FULFILLMENTS}?limit=-1&remote_data=yes", headers=AUTH)
        assert both.status_code == 400
        token = {**AUTH, "x-connection-token": "nope"}
        unknown = await client.get(f"{FULFILLMENTS}?limit=-1", headers=token)
        assert unknown.json()["message"].startswith("ReferenceError: Connection undefined")


# --- faults ------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("kind", [k for k in TRANSIENT_KINDS + PERMANENT_KINDS if k != "ok"])
async def test_every_fault_kind(
    kind: str, connect: Connector, data: Dataset, request: pytest.FixtureRequest
) -> None:
    fid = data.fulfillment_ids[1]
    faults = Faults(script={fid: [kind]}, retry_after=0.05, slow_seconds=0.4)
    app = SandboxApp(data, faults=faults)
    url = f"{FULFILLMENTS}/{fid}"
    async with connect(app) as client:
        started = time.perf_counter()
        try:
            response = await client.get(url, headers=AUTH, timeout=httpx.Timeout(5, read=0.2))
        except httpx.TransportError as exc:
            response = None
            error: httpx.TransportError | None = exc
        else:
            error = None
        elapsed = time.perf_counter() - started
        if kind in {"drop", "truncate"}:
            assert isinstance(error, httpx.RemoteProtocolError | httpx.ReadError), error
        elif kind == "slow" and connect.mode == "asgi":
            assert response is not None
            assert response.status_code == 200
            assert elapsed >= 0.4
        elif kind == "slow":
            assert isinstance(error, httpx.ReadTimeout), error
        else:
            assert response is not None, error
            _check_fault_response(kind, response, fid, request)
        healthy = await client.get(url, headers=AUTH)
        assert healthy.status_code == 200
        assert healthy.json() == data.get_fulfillment(fid)
    assert faults.injected == Counter({kind: 1})


def _check_fault_response(
    kind: str, response: httpx.Response, fid: str, request: pytest.FixtureRequest
) -> None:
    status = response.status_code
    if kind in {"502", "503", "504"}:
        assert status == int(kind)
        assert response.headers["content-type"].startswith("text/html")
        assert "access-control-allow-origin" not in response.headers, "nginx's page, not Nest's"
    elif kind == "429":
        assert status == 429
        assert response.headers["retry-after"] == "0.05"
        assert response.json()["message"] == "ThrottlerException: Too Many Requests"
    elif kind == "500":
        assert (status, response.json()["message"]) == (500, "Internal server error")
    elif kind == "not_found":
        assert (status, response.json()["message"]) == (
            500,
            f"Fulfillment with ID {fid} not found.",
        )
    elif kind == "invalid_json":
        assert status == 200
        with pytest.raises(json.JSONDecodeError):
            response.json()
    elif kind == "html":
        assert status == 200
        assert response.headers["content-type"].startswith("text/html")
    elif kind == "null":
        assert status == 200
        assert response.json() is None
    elif kind == "wrong_types":
        body = response.json()
        assert isinstance(body["tracking_numbers"], int)
        assert isinstance(body["carrier"], list)
        validators: dict[str, OAS30Validator] = request.getfixturevalue("spec_validators")
        assert _errors(validators["retrieve"], body), "the spec must reject wrong types"
    else:  # pragma: no cover - every kind is listed above
        raise AssertionError(kind)


def test_fault_rate_is_deterministic_and_fails_then_heals() -> None:
    ids = make_dataset(1000, seed=1).fulfillment_ids
    one, two = Faults(rate=0.3, seed=9), Faults(rate=0.3, seed=9)
    planned = [one.planned(i) for i in ids]
    assert planned == [two.planned(i) for i in ids]
    assert planned != [Faults(rate=0.3, seed=10).planned(i) for i in ids]
    assert 0.24 < sum(p is not None for p in planned) / len(ids) < 0.36
    assert set(planned) - {None} == set(TRANSIENT_KINDS)
    faulty = next(i for i, p in zip(ids, planned, strict=True) if p is not None)
    twice = Faults(rate=0.3, seed=9, failures_per_id=2)
    assert [twice.next(faulty) for _ in range(3)] == [planned[ids.index(faulty)]] * 2 + ["ok"]
    assert Faults().planned(faulty) is None
    with pytest.raises(ValueError, match="unknown fault kinds"):
        Faults(script={"x": ["teapot"]})


def test_fault_hash_does_not_depend_on_pythonhashseed() -> None:
    code = (
        "from fulfillkit.sandbox import Faults;"
        "print([Faults(rate=0.5, seed=3).planned(str(i)) for i in range(40)])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {repr([Faults(rate=0.5, seed=3).planned(str(i)) for i in range(40)]) + "\n"}


@pytest.mark.anyio
async def test_list_pages_can_fault_too(connect: Connector, data: Dataset) -> None:
    faults = Faults(script={"list:": ["503", "drop"]})
    async with connect(SandboxApp(data, faults=faults)) as client:
        assert (await client.get(FULFILLMENTS, headers=AUTH)).status_code == 503
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(FULFILLMENTS, headers=AUTH)
        assert (await client.get(FULFILLMENTS, headers=AUTH)).status_code == 200


@pytest.mark.anyio
async def test_asgi_drop_raises_the_transport_error_httpx_uses() -> None:
    app = SandboxApp(n=5)
    app.faults = Faults(script={app.dataset.fulfillment_ids[0]: ["drop"]})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        with pytest.raises(DroppedConnection) as caught:
            await client.get(f"{FULFILLMENTS}/{app.dataset.fulfillment_ids[0]}", headers=AUTH)
    assert isinstance(caught.value, httpx.RemoteProtocolError)


# --- spec fidelity -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_every_200_validates_against_panoras_spec(
    connect: Connector, data: Dataset, spec_validators: dict[str, OAS30Validator]
) -> None:
    app = SandboxApp(data)
    over_http = connect.mode == "uvicorn"  # fewer retrieves over real HTTP: same bytes
    async with connect(app) as client:
        ids = data.fulfillment_ids + app.other_dataset.fulfillment_ids[:5]
        for fid in ids[:: 10 if over_http else 1]:
            for params in ({}, {"remote_data": "true"}):
                response = await client.get(f"{FULFILLMENTS}/{fid}", params=params, headers=AUTH)
                assert response.status_code == 200
                assert not _errors(spec_validators["retrieve"], response.json()), fid
        for remote in ("true", "false"):
            for page in await _list_all(client, FULFILLMENTS, 37, remote_data=remote):
                assert not _errors(spec_validators["list"], page)
        zero = await client.get(FULFILLMENTS, params={"limit": 0}, headers=AUTH)
        assert not _errors(spec_validators["list"], zero.json())
    # The validators are not vacuous: they reject what the spec forbids.
    assert _errors(spec_validators["list"], {"data": []})  # cursors are required
    assert _errors(spec_validators["retrieve"], {"tracking_urls": "https://x"})
    drifted = make_dataset(200, seed=2, list_items=True).fulfillments
    listed = next(r for r in drifted if isinstance(r["items"], list))
    assert _errors(spec_validators["retrieve"], listed), "items is an object in the spec"


# --- stats, lifespan, servers ---------------------------------------------------------------


@pytest.mark.anyio
async def test_stats_record_routing_facts_and_never_secrets(data: Dataset) -> None:
    app = SandboxApp(data)
    assert isinstance(app.stats, SandboxStats)
    secret = {"x-api-key": SANDBOX_API_KEY + "-secret", "x-connection-token": "tok-secret"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        await client.get(f"{FULFILLMENTS}/{data.fulfillment_ids[0]}", headers=AUTH)
        await client.get(FULFILLMENTS, params={"limit": 3, "cursor": "x y"}, headers=secret)
        await client.get("/nope", headers=AUTH)
    stats = app.stats
    assert stats.requests == 3
    assert stats.by_route == Counter(
        {"fulfillments.retrieve": 1, "fulfillments.list": 1, "unknown": 1}
    )
    assert stats.by_status == Counter({200: 1, 500: 1, 404: 1})
    assert stats.queries == ["", "limit=3&cursor=x+y", ""]
    assert stats.raw_paths == [f"{FULFILLMENTS}/{data.fulfillment_ids[0]}", FULFILLMENTS, "/nope"]
    assert "secret" not in repr(vars(stats))
    assert SANDBOX_API_KEY not in repr(vars(stats))
    stats.reset()
    assert (stats.requests, stats.seen_ids, stats.raw_paths, stats.by_status) == (0, [], [], {})


@pytest.mark.anyio
async def test_lifespan_and_latency() -> None:
    app = SandboxApp(n=3, latency=0.1)
    sent: list[dict[str, Any]] = []
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        started = time.perf_counter()
        await asyncio.gather(*(client.get(FULFILLMENTS, headers=AUTH) for _ in range(5)))
        assert 0.1 <= time.perf_counter() - started < 0.45, "latency is per request, concurrent"


def test_server_binds_a_nodelay_ready_socket_and_stops(data: Dataset) -> None:
    sock = bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP  # so asyncio sets TCP_NODELAY
    finally:
        sock.close()
    with SandboxServer(SandboxApp(data)) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
        with httpx.Client(base_url=server.url, headers=AUTH) as client:
            assert client.get(FULFILLMENTS, params={"limit": 1}).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}{FULFILLMENTS}")


def _first_line(process: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The process's first stdout line, or fail after ``timeout`` seconds (never hang)."""
    lines: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines, f"no URL printed within {timeout} s"
    return lines[0].strip()


@pytest.mark.parametrize(
    ("command", "flags", "limit"),
    [
        (["-m", "fulfillkit.sandbox"], [], "100"),
        (["-m", "fulfillkit", "sandbox"], [], "100"),
        (["-m", "fulfillkit.sandbox"], ["--rate-limit", "2/30"], "2"),
        (["-m", "fulfillkit", "sandbox"], ["--rate-limit", "2/30"], "2"),
        (["-m", "fulfillkit", "sandbox"], ["--rate-limit", "off"], None),
    ],
)
def test_both_command_lines_serve_in_their_own_process(
    command: list[str], flags: list[str], limit: str | None
) -> None:
    env = {k: v for k, v in os.environ.items() if k != RATE_LIMIT_ENV}  # Panora's default
    process = subprocess.Popen(
        [sys.executable, *command, "--port", "0", "--n", "30", "--seed", "4", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        url = _first_line(process)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        response = httpx.get(
            f"{url}{FULFILLMENTS}", params={"limit": 100}, headers=AUTH, timeout=10
        )
        ids = [record["id"] for record in response.json()["data"]]
        assert ids == make_dataset(30, seed=4).fulfillment_ids
        assert response.headers.get("x-ratelimit-limit") == limit
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_both_command_lines_share_one_option_set() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    cli = build_parser()
    for argv in (
        [],
        ["--port", "0", "--n", "30", "--seed", "4", "--latency", "0.01", "--host", "::1"],
        ["--rate-limit", "5/2", "--fault-rate", "0.1"],
        ["--rate-limit", "off"],
        ["--now", "2026-02-01", "--clock-speed", "0.5"],
    ):
        via_fulfillkit = vars(cli.parse_args(["sandbox", *argv]))
        assert via_fulfillkit.pop("command") == "sandbox"
        via_fulfillkit.pop("func")
        assert via_fulfillkit == vars(parser.parse_args(argv)), argv
    assert parser.parse_args([]).rate_limit == "default"
    assert parser.parse_args(["--rate-limit", "5/2"]).rate_limit == (5, 2.0)
    assert parser.parse_args(["--rate-limit", "OFF"]).rate_limit is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--rate-limit", "fast"])
