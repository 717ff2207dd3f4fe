"""fk.explorer on what an analyst holds: a frame, a BatchResult, records, a store (with its
History and Sync tabs), a client; and what it refuses."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.notebook.audit_tab import not_run_html
from fulfillkit.notebook.charts_tab import ChartsTab
from fulfillkit.notebook.grid import Grid
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.state import ExplorerState
from fulfillkit.notebook.widgets import Explorer, explorer
from fulfillkit.sandbox import SandboxApp, make_dataset


def rows(grid: Grid) -> list[list[Any]]:
    assert grid.table is not None
    return list(json.loads(grid.table.get_state()["_dt_args"]["data_json"]))


@pytest.fixture
def closing() -> Iterator[list[Explorer]]:
    made: list[Explorer] = []
    yield made
    for widget in made:
        widget.close()


@pytest.fixture(scope="module")
def batch() -> fk.BatchResult:
    with fk.Client.sandbox(n=80, seed=9) as client:
        return client.get_many(
            [*client.sandbox_ids, "00000000-0000-4000-8000-000000000000"],
            remote_data=True,
            progress=False,
        )


def test_on_a_frame(batch: fk.BatchResult, closing: list[Explorer]) -> None:
    frame = batch.to_frame()
    ex = explorer(frame)
    closing.append(ex)
    assert ex.frame is frame and ex.fetch is None and ex.history is None and ex.sync is None
    assert "Source: the data given" in ex.title.value
    assert len(rows(ex.grid)) == len(frame)
    assert ex.tabs.titles == (
        "Fulfillments (80)", "Errors (0)", "Carrier report", "Audit", "Charts", "Log"
    )  # fmt: skip
    assert ex.progress.layout.display == "none"
    assert "80 of 80 fulfillments" in ex.progress_label.value


def test_on_a_batch_shows_its_errors(batch: fk.BatchResult, closing: list[Explorer]) -> None:
    ex = explorer(batch)
    closing.append(ex)
    assert ex.batch is batch
    assert ex.frame is not None and ex.frame["id"].nunique() == 80
    assert "shipment_status" in ex.frame.columns  # fetched with remote_data
    assert [r[0] for r in rows(ex.errors)] == ["00000000-0000-4000-8000-000000000000"]
    assert ex.tabs.titles[1] == "Errors (1)"


def test_on_records(closing: list[Explorer]) -> None:
    records = make_dataset(30, seed=2).fulfillments
    ex = explorer(records)
    closing.append(ex)
    assert ex.frame is not None and ex.frame["id"].nunique() == 30


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("fulfillments.parquet", "fk.explorer takes a to_frame"),
        ([1, 2], "item 0 is 'int'"),
        ({"id": "a"}, "a single record"),
        (fk.AsyncClient.sandbox(n=2), "not an AsyncClient"),
    ],
)
def test_refuses_what_it_cannot_show(data: object, message: str) -> None:
    with pytest.raises(fk.InvalidDataError, match=message):
        explorer(data)


def test_refuses_a_client_that_is_not_one() -> None:
    with pytest.raises(fk.InvalidDataError, match=r"client= takes a fk\.Client"):
        explorer(fk.Store(":memory:"), client="token")  # type: ignore[arg-type]


def test_on_a_client_fetches(closing: list[Explorer]) -> None:
    with fk.Client.sandbox(n=40, seed=4) as client:
        ex = explorer(client)
        closing.append(ex)
        assert ex.client is client and ex.fetch is not None and ex.frame is None
        ex.ids_text.value = "\n".join(client.sandbox_ids)
        ex.fetch_button.click()
        ex.wait(30)
        assert ex.frame is not None and ex.frame["id"].nunique() == 40


def test_audit_tab_lists_what_the_audit_did_not_run(
    batch: fk.BatchResult, closing: list[Explorer]
) -> None:
    frame = batch.to_frame()  # no orders joined: the order rules cannot run
    ex = explorer(frame)
    closing.append(ex)
    ex.tabs.selected_index = ex.tabs.children.index(ex.audit)
    expected = fk.audit(frame).attrs.get("not_run")
    if expected is None:  # an audit that does not say which rules ran
        assert ex.audit.not_run.value == ""
    else:
        assert ex.audit.not_run.value == not_run_html({str(k): str(v) for k, v in expected.items()})
        for rule in expected:
            assert f"<code>{rule}</code>" in ex.audit.not_run.value
    everything = len(rows(ex.audit.grid))
    ex.audit.severity.value = "warning"
    warnings = rows(ex.audit.grid)
    assert 0 < len(warnings) < everything and {r[0] for r in warnings} == {"warning"}
    assert "warning" in ex.audit.counts.value and "error</td>" not in ex.audit.counts.value


def test_not_run_html_escapes_and_lists() -> None:
    text = not_run_html({"slow_fulfillment": "orders joined (<fk.join_orders>)", "x": "y"})
    assert "<li><code>slow_fulfillment</code>: orders joined (&lt;fk.join_orders&gt;)</li>" in text
    assert text.count("<li>") == 2
    assert "Every rule ran" in not_run_html({}) and not_run_html(None) == ""


# --- a store ---------------------------------------------------------------------------


@pytest.fixture
def shop() -> Iterator[tuple[SandboxApp, fk.Client, fk.Store]]:
    """A sandbox whose shipments move on when told, its client and a store synced twice."""
    app = SandboxApp(make_dataset(600, seed=31), rate_limit=None)
    with fk.Client.sandbox(app=app) as client:
        store = fk.Store(":memory:")
        store.sync(client, progress=False)
        app.advance(days=5)  # the living shop: new fulfillments, parcels move on
        store.sync(client, progress=False)
        yield app, client, store


def test_on_a_store_history_tab(
    shop: tuple[SandboxApp, fk.Client, fk.Store], closing: list[Explorer]
) -> None:
    _, _, store = shop
    ex = explorer(store)
    closing.append(ex)
    assert ex.store is store and ex.fetch is None
    stored = int(store.sql("select count(*) as n from fulfillments")["n"][0])
    assert ex.frame is not None and ex.frame["id"].nunique() == stored > 600
    assert "fulfillment_lag" in ex.frame.columns  # the stored orders are joined
    assert ex.tabs.titles[-3:] == ("History", "Sync", "Log")
    assert ex.history is not None and ex.sync is not None
    assert ex.sync.sync_button.disabled  # no client: nothing to sync with
    assert "client=client" in ex.sync.status.value
    changed = [v for _, v in ex.history.pick.options if v]
    assert changed and all("(2 versions)" in label for label, v in ex.history.pick.options if v)
    ex.history.pick.value = changed[0]
    history = store.history(changed[0])
    assert ex.history.history is not None and len(ex.history.history) == 2
    assert [r[0] for r in rows(ex.history.grid)] == [str(c) for c in history.iloc[:, 0]]
    assert "shipment_status" in ex.history.changes.value
    before, after = history["shipment_status"].tolist()
    assert f"<td>{before or ''}</td>" in ex.history.changes.value
    assert f"<td>{after}</td>" in ex.history.changes.value
    ex.history.id_text.value = "  no-such-id "
    ex.history.show_button.click()
    assert "No fulfillment no-such-id in the store" in ex.history.changes.value
    ex.tabs.selected_index = ex.tabs.children.index(ex.charts)
    ex.charts.chart.value = "time_in_status"
    assert bytes(ex.chart.value).startswith(b"\x89PNG")
    ex.charts.chart.value = "lag"
    assert bytes(ex.chart.value).startswith(b"\x89PNG")


def test_charts_ask_for_status_changes_once_per_load() -> None:
    frame = fk.to_frame(
        [
            {"id": "a", "carrier": "UPS", "created_at": "2024-03-01T10:00:00Z"},
            {"id": "b", "carrier": "DHL", "created_at": "2024-03-02T10:00:00Z"},
        ]
    )
    changes = pd.DataFrame(
        {
            "id": ["a", "a", "b", "b"],
            "carrier": ["UPS", "UPS", "DHL", "DHL"],
            "to_status": ["in_transit", "delivered"] * 2,
            "changed_at": pd.to_datetime(
                ["2024-03-02", "2024-03-03", "2024-03-03", "2024-03-05"], utc=True
            ),
        }
    )
    asked: list[int] = []

    def status_changes() -> pd.DataFrame:
        asked.append(1)
        return changes

    state = ExplorerState(frame)
    tab = ChartsTab(state, Log(), changes=status_changes)
    tab.chart.value = "time_in_status"
    assert bytes(tab.image.value).startswith(b"\x89PNG") and len(asked) == 1
    state.set_filters(carrier="UPS")
    tab.render()
    assert bytes(tab.image.value).startswith(b"\x89PNG") and len(asked) == 1
    tab.loaded()  # the explorer loaded new data: asked again
    tab.render()
    assert len(asked) == 2


def test_sync_tab_syncs_in_a_worker_and_reloads(
    shop: tuple[SandboxApp, fk.Client, fk.Store], closing: list[Explorer]
) -> None:
    app, client, store = shop
    ex = explorer(store, client=client)
    closing.append(ex)
    assert ex.sync is not None and ex.history is not None
    versions_before = len(store.sql("select * from versions"))
    app.advance(days=5)
    ex.sync.refresh.value = "all"
    started = time.monotonic()
    ex.sync.sync_button.click()
    assert time.monotonic() - started < 0.5  # the click returns at once
    assert ex.running and ex.sync.sync_button.disabled
    assert not ex.sync.start()  # a second sync while one runs is refused
    ex.wait(60)
    assert ex.sync.last_report is not None and ex.sync.last_report.changed > 0
    assert "Synced in" in ex.sync.status.value
    assert "<b>SyncReport</b>" in ex.sync.report.value
    assert f"<td>changed</td><td class='fk-num'>{ex.sync.last_report.changed}</td>" in (
        ex.sync.report.value
    )
    assert not ex.sync.sync_button.disabled
    assert len(store.sql("select * from versions")) > versions_before
    assert any("(3 versions)" in label for label, _ in ex.history.pick.options)
    stored = int(store.sql("select count(*) as n from fulfillments")["n"][0])
    assert ex.tabs.titles[0] == f"Fulfillments ({stored})"  # reloaded: the new ones too


def test_sync_failure_is_shown_not_raised(closing: list[Explorer], tmp_path: Path) -> None:
    app = SandboxApp(make_dataset(10), rate_limit=None)
    store = fk.Store(tmp_path / "s.duckdb")
    with fk.Client.sandbox(transport=httpx.ASGITransport(app=app)) as client:
        store.sync(client, progress=False)
    wrong = fk.Client(
        "wrong-key",
        connection_token="sandbox-connection-token",
        base_url="http://sandbox.localhost",
        transport=httpx.ASGITransport(app=app),
    )
    try:
        ex = explorer(store, client=wrong)
        closing.append(ex)
        assert ex.sync is not None
        ex.sync.sync_button.click()
        ex.wait(30)
        assert "AuthenticationError" in ex.sync.status.value
        assert "wrong-key" not in ex.sync.status.value
        assert ex.frame is not None and ex.frame["id"].nunique() == 10  # still shown
    finally:
        wrong.close()


def test_an_empty_store(closing: list[Explorer]) -> None:
    ex = explorer(fk.Store(":memory:"))
    closing.append(ex)
    assert ex.frame is not None and ex.frame.empty
    assert ex.tabs.titles[0] == "Fulfillments (0)"
    assert isinstance(ex.state.grid_frame(), pd.DataFrame)
