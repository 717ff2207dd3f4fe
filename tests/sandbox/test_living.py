"""The living sandbox over HTTP: its clock, new rows, moving parcels, hooks, admin routes.

Every HTTP test runs in-process (``httpx.ASGITransport``) and over loopback HTTP to uvicorn
(``SandboxServer``); the truth each answer is checked against is the dataset's own
``*_at`` methods on a separately built dataset of the same ``(n, seed)``.
"""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from typing import IO, Any

import httpx
import pytest

from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    SandboxApp,
    make_dataset,
)
from fulfillkit.sandbox.clock import SandboxClock
from tests.sandbox.conftest import Connector

AUTH = {"x-api-key": SANDBOX_API_KEY, "x-connection-token": SANDBOX_CONNECTION_TOKEN}
KEY = {"x-api-key": SANDBOX_API_KEY}
FULFILLMENTS = "/ecommerce/fulfillments"
ORDERS = "/ecommerce/orders"
CURSOR_GONE = "The provided cursor does not exist!"
SANDBOX = [sys.executable, "-m", "fulfillkit", "sandbox", "--port", "0"]

Json = dict[str, Any]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _b64(record_id: str) -> str:
    return base64.b64encode(record_id.encode()).decode()


async def _pages(
    client: httpx.AsyncClient, path: str, limit: int, **params: str
) -> list[httpx.Response]:
    """Every page of a listing, following ``next_cursor`` to the end."""
    responses: list[httpx.Response] = []
    cursor: str | None = None
    while True:
        query = {"limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=AUTH)
        assert response.status_code == 200, response.text
        responses.append(response)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return responses
        assert len(responses) < 2000, "paging never ends"


def _rows(responses: list[httpx.Response]) -> list[Json]:
    return [row for response in responses for row in response.json()["data"]]


def _unique(rows: list[Json]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(row["id"], None)
    return list(seen)


async def _everything(client: httpx.AsyncClient, ids: list[str]) -> bytes:
    """The raw bytes of both listings (with remote data) and of retrieving ``ids``."""
    parts = [r.content for r in await _pages(client, FULFILLMENTS, 97, remote_data="true")]
    parts += [r.content for r in await _pages(client, ORDERS, 97, remote_data="true")]
    for record_id in ids:
        response = await client.get(f"{FULFILLMENTS}/{record_id}?remote_data=true", headers=AUTH)
        assert response.status_code == 200, response.text
        parts.append(response.content)
    return b"\n".join(parts)


# --- the clock -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_advancing_in_steps_equals_one_advance_equals_a_fresh_app(
    connect: Connector,
) -> None:
    n, seed = 1500, 21
    truth = make_dataset(n, seed=seed)
    later = truth.default_now + timedelta(days=5)
    newest = truth.fulfillment_ids_at(later)[-12:]
    stepped = SandboxApp(make_dataset(n, seed=seed), rate_limit=None)
    direct = SandboxApp(make_dataset(n, seed=seed), rate_limit=None)
    fresh = SandboxApp(make_dataset(n, seed=seed), now=later, rate_limit=None)
    served: list[bytes] = []
    async with connect(stepped) as client:
        stepped.advance(days=2)
        await _everything(client, [])  # serve (and cache) the middle state too
        stepped.advance(days=3)
        served.append(await _everything(client, newest))
    direct.advance(days=5)
    for app in (direct, fresh):
        async with connect(app) as client:
            served.append(await _everything(client, newest))
    assert stepped.now == direct.now == fresh.now == later
    assert served[0] == served[1] == served[2]
    bodies = [json.loads(line) for line in served[0].split(b"\n")]
    pages = [body["data"] for body in bodies if "data" in body]
    rows = [row for page in pages for row in page if "tracking_numbers" in row]
    assert len(_unique(rows)) == len(truth.fulfillment_ids_at(later)) > n
    assert any(row["modified_at"] > _iso(truth.default_now) for row in rows[:n])


@pytest.mark.anyio
async def test_new_rows_appear_in_created_at_order_with_ties(connect: Connector) -> None:
    dataset = make_dataset(4000, seed=22)
    truth = make_dataset(4000, seed=22)
    app = SandboxApp(dataset, rate_limit=None)
    async with connect(app) as client:
        before = _unique(_rows(await _pages(client, FULFILLMENTS, 500)))
        assert before == truth.fulfillment_ids
        app.advance(days=10)
        rows = _rows(await _pages(client, FULFILLMENTS, 25))  # boundaries fall inside ties
    ids = _unique(rows)
    assert ids == truth.fulfillment_ids_at(app.now)
    assert ids[: truth.n] == before and len(ids) > truth.n
    assert len(rows) > len(ids), "pages overlap at ties"
    stamps = [row["created_at"] for row in {row["id"]: row for row in rows}.values()]
    assert stamps == sorted(stamps)
    new = stamps[truth.n :]
    assert len(new) > len(set(new)), "rows of one sync batch share created_at"
    assert all(_iso(truth.default_now) < stamp <= _iso(app.now) for stamp in new)


@pytest.mark.anyio
async def test_rows_not_yet_created_are_unknown_until_they_are(connect: Connector) -> None:
    truth = make_dataset(800, seed=23)
    later = truth.default_now + timedelta(days=10)
    future = truth.fulfillment_ids_at(later)[-1]
    future_order = truth.order_ids_at(later)[-1]
    app = SandboxApp(make_dataset(800, seed=23), rate_limit=None)
    async with connect(app) as client:
        gone = await client.get(f"{FULFILLMENTS}/{future}", headers=AUTH)
        assert gone.status_code == 500
        assert gone.json()["message"] == f"Fulfillment with ID {future} not found."
        order = await client.get(f"{ORDERS}/{future_order}", headers=AUTH)
        assert order.json()["message"] == f"Order with ID {future_order} not found."
        cursor = {"cursor": _b64(future)}
        listed = await client.get(FULFILLMENTS, params=cursor, headers=AUTH)
        assert (listed.status_code, listed.json()["message"]) == (500, CURSOR_GONE)
        app.advance(days=10)
        found = await client.get(f"{FULFILLMENTS}/{future}?remote_data=true", headers=AUTH)
        assert found.status_code == 200
        assert found.json() == truth.fulfillment_at(future, later, remote_data=True)
        listed = await client.get(FULFILLMENTS, params=cursor, headers=AUTH)
        assert listed.status_code == 200
        assert future in [row["id"] for row in listed.json()["data"]]
        order = await client.get(f"{ORDERS}/{future_order}", headers=AUTH)
        assert order.json() == truth.order_at(future_order, later)


@pytest.mark.anyio
async def test_open_records_move_and_the_others_stay_byte_identical(
    connect: Connector,
) -> None:
    truth = make_dataset(1000, seed=24)
    start = truth.default_now
    changed = truth.changed_fulfillment_ids(None, start + timedelta(days=10))
    assert len(changed) >= 5
    final = [
        r["id"]
        for r in truth.fulfillments
        if r["remote_data"]["status"] in {"cancelled", "error", "failure"}
        or (r["tracking_numbers"] and r["remote_data"]["shipment_status"] == "delivered")
    ][::10]
    steady = [i for i in truth.fulfillment_ids[::25] if i not in changed]
    app = SandboxApp(make_dataset(1000, seed=24), rate_limit=None)

    async def retrieve(client: httpx.AsyncClient, ids: list[str]) -> dict[str, bytes]:
        got = {}
        for record_id in ids:
            response = await client.get(f"{FULFILLMENTS}/{record_id}?remote_data=1", headers=AUTH)
            assert response.status_code == 200, response.text
            got[record_id] = response.content
        return got

    async with connect(app) as client:
        before = await retrieve(client, [*changed, *steady, *final])
        app.advance(days=10)
        moved = await retrieve(client, [*changed, *steady])
        listed = {r["id"]: r for r in _rows(await _pages(client, FULFILLMENTS, 200))}
        app.advance(days=80)
        late = await retrieve(client, final)
    for record_id in steady:
        assert moved[record_id] == before[record_id]
    for record_id in final:
        assert late[record_id] == before[record_id], "a final fulfillment never changes"
    for record_id in changed:
        was, now = json.loads(before[record_id]), json.loads(moved[record_id])
        assert _iso(start) < now["modified_at"] <= _iso(start + timedelta(days=10))
        assert now["modified_at"] > was["modified_at"]
        assert now["remote_data"]["updated_at"] != was["remote_data"]["updated_at"]
        assert now == truth.fulfillment_at(
            record_id, app.now - timedelta(days=80), remote_data=True
        )
        assert listed[record_id] == {k: v for k, v in now.items() if k != "remote_data"}


# --- test hooks ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_row_inserted_ahead_in_a_tie_and_a_deleted_cursor_row(
    connect: Connector,
) -> None:
    dataset = make_dataset(300, seed=11)
    ids, records = dataset.fulfillment_ids, dataset.fulfillments
    tie = next(
        i for i in range(1, len(ids)) if records[i]["created_at"] == records[i - 1]["created_at"]
    )
    app = SandboxApp(dataset, rate_limit=None)
    async with connect(app) as client:
        first = (await client.get(FULFILLMENTS, params={"limit": tie}, headers=AUTH)).json()
        assert first["next_cursor"] == _b64(ids[tie])  # the client stopped inside the tie
        new_id = dataset.insert_fulfillment(records[tie]["created_at"])
        resumed = await client.get(
            FULFILLMENTS, params={"limit": 5, "cursor": first["next_cursor"]}, headers=AUTH
        )
        served = [row["id"] for row in resumed.json()["data"]]
        assert served[:3] == [new_id, ids[tie - 1], ids[tie]]  # the tie, re-served in order
        everything = _unique(_rows(await _pages(client, FULFILLMENTS, 40)))
        assert everything == [*ids[: tie - 1], new_id, *ids[tie - 1 :]]
        got = await client.get(f"{FULFILLMENTS}/{new_id}", headers=AUTH)
        assert got.status_code == 200 and got.json()["created_at"] == records[tie]["created_at"]

        page = (await client.get(FULFILLMENTS, params={"limit": 100}, headers=AUTH)).json()
        stored = page["next_cursor"]
        victim = base64.b64decode(stored).decode()
        dataset.delete_fulfillment(victim)
        stale = await client.get(FULFILLMENTS, params={"cursor": stored}, headers=AUTH)
        assert (stale.status_code, stale.json()["message"]) == (500, CURSOR_GONE)
        lost = await client.get(f"{FULFILLMENTS}/{victim}", headers=AUTH)
        assert lost.json()["message"] == f"Fulfillment with ID {victim} not found."
        remaining = _unique(_rows(await _pages(client, FULFILLMENTS, 40)))
        assert victim not in remaining and len(remaining) == len(everything) - 1


# --- the admin routes ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_admin_routes_move_and_read_the_clock(connect: Connector) -> None:
    truth = make_dataset(500, seed=25)
    app = SandboxApp(make_dataset(500, seed=25), rate_limit=(2, 60))
    start = app.now
    async with connect(app) as client:
        missing = await client.post("/_sandbox/advance", params={"days": "2"})
        assert (missing.status_code, missing.json()["message"]) == (401, "Unauthorized")
        wrong = await client.post(
            "/_sandbox/advance", params={"days": "2"}, headers={"x-api-key": "nope"}
        )
        assert (wrong.status_code, wrong.json()["message"]) == (500, "API Key not found.")
        assert app.now == start
        moved = await client.post(
            "/_sandbox/advance", params={"days": "2", "hours": "6"}, headers=KEY
        )
        assert moved.status_code == 200, moved.text
        later = start + timedelta(days=2, hours=6)
        assert app.now == later
        assert moved.json() == {
            "now": _iso(later),
            "default_now": _iso(start),
            "fulfillments": len(truth.fulfillment_ids_at(later)),
            "orders": len(truth.order_ids_at(later)),
        }
        clock = await client.get("/_sandbox/clock", headers=KEY)
        assert clock.json() == moved.json()
        assert "x-ratelimit-limit" not in clock.headers  # not Panora's: never throttled
        for query, reason in (
            ("days=-1", "never moves backward"),
            ("days=soon", "must be a number"),
            ("days=inf", "finite"),
            ("day=1", "unknown parameter 'day'"),
            ("days=1&days=2", "given 2 times"),
        ):
            bad = await client.post(f"/_sandbox/advance?{query}", headers=KEY)
            assert bad.status_code == 400
            assert reason in bad.json()["message"]
        for method, path in (
            ("GET", "/_sandbox/advance"),
            ("HEAD", "/_sandbox/advance"),
            ("POST", "/_sandbox/clock"),
            ("DELETE", "/_sandbox/advance"),
            ("GET", "/_sandbox/other"),
            ("POST", "/ecommerce/fulfillments"),
        ):
            unknown = await client.request(method, path, headers=KEY)
            assert unknown.status_code == 404, (method, path)
            if method != "HEAD":
                assert unknown.json()["message"] == f"Cannot {method} {path}"
        assert app.now == later
        for _ in range(2):  # the admin calls left Panora's window untouched
            listed = await client.get(FULFILLMENTS, params={"limit": "1"}, headers=AUTH)
            assert listed.status_code == 200
        throttled = await client.get(FULFILLMENTS, params={"limit": "1"}, headers=AUTH)
        assert throttled.status_code == 429
    assert app.stats.by_route["sandbox.advance"] == 11
    assert app.stats.by_route["sandbox.clock"] == 2


def test_the_clock_only_moves_forward() -> None:
    dataset = make_dataset(50, seed=26)
    with pytest.raises(ValueError, match="timezone-aware"):
        SandboxApp(dataset, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="before this dataset's default now"):
        SandboxApp(dataset, now=dataset.default_now - timedelta(milliseconds=1))
    with pytest.raises(ValueError, match="clock speed"):
        SandboxApp(dataset, clock_speed=-1)
    app = SandboxApp(dataset, now=dataset.default_now + timedelta(days=3))
    assert app.now == dataset.default_now + timedelta(days=3)
    bad: list[dict[str, Any]] = [
        {"days": -1},
        {"hours": math.nan},
        {"minutes": math.inf},
        {"days": "1"},
        {"seconds": True},
    ]
    for amounts in bad:
        with pytest.raises(ValueError, match=r"days|hours|minutes|seconds"):
            app.advance(**amounts)
    assert app.now == dataset.default_now + timedelta(days=3)
    assert app.advance(hours=1.5) == dataset.default_now + timedelta(days=3, hours=1.5)
    assert "now=" in repr(app)

    ticks = [100.0]
    clock = SandboxClock(0, speed=2.0, timer=lambda: ticks[0])  # 2 days per minute
    ticks[0] += 30.0
    assert clock.now_ms() == 86_400_000
    clock.advance(hours=1)
    assert clock.now_ms() == 90_000_000
    assert clock.set(clock.now + timedelta(minutes=1)) == clock.now
    with pytest.raises(ValueError, match="backward"):
        clock.set(clock.now - timedelta(minutes=1))


# --- the command line ----------------------------------------------------------------------


def _line(stream: IO[str] | None, timeout: float = 30.0) -> str:
    """The stream's next line, or fail after ``timeout`` seconds (never hang)."""
    assert stream is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines, f"nothing printed within {timeout} s"
    return lines[0].strip()


def test_the_command_line_serves_at_now_prints_credentials_and_advances() -> None:
    truth = make_dataset(300, seed=4)
    now = truth.default_now + timedelta(days=40)
    process = subprocess.Popen(
        [*SANDBOX, "--n", "300", "--seed", "4", "--rate-limit", "off", "--now", now.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _line(process.stdout)
        assert [_line(process.stderr) for _ in range(3)] == [
            f"PANORA_API_KEY={SANDBOX_API_KEY}",
            f"PANORA_CONNECTION_TOKEN={SANDBOX_CONNECTION_TOKEN}",
            f"PANORA_BASE_URL={url}",
        ]
        listed = httpx.get(f"{url}{FULFILLMENTS}", params={"limit": 1000}, headers=AUTH, timeout=10)
        ids = [row["id"] for row in listed.json()["data"]]
        assert ids == truth.fulfillment_ids_at(now) and len(ids) > truth.n
        moved = httpx.post(f"{url}/_sandbox/advance?days=3", headers=KEY, timeout=10)
        assert moved.json()["now"] == _iso(now + timedelta(days=3))
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--now", "2000-01-01"], "before this dataset's default now"),
        (["--now", "someday"], "not an ISO date"),
        (["--clock-speed", "-2"], "days per minute"),
    ],
)
def test_the_command_line_refuses_a_bad_clock_in_one_line(flags: list[str], message: str) -> None:
    done = subprocess.run(
        [*SANDBOX, "--n", "5", *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
