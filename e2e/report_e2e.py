"""The HTML report in a real browser: open the file, no console errors, no network, every
carrier row on the page, a screenshot for the docs (``docs/report.png``).

1. builds a report from the embedded sandbox (fetched over loopback HTTP with the client,
   remote data on, so the status shares and the audit's remote-data rules show), with a
   carrier name that tries to inject ``<script>`` and a tracking URL that is not its
   number's;
2. opens ``file://.../carriers.html`` in Debian's headless Chromium through Playwright,
   with JavaScript *disabled* (the page must not need it) and every request that is not
   the file itself aborted and counted (the page must need nothing from the network);
3. checks: no console message of level error, no page error, no aborted request, the
   title, every carrier of :func:`fulfillkit.carrier_report` as a row of the carrier
   table, the injected name shown as text, both charts drawn (inline SVG with a size);
4. saves ``docs/report.png`` (the top of the page: header, figures, carrier table) and
   ``build/e2e/report-full.png`` (the whole page).

Exit status 0 when everything was seen. Run through ``e2e/run.sh`` (``make e2e``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import fulfillkit as fk
from fulfillkit.carriers import DEFAULT_CARRIERS
from fulfillkit.sandbox import (
    FAST_RATE_LIMIT,
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
INJECTED = "<script>alert('x')</script> Couriers"


def build_report(out: Path) -> tuple[Path, list[str]]:
    """The report of 600 sandbox fulfillments, fetched over loopback HTTP from a sandbox
    with the fast window (the throttle has its own tests; Panora's 100/60 s would make
    this wait six minutes doing nothing)."""
    from datetime import UTC, datetime

    dataset = make_dataset(600, seed=11)
    with SandboxServer(SandboxApp(dataset, rate_limit=FAST_RATE_LIMIT)) as server:
        with fk.Client(
            SANDBOX_API_KEY, connection_token=SANDBOX_CONNECTION_TOKEN, base_url=server.url
        ) as client:
            fetched_at = datetime.now(UTC)
            batch = client.get_many(dataset.fulfillment_ids, remote_data=True, progress=False)
        source = server.url
    # Hostile and wrong data, as an API could send it.
    records = list(batch.fulfillments)
    records[3] = records[3].model_copy(update={"carrier": INJECTED})
    records[5] = records[5].model_copy(
        update={"tracking_urls": ["https://www.fedex.com/fedextrack/?trknbr=1"]}
    )
    # A carrier table that keeps the hostile name as the canonical one, so it reaches
    # the carrier table, the charts and the audit summary's columns.
    table = DEFAULT_CARRIERS.with_rules((INJECTED, [r"script"]))
    df = fk.to_frame(records, remote_data=True, carriers=table)
    carriers = [str(c) for c in fk.carrier_report(df).index]
    assert INJECTED in carriers
    path = fk.report_html(
        df,
        out / "carriers.html",
        title="Carriers: the sandbox shop",
        findings=fk.audit(records),
        source=source,
        fetched_at=fetched_at,
    )
    return path, carriers


def check(page_file: Path, carriers: list[str], chromium: str, shot: Path, full: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    blocked: list[str] = []
    url = page_file.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

        def route(r: object) -> None:
            request = r.request  # type: ignore[attr-defined]
            if request.url == url:
                r.continue_()  # type: ignore[attr-defined]
            else:
                blocked.append(request.url)
                r.abort()  # type: ignore[attr-defined]

        page.route("**/*", route)
        page.goto(url, wait_until="load")
        assert page.title() == "Carriers: the sandbox shop", page.title()
        rows = page.locator("table.carriers tbody th.row_heading").all_inner_texts()
        missing = [c for c in carriers if c not in [r.strip() for r in rows]]
        assert not missing, f"carrier rows missing from the page: {missing}"
        assert page.get_by_text(INJECTED, exact=False).count() >= 1, "injected name not shown"
        assert page.locator("script").count() == 0, "the page has a <script> element"
        boxes = [box for svg in page.locator(".panel > svg").all() if (box := svg.bounding_box())]
        # the carrier charts, then what the data allows (status mix, tracking coverage, ...)
        assert len(boxes) == page.locator(".panel > svg").count() >= 4, "every chart drawn"
        assert all(b["width"] > 300 and b["height"] > 150 for b in boxes), boxes
        shot.parent.mkdir(parents=True, exist_ok=True)
        full.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)
        page.screenshot(path=str(full), full_page=True)
        browser.close()
    assert not problems, problems
    assert not blocked, f"the page asked the network for {blocked}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", default=str(ROOT / "build" / "e2e"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    path, carriers = build_report(out)
    check(path, carriers, args.chromium, ROOT / "docs" / "report.png", out / "report-full.png")
    print(f"report e2e: OK ({len(carriers)} carrier rows, no console errors, no requests)")
    print(f"wrote {path}, docs/report.png, {out / 'report-full.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
