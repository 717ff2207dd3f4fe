"""Carriers: canonical names, detection from tracking numbers, tracking-page URLs.

Three small modules, one job each, and no pandas, pyarrow or numpy at import:

* :mod:`~fulfillkit.carriers.names`: the canonical carrier table (``" ups "`` -> ``"UPS"``);
* :mod:`~fulfillkit.carriers.detect`: the carrier a tracking number's format and check digit
  name, one vectorised implementation for a column and for one number;
* :mod:`~fulfillkit.carriers.urls`: a carrier's tracking page for a number.

Example:
    >>> from fulfillkit.carriers import canonical_carrier, detect_carrier, tracking_url
    >>> canonical_carrier("United Parcel Service"), detect_carrier("1Z999AA10123456784")
    ('UPS', 'UPS')
    >>> tracking_url("DHL", "3318810025")
    'https://www.dhl.com/global-en/home/tracking.html?tracking-id=3318810025'
"""

from __future__ import annotations

from fulfillkit.carriers.detect import (
    CARRIER_NAMES,
    COMPATIBLE,
    S10_OPERATORS,
    detect_carrier,
    detect_carrier_codes,
    detect_carriers,
    dhl_express_check_digit,
    fedex_check_digit,
    gs1_check_digit,
    is_valid_dhl_express,
    is_valid_fedex,
    is_valid_fedex_express,
    is_valid_s10,
    is_valid_ups,
    is_valid_usps_impb,
    s10_check_digit,
    ups_check_digit,
)
from fulfillkit.carriers.names import (
    DEFAULT_CARRIERS,
    OTHER,
    UNKNOWN,
    CarrierRule,
    CarrierTable,
    canonical_carrier,
    canonical_carriers,
    fold,
)
from fulfillkit.carriers.urls import TRACKING_URL_TEMPLATES, format_tracking_url, tracking_url

# Spelled out again (the imports above, detect.__all__): ruff and mypy --strict re-export only
# a literal list, not [*detect.__all__, ...]; `duplicates` counts these lists, by design.
__all__ = [
    "CARRIER_NAMES",
    "COMPATIBLE",
    "DEFAULT_CARRIERS",
    "OTHER",
    "S10_OPERATORS",
    "TRACKING_URL_TEMPLATES",
    "UNKNOWN",
    "CarrierRule",
    "CarrierTable",
    "canonical_carrier",
    "canonical_carriers",
    "detect_carrier",
    "detect_carrier_codes",
    "detect_carriers",
    "dhl_express_check_digit",
    "fedex_check_digit",
    "fold",
    "format_tracking_url",
    "gs1_check_digit",
    "is_valid_dhl_express",
    "is_valid_fedex",
    "is_valid_fedex_express",
    "is_valid_s10",
    "is_valid_ups",
    "is_valid_usps_impb",
    "s10_check_digit",
    "tracking_url",
    "ups_check_digit",
]
