"""``make bench``: every benchmark, side by side in one run, printed as one table of ratios.

    .venv/bin/python benchmarks/run.py [--repeats 5] [--quick]

Machines here are shared and noisy, so absolute seconds are not stable: what is compared
is always measured in the same run, alternating the approaches, and each row is the
median of its runs. Sections:

1. **Batch fetch**, 1,000 ids, concurrency 32, from the sandbox served by uvicorn in its
   own process (``python -m fulfillkit.sandbox``), at 50 ms latency per request and at
   0 ms (which measures the client's CPU per request): fulfillkit ``get_many`` vs a bare
   ``httpx.AsyncClient`` under a semaphore vs the official SDK ``panora-sdk`` 0.7.0
   (``retrieve_async`` under a semaphore, in its own virtualenv ``benchmarks/.sdk-venv``,
   created on first use) vs the Little's-law ideal ``N x latency / concurrency``.
2. **Normalization**, 100,000 and 1,000,000 sandbox records as parsed JSON dicts:
   ``fk.to_frame`` vs the pandas way (``bench_frame.py``), time and peak memory, a fresh
   process per run; at 100,000 also ``fk.to_arrow`` vs ``pa.Table.from_pylist`` + the same
   explode.
3. **End to end**, 1,000 ids to a Parquet file (50 ms server): ``get_many(sink=...)``,
   ``get_many`` + ``to_frame`` + ``export``, and bare httpx + the pandas way.
4. **Sink memory**: 100,000 ids at 0 ms, peak RSS with and without ``sink=``.
5. **Audit**, 100,000 sandbox fulfillments: ``fk.audit`` vs the same rules as a loop over
   rows (``bench_audit.py``, which also checks that both find the same).
6. **Store**, 100,000 fulfillments at 0 ms (``bench_store.py``): the first sync (its
   requests against ceil(n / page size)), a resync with nothing new (``refresh="none"`` and
   ``"auto"``) and one after the living sandbox moved a week on (about 1% new, 1.4%
   changed), each against listing the whole connection again as a notebook without a
   store does; and ``store.to_frame()`` against ``fk.to_frame`` of the same records from
   dicts, time and peak memory. (The official SDK keeps no store, and its page iterator
   does not stop on a null cursor, so it has no row here.)

Every measurement runs in a fresh subprocess (``bench_fetch.py``, ``bench_sdk.py``,
``bench_frame.py``, ``bench_sink.py``, ``bench_audit.py``), so one approach's imports and
heap never affect
another's.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import ROOT, median, run_json, sandbox_server

HERE = Path(__file__).resolve().parent
SDK_VENV = HERE / ".sdk-venv"
SDK_VERSION = "0.7.0"
FETCH_IDS = 1_000
CONCURRENCY = 32
LATENCY = 0.05
SINK_IDS = 100_000


@dataclass
class Row:
    """One line of the table."""

    case: str
    seconds: float | None = None
    ratio: str = ""
    ideal: str = ""
    cpu_ms: float | None = None
    peak_mb: float | None = None
    growth_mb: float | None = None
    note: str = ""


def log(message: str) -> None:
    """Progress on stderr, so stdout is only the table."""
    print(message, file=sys.stderr, flush=True)


# -- the SDK's virtualenv -------------------------------------------------------------------


def sdk_python() -> Path | None:
    """The SDK venv's interpreter, creating the venv (``pip install panora-sdk==0.7.0``) if
    it is missing or holds another version; ``None`` (and a note) if that fails."""
    python = SDK_VENV / "bin" / "python"
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('panora-sdk'))"]
    if python.exists():
        found = subprocess.run(check, capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip() == SDK_VERSION:
            return python
    log(f"creating {SDK_VENV.relative_to(ROOT)} with panora-sdk=={SDK_VERSION} ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SDK_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"panora-sdk=={SDK_VERSION}"],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"could not set up the SDK virtualenv ({exc}); the SDK rows are skipped")
        return None
    return python


# -- 1. batch fetch ---------------------------------------------------------------------------


def fetch_section(
    latency: float, ids_file: Path, repeats: int, sdk: Path | None
) -> tuple[list[Row], dict[str, float]]:
    """Alternate fulfillkit / bare httpx / SDK ``repeats`` times against one server."""
    from fulfillkit.sandbox import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN

    approaches = ["fulfillkit", "httpx"] + (["sdk"] if sdk else [])
    runs: dict[str, list[dict[str, Any]]] = {a: [] for a in approaches}
    with sandbox_server(latency=latency, n=FETCH_IDS) as url:
        for i in range(repeats):
            order = approaches[i % len(approaches) :] + approaches[: i % len(approaches)]
            for approach in order:
                common = ["--url", url, "--ids", str(ids_file)]
                common += ["--concurrency", str(CONCURRENCY)]
                if approach == "sdk":
                    assert sdk is not None
                    argv = [str(sdk), str(HERE / "bench_sdk.py"), *common]
                    argv += ["--key", SANDBOX_API_KEY, "--token", SANDBOX_CONNECTION_TOKEN]
                else:
                    argv = [sys.executable, str(HERE / "bench_fetch.py"), *common]
                    argv += ["--approach", approach]
                result = run_json(argv)
                if result["ok"] != FETCH_IDS:
                    raise RuntimeError(f"{approach} fetched {result['ok']} of {FETCH_IDS}")
                runs[approach].append(result)
                log(
                    f"  fetch {latency * 1000:.0f} ms run {i + 1} {approach:<10} "
                    f"{result['seconds']:.3f} s  cpu {result['cpu']:.3f} s"
                )
    seconds = {a: median([r["seconds"] for r in runs[a]]) for a in approaches}
    cpu = {a: median([r["cpu"] for r in runs[a]]) for a in approaches}
    ideal = FETCH_IDS * latency / CONCURRENCY
    names = {
        "fulfillkit": "fulfillkit get_many",
        "httpx": "bare httpx + semaphore",
        "sdk": f"panora-sdk {SDK_VERSION} retrieve_async",
    }
    rows = []
    if ideal > 0:
        rows.append(Row("Little's law ideal", ideal, f"{ideal / seconds['httpx']:.2f}x", "1.00x"))
    rows.extend(
        Row(
            names[approach],
            seconds[approach],
            f"{seconds[approach] / seconds['httpx']:.2f}x",
            f"{seconds[approach] / ideal:.2f}x" if ideal > 0 else "",
            cpu_ms=cpu[approach] / FETCH_IDS * 1000,
            note=f"CPU {cpu[approach] / cpu['httpx']:.2f}x of httpx",
        )
        for approach in approaches
    )
    if not sdk:
        rows.append(Row("panora-sdk", note="skipped: no SDK virtualenv"))
    return rows, {**seconds, **{f"cpu_{a}": cpu[a] for a in approaches}}


# -- 2. normalization ------------------------------------------------------------------------


def write_records(path: Path, n: int) -> None:
    """``n`` sandbox fulfillments as NDJSON, one record per line (remote_data kept up to
    100,000; for more, 100,000 distinct records are repeated with suffixed ids and without
    remote_data, so that the input file and the parsed input stay a few GB at most)."""
    from fulfillkit.sandbox import make_dataset

    base = make_dataset(min(n, 100_000), seed=0).fulfillments
    with path.open("w", encoding="utf-8") as out:
        if n <= len(base):
            out.writelines(json.dumps(record) + "\n" for record in base[:n])
            return
        slim = [{k: v for k, v in r.items() if k != "remote_data"} for r in base]
        written = 0
        while written < n:
            copy = written // len(slim)
            for record in slim[: n - written]:
                out.write(json.dumps({**record, "id": f"{record['id']}-{copy}"}) + "\n")
                written += 1


FRAME_PAIRS = (
    (("fulfillkit", "fk.to_frame"), ("pandas", "pandas way")),
    (("to_arrow", "fk.to_arrow"), ("pyarrow", "pa.Table.from_pylist + explode")),
)
"""(approach, label) pairs: the first of each pair against the second, its baseline."""
BIG_TARGETS = "targets: growth < 400 MB, peak < 1,500 MB"


def frame_section(n: int, repeats: int, tmp: Path, *, arrow: bool = True) -> list[Row]:
    """``bench_frame.py``'s fresh-process workers, alternating the approaches: to_frame vs
    the pandas way and, when ``arrow``, to_arrow vs ``pa.Table.from_pylist`` + explode."""
    data = tmp / f"records-{n}.ndjson"
    log(f"  writing {n:,} records ...")
    write_records(data, n)
    pairs = FRAME_PAIRS if arrow else FRAME_PAIRS[:1]
    approaches = [approach for pair in pairs for approach, _ in pair]
    runs: dict[str, list[dict[str, Any]]] = {a: [] for a in approaches}
    for i in range(repeats):
        for approach in approaches if i % 2 == 0 else approaches[::-1]:
            argv = [sys.executable, str(HERE / "bench_frame.py"), "--worker", approach]
            result = run_json([*argv, "--data", str(data)], timeout=900)
            runs[approach].append(result)
            log(f"  frame {n:,} run {i + 1} {approach:<10} {result['seconds']:.3f} s")
    data.unlink()
    seconds = {a: median([r["seconds"] for r in rs]) for a, rs in runs.items()}
    rows_out = {r["rows"] for rs in runs.values() for r in rs}
    if len(rows_out) != 1:
        raise RuntimeError(f"row counts differ: {rows_out}")
    n_rows = rows_out.pop()
    table = []
    for pair in pairs:
        base = pair[1][0]
        for approach, label in pair:
            rs = runs[approach]
            grown = [r["growth_mb"] for r in rs if r["growth_mb"] is not None]
            note = f"{n_rows:,} rows, {rs[0]['columns']} columns"
            if n > 100_000 and approach == "fulfillkit":
                note += f"; {BIG_TARGETS}"
            table.append(
                Row(
                    label,
                    seconds[approach],
                    f"{seconds[base] / seconds[approach]:.2f}x",
                    peak_mb=max(r["peak_mb"] for r in rs),
                    growth_mb=max(grown) if grown else None,
                    note=note,
                )
            )
    return table


# -- 3. end to end, 4. sink memory -----------------------------------------------------------


def sink_runs(
    url: str, ids_file: Path, modes: Sequence[str], repeats: int, tmp: Path
) -> dict[str, list[dict[str, Any]]]:
    """``bench_sink.py`` runs, alternating ``modes``."""
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    for i in range(repeats):
        for mode in list(modes[i % len(modes) :]) + list(modes[: i % len(modes)]):
            out = tmp / f"out-{mode}.parquet"
            argv = [sys.executable, str(HERE / "bench_sink.py"), "--mode", mode]
            argv += ["--url", url, "--ids", str(ids_file), "--out", str(out)]
            argv += ["--concurrency", str(CONCURRENCY)]
            result = run_json(argv, timeout=900)
            if out.is_dir():  # a sink writes a Parquet dataset folder
                shutil.rmtree(out)
            else:
                out.unlink(missing_ok=True)
            runs[mode].append(result)
            if "skipped" in result:
                log(f"  sink {mode}: skipped ({result['skipped']})")
            else:
                log(
                    f"  sink {mode} run {i + 1}: {result['seconds']:.2f} s, "
                    f"peak {result['peak_mb']:.0f} MB, growth {result['growth_mb']:.0f} MB"
                )
    return runs


def e2e_rows(runs: dict[str, list[dict[str, Any]]]) -> list[Row]:
    """Rows for the end-to-end section, ratios against the pandas way."""
    done = {m: rs for m, rs in runs.items() if rs and "skipped" not in rs[0]}
    base = median([r["seconds"] for r in done["pandas"]])
    labels = {
        "sink": "get_many(sink=...)",
        "memory": "get_many + to_frame + export",
        "pandas": "bare httpx + pandas way + to_parquet",
    }
    rows = []
    for mode, label in labels.items():
        if mode not in done:
            rows.append(Row(label, note="skipped: get_many(sink=...) not wired"))
            continue
        seconds = median([r["seconds"] for r in done[mode]])
        rows.append(
            Row(
                label,
                seconds,
                f"{seconds / base:.2f}x",
                peak_mb=max(r["peak_mb"] for r in done[mode]),
                note=f"{done[mode][0]['file_mb']:.1f} MB file",
            )
        )
    return rows


def sink_rows(runs: dict[str, list[dict[str, Any]]]) -> list[Row]:
    """Rows for the sink-memory section, peak RSS against holding every record."""
    labels = {"memory": "get_many + to_frame + export", "sink": "get_many(sink=...)"}
    held = runs["memory"][0]
    rows = []
    for mode, label in labels.items():
        result = runs[mode][0]
        if "skipped" in result:
            rows.append(Row(label, note="skipped: get_many(sink=...) not wired"))
            continue
        rows.append(
            Row(
                label,
                result["seconds"],
                f"{result['peak_mb'] / held['peak_mb']:.2f}x RSS",
                peak_mb=result["peak_mb"],
                growth_mb=result["growth_mb"],
                note=f"{result['written']:,} records",
            )
        )
    return rows


# -- the table -------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


# -- 5. audit --------------------------------------------------------------------------------


def audit_rows(n: int, repeats: int) -> list[Row]:
    """``bench_audit.py`` in a fresh process: ``fk.audit`` and the row loop, alternating."""
    argv = [sys.executable, str(HERE / "bench_audit.py"), "--n", str(n), "--json"]
    result = run_json([*argv, "--repeats", str(repeats)], timeout=1800)
    fast, slow = result["fulfillkit_s"], result["loop_s"]
    note = f"{result['rows']:,} rows, {result['findings']:,} findings (equal in both)"
    return [
        Row("fk.audit", fast, f"{slow / fast:.2f}x", note=note),
        Row("loop over rows", slow, "1.00x", note=note),
    ]


def print_table(sections: list[tuple[str, list[Row]]]) -> None:
    """One table, a header line per section."""
    head = (
        f"{'case':<40}{'median s':>10}{'ratio':>12}{'vs ideal':>10}{'CPU ms/req':>12}"
        f"{'peak MB':>10}{'growth MB':>11}  note"
    )
    print(head)
    print("-" * len(head))
    for title, rows in sections:
        print(title)
        for r in rows:
            print(
                f"  {r.case:<38}{_fmt(r.seconds, '.3f'):>10}{r.ratio:>12}{r.ideal:>10}"
                f"{_fmt(r.cpu_ms, '.3f'):>12}{_fmt(r.peak_mb, '.0f'):>10}"
                f"{_fmt(r.growth_mb, '.0f'):>11}  {r.note}"
            )


# -- 6. store --------------------------------------------------------------------------------


def _advance(url: str, days: int) -> None:
    """Move the served sandbox's clock (its admin route)."""
    import httpx

    from fulfillkit.sandbox import SANDBOX_API_KEY

    answer = httpx.post(
        f"{url}/_sandbox/advance",
        params={"days": days},
        headers={"x-api-key": SANDBOX_API_KEY},
        timeout=120,
    )
    answer.raise_for_status()


def store_section(n: int, repeats: int, tmp: Path) -> list[Row]:
    """``bench_store.py`` runs: first sync, resyncs, and the store's frame vs dicts."""
    worker = [sys.executable, str(HERE / "bench_store.py")]
    base = tmp / "base.duckdb"
    runs: dict[str, list[dict[str, Any]]] = {}

    def add(name: str, result: dict[str, Any]) -> None:
        runs.setdefault(name, []).append(result)
        log(f"  store {name:<16} {result['seconds']:.3f} s, {result.get('requests', 0)} requests")

    def copy(name: str) -> Path:
        target = tmp / f"{name}.duckdb"
        shutil.copyfile(base, target)
        return target

    with sandbox_server(latency=0.0, n=n) as url:
        sync = [*worker, "--mode", "sync", "--url", url, "--no-orders"]
        add("first", run_json([*sync, "--store", str(base)], timeout=1800))
        for i in range(repeats):
            add("relist", run_json([*worker, "--mode", "relist", "--url", url], timeout=1800))
            add("none", run_json([*sync, "--store", str(copy(f"n{i}")), "--refresh", "none"]))
            add("auto", run_json([*sync, "--store", str(copy(f"a{i}")), "--refresh", "auto"]))
        _advance(url, 7)
        for i in range(repeats):
            store = copy(f"w{i}")
            add("week-auto", run_json([*sync, "--store", str(store)], timeout=1800))
            add("relist-week", run_json([*worker, "--mode", "relist", "--url", url]))
    data = tmp / f"records-{n}.ndjson"
    write_records(data, n)
    for i in range(repeats):
        order = ("store", "dicts") if i % 2 == 0 else ("dicts", "store")
        for approach in order:
            if approach == "store":
                add("frame-store", run_json([*worker, "--mode", "frame", "--store", str(base)]))
            else:
                argv = [sys.executable, str(HERE / "bench_frame.py"), "--worker", "remote"]
                add("frame-dicts", run_json([*argv, "--data", str(data)], timeout=900))
    data.unlink()
    return store_rows(runs, n)


def store_rows(runs: dict[str, list[dict[str, Any]]], n: int) -> list[Row]:
    """The store section's rows: time ratios against relisting, requests, memory."""
    med = {name: median([r["seconds"] for r in rs]) for name, rs in runs.items()}
    requests = {name: max(int(r.get("requests", 0)) for r in rs) for name, rs in runs.items()}
    pages = -(-n // 100)
    week = runs["week-auto"][0]
    rows = [
        Row(
            "first sync (fulfillments, pages of 100)",
            med["first"],
            note=f"{requests['first']} requests (ceil(n/100) = {pages})",
        ),
        Row(
            "relist everything (no store)",
            med["relist"],
            "1.00x",
            note=f"{requests['relist']} requests",
        ),
        Row(
            "resync, nothing new, refresh=none",
            med["none"],
            f"{med['relist'] / med['none']:.1f}x",
            note=f"{requests['none']} requests",
        ),
        Row(
            "resync, nothing new, refresh=auto",
            med["auto"],
            f"{med['relist'] / med['auto']:.1f}x",
            note=f"{requests['auto']} requests: the cheaper of open by id or a rescan",
        ),
        Row(
            "resync a week later, refresh=auto",
            med["week-auto"],
            f"{med['relist-week'] / med['week-auto']:.1f}x",
            note=f"{requests['week-auto']} requests; new {week['new']:,}, changed "
            f"{week['changed']:,} of {n:,} ({week['new'] / n:.1%} new, "
            f"{week['changed'] / n:.1%} changed)",
        ),
    ]
    store_peak = max(r["peak_mb"] for r in runs["frame-store"])
    dict_peak = max(r["peak_mb"] for r in runs["frame-dicts"])
    rows.append(
        Row(
            "store.to_frame() from typed columns",
            med["frame-store"],
            f"{med['frame-store'] / med['frame-dicts']:.2f}x",
            peak_mb=store_peak,
            note=f"time and peak {store_peak / dict_peak:.2f}x of to_frame from dicts "
            "(targets: <= 0.3x time, < 1x peak)",
        )
    )
    rows.append(Row("fk.to_frame(dicts)", med["frame-dicts"], "1.00x", peak_mb=dict_peak))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run every section and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="fetch runs per approach")
    parser.add_argument("--frame-repeats", type=int, default=5, help="runs at 100,000 records")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from fulfillkit.sandbox import make_dataset

    started = time.perf_counter()
    big, sink_n = (20_000, 5_000) if args.quick else (1_000_000, SINK_IDS)
    sections: list[tuple[str, list[Row]]] = []
    sdk = sdk_python()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        fetch_ids = tmp / "ids-1000.txt"
        fetch_ids.write_text("\n".join(make_dataset(FETCH_IDS, seed=0).fulfillment_ids))

        log("1. batch fetch at 50 ms ...")
        rows, _ = fetch_section(LATENCY, fetch_ids, args.repeats, sdk)
        sections.append(
            (
                f"Batch fetch: {FETCH_IDS:,} ids, {LATENCY * 1000:.0f} ms latency, concurrency "
                f"{CONCURRENCY} (ratio: time vs bare httpx)",
                rows,
            )
        )
        log("1. batch fetch at 0 ms ...")
        rows, _ = fetch_section(0.0, fetch_ids, args.repeats, sdk)
        sections.append(
            (
                f"Batch fetch: {FETCH_IDS:,} ids, 0 ms latency (client CPU per request; "
                "ratio: time vs bare httpx)",
                rows,
            )
        )

        log("3. end to end, 1,000 ids to Parquet ...")
        with sandbox_server(latency=LATENCY, n=FETCH_IDS) as url:
            runs = sink_runs(url, fetch_ids, ("sink", "memory", "pandas"), 3, tmp)
        sections.append(
            (
                f"End to end: {FETCH_IDS:,} ids -> Parquet, {LATENCY * 1000:.0f} ms latency "
                "(ratio: time vs httpx + pandas)",
                e2e_rows(runs),
            )
        )

        for n, repeats in ((100_000 if not args.quick else 10_000, args.frame_repeats), (big, 1)):
            log(f"2. normalization, {n:,} records ...")
            sections.append(
                (
                    f"Normalization: {n:,} records, {repeats} fresh process(es) each "
                    "(ratio: baseline time / this)",
                    frame_section(n, repeats, tmp, arrow=n <= 100_000),
                )
            )

        log(f"4. sink memory, {sink_n:,} ids at 0 ms ...")
        ids = make_dataset(sink_n, seed=0).fulfillment_ids
        sink_ids = tmp / "ids-sink.txt"
        sink_ids.write_text("\n".join(ids))
        with sandbox_server(latency=0.0, n=sink_n) as url:
            runs = sink_runs(url, sink_ids, ("memory", "sink"), 1, tmp)
        sections.append(
            (
                f"Sink memory: {sink_n:,} ids, 0 ms latency (ratio: peak RSS vs holding "
                "every record)",
                sink_rows(runs),
            )
        )

    audit_n = 10_000 if args.quick else 100_000
    log(f"5. audit, {audit_n:,} fulfillments ...")
    sections.append(
        (
            f"Audit: {audit_n:,} fulfillments, every rule but the order ones "
            "(ratio: row loop time / this)",
            audit_rows(audit_n, args.frame_repeats),
        )
    )

    store_n = 10_000 if args.quick else 100_000
    log(f"6. store, {store_n:,} fulfillments ...")
    with tempfile.TemporaryDirectory() as tmp_name:
        sections.append(
            (
                f"Store: {store_n:,} fulfillments at 0 ms (ratio: relisting time / this; "
                "store.to_frame: this / to_frame from dicts, remote data kept in both)",
                store_section(store_n, 3, Path(tmp_name)),
            )
        )

    print()
    print(
        f"fulfillkit benchmarks: python {platform.python_version()}, {platform.machine()}, "
        f"medians of alternating runs, {time.perf_counter() - started:.0f} s in all"
    )
    print_table(sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
