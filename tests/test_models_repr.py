"""A fulfillment's own displays (``_repr_html_`` and the IPython text repr): what they
show, and that every value from the API is escaped and only http(s) URLs become links."""

from __future__ import annotations

import re

import pytest

import fulfillkit as fk
from fulfillkit.formatting import safe_url
from fulfillkit.models import fulfillment_html, fulfillment_text

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [SCRIPT, "<img src=x onerror=alert(1)>", "a & b", "quote\" and 'single'"]


def hostile_fulfillment() -> fk.Fulfillment:
    return fk.Fulfillment.model_validate(
        {
            "id": SCRIPT,
            "remote_id": "<b>remote</b>",
            "order_id": "o&1",
            "carrier": 'Bob\'s "Fast" <Courier>',
            "tracking_numbers": ["<i>1Z</i>", None],
            "tracking_urls": [
                "javascript:alert(1)",
                'https://track.example/?n=1"onmouseover="alert(1)',
            ],
            "field_mappings": {"<key>": "<value> & 'q'", "nested": {"x": SCRIPT}},
            "items": [{"sku": "<sku>"}],
            "created_at": "2024-05-01T10:00:00Z",
            "<extra>": 1,
        }
    )


def assert_no_raw_markup(html: str) -> None:
    """No hostile tag survives, and no attribute could be opened by a value."""
    for bad in ("<script", "<img", "<i>", "<b>remote", "<key>", "<value>", "<sku>", "<Courier"):
        assert bad not in html, bad
    assert 'onmouseover="alert' not in html
    assert all(not h.startswith("javascript") for h in re.findall(r"href='([^']*)'", html))


def test_fulfillment_html_escapes_every_api_value() -> None:
    out = fulfillment_html(hostile_fulfillment())
    assert_no_raw_markup(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "Bob&#x27;s &quot;Fast&quot; &lt;Courier&gt;" in out
    assert "o&amp;1" in out
    assert "&lt;key&gt;" in out and "&lt;value&gt; &amp; &#x27;q&#x27;" in out
    assert "&lt;extra&gt;" in out


def test_only_http_urls_become_links_and_quotes_cannot_break_out() -> None:
    out = fulfillment_html(hostile_fulfillment())
    hrefs = re.findall(r"href='([^']*)'", out)
    assert hrefs == ["https://track.example/?n=1&quot;onmouseover=&quot;alert(1)"]
    assert "javascript:alert(1)" in out  # shown, as inert text
    assert safe_url("JAVASCRIPT:alert(1)") is None
    assert safe_url("https://a.example/\nx") is None
    assert safe_url(None) is None
    assert safe_url(" http://a.example/x ") == "http://a.example/x"


def test_fulfillment_html_shows_the_record() -> None:
    f = fk.Fulfillment.model_validate(
        {
            "id": "f1",
            "carrier": "UPS",
            "tracking_numbers": ["1Z1", "1Z2"],
            "tracking_urls": ["https://ups.example/1Z1"],
            "created_at": "2024-05-01T10:00:00Z",
        }
    )
    out = fulfillment_html(f)
    assert "<code>f1</code>" in out and "UPS" in out
    assert out.count("<li>") == 2
    assert "2024-05-01 10:00:00+00:00" in out


def test_fulfillment_text() -> None:
    text = fulfillment_text(hostile_fulfillment())
    lines = text.splitlines()
    assert lines[0] == f"Fulfillment {SCRIPT}"  # plain text: nothing to escape
    assert any(line.strip().startswith("tracking:") and "<i>1Z</i>" in line for line in lines)
    assert any("fields:" in line and "<key>" in line for line in lines)
    long = fk.Fulfillment(id="x" * 1000)
    assert len(fulfillment_text(long).splitlines()[0]) < 250


def test_fulfillment_with_nothing() -> None:
    f = fk.Fulfillment()
    assert fulfillment_text(f).startswith("Fulfillment -")
    assert "<table>" in fulfillment_html(f)


def test_the_record_shows_itself_with_these() -> None:
    from IPython.lib.pretty import pretty

    f = hostile_fulfillment()
    assert f._repr_html_() == fulfillment_html(f)
    assert pretty(f) == fulfillment_text(f)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_hostile_value_in_every_field(value: str) -> None:
    f = fk.Fulfillment.model_validate(
        {
            "id": value,
            "remote_id": value,
            "order_id": value,
            "carrier": value,
            "tracking_numbers": [value],
            "tracking_urls": [value],
            "field_mappings": {value: value},
            "items": [value],
            "unparsed": value,
        }
    )
    out = fulfillment_html(f)
    assert value not in out
    assert "<script" not in out and "<img" not in out


def test_models_do_not_import_the_notebook_layer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, fulfillkit.models as m\n"
        "m.fulfillment_html(m.Fulfillment(id='a'))\n"
        "bad = [k for k in sys.modules if k.startswith(('fulfillkit.notebook', 'pandas'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
