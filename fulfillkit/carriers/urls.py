"""Carriers' tracking pages: a URL template per canonical carrier name.

A template is a URL with ``{}`` where the tracking number goes. The number is stripped and
percent-encoded before it is put in, so a number can never break out of its query parameter
(``a&b=c`` stays one value). These pages are *derived*: frames keep Panora's own
``tracking_url`` as it came and put a page built here in a column of its own.

Example:
    >>> tracking_url("UPS", "1Z999AA10123456784")
    'https://www.ups.com/track?tracknum=1Z999AA10123456784'
    >>> tracking_url("Evri", "X1") is None  # no template for this carrier
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from fulfillkit.carriers.inputs import text_or_none

__all__ = ["TRACKING_URL_TEMPLATES", "format_tracking_url", "tracking_url"]

TRACKING_URL_TEMPLATES: Final[Mapping[str, str]] = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}",
    "Royal Mail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "Parcelforce": "https://www.parcelforce.com/track-trace?trackNumber={}",
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    "La Poste": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "Australia Post": "https://auspost.com.au/mypost/track/details/{}",
    "Deutsche Post": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={}",
}
"""Canonical carrier -> tracking page, ``{}`` standing for the URL-encoded number."""


def tracking_url(
    carrier: str | None,
    number: str | None,
    templates: Mapping[str, str] = TRACKING_URL_TEMPLATES,
) -> str | None:
    """The tracking page of ``number`` at ``carrier`` (a canonical name), or ``None`` when
    the carrier has no template or the number is blank. The number is stripped and
    percent-encoded, so it can never break out of its query parameter.

    Example:
        >>> tracking_url("USPS", " 9400 1112 ")
        'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201112'
        >>> tracking_url("Evri", "X1"), tracking_url("UPS", "  ")
        (None, None)
    """
    carrier = text_or_none(carrier, "tracking_url (carrier)")
    number = text_or_none(number, "tracking_url (number)", numbers=True)
    template = templates.get(carrier) if carrier is not None else None
    return None if template is None else format_tracking_url(template, number)


def format_tracking_url(template: str, number: Any) -> str | None:
    """``template`` with its first ``{}`` replaced by the stripped, percent-encoded ``number``
    (appended when there is no ``{}``; ``None`` for a blank or missing number). Plain
    letters and digits need no encoding and get none; other braces are left alone.

    Example:
        >>> format_tracking_url("https://t.example/?n={}", "A/B?c")
        'https://t.example/?n=A%2FB%3Fc'
    """
    if type(number) is int:
        number = str(number)
    if not isinstance(number, str):
        return None
    text = number.strip()
    if not text:
        return None
    head, _, tail = template.partition("{}")
    return head + (text if text.isascii() and text.isalnum() else quote(text, safe="")) + tail
