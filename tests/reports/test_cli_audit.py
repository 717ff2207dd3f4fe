"""``fulfillkit audit`` on the command line: rules not run (said, and exit status 3), the
orders joined with --orders, --max-lag refused without them, the rule list in --help, and
-o through the output-path rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.cli import AUDIT_NOT_RUN, main
from fulfillkit.reports.auditing import RULES
from fulfillkit.sandbox import make_dataset


@pytest.fixture(scope="module")
def dataset() -> Any:
    return make_dataset(120, seed=33)


@pytest.fixture
def files(dataset: Any, tmp_path: Path) -> dict[str, Path]:
    plain = [{k: v for k, v in r.items() if k != "remote_data"} for r in dataset.fulfillments]
    return {
        "plain": fk.export(fk.to_frame(plain), tmp_path / "plain.parquet"),
        "remote": fk.export(fk.to_frame(dataset.fulfillments), tmp_path / "remote.csv"),
        "orders": fk.export(fk.orders_frame(dataset.orders), tmp_path / "orders.csv"),
    }


def test_a_rule_asked_for_that_cannot_run_is_said_and_exits_3(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["audit", str(files["plain"]), "--rules", "slow_fulfillment,no_order"])
    assert code == AUDIT_NOT_RUN == 3
    out, err = capsys.readouterr()
    assert "not run: slow_fulfillment: needs orders joined" in out
    assert "--orders FILE" in out
    rows = {line.split()[1]: line.split()[2:] for line in out.splitlines()[1:3]}
    assert rows["no_order"][0] == "ran"
    assert rows["slow_fulfillment"][:3] == ["not", "run", "-"]  # a dash, never a 0
    assert err.strip() == "fulfillkit: audit: slow_fulfillment not run (see above); exit status 3"


def test_by_default_rules_not_run_are_listed_and_the_audit_succeeds(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(files["plain"])]) == 0
    out = capsys.readouterr().out
    for rule in ("shipment_failed", "untracked_too_long", "created_before_order"):
        assert f"not run: {rule}: needs" in out
    assert main(["audit", str(files["remote"])]) == 0  # remote data: those rules run
    out = capsys.readouterr().out
    assert "not run: shipment_failed" not in out and "not run: created_before_order" in out


def test_max_lag_without_orders_is_refused_before_the_audit(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(files["plain"]), "--max-lag", "3D"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "--max-lag needs the orders: add --orders FILE" in err


def test_orders_are_joined_for_the_order_rules(
    files: dict[str, Path], dataset: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "out" / "deep" / "findings.parquet"  # missing folders: created
    rules = "slow_fulfillment,created_before_order"
    args = ["audit", str(files["plain"]), "--orders", str(files["orders"])]
    assert main([*args, "--max-lag", "2D", "--rules", rules, "-o", str(written)]) == 0
    out = capsys.readouterr().out
    assert "not run" not in out
    joined = fk.join_orders(fk.read_frame(files["plain"]), fk.orders_frame(dataset.orders))
    expected = fk.audit(joined, rules=rules.split(","), max_lag="2D")
    assert len(expected) > 0
    pd.testing.assert_frame_equal(fk.read_frame(written), expected)
    assert f"{len(expected):,} findings on" in out


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ("plain", "is a fulfillments export; --orders takes the orders"),
        ("missing", "no such file"),
        ("no-created", "is not an orders export"),
    ],
)
def test_bad_orders_files_are_one_line(
    orders: str,
    message: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = {
        **files,
        "missing": tmp_path / "nope.csv",
        "no-created": fk.export(pd.DataFrame({"id": ["o1"]}), tmp_path / "o.csv"),
    }
    assert main(["audit", str(files["plain"]), "--orders", str(paths[orders])]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_orders_on_an_export_already_joined_are_refused(
    files: dict[str, Path], dataset: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    joined = fk.join_orders(fk.read_frame(files["plain"]), fk.orders_frame(dataset.orders))
    path = fk.export(joined, tmp_path / "joined.parquet")
    # Already joined: --max-lag works without --orders ...
    assert main(["audit", str(path), "--max-lag", "2D", "--rules", "slow_fulfillment"]) == 0
    capsys.readouterr()
    # ... and joining again is refused, saying why.
    assert main(["audit", str(path), "--orders", str(files["orders"])]) == 2
    assert "already has order columns" in capsys.readouterr().err


def test_output_path_rule_before_any_work(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "findings.csv"
    folder.mkdir()
    # Refused before the file is read: even a missing input is not reached.
    assert main(["audit", str(tmp_path / "missing.parquet"), "-o", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "is a folder; give a file name in it" in err
    assert str(folder) in err and ".tmp" not in err
    # An unknown rule too is refused before reading.
    assert main(["audit", str(tmp_path / "missing.parquet"), "--rules", "nope"]) == 2
    assert "unknown audit rule" in capsys.readouterr().err


def test_help_lists_every_rule_and_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--help"]) == 0
    out = capsys.readouterr().out
    for rule in RULES:
        line = next(line for line in out.splitlines() if line.startswith(f"  {rule.name} "))
        assert rule.severity in line
    assert "exit codes" in out and f"{AUDIT_NOT_RUN}    audit: a rule named with --rules" in out
    assert "--orders FILE" in out and "{" not in out
