"""End to end in a real browser: JupyterLab, the explorer notebook, Fetch, the table.

1. copies ``notebooks/03-explorer.ipynb`` into a scratch folder under ``build/e2e/`` (so
   JupyterLab's autosave can never write outputs into the committed notebook);
2. starts JupyterLab on 127.0.0.1 on a free port with a random token, with its settings,
   workspaces and runtime files in that scratch folder and news and update checks off;
3. drives Debian's headless Chromium with Playwright (``executable_path``: Playwright's
   own browser download is not used): opens the notebook, waits for the kernel, runs all
   cells, clicks the widget's **Fetch** button, waits for the table rows and the "fetched"
   status, checks the error tab counts the two unknown ids;
4. saves ``build/e2e/explorer.png`` (the widget) and ``build/e2e/page.png`` (the page), and
   on failure ``build/e2e/failure.png`` and the server log.

Exit status 0 when everything was seen. Run through ``e2e/run.sh`` (``make e2e``), which
installs Chromium and the ``e2e`` extra first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
        FULFILLKIT_OUT=str(work / "out"),
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


def drive(url: str, token: str, chromium: str, out: Path, timeout_s: float) -> None:
    """Open the notebook, run it, press Fetch, wait for the table, take screenshots."""
    from playwright.sync_api import expect, sync_playwright

    timeout = timeout_s * 1000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1300}, device_scale_factor=1)
        page.set_default_timeout(timeout)
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for()
            log("notebook open; waiting for the kernel")
            # Older settings or a restored session may still ask which kernel to start.
            select = page.locator(".jp-Dialog button", has_text="Select")
            with contextlib.suppress(Exception):
                select.first.click(timeout=3000)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()

            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            log("running all cells")

            widget = page.locator(".fk-explorer").first
            widget.wait_for()
            fetch = widget.locator("button", has_text="Fetch").first
            expect(fetch).to_be_enabled()
            # The sandbox fills in its ids: the textarea holds them before we fetch.
            expect(widget.locator("textarea").first).not_to_have_value("")
            fetch.click()
            log("clicked Fetch; waiting for the table")

            # The first tab's table (the errors table is in the page too, hidden).
            rows = widget.locator(".fk-table-wrap").first.locator("tbody tr")
            rows.first.wait_for()
            expect(widget.locator(".widget-html", has_text="fetched").first).to_be_visible()
            n_rows = rows.count()
            if n_rows < 10:
                raise AssertionError(f"the table shows {n_rows} rows; expected a full page")
            errors_tab = widget.locator(".lm-TabBar-tabLabel", has_text="Errors (2)")
            expect(errors_tab.first).to_be_visible()
            status = widget.locator(".widget-html", has_text="fetched").first.inner_text()
            log(f"table shows {n_rows} rows; status: {status.strip()}")

            widget.scroll_into_view_if_needed()
            page.wait_for_timeout(300)  # let the last paint land
            widget.screenshot(path=str(out / "explorer.png"))
            page.screenshot(path=str(out / "page.png"), full_page=False)
            # The other tabs: the report table and the chart picture render too.
            widget.locator(".lm-TabBar-tabLabel", has_text="Carrier report").first.click()
            expect(widget.locator(".fk-card", has_text="Carrier report").first).to_be_visible()
            widget.screenshot(path=str(out / "explorer-report.png"))
            widget.locator(".lm-TabBar-tabLabel", has_text="Chart").first.click()
            chart = widget.locator("img.widget-image").first
            expect(chart).to_be_visible()
            width = chart.evaluate("img => img.naturalWidth")
            if not width:
                raise AssertionError("the carrier chart did not render")
            widget.screenshot(path=str(out / "explorer-chart.png"))
            widget.locator(".lm-TabBar-tabLabel", has_text="Fulfillments").first.click()
            log(f"screenshots in {out}: explorer.png, page.png, explorer-report/chart.png")
        except BaseException:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(out / "failure.png"), full_page=True)
            (out / "console.log").write_text("\n".join(console))
            raise
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "e2e")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per wait")
    args = parser.parse_args(argv)

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in (
        "explorer.png",
        "explorer-report.png",
        "explorer-chart.png",
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
            drive(url, token, args.chromium, out, args.timeout)
    except Exception as exc:
        print(f"e2e FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        tail = server_log.read_text(errors="replace").splitlines()[-40:]
        print("--- jupyterlab.log (last lines) ---", *tail, sep="\n", file=sys.stderr)
        return 1
    log(f"e2e passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
