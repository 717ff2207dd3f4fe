"""Tracking-page URLs: templates, encoding, and no page for an unknown carrier."""

from __future__ import annotations

from fulfillkit.carriers import TRACKING_URL_TEMPLATES, format_tracking_url, tracking_url


def test_tracking_urls() -> None:
    assert tracking_url("UPS", "1Z999AA10123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    assert tracking_url("DHL", "3318810025").endswith("tracking-id=3318810025")  # type: ignore[union-attr]
    assert tracking_url("UPS", "a&b=c#d") == "https://www.ups.com/track?tracknum=a%26b%3Dc%23d"
    assert tracking_url("Unknown", "1Z999AA10123456784") is None
    assert tracking_url(None, "x") is None
    assert tracking_url("UPS", None) is None
    assert tracking_url("X", "1", {"X": "https://x.example/{}"}) == "https://x.example/1"


def test_every_template_takes_the_number_once_and_encodes_it() -> None:
    for carrier, template in TRACKING_URL_TEMPLATES.items():
        assert template.count("{}") == 1, carrier
        url = tracking_url(carrier, " a b/c ")
        assert url is not None and url.startswith("https://"), carrier
        assert "a%20b%2Fc" in url and " " not in url, carrier
    assert format_tracking_url("https://x.example/", "AB1") == "https://x.example/AB1"
    assert format_tracking_url("https://x.example/{}", 12) == "https://x.example/12"
    assert format_tracking_url("https://x.example/{}", 1.5) is None
