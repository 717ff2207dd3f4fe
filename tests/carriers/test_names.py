"""Canonical carrier names: the table, its vectorised form and its extension."""

from __future__ import annotations

import pandas as pd
import pytest

from fulfillkit.carriers import (
    DEFAULT_CARRIERS,
    CarrierTable,
    canonical_carrier,
    canonical_carriers,
    fold,
)
from fulfillkit.frames import STRING


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UPS", "UPS"),
        ("ups", "UPS"),
        ("  Ups  ", "UPS"),
        ("United Parcel Service", "UPS"),
        ("UPS Ground", "UPS"),
        ("USPS", "USPS"),
        ("usps", "USPS"),
        ("U.S.P.S.", "USPS"),
        ("United States Postal Service", "USPS"),
        ("FedEx", "FedEx"),
        ("Fedex", "FedEx"),
        ("FEDEX", "FedEx"),
        ("Fed-Ex Ground", "FedEx"),
        ("FedEx SmartPost", "FedEx"),
        ("DHL", "DHL"),
        ("dhl", "DHL"),
        ("DHL Express", "DHL"),
        ("DHL eCommerce", "DHL"),
        ("dhl_parcel", "DHL"),
        ("Other", "Other"),
        ("other", "Other"),
        (" OTHER ", "Other"),
        ("Otherwise Couriers", "Unknown"),
        ("Bob's Courier", "Unknown"),
        ("Royal Mail", "Royal Mail"),
        ("ROYALMAIL", "Royal Mail"),
        ("Colissimo", "La Poste"),
        ("La Poste - Colissimo", "La Poste"),
        ("Postes Canada", "Canada Post"),
        ("pickups", "Unknown"),
        ("", "Unknown"),
        ("   ", "Unknown"),
        (None, "Unknown"),
    ],
)
def test_canonical_carrier(text: str | None, expected: str) -> None:
    assert canonical_carrier(text) == expected


def test_vectorised_names_match_the_scalar_ones_and_keep_the_index() -> None:
    values = pd.Series(
        ["UPS", None, "dhl express", "ups", pd.NA, "Evri", "fedex"], index=list("abcdefg")
    )
    result = canonical_carriers(values)
    assert result.tolist() == [canonical_carrier(v if isinstance(v, str) else None) for v in values]
    assert result.index.equals(values.index)
    assert result.dtype == STRING
    assert canonical_carriers(["UPS"]).tolist() == ["UPS"]
    assert canonical_carriers(pd.Series([], dtype=STRING)).tolist() == []


def test_tables_are_extensible_without_changing_the_default() -> None:
    mine = DEFAULT_CARRIERS.with_rules(
        ("Bob's Courier", [r"\bbob'?s courier\b"]), ("UPS Freight", [r"\bups freight\b"])
    )
    assert canonical_carrier("bob's  courier", table=mine) == "Bob's Courier"
    assert canonical_carrier("UPS Freight", table=mine) == "UPS Freight"  # tried first
    assert canonical_carrier("UPS Freight") == "UPS"
    assert canonical_carrier("Bob's Courier") == "Unknown"
    last = DEFAULT_CARRIERS.with_rules(("Parcels", [r"parcel"]), first=False)
    assert canonical_carrier("united parcel service", table=last) == "UPS"
    assert canonical_carrier("any parcel co", table=last) == "Parcels"
    assert mine.names[:2] == ("Bob's Courier", "UPS Freight")
    assert mine.names[-1] == "Unknown"
    assert CarrierTable([("X", ["x"])], unknown="?").canonical("y") == "?"
    with pytest.raises(ValueError, match="pattern"):
        CarrierTable([("X", [])])


def test_fold() -> None:
    assert fold("  DHL\teCommerce  ") == "dhl ecommerce"
    assert fold("Fed_Ex/Ground") == "fed ex ground"


def test_importing_carriers_loads_no_pandas_numpy_or_pyarrow() -> None:
    import subprocess
    import sys

    code = (
        "import sys, fulfillkit.carriers as c\n"
        "assert c.canonical_carrier('ups') == 'UPS' and c.tracking_url('UPS', '1') is not None\n"
        "print([m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
