"""The carrier behind a tracking number, from its format and check digit; tracking URLs.

Merchants often leave Shopify's carrier blank or type ``"Other"``, but the tracking number
itself says a lot: most carriers publish a format with a check digit. :func:`detect_carrier`
reads one number, :func:`detect_carriers` a whole column (vectorised with numpy: about
10 ms for 100,000 numbers), and :func:`tracking_url` builds a carrier's tracking page URL.

Before checking, a number is *cleaned*: it must be ASCII; spaces, tabs and hyphens are
removed and letters upper-cased (``"1z 999 aa1 0123456784"`` is read as
``"1Z999AA10123456784"``). Then one rule applies, chosen by length and prefix alone, so at
most one rule is ever tried and the result is deterministic:

==========  ==================================  ============================  ==============
length      shape                               check digit                   carrier
==========  ==================================  ============================  ==============
18          ``1Z`` + 15 letters/digits + check  UPS mod 10 (letters as        UPS
                                                ``(ord - 3) % 10``, odd
                                                positions x2)
13          2 letters + 8 digits + check +      UPU S10: weights 8,6,4,2,3,   postal operator
            2-letter country (``RR123456785GB``)  5,9,7, mod 11 (10->0, 11->5)  of the country
10          digits                              DHL Express: first 9 mod 7    DHL
12          digits                              FedEx Express: weights 3,1,7  FedEx
                                                mod 11 mod 10
15          digits                              FedEx Ground: GS1 mod 10      FedEx
20          digits, ``00`` + SSCC-18            GS1 mod 10                    FedEx
20          other digits                        GS1 mod 10 -> USPS; else      USPS / FedEx
                                                ``92`` + number GS1 mod 10
                                                (FedEx SmartPost) -> FedEx
22          ``96`` + digits                     FedEx Ground 96: GS1 mod 10   FedEx
                                                on the last 15
22, 26      ``91``-``95`` + digits (IMpb)       GS1 mod 10                    USPS
30, 34      ``420`` + ZIP (5 or 9) + 22-digit   GS1 mod 10 on the IMpb        USPS
            IMpb
34          ``100`` + digits                    FedEx Express 34: weights     FedEx
                                                1,7,3 on the last 14, mod 11
                                                mod 10
34          ``96`` + digits (Ground GSN)        as FedEx Express 34           FedEx
==========  ==================================  ============================  ==============

"GS1 mod 10" is the USPS IMpb / GS1 rule: digits weighted 3 and 1 alternately from the
right (the digit next to the check digit weighs 3), check = ``(10 - sum % 10) % 10``. The
rules are the carriers' published ones as collected by the ``tracking_number_data`` project
(whose ``test_numbers`` the tests use); the package ``tracking-numbers`` was not used: its
data dates from 2022 and it would be one more dependency for a few rules.

Ambiguity, resolved deterministically:

* An IMpb number (``92...``, 22 digits) is also what FedEx SmartPost / Ground Economy, UPS
  Mail Innovations / SurePost and DHL eCommerce print when USPS delivers the last mile: it
  is detected as ``USPS`` (the one network that can track it), and
  :data:`COMPATIBLE` records that such a number is *consistent* with a stated FedEx, UPS or
  DHL: no mismatch.
* A 20-digit number can satisfy the USPS rule or the SmartPost rule (the ``92`` prefix shifts
  the sum by 29, so never both: USPS is tried first); SSCC numbers starting ``00`` are taken
  as FedEx. The price: a USPS 20-digit number whose check digit is one too high reads as
  SmartPost, and the other way round.
* A check digit catches typos, not random numbers: one 10-digit number in 7 passes the DHL
  rule by chance, so a detection is strong evidence only together with the length and
  prefix it came from.

Example:
    >>> detect_carrier("1Z999AA10123456784"), detect_carrier("1Z999AA10123456785")
    ('UPS', None)
    >>> detect_carrier("RR 123 456 785 GB"), detect_carrier("9400 1112 0108 0805 4830 16")
    ('Royal Mail', 'USPS')
    >>> tracking_url("UPS", "1Z999AA10123456784")
    'https://www.ups.com/track?tracknum=1Z999AA10123456784'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

if TYPE_CHECKING:  # numpy, pandas and pyarrow load only when a column is detected
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

__all__ = [
    "CARRIER_NAMES",
    "COMPATIBLE",
    "S10_OPERATORS",
    "TRACKING_URL_TEMPLATES",
    "detect_carrier",
    "detect_carrier_codes",
    "detect_carriers",
    "dhl_express_check_digit",
    "fedex_check_digit",
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

S10_OPERATORS: Final[Mapping[str, str]] = {
    "AT": "Austrian Post",
    "AU": "Australia Post",
    "BE": "bpost",
    "BR": "Correios",
    "CA": "Canada Post",
    "CH": "Swiss Post",
    "CN": "China Post",
    "DE": "Deutsche Post",
    "DK": "PostNord",
    "ES": "Correos",
    "FR": "La Poste",
    "GB": "Royal Mail",
    "HK": "Hongkong Post",
    "IE": "An Post",
    "IN": "India Post",
    "IT": "Poste Italiane",
    "JP": "Japan Post",
    "KR": "Korea Post",
    "NL": "PostNL",
    "NZ": "NZ Post",
    "PL": "Poczta Polska",
    "PT": "CTT",
    "SE": "PostNord",
    "SG": "Singapore Post",
    "US": "USPS",
}
"""UPU S10 country code (the last two letters) -> the postal operator, named as
:data:`fulfillkit.carriers.DEFAULT_CARRIERS` names it. A valid S10 number from another
country is not attributed to anyone (``None``)."""

CARRIER_NAMES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(["UPS", "USPS", "FedEx", "DHL", *S10_OPERATORS.values()])
)
"""Every name the detector can give, in a fixed order (the codes of
:func:`detect_carrier_codes` index it)."""

COMPATIBLE: Final[Mapping[str, frozenset[str]]] = {
    "USPS": frozenset({"FedEx", "UPS", "DHL"}),
    "Royal Mail": frozenset({"Parcelforce"}),
    "Deutsche Post": frozenset({"DHL"}),
}
"""Detected carrier -> stated carriers that are consistent with it besides itself: an IMpb
number is what FedEx SmartPost, UPS Mail Innovations and DHL eCommerce hand to USPS;
Parcelforce (Royal Mail Group) and DHL Paket (Deutsche Post DHL) ship international parcels
under their postal operator's S10 numbers."""

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

_SEPARATORS: Final = re.compile(r"[ \t\n\r\f\v-]+")
_ALNUM: Final = re.compile(r"[0-9A-Z]+")
_FEDEX_EXPRESS_WEIGHTS: Final = (3, 1, 7) * 3 + (3, 1)  # 11 digits
_FEDEX_34_WEIGHTS: Final = (1, 7, 3) * 4 + (1,)  # 13 digits
_S10_WEIGHTS: Final = (8, 6, 4, 2, 3, 5, 9, 7)
_IMPB_PREFIXES: Final = frozenset({"91", "92", "93", "94", "95"})
_CODE: Final = {name: code for code, name in enumerate(CARRIER_NAMES)}
_WIDTH: Final = 34  # the longest format
_CLEAN_SHAPE: Final = r"^[0-9A-Z]{10,34}$"


# --- check digits ---------------------------------------------------------------------------


def ups_check_digit(body: str) -> int:
    """UPS: the 15 characters after ``1Z``; digits as is, letters as ``(ord - 3) % 10``,
    every second one doubled, check = ``(10 - sum % 10) % 10``.

    Example:
        >>> ups_check_digit("999AA1012345678")
        4
    """
    total = 0
    for position, char in enumerate(body):
        value = int(char) if char.isdigit() else (ord(char) - 3) % 10
        total += value * 2 if position % 2 else value
    return (10 - total % 10) % 10


def gs1_check_digit(body: str) -> int:
    """GS1 / USPS IMpb mod 10: weights 3, 1, 3, ... from the right end of ``body``.

    Example:
        >>> gs1_check_digit("940011120108080548301")
        6
    """
    total = sum(int(c) * (1 if i % 2 else 3) for i, c in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def fedex_check_digit(body: str, weights: Sequence[int] = _FEDEX_EXPRESS_WEIGHTS) -> int:
    """FedEx: sum of digits times ``weights`` (3,1,7,... for the 12-digit Express number,
    1,7,3,... for the last 14 digits of a 34-digit one), mod 11, mod 10.

    Example:
        >>> fedex_check_digit("98657878885")
        5
    """
    return sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11 % 10


def dhl_express_check_digit(body: str) -> int:
    """DHL Express: the first nine digits as a number, mod 7.

    Example:
        >>> dhl_express_check_digit("331881002")
        5
    """
    return int(body) % 7


def s10_check_digit(serial: str) -> int:
    """UPU S10: the 8 serial digits weighted 8,6,4,2,3,5,9,7; ``11 - sum % 11``, where 10
    becomes 0 and 11 becomes 5.

    Example:
        >>> s10_check_digit("12345678")
        5
    """
    check = 11 - sum(int(c) * w for c, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


# --- validators (one number, already clean) -------------------------------------------------


def _clean(number: Any) -> str | None:
    """ASCII text without spaces, tabs or hyphens, upper-cased; ``None`` if not possible."""
    if type(number) is int:  # a number sent as a JSON number: its text, as in the frame
        number = str(number)
    if not isinstance(number, str) or not number.isascii():
        return None
    text = _SEPARATORS.sub("", number).upper()
    return text if _ALNUM.fullmatch(text) else None


def is_valid_ups(number: str) -> bool:
    """An 18-character ``1Z`` number with the right check digit.

    Example:
        >>> is_valid_ups("1Z999AA10123456784"), is_valid_ups("1Z999AA10123456783")
        (True, False)
    """
    text = _clean(number)
    return (
        text is not None
        and len(text) == 18
        and text.startswith("1Z")
        and text[17].isdigit()
        and ups_check_digit(text[2:17]) == int(text[17])
    )


def _gs1_ok(digits: str) -> bool:
    return gs1_check_digit(digits[:-1]) == int(digits[-1])


def is_valid_usps_impb(number: str) -> bool:
    """A USPS number: 20 digits, or an IMpb of 22 / 26 digits starting ``91``-``95`` (30 / 34
    with a ``420`` + ZIP routing prefix), with a right GS1 mod 10 check digit.

    Example:
        >>> is_valid_usps_impb("9400 1112 0108 0805 4830 16"), is_valid_usps_impb("9400")
        (True, False)
    """
    text = _clean(number)
    return text is not None and text.isdigit() and _detect_clean(text) == "USPS"


def is_valid_fedex_express(number: str) -> bool:
    """A 12-digit FedEx Express number with the right check digit.

    Example:
        >>> is_valid_fedex_express("986578788855"), is_valid_fedex_express("996578788855")
        (True, False)
    """
    text = _clean(number)
    return (
        text is not None
        and len(text) == 12
        and text.isdigit()
        and fedex_check_digit(text[:11]) == int(text[11])
    )


def is_valid_fedex(number: str) -> bool:
    """Any FedEx format: Express 12 / 34, Ground 15 / 22 (``96``) / GSN 34, SSCC 20 (``00``),
    SmartPost 20.

    Example:
        >>> is_valid_fedex("041441760228964"), is_valid_fedex("041441760228965")
        (True, False)
    """
    text = _clean(number)
    return text is not None and _detect_clean(text) == "FedEx"


def is_valid_dhl_express(number: str) -> bool:
    """A 10-digit DHL Express waybill number whose last digit is the first nine mod 7.

    Example:
        >>> is_valid_dhl_express("3318810025"), is_valid_dhl_express("3318810024")
        (True, False)
    """
    text = _clean(number)
    return (
        text is not None
        and len(text) == 10
        and text.isdigit()
        and dhl_express_check_digit(text[:9]) == int(text[9])
    )


def is_valid_s10(number: str) -> bool:
    """A UPU S10 identifier (``AA12345678CCC`` shape) with the right check digit, whatever
    its country.

    Example:
        >>> is_valid_s10("RR123456785GB"), is_valid_s10("RR123456784GB")
        (True, False)
    """
    text = _clean(number)
    return (
        text is not None
        and len(text) == 13
        and text[:2].isalpha()
        and text[11:].isalpha()
        and text[2:11].isdigit()
        and s10_check_digit(text[2:10]) == int(text[10])
    )


# --- detection -------------------------------------------------------------------------------


def detect_carrier(number: Any) -> str | None:
    """The carrier whose published format and check digit ``number`` satisfies, else ``None``.

    See the module docstring for the rules and how ambiguity is resolved.

    Example:
        >>> [detect_carrier(n) for n in ["986578788855", "3318810025", "hello", None]]
        ['FedEx', 'DHL', None, None]
    """
    text = _clean(number)
    return None if text is None else _detect_clean(text)


def _detect_clean(text: str) -> str | None:
    size = len(text)
    if size == 18:
        if text.startswith("1Z") and text[17].isdigit():
            return "UPS" if ups_check_digit(text[2:17]) == int(text[17]) else None
        return None
    if size == 13:
        if is_valid_s10(text):
            return S10_OPERATORS.get(text[11:])
        return None
    if not text.isdigit():
        return None
    if size == 10:
        return "DHL" if dhl_express_check_digit(text[:9]) == int(text[9]) else None
    if size == 12:
        return "FedEx" if fedex_check_digit(text[:11]) == int(text[11]) else None
    if size == 15:
        return "FedEx" if _gs1_ok(text) else None
    if size == 20:
        if text.startswith("00"):
            return "FedEx" if _gs1_ok(text) else None
        if _gs1_ok(text):
            return "USPS"
        return "FedEx" if _gs1_ok("92" + text) else None
    if size == 22:
        if text.startswith("96"):
            return "FedEx" if _gs1_ok(text[7:]) else None
        return "USPS" if text[:2] in _IMPB_PREFIXES and _gs1_ok(text) else None
    if size == 26:
        return "USPS" if text[:2] in _IMPB_PREFIXES and _gs1_ok(text) else None
    if size in (30, 34) and text.startswith("420"):
        impb = text[-22:]
        return "USPS" if impb[:2] in _IMPB_PREFIXES and _gs1_ok(impb) else None
    if size == 34 and text.startswith(("100", "96")):
        ok = fedex_check_digit(text[20:33], _FEDEX_34_WEIGHTS) == int(text[33])
        return "FedEx" if ok else None
    return None


def detect_carrier_codes(values: Sequence[Any]) -> npt.NDArray[np.int16]:
    """Vectorised :func:`detect_carrier`: per value, an index into :data:`CARRIER_NAMES`,
    ``-1`` when nothing is detected. Gives exactly what :func:`detect_carrier` gives.

    Cleaning and the shape checks run in Arrow, the check digits as numpy arithmetic on a
    right-aligned matrix of digits, one rule at a time: no Python per number.

    Example:
        >>> codes = detect_carrier_codes(["1Z999AA10123456784", None, "x"])
        >>> codes.tolist(), CARRIER_NAMES[codes[0]]
        ([0, -1, -1], 'UPS')
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(values)
    codes = np.full(n, -1, dtype=np.int16)
    if n == 0:
        return codes
    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or other objects among them
        array = pa.array(
            [v if isinstance(v, str) else str(v) if type(v) is int else None for v in values],
            type=pa.string(),
        )
    # Numbers already in canonical shape (upper-case letters and digits, 10 to 34 of them:
    # nearly all) go to the vectorised rules; the few others are cleaned and checked one
    # by one, with the very same scalar code as detect_carrier.
    clean = pc.fill_null(pc.match_substring_regex(array, _CLEAN_SHAPE), False)
    keep = np.asarray(clean.to_numpy(zero_copy_only=False), dtype=np.bool_)
    present = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    for i in np.flatnonzero(present & ~keep).tolist():
        text = _clean(values[i])
        found = None if text is None else _detect_clean(text)
        if found is not None:
            codes[i] = _CODE[found]
    if not keep.any():
        return codes
    # Right-align the rest in a fixed-width matrix: row i is number i, "0"-padded on the
    # left (what cannot be a number was blanked to "" first: cheaper than a take).
    if not keep.all():
        array = pc.if_else(clean, array, "")
    lengths = np.asarray(pc.binary_length(array).to_numpy(zero_copy_only=False))
    is_digits = pc.fill_null(pc.ascii_is_decimal(array), False).to_numpy(zero_copy_only=False)
    padded = pc.utf8_lpad(array, _WIDTH, "0").cast(pa.binary())
    data = np.frombuffer(padded.buffers()[2], dtype=np.uint8)
    start = int(np.frombuffer(padded.buffers()[1], dtype=np.int32)[padded.offset])
    chars = data[start : start + n * _WIDTH].reshape(n, _WIDTH)
    found_codes = _detect_matrix(chars, np.where(keep, lengths, 0), is_digits)
    return np.where(keep, found_codes, codes)


def _detect_matrix(
    chars: npt.NDArray[np.uint8], lengths: npt.NDArray[Any], digit_rows: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int16]:
    """Codes for right-aligned, ``0``-padded, upper-case ASCII numbers (one per row).

    Rows are grouped by length first, so each rule does arithmetic on its own rows only.
    """
    import numpy as np

    out = np.full(len(chars), -1, dtype=np.int16)
    right = np.arange(_WIDTH)[::-1]  # position from the right end (0 = the check digit)
    gs1_weights = np.where(right % 2 == 1, 3, 1).astype(np.int32)
    gs1_weights[-1] = 0

    def rows(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
        return np.flatnonzero(mask)

    def digits(idx: npt.NDArray[np.intp], first: int, last: int) -> npt.NDArray[np.int32]:
        """Digit values of columns ``first:last`` (negative = from the right) of ``idx``."""
        return chars[idx, first : last if last else None].astype(np.int32) - 48

    def gs1_ok(idx: npt.NDArray[np.intp], size: int, extra: int = 0) -> npt.NDArray[np.bool_]:
        """GS1 mod 10 over the last ``size`` digits of each row (check digit included)."""
        total = (digits(idx, -size, 0) * gs1_weights[-size:]).sum(axis=1) + extra
        return np.asarray((10 - total % 10) % 10 == digits(idx, -1, 0)[:, 0])

    def starts(idx: npt.NDArray[np.intp], size: int, text: str) -> npt.NDArray[np.bool_]:
        first = _WIDTH - size
        wanted = np.frombuffer(text.encode(), dtype=np.uint8)
        return np.asarray((chars[idx, first : first + len(text)] == wanted).all(axis=1))

    def impb(idx: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """The last 22 digits start 91..95."""
        head = chars[idx, _WIDTH - 22 : _WIDTH - 20]
        return np.asarray((head[:, 0] == 57) & (head[:, 1] >= 49) & (head[:, 1] <= 53))

    def assign(idx: npt.NDArray[np.intp], valid: npt.NDArray[np.bool_], name: str) -> None:
        chosen = idx[valid]
        out[chosen[out[chosen] < 0]] = _CODE[name]

    # UPS: 1Z + 15 letters or digits + a digit.
    idx = rows(lengths == 18)
    idx = idx[starts(idx, 18, "1Z")]
    body = chars[idx, _WIDTH - 16 :].astype(np.int32)
    alnum = ((body >= 48) & (body <= 57)) | ((body >= 65) & (body <= 90))
    shaped = alnum.all(axis=1) & (body[:, -1] <= 57)  # ... and the check is a digit
    idx, body = idx[shaped], body[shaped]
    values = np.where(body[:, :-1] <= 57, body[:, :-1] - 48, (body[:, :-1] - 3) % 10)
    check = (10 - (values * np.where(np.arange(15) % 2 == 1, 2, 1)).sum(axis=1) % 10) % 10
    assign(idx, check == body[:, -1] - 48, "UPS")

    # UPU S10: 2 letters, 8 digits, check digit, 2 letters; the country names the operator.
    idx = rows(lengths == 13)
    s10 = chars[idx, _WIDTH - 13 :]
    letters = (s10 >= 65) & (s10 <= 90)
    numbers = (s10 >= 48) & (s10 <= 57)
    shape = letters[:, [0, 1, 11, 12]].all(axis=1) & numbers[:, 2:11].all(axis=1)
    idx, s10 = idx[shape], s10[shape].astype(np.int32)
    check = 11 - ((s10[:, 2:10] - 48) * np.array(_S10_WEIGHTS)).sum(axis=1) % 11
    check = np.where(check == 10, 0, np.where(check == 11, 5, check))
    valid = check == s10[:, 10] - 48
    country = s10[:, 11] * 256 + s10[:, 12]
    for code, operator in S10_OPERATORS.items():
        assign(idx, valid & (country == ord(code[0]) * 256 + ord(code[1])), operator)

    # Digits only, by length.
    idx = rows(digit_rows & (lengths == 10))
    first9 = (digits(idx, -10, -1) * (10 ** np.arange(8, -1, -1))).sum(axis=1)
    assign(idx, first9 % 7 == digits(idx, -1, 0)[:, 0], "DHL")
    idx = rows(digit_rows & (lengths == 12))
    check = (digits(idx, -12, -1) * np.array(_FEDEX_EXPRESS_WEIGHTS)).sum(axis=1) % 11 % 10
    assign(idx, check == digits(idx, -1, 0)[:, 0], "FedEx")
    idx = rows(digit_rows & (lengths == 15))
    assign(idx, gs1_ok(idx, 15), "FedEx")
    idx = rows(digit_rows & (lengths == 20))
    sscc = starts(idx, 20, "00")
    assign(idx, sscc & gs1_ok(idx, 20), "FedEx")
    assign(idx, ~sscc & gs1_ok(idx, 20), "USPS")
    # "92" in front (FedEx SmartPost): 2 at position 20 (weight 1) and 9 at 21 (weight 3).
    assign(idx, ~sscc & gs1_ok(idx, 20, extra=29), "FedEx")
    idx = rows(digit_rows & (lengths == 22))
    assign(idx, starts(idx, 22, "96") & gs1_ok(idx, 15), "FedEx")
    assign(idx, impb(idx) & gs1_ok(idx, 22), "USPS")
    idx = rows(digit_rows & (lengths == 26))
    head = chars[idx, _WIDTH - 26 : _WIDTH - 24]
    ok = (head[:, 0] == 57) & (head[:, 1] >= 49) & (head[:, 1] <= 53)
    assign(idx, ok & gs1_ok(idx, 26), "USPS")
    for size in (30, 34):
        idx = rows(digit_rows & (lengths == size))
        assign(idx, starts(idx, size, "420") & impb(idx) & gs1_ok(idx, 22), "USPS")
    idx = rows(digit_rows & (lengths == 34))
    idx = idx[starts(idx, 34, "100") | starts(idx, 34, "96")]
    check = (digits(idx, -14, -1) * np.array(_FEDEX_34_WEIGHTS)).sum(axis=1) % 11 % 10
    assign(idx, check == digits(idx, -1, 0)[:, 0], "FedEx")
    return out


def detect_carriers(values: pd.Series[Any] | Iterable[Any]) -> pd.Series[Any]:
    """Vectorised :func:`detect_carrier` for a column: a ``string`` Series, ``NA`` where
    nothing is detected (index kept when ``values`` is a Series).

    Example:
        >>> import pandas as pd
        >>> detect_carriers(pd.Series(["RR123456785FR", "1234", None])).tolist()
        ['La Poste', <NA>, <NA>]
    """
    import numpy as np
    import pandas as pd

    if isinstance(values, pd.Series):
        index, name, items = values.index, values.name, values.tolist()
    else:
        items = list(values)
        index, name = pd.RangeIndex(len(items)), "carrier_detected"
    codes = detect_carrier_codes(items)
    labels = np.array([*CARRIER_NAMES, None], dtype=object)
    return pd.Series(
        pd.array(labels[codes], dtype=pd.StringDtype("pyarrow")), index=index, name=name
    )


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
