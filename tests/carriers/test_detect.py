"""Carrier detection from tracking numbers: published valid examples, broken check digits,
ambiguity, cleaning, and the one (vectorised) implementation agreeing with a plain-Python
reference written from the published rules, for a column and for one number."""

from __future__ import annotations

import random
import re
from typing import Any

import pandas as pd
import pytest

from fulfillkit.carriers import (
    CARRIER_NAMES,
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

# Valid numbers published by the carriers, the UPU, or collected with their rules by the
# tracking_number_data project (its "test_numbers"), with the carrier they must give.
VALID = [
    # UPS 1Z: UPS's developer-guide example and real-world numbers.
    ("1Z999AA10123456784", "UPS"),
    ("1Z5R89390357567127", "UPS"),
    ("1Z879E930346834440", "UPS"),
    ("1Z410E7W0392751591", "UPS"),
    ("1Z8V92A70367203024", "UPS"),
    # USPS: 20 digits, IMpb 22 / 26, and with a 420 + ZIP routing prefix (30 / 34).
    ("03071790000523483741", "USPS"),
    ("71123456789123456787", "USPS"),
    ("9400111201080805483016", "USPS"),
    ("9361289878700317633795", "USPS"),
    ("9405803699300124287899", "USPS"),
    ("9505511069605048600624", "USPS"),
    ("9101123456789000000013", "USPS"),
    ("92748931507708513018050063", "USPS"),
    ("420221539101026837331000039521", "USPS"),
    ("4201002334249200190132607600833457", "USPS"),
    ("4201028200009261290113185417468510", "USPS"),
    # FedEx: Express 12, Ground 15, SmartPost 20, SSCC 20, Ground 96 22, Express 34, GSN 34.
    ("986578788855", "FedEx"),
    ("477179081230", "FedEx"),
    ("799531274483", "FedEx"),
    ("790535312317", "FedEx"),
    ("974367662710", "FedEx"),
    ("041441760228964", "FedEx"),
    ("568283610012000", "FedEx"),
    ("568283610012734", "FedEx"),
    ("61299998820821171811", "FedEx"),
    ("00000000000000000000", "FedEx"),  # "00" + SSCC-18 with its (zero) check digit
    ("9611020987654312345672", "FedEx"),
    ("1001921334250001000300779017972697", "FedEx"),
    ("1002297871540001000300790695517286", "FedEx"),
    ("9622001900000000000000776632517510", "FedEx"),
    ("9632001560123456789900794808390594", "FedEx"),
    # DHL Express waybills.
    ("3318810025", "DHL"),
    ("8487135506", "DHL"),
    ("1099255990", "DHL"),
    ("3821724944", "DHL"),
    # UPU S10 (the UPU's own example RR123456785 with several countries).
    ("RR123456785GB", "Royal Mail"),
    ("RB123456785US", "USPS"),
    ("EE123456785FR", "La Poste"),
    ("CP123456785CA", "Canada Post"),
    ("LX123456785AU", "Australia Post"),
    ("RR123456785DE", "Deutsche Post"),
]

# Each valid number with one digit changed: the check digit no longer matches.
INVALID = [
    "1Z999AA10123456785",
    "1Z5R89390357567128",
    "2Z5R89390357567127",  # not 1Z
    "1Z1111111111111111",
    "03071790000523483743",
    "9400111201080805483017",
    "9200000000000000000000",
    "92748931507708513018050064",
    "420221539101026837331000039522",
    "4201028200009261290113185417468511",
    "996578788855",
    "986578788856",
    "568283610012732",
    "9600000000000000000001",
    "1001901781990001000300617767839438",
    "9622001560001234567100794808390595",
    "3318810010",
    "3318810024",
    "RB123456786US",
    "RR123456784GB",
]

NOT_NUMBERS = [None, "", "   ", "hello", "1Z", "12345", "GM2951173225174494", "N/A", "€1234567890"]


@pytest.mark.parametrize(("number", "carrier"), VALID)
def test_published_valid_numbers_are_detected(number: str, carrier: str) -> None:
    assert detect_carrier(number) == carrier


@pytest.mark.parametrize("number", INVALID)
def test_a_wrong_check_digit_detects_nothing(number: str) -> None:
    assert detect_carrier(number) is None


@pytest.mark.parametrize("number", NOT_NUMBERS)
def test_other_text_detects_nothing(number: str | None) -> None:
    assert detect_carrier(number) is None


def test_any_other_check_digit_fails_for_every_valid_number() -> None:
    for number, carrier in VALID:
        s10 = number[-2:].isalpha()
        check = len(number) - 3 if s10 else -1
        for digit in "0123456789":
            if digit == number[check]:
                continue
            changed = number[:check] + digit + (number[check + 1 :] if check != -1 else "")
            found = detect_carrier(changed)
            if len(number) == 20 and {found, carrier} == {"FedEx", "USPS"}:
                # The one ambiguity: a USPS 20-digit number whose check digit is 1 too high
                # is a valid FedEx SmartPost 20-digit one, and the other way round.
                continue
            assert found is None, changed


def test_validators() -> None:
    assert is_valid_ups("1Z999AA10123456784") and not is_valid_ups("1Z999AA10123456785")
    assert is_valid_usps_impb("9400111201080805483016")
    assert not is_valid_usps_impb("9611020987654312345672")  # FedEx Ground 96
    assert is_valid_fedex_express("986578788855") and not is_valid_fedex_express("996578788855")
    assert is_valid_fedex("9611020987654312345672") and not is_valid_fedex("986578788856")
    assert is_valid_dhl_express("3318810025") and not is_valid_dhl_express("3318810024")
    assert is_valid_s10("RB123456785CV")  # valid S10 of a country without an operator here
    assert detect_carrier("RB123456785CV") is None
    assert not is_valid_s10("RB123456785C1")


def test_cleaning_spaces_hyphens_and_case() -> None:
    assert detect_carrier(" 1z 999 aa1 0123456784 ") == "UPS"
    assert detect_carrier("9400-1112-0108-0805-4830-16") == "USPS"
    assert detect_carrier("rr123456785gb") == "Royal Mail"
    assert detect_carrier(986578788855) == "FedEx"  # sent as a JSON number
    assert detect_carrier(4201002334249200190132607600833457) == "USPS"  # beyond int64 too
    assert detect_carrier("1Z999AA1012345678４") is None  # a full-width digit is not ASCII
    assert detect_carrier("1Z999AA1.0123456784") is None


def test_ambiguity_is_resolved_by_length_and_prefix() -> None:
    # A 22-digit 92... IMpb is valid as USPS and as FedEx SmartPost: USPS, the carrier that
    # tracks it, is named (and a stated FedEx is not a mismatch: see test_frame).
    assert detect_carrier("9261292700768711948021") == "USPS"
    # The 20-digit SmartPost form never satisfies the USPS rule (the "92" shifts the sum).
    assert detect_carrier("61299998820821171811") == "FedEx"
    # "96" is FedEx Ground's application identifier, not an IMpb one.
    assert detect_carrier("9611020987654312345672") == "FedEx"


def test_the_vectorised_detector_agrees_with_a_plain_python_reference() -> None:
    rng = random.Random(4)
    values: list[object] = [*(n for n, _ in VALID), *INVALID, *NOT_NUMBERS]
    for _ in range(3000):
        size = rng.choice([10, 12, 13, 15, 18, 20, 22, 26, 30, 34])
        digits = "".join(rng.choice("0123456789") for _ in range(size))
        values += [digits, "1Z" + digits[:16], "RR" + digits[:9] + rng.choice(["GB", "FR", "ZZ"])]
        values += ["420" + digits[:5] + "92" + digits[:20], "96" + digits[:20], "00" + digits[:18]]
    odd: list[object] = [123, 3.5, b"1Z", b"1Z999AA10123456784", True, 986578788855]
    odd += [4201002334249200190132607600833457, 2**64, [1], {"a": 1}, -5]  # past int64 too
    values += [" " + str(v).lower() + "-" for v in values[:200]] + odd
    expected = [reference_detect(v) for v in values]
    # each a batch of one; a list or a dict is a column, not one value: refused
    one_by_one = [v for v in [*values[:2000], *odd] if not isinstance(v, (list, dict))]
    assert [detect_carrier(v) for v in one_by_one] == [reference_detect(v) for v in one_by_one]
    codes = detect_carrier_codes(values)
    assert [None if c < 0 else CARRIER_NAMES[c] for c in codes] == expected
    assert sum(e is not None for e in expected) > 500  # the sample exercises every rule
    assert {e for e in expected if e} >= {"UPS", "USPS", "FedEx", "DHL", "Royal Mail"}
    series = pd.Series(values, index=range(10, 10 + len(values)), dtype=object)
    detected = detect_carriers(series)
    assert detected.index.equals(series.index)
    assert [None if pd.isna(v) else v for v in detected] == expected
    assert len(detect_carrier_codes([])) == 0


def test_operators_are_carrier_names() -> None:
    assert set(S10_OPERATORS.values()) <= set(CARRIER_NAMES)
    assert CARRIER_NAMES[:4] == ("UPS", "USPS", "FedEx", "DHL")


def test_check_digit_functions_agree_with_the_reference_arithmetic() -> None:
    rng = random.Random(7)
    for _ in range(300):
        digits = "".join(rng.choice("0123456789") for _ in range(21))
        alnum = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(15))
        assert ups_check_digit(alnum) == ref_ups(alnum)
        assert gs1_check_digit(digits) == ref_gs1(digits)
        assert fedex_check_digit(digits[:11]) == ref_weighted(digits[:11], FEDEX_EXPRESS) % 10
        assert dhl_express_check_digit(digits[:9]) == int(digits[:9]) % 7
        assert s10_check_digit(digits[:8]) == ref_s10(digits[:8])
    with pytest.raises(ValueError):
        gs1_check_digit("12a")
    with pytest.raises(ValueError):
        s10_check_digit("123")


def test_validators_agree_with_the_reference() -> None:
    for number in [n for n, _ in VALID] + INVALID + ["RB123456785CV"]:
        found = reference_detect(number)
        clean = ref_clean(number) or ""
        assert is_valid_ups(number) == (found == "UPS")
        assert is_valid_dhl_express(number) == (found == "DHL")
        assert is_valid_fedex(number) == (found == "FedEx")
        assert is_valid_fedex_express(number) == (found == "FedEx" and len(clean) == 12)
        assert is_valid_usps_impb(number) == (found == "USPS" and clean.isdigit())
        assert is_valid_s10(number) == (len(clean) == 13 and ref_s10_ok(clean))


# --- a plain-Python reference, written from the rules in fulfillkit.carriers.detect ----------

FEDEX_EXPRESS = (3, 1, 7) * 3 + (3, 1)
FEDEX_34 = (1, 7, 3) * 4 + (1,)


def ref_clean(number: Any) -> str | None:
    if type(number) is int:
        number = str(number)
    if not isinstance(number, str) or not number.isascii():
        return None
    text = re.sub(r"[ \t\n\r\f\v-]+", "", number).upper()
    return text if re.fullmatch(r"[0-9A-Z]+", text) else None


def ref_ups(body: str) -> int:
    values = [int(c) if c.isdigit() else (ord(c) - 3) % 10 for c in body]
    return (10 - sum(v * (2 if i % 2 else 1) for i, v in enumerate(values)) % 10) % 10


def ref_gs1(body: str) -> int:
    return (10 - sum(int(c) * (1 if i % 2 else 3) for i, c in enumerate(reversed(body))) % 10) % 10


def ref_gs1_ok(digits: str) -> bool:
    return ref_gs1(digits[:-1]) == int(digits[-1])


def ref_weighted(body: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11


def ref_s10(serial: str) -> int:
    check = 11 - sum(int(c) * w for c, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def ref_s10_ok(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{2}[0-9]{9}[A-Z]{2}", text)) and ref_s10(text[2:10]) == int(
        text[10]
    )


def reference_detect(number: Any) -> str | None:
    text = ref_clean(number)
    if text is None:
        return None
    size, impb = len(text), ("91", "92", "93", "94", "95")
    if size == 18:
        ok = text.startswith("1Z") and text[17].isdigit() and ref_ups(text[2:17]) == int(text[17])
        return "UPS" if ok else None
    if size == 13:
        return S10_OPERATORS.get(text[11:]) if ref_s10_ok(text) else None
    if not text.isdigit():
        return None
    if size == 10:
        return "DHL" if int(text[:9]) % 7 == int(text[-1]) else None
    if size == 12:
        return "FedEx" if ref_weighted(text[:11], FEDEX_EXPRESS) % 10 == int(text[-1]) else None
    if size == 15:
        return "FedEx" if ref_gs1_ok(text) else None
    if size == 26:
        return "USPS" if text.startswith(impb) and ref_gs1_ok(text) else None
    if size == 20:
        if text.startswith("00"):
            return "FedEx" if ref_gs1_ok(text) else None
        return "USPS" if ref_gs1_ok(text) else "FedEx" if ref_gs1_ok("92" + text) else None
    if size == 22:
        if text.startswith("96"):
            return "FedEx" if ref_gs1_ok(text[7:]) else None
        return "USPS" if text.startswith(impb) and ref_gs1_ok(text) else None
    if size in (30, 34) and text.startswith("420"):
        return "USPS" if text[-22:].startswith(impb) and ref_gs1_ok(text[-22:]) else None
    if size == 34 and text.startswith(("100", "96")):
        ok = ref_weighted(text[20:33], FEDEX_34) % 10 == int(text[33])
        return "FedEx" if ok else None
    return None
