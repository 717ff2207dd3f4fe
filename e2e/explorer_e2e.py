"""End to end in a real browser: JupyterLab, the explorer notebook, the workbench used.

1. copies ``notebooks/03-explorer.ipynb`` into a scratch folder under ``build/e2e/`` (so
   JupyterLab's autosave can never write outputs into the committed notebook);
2. starts JupyterLab on 127.0.0.1 on a free port with a random token, with its settings,
   workspaces and runtime files in that scratch folder and news and update checks off;
3. drives Debian's headless Chromium with Playwright (``executable_path``: Playwright's
   own browser download is not used) with the network off: every request that is not to
   this JupyterLab is refused and counted. It opens the notebook, runs all cells, presses
   **Fetch** on the sandbox explorer and waits for the grid and the two errors; sorts the
   grid by ``created_at``, searches one id in the grid's search box, filters a date range
   and a carrier with the explorer's filters, checking the rows each time; then opens every
   tab of the store workbench (findings, a chart, a fulfillment's history) and syncs it;
4. fails on any browser console error or refused request; saves ``build/e2e/explorer.png``,
   ``explorer-charts.png`` and ``explorer-history.png`` (the first and last also to
   ``docs/``), ``console.log``, and on failure ``failure.png`` and the server log.

Exit status 0 when everything was seen. Run through ``e2e/run.sh`` (``make e2e``), which
installs Chromium and the ``e2e`` extra first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "03-explorer.ipynb"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# JupyterLab settings that keep the page quiet: no news or update toasts over the widget.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Start the notebook's own kernel without asking.
    "@jupyterlab/apputils-extension/sessionDialogs.jupyterlab-settings": {
        "autoStartDefaultKernel": True,
    },
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


@contextlib.contextmanager
def jupyterlab(work: Path, port: int, token: str, server_log: Path) -> Iterator[str]:
    """A JupyterLab server on loopback, serving ``work``; yields its base URL."""
    home = work.parent / "jupyter-home"
    shutil.rmtree(home, ignore_errors=True)
    settings = home / "settings"
    for name, values in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANORA_")}
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        FULFILLKIT_OUT="out",  # relative to the notebook in work/: no machine path on screen
        MPLBACKEND="Agg",
    )
    # The venv's own kernel: JUPYTER_DATA_DIR above hides the user's kernelspecs, and the
    # venv's share/jupyter (ipykernel's python3 spec) stays on the path through sys.prefix.
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        "--ServerApp.allow_remote_access=False",
        "--ServerApp.allow_root=True",  # CI and this machine run as root; loopback only
        "--LabApp.news_url=",
        "--LabServerApp.extension_manager=readonly",
    ]
    url = f"http://127.0.0.1:{port}"
    with server_log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"JupyterLab exited with {server.returncode}")
                try:
                    request = urllib.request.Request(  # noqa: S310 - loopback URL we built
                        f"{url}/api/status", headers={"Authorization": f"token {token}"}
                    )
                    with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not answer within 90 s")
                time.sleep(0.5)
            log(f"JupyterLab up on {url}")
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)


def drive(url: str, token: str, chromium: str, out: Path, docs: Path, timeout_s: float) -> None:
    """Open the notebook, run it, fetch, use the grid and the filters, open every tab,
    sync, take screenshots; no console error and no request off this machine."""
    from playwright.sync_api import expect, sync_playwright

    timeout = timeout_s * 1000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1300}, device_scale_factor=1)
        page.set_default_timeout(timeout)
        console: list[str] = []
        problems: list[str] = []
        offline: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

        def network_off(route: Any) -> None:
            # Only this JupyterLab on loopback is reachable: anything else (a CDN, a
            # font, news) is refused and counted, as on a machine with no network.
            request_url = str(route.request.url)
            local = (url, url.replace("127.0.0.1", "localhost"), "data:", "blob:")
            if request_url.startswith(local):
                route.continue_()
            else:
                offline.append(request_url)
                route.abort()

        page.route("**/*", network_off)
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for()
            log("notebook open; waiting for the kernel")
            select = page.locator(".jp-Dialog button", has_text="Select")
            with contextlib.suppress(Exception):
                select.first.click(timeout=3000)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            log("running all cells")

            widgets = page.locator(".fk-explorer")
            expect(widgets).to_have_count(2)
            ex, workbench = widgets.nth(0), widgets.nth(1)
            fetched(ex, expect)
            log("fetched; now the grid")
            grid_checks(page, ex, expect)
            ex.scroll_into_view_if_needed()
            page.wait_for_timeout(400)
            ex.screenshot(path=str(out / "explorer.png"))
            every_tab(page, workbench, expect, out)
            page.wait_for_timeout(300)
            if problems:
                raise AssertionError("browser console errors:\n" + "\n".join(problems))
            if offline:
                raise AssertionError("requests off this machine:\n" + "\n".join(offline))
            docs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / "explorer.png", docs / "explorer.png")
            shutil.copyfile(out / "explorer-history.png", docs / "explorer-history.png")
            log(f"no console error, no request off this machine; screenshots in {out}, {docs}")
        except BaseException:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(out / "failure.png"), full_page=True)
            raise
        finally:
            (out / "console.log").write_text("\n".join(console))
            browser.close()


def fetched(ex: Any, expect: Any) -> None:
    """Press Fetch on the sandbox explorer and wait for the grid and the errors."""
    fetch = ex.locator("button", has_text="Fetch").first
    expect(fetch).to_be_enabled()
    expect(ex.locator("textarea").first).not_to_have_value("")
    fetch.click()
    log("clicked Fetch; waiting for the grid")
    rows = grid(ex).locator("tbody tr")
    rows.first.wait_for()
    expect(ex.locator(".widget-html", has_text="fetched").first).to_be_visible()
    expect(ex.locator(".lm-TabBar-tabLabel", has_text="Errors (2)").first).to_be_visible()
    status = ex.locator(".widget-html", has_text="fetched").first.inner_text()
    log(f"grid shows {rows.count()} rows a page; status: {status.strip()}")


def grid(scope: Any) -> Any:
    """The first visible DataTables grid under ``scope``."""
    return scope.locator("table.dataTable:visible").first


def option_values(select: Any) -> list[str]:
    """The values of a ``<select>``'s options (ipywidgets puts each label there; the text
    shown has non-breaking spaces)."""
    return list(select.locator("option").evaluate_all("options => options.map(o => o.value)"))


def column_texts(table: Any, name: str) -> list[str]:
    """The cell texts of column ``name`` on the grid's current page (full text: the id
    cells are cut by CSS only)."""
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    index = headers.index(name) + 1
    return [t.strip() for t in table.locator(f"tbody tr td:nth-child({index})").all_text_contents()]


def grid_checks(page: Any, ex: Any, expect: Any) -> None:
    """Sort a column, search an id, filter a date range and a carrier."""
    table = grid(ex)
    # sort: created_at descending after two clicks on its header
    header = table.locator("thead th", has_text="created_at").first
    header.click()
    page.wait_for_timeout(200)
    header.click()
    expect(header).to_have_class(re.compile("dt-ordering-desc"))
    created = column_texts(table, "created_at")
    if created != sorted(created, reverse=True) or len(created) < 10:
        raise AssertionError(f"created_at is not sorted descending: {created[:5]}")
    log(f"sorted by created_at: first {created[0]}")
    # search one id in the grid's search box: only its rows are left
    wanted = column_texts(table, "id")[3]
    search = ex.locator(".dt-search input").first
    search.fill(wanted)
    page.wait_for_timeout(300)
    ids = column_texts(table, "id")
    if not ids or set(ids) != {wanted}:
        raise AssertionError(f"searching {wanted} left {ids[:5]}")
    short = table.locator("tbody span.fk-short").first
    if short.get_attribute("title") != wanted:
        raise AssertionError("the short id cell does not hold the full id in its title")
    log(f"searched {wanted}: {len(ids)} row(s)")
    search.fill("")
    # filter a date range (the explorer's filters cover every row)
    ex.locator(".widget-datepicker input[type=date]").nth(0).fill("2024-03-01")
    ex.locator(".widget-datepicker input[type=date]").nth(0).dispatch_event("change")
    ex.locator(".widget-datepicker input[type=date]").nth(1).fill("2024-05-31")
    ex.locator(".widget-datepicker input[type=date]").nth(1).dispatch_event("change")
    dated = ex.locator(".widget-html", has_text="created 2024-03-01 to 2024-05-31").first
    expect(dated).to_be_visible()
    days = [d[:10] for d in column_texts(grid(ex), "created_at")]
    if not days or not all("2024-03-01" <= d <= "2024-05-31" for d in days):
        raise AssertionError(f"rows outside the date range: {days[:5]}")
    # and a carrier
    select = ex.locator(".widget-dropdown", has_text="Carrier").locator("select").first
    ups = next(v for v in option_values(select) if v.startswith("UPS ("))
    select.select_option(value=ups)
    expect(ex.locator(".widget-html", has_text="carrier UPS").first).to_be_visible()
    page.wait_for_timeout(300)
    carriers = set(column_texts(grid(ex), "carrier (effective)"))
    if carriers != {"UPS"}:
        raise AssertionError(f"the carrier filter left {carriers}")
    summary = ex.locator(".widget-html", has_text="carrier UPS").first.inner_text()
    log(f"filtered: {summary.strip()}")


def every_tab(page: Any, wb: Any, expect: Any, out: Path) -> None:
    """Open each tab of the store workbench and check it shows its content; sync once."""
    wb.scroll_into_view_if_needed()

    def tab(name: str) -> None:
        wb.locator(".lm-TabBar-tabLabel", has_text=name).first.click()
        page.wait_for_timeout(200)

    grid(wb).locator("tbody tr").first.wait_for()
    tab("Errors")
    expect(wb.locator(".fk-grid-note", has_text="No errors.").first).to_be_visible()
    tab("Carrier report")
    expect(wb.locator(".fk-card", has_text="Carrier report").first).to_be_visible()
    tab("Audit")
    expect(wb.locator(".fk-grid-note", has_text="findings").first).to_be_visible()
    grid(wb).locator("tbody tr").first.wait_for()
    tab("Charts")
    chart = wb.locator("img.widget-image:visible").first
    drawn = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(drawn, arg=chart.element_handle())
    select = wb.locator(".widget-dropdown", has_text="Chart").locator("select").first
    first = chart.get_attribute("src")
    select.select_option(value="Time from in_transit to delivered (store)")
    page.wait_for_function(
        "([img, before]) => img.src !== before && img.complete && img.naturalWidth > 0",
        arg=[chart.element_handle(), first],
    )
    wb.screenshot(path=str(out / "explorer-charts.png"))
    tab("History")
    picker = wb.locator(".widget-dropdown", has_text="Changed most").locator("select").first
    picked = next(o for o in option_values(picker) if "versions)" in o)
    picker.select_option(value=picked)
    expect(wb.locator(".fk-grid-note", has_text="version(s), oldest first").first).to_be_visible()
    grid(wb).locator("tbody tr").first.wait_for()
    wb.screenshot(path=str(out / "explorer-history.png"))
    log(f"history of {picked}")
    tab("Sync")
    wb.locator("button", has_text="Sync").first.click()
    expect(wb.locator(".widget-html", has_text="Synced in").first).to_be_visible()
    expect(wb.locator(".fk-card", has_text="SyncReport").first).to_be_visible()
    tab("Log")
    tab("Fulfillments")
    grid(wb).locator("tbody tr").first.wait_for()
    log("opened every tab of the store workbench and synced it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "e2e")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="where the screenshots go")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per wait")
    args = parser.parse_args(argv)

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in (
        "explorer.png",
        "explorer-charts.png",
        "explorer-history.png",
        "page.png",
        "failure.png",
        "console.log",
    ):
        (out / stale).unlink(missing_ok=True)
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy2(NOTEBOOK, work / NOTEBOOK.name)
    if not Path(args.chromium).exists():
        print(f"e2e: no Chromium at {args.chromium}", file=sys.stderr)
        return 2

    token = secrets.token_hex(24)
    server_log = out / "jupyterlab.log"
    started = time.monotonic()
    try:
        with jupyterlab(work, free_port(), token, server_log) as url:
            drive(url, token, args.chromium, out, args.docs.resolve(), args.timeout)
    except Exception as exc:
        print(f"e2e FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        tail = server_log.read_text(errors="replace").splitlines()[-40:]
        print("--- jupyterlab.log (last lines) ---", *tail, sep="\n", file=sys.stderr)
        return 1
    log(f"e2e passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
