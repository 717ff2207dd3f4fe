"""The explorer widget, driven from Python as a person would drive it: buttons clicked,
values set, then what it shows and writes is checked."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import fulfillkit as fk
from fulfillkit.frames import read_frame
from fulfillkit.notebook.grid import Grid
from fulfillkit.notebook.widgets import PAGE_SIZE, Explorer, explorer, ids_from_file, parse_ids
from fulfillkit.reports.carriers import fulfillment_labels
from fulfillkit.sandbox import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN, SandboxApp, make_dataset

MISSING = "00000000-0000-4000-8000-00000000beef"


@pytest.fixture
def client() -> Iterator[fk.Client]:
    with fk.Client.sandbox(n=130, seed=11) as c:
        yield c


@pytest.fixture
def ex(client: fk.Client, tmp_path: Path) -> Iterator[Explorer]:
    widget = explorer(client, export_dir=tmp_path / "exports")
    yield widget
    widget.close()


def fetch(ex: Explorer, ids: list[str], *, remote_data: bool = False) -> None:
    ex.ids_text.value = "\n".join(ids)
    ex.remote_data.value = remote_data
    ex.fetch_button.click()
    ex.wait(30)


def grid_state(grid: Grid) -> dict[str, Any]:
    """What the grid widget sends to the browser (its synced DataTables arguments)."""
    assert grid.table is not None
    return dict(grid.table.get_state()["_dt_args"])


def grid_rows(grid: Grid) -> list[list[Any]]:
    return list(json.loads(grid_state(grid)["data_json"]))


def test_fetch_fills_grid_errors_report_and_charts(ex: Explorer, client: fk.Client) -> None:
    ids = [*client.sandbox_ids, MISSING, "not-a-uuid"]
    fetch(ex, ids)
    assert ex.batch is not None and ex.frame is not None
    assert len(ex.batch.fulfillments) == 130 and len(ex.batch.errors) == 2
    # progress: all done, errors counted, the bar says "not all well"
    assert ex.progress.value == ex.progress.max == 132
    assert ex.progress.bar_style == "warning"
    assert "130 fetched" in ex.progress_label.value and "2 failed" in ex.progress_label.value
    # the grid holds every row (a small selection), in frame order, ids in full
    rows = grid_rows(ex.grid)
    assert len(rows) == len(ex.frame) > PAGE_SIZE
    assert [r[0] for r in rows] == ex.frame["id"].tolist()
    assert grid_state(ex.grid)["pageLength"] == PAGE_SIZE
    assert ex.fulfillments.summary.value == f"130 of 130 fulfillments ({len(ex.frame)} rows)"
    # the errors: both ids, with their kind
    errors = grid_rows(ex.errors)
    assert {r[0] for r in errors} == {MISSING, "not-a-uuid"}
    assert "2 errors (not_found: 2)" in ex.errors.note.value
    # the report now; the audit and the charts when their tab is opened
    assert "Carrier report" in ex.report.value and "(130 fulfillments" in ex.report.value
    assert ex.chart.value == b""
    ex.tabs.selected_index = ex.tabs.children.index(ex.charts)
    assert bytes(ex.chart.value).startswith(b"\x89PNG")
    ex.tabs.selected_index = ex.tabs.children.index(ex.audit)
    assert ex.audit.grid.table is not None and "findings" in ex.audit.grid.note.value
    titles = ("Fulfillments (130)", "Errors (2)", "Carrier report", "Audit", "Charts")
    assert ex.tabs.titles[:5] == titles
    assert ex.tabs.titles[-1] == "Log"
    assert not ex.fetch_button.disabled and ex.stop_button.disabled
    assert not ex.csv_button.disabled and not ex.parquet_button.disabled


def test_grid_options_sort_search_conditions_columns_and_short_ids(
    ex: Explorer, client: fk.Client
) -> None:
    fetch(ex, client.sandbox_ids[:80])
    state = grid_state(ex.grid)
    layout = state["layout"]
    assert layout["top1"] == "searchBuilder"  # per-column conditions (dates: between)
    assert layout["topStart"] == {"buttons": ["colvis"]}  # column visibility
    assert layout["topEnd"] == "search"
    assert state["order"] == [] and state.get("ordering", True)  # every column sorts
    columns = list(ex.grid.frame.columns)
    short = [d for d in state["columnDefs"] if "fk-short" in d["render"]]
    assert short and short[0]["targets"] == [columns.index("id"), columns.index("order_id")]
    assert ["columnDefs", 0, "render"] in state["keys_to_be_evaluated"]
    assert "downsampling_warning" not in state or not state["downsampling_warning"]


def test_windows_of_a_large_selection(client: fk.Client, tmp_path: Path) -> None:
    widget = explorer(client, export_dir=tmp_path, window_rows=50)
    try:
        fetch(widget, client.sandbox_ids)
        assert widget.frame is not None
        n = len(widget.frame)
        windows = -(-n // 50)
        assert len(grid_rows(widget.grid)) == 50
        assert f"Rows 1–50 of {n:,} (window 1 of {windows}" in widget.grid.note.value
        assert widget.fulfillments.prev_button.disabled
        widget.fulfillments.next_button.click()
        assert [r[0] for r in grid_rows(widget.grid)] == widget.frame["id"].iloc[50:100].tolist()
        for _ in range(windows + 3):  # past the end stays on the last window
            widget.fulfillments.next_button.click()
        assert widget.state.window == windows - 1
        assert widget.fulfillments.next_button.disabled
        assert len(grid_rows(widget.grid)) == n - (windows - 1) * 50
    finally:
        widget.close()


def test_all_columns(ex: Explorer, client: fk.Client) -> None:
    fetch(ex, client.sandbox_ids[:20])
    assert not any(c.startswith("field_mappings.") for c in ex.grid.frame.columns)
    ex.all_columns.value = True
    assert "items" in ex.grid.frame.columns
    assert any(c.startswith("field_mappings.") for c in ex.grid.frame.columns)


def test_carrier_filter(ex: Explorer, client: fk.Client) -> None:
    fetch(ex, client.sandbox_ids)
    assert ex.frame is not None
    options = dict(ex.carrier_filter.options)
    assert any(label.startswith("All carriers (130)") for label in options)
    assert "UPS" in options.values()
    ups_label = next(label for label, value in ex.carrier_filter.options if value == "UPS")
    ex.carrier_filter.value = "UPS"
    assert ex.selection is not None and len(ex.selection) > 0
    assert set(fulfillment_labels(ex.selection)) == {"UPS"}  # effective carrier, whole
    count = ex.selection["id"].nunique()
    assert ups_label == f"UPS ({count})"
    assert count == fk.carrier_report(ex.frame).loc["UPS", "fulfillments"]
    assert len(grid_rows(ex.grid)) == len(ex.selection)
    # every tab shows the selection: the report has one carrier now
    assert "(1 carriers)" in ex.report.value or "1 carriers" in ex.report.value
    ex.carrier_filter.value = "__all__"
    assert ex.selection is ex.frame


def test_status_date_and_find_filters(ex: Explorer, client: fk.Client) -> None:
    fetch(ex, client.sandbox_ids, remote_data=True)
    assert ex.frame is not None
    values = [v for _, v in ex.status_filter.options]
    assert "delivered" in values and not ex.status_filter.disabled
    ex.status_filter.value = "delivered"
    assert ex.selection is not None and set(ex.selection["shipment_status"]) == {"delivered"}
    day = ex.frame["created_at"].iloc[40].date()
    ex.created_from.value = day
    ex.created_to.value = day
    assert ex.selection is not None
    assert set(ex.selection["created_at"].dt.date) <= {day}
    ex.fulfillments.clear_button.click()
    assert ex.selection is ex.frame and ex.status_filter.value == "__all__"
    wanted = str(ex.frame["id"].iloc[7])
    ex.find.value = wanted[:18]
    assert set(ex.selection["id"]) == {wanted}
    assert html.escape(f"matching '{wanted[:18]}'") in ex.fulfillments.summary.value
    assert [r[0] for r in grid_rows(ex.grid)] == ex.selection["id"].tolist()


def test_carrier_grouping_is_chosen_in_the_report_tab(ex: Explorer, client: fk.Client) -> None:
    fetch(ex, client.sandbox_ids)
    assert ex.frame is not None
    effective = {v: k for k, v in ex.carrier_filter.options}
    ex.carrier_filter.value = "UPS"
    ex.report_tab.choice.value = "stated"
    assert ex.state.carrier == "stated" and ex.selection is ex.frame
    stated = {v: k for k, v in ex.carrier_filter.options}
    assert stated["Unknown"] != effective["Unknown"]
    assert "carrier (stated)" in ex.grid.frame.columns
    assert "stated" in ex.carrier_filter.description


def test_carrier_grouping_keeps_the_other_filters(ex: Explorer, client: fk.Client) -> None:
    fetch(ex, client.sandbox_ids, remote_data=True)
    assert ex.frame is not None
    ex.status_filter.value = "delivered"
    ex.find.value = "-"
    ex.report_tab.choice.value = "stated"
    # the widget and the state still agree: the status filter is shown and applied
    assert ex.status_filter.value == "delivered" and ex.find.value == "-"
    assert ex.state.filters.status == "delivered" and ex.state.filters.find == "-"
    assert ex.selection is not None and set(ex.selection["shipment_status"]) == {"delivered"}
    assert "status delivered" in ex.fulfillments.summary.value
    # touching another filter keeps it
    ex.created_from.value = ex.frame["created_at"].min().date()
    assert ex.state.filters.status == "delivered"


def test_export_csv_and_parquet_of_the_selection(
    ex: Explorer, client: fk.Client, tmp_path: Path
) -> None:
    fetch(ex, client.sandbox_ids)
    ex.carrier_filter.value = "FedEx"
    assert ex.selection is not None
    selection = ex.selection.reset_index(drop=True)
    ex.csv_button.click()
    csv_path = ex.last_export
    assert csv_path is not None and csv_path.suffix == ".csv"
    assert csv_path.parent == (tmp_path / "exports").resolve()
    assert csv_path.name.startswith("fulfillments-fedex-") and csv_path.name.endswith("Z.csv")
    assert str(csv_path) in ex.export_label.value
    assert f"Wrote {len(selection):,} rows" in ex.export_label.value
    back = read_frame(csv_path)
    assert back["id"].tolist() == selection["id"].tolist()

    ex.parquet_button.click()
    parquet_path = ex.last_export
    assert parquet_path is not None and parquet_path.suffix == ".parquet"
    assert parquet_path != csv_path and parquet_path.exists()
    back = read_frame(parquet_path)
    assert back.equals(selection.reset_index(drop=True))
    ex.csv_button.click()  # a second export in the same second gets its own name
    assert ex.last_export != csv_path and csv_path.exists()
    ex.created_from.value = datetime(2024, 3, 1, tzinfo=UTC).date()
    ex.csv_button.click()
    assert ex.last_export is not None and "-fedex-2024-03-01_end-" in ex.last_export.name


def test_export_before_fetch_says_so(ex: Explorer) -> None:
    ex.csv_button.click()
    assert "fetch first" in ex.export_label.value
    assert ex.last_export is None


def test_export_failure_is_shown_in_the_widget_not_lost(
    ex: Explorer, client: fk.Client, tmp_path: Path
) -> None:
    fetch(ex, client.sandbox_ids[:5])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    ex.export_dir.value = str(blocker / "sub")
    ex.csv_button.click()  # must not raise out of the callback
    assert "fk-bad" in ex.progress_label.value
    # The one output-path rule's error, naming the folder as typed, not a raw OSError.
    assert "OutputPathError" in ex.progress_label.value
    assert "cannot create the folder" in ex.progress_label.value
    log = "".join(o.get("text", "") for o in ex.output.outputs)
    assert "OutputPathError" in log and str(blocker / "sub") in log


def test_fetch_does_not_block_and_stop_keeps_what_was_fetched(tmp_path: Path) -> None:
    with fk.Client.sandbox(n=300, latency=0.05, max_concurrency=4) as slow:
        widget = explorer(slow, export_dir=tmp_path)
        try:
            widget.ids_text.value = "\n".join(slow.sandbox_ids)
            started = time.monotonic()
            widget.fetch_button.click()
            assert time.monotonic() - started < 0.5  # the click returns at once
            assert widget.running and widget.fetch_button.disabled
            assert not widget.stop_button.disabled
            widget.fetch_button.click()  # a second click while running is ignored
            deadline = time.monotonic() + 30
            while widget.progress.value == 0 and time.monotonic() < deadline:
                time.sleep(0.01)  # stop once the engine has fetched something
            widget.stop_button.click()
            widget.wait(30)
            assert widget.batch is not None
            assert 0 < len(widget.batch.pending) < 300
            assert len(widget.batch.fulfillments) + len(widget.batch.pending) == 300
            assert "not fetched (stopped)" in widget.progress_label.value
        finally:
            widget.close()


def test_progress_moves_during_a_fetch(tmp_path: Path) -> None:
    with fk.Client.sandbox(n=200, latency=0.02, max_concurrency=4) as slow:
        widget = explorer(slow, export_dir=tmp_path)
        try:
            widget.ids_text.value = "\n".join(slow.sandbox_ids)
            seen: set[int] = set()
            widget.progress.observe(lambda c: seen.add(c["new"]), names="value")
            widget.fetch_button.click()
            widget.wait(30)
            assert len({v for v in seen if 0 < v < 200}) >= 3  # several steps on the way
            assert widget.progress.value == 200
            assert "0 failed" in widget.progress_label.value
            assert widget.progress.bar_style == "success"
        finally:
            widget.close()


def test_remote_data(ex: Explorer, client: fk.Client) -> None:
    fetch(ex, client.sandbox_ids[:10], remote_data=True)
    assert ex.frame is not None and "remote_data" in ex.frame.columns
    fetch(ex, client.sandbox_ids[:10], remote_data=False)
    assert ex.frame is not None and "remote_data" not in ex.frame.columns


def test_no_ids(ex: Explorer) -> None:
    ex.ids_text.value = "  \n# only a comment\n"
    ex.fetch_button.click()
    assert not ex.running and ex.batch is None
    assert "Paste or upload some ids first" in ex.progress_label.value


def test_authentication_failure_is_shown() -> None:
    app = SandboxApp(make_dataset(20))
    client = fk.Client(
        "wrong-key",
        connection_token=SANDBOX_CONNECTION_TOKEN,
        base_url="http://sandbox.localhost",
        transport=httpx.ASGITransport(app=app),
    )
    widget = explorer(client)
    try:
        assert "embedded sandbox" not in widget.title.value
        fetch(widget, list(app.dataset.fulfillment_ids))
        assert widget.progress.bar_style == "danger"
        assert "AuthenticationError" in widget.progress_label.value
        assert "wrong-key" not in widget.progress_label.value
        log = "".join(o.get("text", "") for o in widget.output.outputs)
        assert "AuthenticationError" in log
        assert not widget.fetch_button.disabled  # ready to try again
    finally:
        widget.close()
        client.close()


def test_upload_fills_the_ids(ex: Explorer) -> None:
    content = b"order,id\r\no1,abc\r\no2,def\r\no3,abc\r\n"
    ex.upload.value = (
        {
            "name": "ids.csv",
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.now(UTC),
        },
    )
    assert ex.ids_text.value == "abc\ndef"
    assert "Loaded 2 ids from ids.csv" in ex.progress_label.value
    assert "2 distinct ids" in ex.ids_count.value


def test_parse_ids_and_files() -> None:
    assert parse_ids("a\nb, c;d  e\n\n# x y\n'f'\na") == ["a", "b", "c", "d", "e", "f"]
    assert ids_from_file("x.txt", b"\xef\xbb\xbfa\nb\n") == ["a", "b"]
    assert ids_from_file("x.csv", b"a\nb\n") == ["a", "b"]  # no id column: the first
    assert ids_from_file("x.csv", b"") == []


def test_without_a_client_it_offers_the_sandbox() -> None:
    widget = explorer()
    try:
        assert widget.client is not None and widget.client.sandbox_ids
        assert "sandbox" in widget.title.value
        assert widget.sandbox_button.layout.display != "none"
        ids = parse_ids(widget.ids_text.value)
        assert len(ids) == len(widget.client.sandbox_ids) + 2
        widget.ids_text.value = ""
        widget.sandbox_button.click()
        assert parse_ids(widget.ids_text.value) == ids
        client = widget.client
    finally:
        widget.close()
    assert widget.client is None
    with pytest.raises(RuntimeError, match="closed"):
        client.get_many(["x"], progress=False)


def test_given_client_is_not_closed(ex: Explorer, client: fk.Client) -> None:
    assert ex.sandbox_button.layout.display == "none"
    ex.close()
    assert len(client.get_many(client.sandbox_ids[:2], progress=False)) == 2


# --- hostile data: every API value reaches HTML escaped --------------------------------

SCRIPT = "<script>alert(1)</script>"


def hostile_transport() -> httpx.MockTransport:
    """A stand-in server whose records and error messages carry markup."""

    def handler(request: httpx.Request) -> httpx.Response:
        record_id = urllib.parse.unquote(
            request.url.raw_path.decode().split("?")[0].rsplit("/")[-1]
        )
        if record_id.startswith("bad"):
            body = {"message": f"Fulfillment with ID {record_id} not found. {SCRIPT}"}
            return httpx.Response(404, json=body)
        record = {
            "id": record_id,
            "carrier": f"<img src=x onerror=alert(1)> {record_id}",
            "order_id": "o&amp;1",
            "tracking_numbers": ["<b>1Z</b>"],
            "tracking_urls": ["javascript:alert(1)"],
            "field_mappings": {"<k>": "\"'><script>x</script>"},
            "created_at": "2024-01-01T00:00:00Z",
        }
        return httpx.Response(200, content=json.dumps(record).encode())

    return httpx.MockTransport(handler)


def test_hostile_values_are_escaped_everywhere(tmp_path: Path) -> None:
    client = fk.Client(
        SANDBOX_API_KEY,
        connection_token=SANDBOX_CONNECTION_TOKEN,
        base_url="http://hostile.localhost",
        transport=hostile_transport(),
        retry_policy=fk.RetryPolicy(base_delay=0.001, max_delay=0.01),
    )
    widget = explorer(client, export_dir=tmp_path)
    try:
        fetch(widget, [SCRIPT, "<i>x</i>", "bad<script>"])
        assert widget.batch is not None
        assert len(widget.batch.fulfillments) == 2 and len(widget.batch.errors) == 1
        widget.all_columns.value = True
        for tab in (widget.audit, widget.charts):
            widget.tabs.selected_index = widget.tabs.children.index(tab)
        grids = (widget.grid, widget.errors, widget.audit.grid)
        sent = [str(grid_state(g)["data_json"]) + str(grid_state(g)["table_html"]) for g in grids]
        html_shown = [widget.report.value, widget.fulfillments.summary.value]
        html_shown += [widget.audit.counts.value, widget.charts.note.value]
        html_shown += [widget.errors.note.value, widget.grid.note.value]
        for raw in ("<script", "<img", "<b>1Z", "<i>x", "<k>"):
            for text in [*sent, *html_shown]:
                assert raw not in text, (raw, text[:200])
        data = sent[0]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in data
        assert "&lt;img src=x onerror=alert(1)&gt;" in data
        assert "o&amp;amp;1" in data
        assert "bad&lt;script&gt;" in sent[1]
        assert "&lt;b&gt;1Z&lt;/b&gt;" in sent[2]  # the tracking number of a finding
        assert not re.search(r"<a\s", data)  # no link from API text
        assert "javascript:alert(1)" in data  # shown as text, never as a link
    finally:
        widget.close()
        client.close()


def test_importing_fulfillkit_does_not_import_ipywidgets() -> None:
    code = "import sys, fulfillkit\nassert 'ipywidgets' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_exported_as_fk_explorer() -> None:
    assert fk.explorer is explorer
