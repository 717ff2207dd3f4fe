"""Every public function, driven with a table of wrong inputs: each is refused with one
fulfillkit exception that says what was given and what to pass, never a raw
``AttributeError``, ``TypeError``, ``KeyError`` or a third-party exception, and before
any request is sent."""

# This module passes wrong types on purpose: that is what it tests.
# mypy: disable-error-code="arg-type"

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.sandbox import SandboxApp

WRONG: dict[str, Any] = {
    "None": None,
    "int": 42,
    "text": "some text",
    "bytes": b"raw",
    "ints": [1, 2],
    "object": object(),
    "empty frame": pd.DataFrame(),
    "frame without columns it needs": pd.DataFrame({"x": [1]}),
}
"""Wrong for every data argument (fulfillments to analyse or write)."""

NOT_RECORDS: dict[str, Any] = {
    **WRONG,
    "one record": {"id": "a"},
    "a Series": pd.Series(["a"]),
}
"""Wrong for functions that take records (a frame is wrong there too)."""

WRONG_IDS: dict[str, Any] = {
    "None": None,
    "int": 42,
    "one id as text": "801f9ede-c698-4e66-a7fc-48d19eebaa4f",
    "bytes": b"x",
    "a frame": pd.DataFrame({"id": ["a"]}),
    "a mapping": {"a": 1},
    "ints": [1, 2],
    "blank": ["a", "   "],
    "missing": pd.Series(["a", None], dtype="string"),
    "object": object(),
}
"""Wrong for ``get_many``'s ids (and ``get``'s one id, for the scalar ones)."""

OUT = Path("never-written")


def _data_functions(tmp: Path) -> dict[str, Callable[[Any], object]]:
    return {
        "audit": fk.audit,
        "audit_summary": fk.audit_summary,
        "carrier_report": fk.carrier_report,
        "plot_carriers": fk.plot_carriers,
        "plot_timeline": fk.plot_timeline,
        "plot_status_mix": fk.plot_status_mix,
        "plot_fulfillment_lag": fk.plot_fulfillment_lag,
        "plot_tracking_coverage": fk.plot_tracking_coverage,
        "plot_time_in_status": fk.plot_time_in_status,
        "time_in_status": fk.time_in_status,
        "report_html": lambda d: fk.report_html(d, tmp / "report.html"),
        "join_orders": lambda d: fk.join_orders(d, []),
        "explorer": lambda d: fk.explorer(d),
        "status_changes": fk.status_changes,
    }


def _record_functions() -> dict[str, Callable[[Any], object]]:
    return {
        "to_frame": fk.to_frame,
        "to_arrow": fk.to_arrow,
        "to_polars": fk.to_polars,
        "items_frame": fk.items_frame,
        "orders_frame": fk.orders_frame,
    }


@pytest.fixture
def refused(tmp_path: Path) -> Iterator[Callable[[Callable[[], object]], fk.FulfillkitError]]:
    """``refused(call)``: call it, expect a fulfillkit exception with a message; nothing
    written under ``tmp_path``."""

    def check(call: Callable[[], object]) -> fk.FulfillkitError:
        # A raw TypeError, KeyError or third-party error escapes pytest.raises and fails
        # the test with itself: the defect this test exists for.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(fk.FulfillkitError) as info:
                call()
        assert str(info.value).strip(), "an empty message"
        return info.value

    yield check
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "wrote something"


@pytest.mark.parametrize("wrong", list(WRONG), ids=str)
@pytest.mark.parametrize("name", list(_data_functions(Path())), ids=str)
def test_data_arguments_refuse_what_they_cannot_take(
    name: str, wrong: str, tmp_path: Path, refused: Any
) -> None:
    if name == "explorer" and wrong == "None":
        pytest.skip("explorer() with nothing opens the sandbox: that is its default")
    function = _data_functions(tmp_path)[name]
    error = refused(lambda: function(WRONG[wrong]))
    assert isinstance(error, (fk.InvalidDataError, fk.ConfigurationError))


@pytest.mark.parametrize("wrong", list(NOT_RECORDS), ids=str)
@pytest.mark.parametrize("name", list(_record_functions()), ids=str)
def test_record_arguments_refuse_what_is_not_records(name: str, wrong: str, refused: Any) -> None:
    if name == "orders_frame" and wrong == "one record":
        pytest.skip("one dict of an order is not refused by orders_frame's caller join_orders")
    function = _record_functions()[name]
    error = refused(lambda: function(NOT_RECORDS[wrong]))
    assert isinstance(error, fk.InvalidDataError)
    assert "takes" in str(error) and "got" in str(error)


@pytest.mark.parametrize("wrong", ["None", "int", "bytes", "ints", "object"], ids=str)
def test_export_refuses_what_it_cannot_write(wrong: str, tmp_path: Path, refused: Any) -> None:
    refused(lambda: fk.export(WRONG[wrong], tmp_path / "out.csv"))


@pytest.mark.parametrize("path", [None, 42, b"x.csv", "out.xlsx", "", "folder"], ids=str)
def test_writers_refuse_a_path_they_cannot_write(path: Any, tmp_path: Path, refused: Any) -> None:
    frame = fk.to_frame([{"id": "a"}])
    target = tmp_path / "folder" if path == "folder" else path
    if path == "folder":
        (tmp_path / "folder").mkdir()
    error = refused(lambda: fk.export(frame, target))
    assert isinstance(error, (fk.OutputPathError, fk.ExportFormatError))
    (tmp_path / "folder").rmdir() if path == "folder" else None


@pytest.mark.parametrize("wrong", list(WRONG_IDS), ids=str)
def test_ids_are_refused_before_any_request(wrong: str, refused: Any) -> None:
    app = SandboxApp(n=5, rate_limit=None)
    with fk.Client.sandbox(app=app) as client:
        error = refused(lambda: client.get_many(WRONG_IDS[wrong], progress=False))
        if wrong in ("None", "int", "bytes", "object"):
            refused(lambda: client.get(WRONG_IDS[wrong]))
    assert isinstance(error, fk.InvalidIdError)
    assert app.stats.requests == 0


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        (lambda: fk.canonical_carrier(42), fk.InvalidDataError),
        (lambda: fk.canonical_carriers("UPS"), fk.InvalidDataError),
        (lambda: fk.canonical_carriers(pd.DataFrame({"c": ["UPS"]})), fk.InvalidDataError),
        (lambda: fk.canonical_carriers(42), fk.InvalidDataError),
        (lambda: fk.detect_carrier(["1Z"]), fk.InvalidDataError),
        (lambda: fk.detect_carriers(None), fk.InvalidDataError),
        (lambda: fk.detect_carriers("1Z999"), fk.InvalidDataError),
        (lambda: fk.tracking_url(["UPS"], "1Z"), fk.InvalidDataError),
        (lambda: fk.tracking_url("UPS", {"n": 1}), fk.InvalidDataError),
        (lambda: fk.display_report(pd.DataFrame()), fk.InvalidDataError),
        (lambda: fk.display_report([1]), fk.InvalidDataError),
        (lambda: fk.read_frame(42), fk.FulfillkitError),
        (lambda: fk.Store(42), fk.ConfigurationError),
        (lambda: fk.Store(":memory:", busy_timeout=-1), fk.ConfigurationError),
        (lambda: fk.Store(":memory:").sync(object()), fk.ConfigurationError),
        (lambda: fk.Store(":memory:").to_frame(since="not a date"), fk.ConfigurationError),
        (lambda: fk.Store(":memory:").sql(42), fk.ConfigurationError),
        (
            lambda: fk.Client("k" * 12, connection_token="t" * 12, base_url=42),
            fk.ConfigurationError,
        ),
        (
            lambda: fk.Client("k" * 12, connection_token="t" * 12, timeout="x"),
            fk.ConfigurationError,
        ),
        (lambda: fk.Client("k" * 12, connection_token=" t" * 6), fk.ConfigurationError),
    ],
)
def test_scalars_and_settings_say_what_they_take(
    call: Callable[[], object], kind: type[fk.FulfillkitError], refused: Any
) -> None:
    assert isinstance(refused(call), kind)


def test_a_missing_file_is_python_s_own_error_naming_it() -> None:
    with pytest.raises(FileNotFoundError, match=r"no-such-file\.parquet"):
        fk.read_frame("no-such-file.parquet")


def test_the_table_covers_every_public_function() -> None:
    """A new public function must join a table above (or be listed here as taking no
    data: a class, a constant, a version)."""
    covered = {
        *_data_functions(Path()),
        *_record_functions(),
        "export",
        "read_frame",
        "canonical_carrier",
        "canonical_carriers",
        "detect_carrier",
        "detect_carriers",
        "tracking_url",
        "display_report",
    }
    functions = {
        name
        for name in fk.__all__
        if callable(getattr(fk, name)) and not isinstance(getattr(fk, name), type)
    }
    assert functions - covered == set()
