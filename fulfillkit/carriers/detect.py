"""The carrier behind a tracking number, from its format and check digit.

Merchants often leave Shopify's carrier blank or type ``"Other"``, but the tracking number
itself says a lot: most carriers publish a format with a check digit.
:func:`detect_carrier_codes` is the one implementation of every rule below: cleaning and
shape checks in Arrow, check digits as numpy arithmetic on a matrix of digits, one rule at
a time, no Python per number. Everything else calls it: :func:`detect_carriers` (a column),
:func:`detect_carrier` and the ``is_valid_*`` validators (a batch of one), and the
``*_check_digit`` functions (the same numpy kernels, on one row) that the sandbox uses to
make valid numbers.

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
    >>> is_valid_s10("RB123456785CV"), detect_carrier("RB123456785CV")  # no operator known
    (True, None)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

from fulfillkit.carriers.inputs import text_or_none, values_of

if TYPE_CHECKING:  # numpy, pandas and pyarrow load only when a number is checked
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "CARRIER_NAMES",
    "COMPATIBLE",
    "S10_OPERATORS",
    "detect_carrier",
    "detect_carrier_codes",
    "detect_carriers",
    "dhl_express_check_digit",
    "fedex_check_digit",
    "gs1_check_digit",
    "is_valid_dhl_express",
    "is_valid_fedex",
    "is_valid_fedex_express",
    "is_valid_s10",
    "is_valid_ups",
    "is_valid_usps_impb",
    "s10_check_digit",
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


class _Format(IntEnum):
    """The published format a cleaned number satisfied: its shape and its check digit."""

    UPS = 0
    S10 = 1  # the carrier is the operator of the country (S10_OPERATORS)
    DHL_EXPRESS = 2
    FEDEX_EXPRESS = 3
    FEDEX_GROUND = 4
    FEDEX_SSCC = 5
    USPS_20 = 6
    FEDEX_SMARTPOST = 7
    FEDEX_GROUND_96 = 8
    USPS_IMPB = 9
    USPS_IMPB_ROUTED = 10  # "420" + ZIP + IMpb
    FEDEX_EXPRESS_34 = 11


_FORMAT_CARRIER: Final[Mapping[_Format, str]] = {
    _Format.UPS: "UPS",
    _Format.DHL_EXPRESS: "DHL",
    _Format.FEDEX_EXPRESS: "FedEx",
    _Format.FEDEX_GROUND: "FedEx",
    _Format.FEDEX_SSCC: "FedEx",
    _Format.USPS_20: "USPS",
    _Format.FEDEX_SMARTPOST: "FedEx",
    _Format.FEDEX_GROUND_96: "FedEx",
    _Format.USPS_IMPB: "USPS",
    _Format.USPS_IMPB_ROUTED: "USPS",
    _Format.FEDEX_EXPRESS_34: "FedEx",
}
_USPS_FORMATS: Final = frozenset(f for f, name in _FORMAT_CARRIER.items() if name == "USPS")
_FEDEX_FORMATS: Final = frozenset(f for f, name in _FORMAT_CARRIER.items() if name == "FedEx")

_CODE: Final = {name: code for code, name in enumerate(CARRIER_NAMES)}
_FORMAT_CODES: Final = (*(_CODE.get(_FORMAT_CARRIER.get(f, ""), -1) for f in _Format), -1)
"""Carrier code per format (the S10 one is set by country), and -1 for "no format"."""
_S10_CODES: Final = {ord(c[0]) * 256 + ord(c[1]): _CODE[name] for c, name in S10_OPERATORS.items()}
_FEDEX_EXPRESS_WEIGHTS: Final = (3, 1, 7) * 3 + (3, 1)  # 11 digits
_FEDEX_34_WEIGHTS: Final = (1, 7, 3) * 4 + (1,)  # 13 digits
_S10_WEIGHTS: Final = (8, 6, 4, 2, 3, 5, 9, 7)
_WIDTH: Final = 34  # the longest format
_SEPARATORS: Final = r"[\t\n\v\f\r -]+"  # what cleaning removes (RE2 syntax)
_SHORTEST: Final = 10  # the shortest format
_ZERO: Final = 48  # ord("0")


# --- check digits: numpy kernels, one row per number -----------------------------------------


def _ups_check(chars: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """UPS over the ASCII codes of the 15 characters after ``1Z``: digits as is, letters as
    ``(ord - 3) % 10``, every second one doubled, check = ``(10 - sum % 10) % 10``."""
    import numpy as np

    values = np.where(chars <= ord("9"), chars - _ZERO, (chars - 3) % 10)
    weights = np.resize(np.array([1, 2], dtype=np.int32), chars.shape[1])
    return np.asarray((10 - (values * weights).sum(axis=1) % 10) % 10, dtype=np.int32)


def _gs1_check(digits: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """GS1 / USPS IMpb mod 10 over digit values: weights 3, 1, 3, ... from the right end."""
    import numpy as np

    weights = np.where(np.arange(digits.shape[1])[::-1] % 2 == 0, 3, 1)
    return np.asarray((10 - (digits * weights).sum(axis=1) % 10) % 10, dtype=np.int32)


def _fedex_check(digits: npt.NDArray[np.int32], weights: Sequence[int]) -> npt.NDArray[np.int32]:
    """FedEx: sum of digits times ``weights``, mod 11, mod 10."""
    import numpy as np

    return np.asarray((digits * np.array(weights)).sum(axis=1) % 11 % 10, dtype=np.int32)


def _mod7_check(digits: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """DHL Express: the digits read as one number, mod 7 (Horner's rule, so any length)."""
    import numpy as np

    rest = np.zeros(len(digits), dtype=np.int32)
    for column in digits.T:
        rest = (rest * 10 + column) % 7
    return rest


def _s10_check(digits: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """UPU S10: 8 digits weighted 8,6,4,2,3,5,9,7; ``11 - sum % 11``, 10 -> 0, 11 -> 5."""
    import numpy as np

    check = 11 - (digits * np.array(_S10_WEIGHTS)).sum(axis=1) % 11
    return np.asarray(np.where(check == 10, 0, np.where(check == 11, 5, check)), dtype=np.int32)


def _one_row(text: str, *, digits: bool) -> npt.NDArray[np.int32]:
    """``text`` as a one-row matrix of ASCII codes (or of digit values, when ``digits``)."""
    import numpy as np

    if not text.isascii() or not (text.isdigit() if digits else text.isalnum()):
        raise ValueError(f"not {'digits' if digits else 'letters and digits'}: {text!r}")
    row = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int32).reshape(1, -1)
    return row - _ZERO if digits else row


def ups_check_digit(body: str) -> int:
    """UPS: the 15 characters after ``1Z``; digits as is, letters as ``(ord - 3) % 10``,
    every second one doubled, check = ``(10 - sum % 10) % 10``.

    Example:
        >>> ups_check_digit("999AA1012345678")
        4
    """
    return int(_ups_check(_one_row(body, digits=False))[0])


def gs1_check_digit(body: str) -> int:
    """GS1 / USPS IMpb mod 10: weights 3, 1, 3, ... from the right end of ``body``.

    Example:
        >>> gs1_check_digit("940011120108080548301")
        6
    """
    return int(_gs1_check(_one_row(body, digits=True))[0])


def fedex_check_digit(body: str, weights: Sequence[int] = _FEDEX_EXPRESS_WEIGHTS) -> int:
    """FedEx: sum of digits times ``weights`` (3,1,7,... for the 12-digit Express number,
    1,7,3,... for the last 14 digits of a 34-digit one), mod 11, mod 10.

    Example:
        >>> fedex_check_digit("98657878885")
        5
    """
    if len(body) != len(weights):
        raise ValueError(f"{len(body)} digits for {len(weights)} weights")
    return int(_fedex_check(_one_row(body, digits=True), weights)[0])


def dhl_express_check_digit(body: str) -> int:
    """DHL Express: the first nine digits as a number, mod 7.

    Example:
        >>> dhl_express_check_digit("331881002")
        5
    """
    return int(_mod7_check(_one_row(body, digits=True))[0])


def s10_check_digit(serial: str) -> int:
    """UPU S10: the 8 serial digits weighted 8,6,4,2,3,5,9,7; ``11 - sum % 11``, where 10
    becomes 0 and 11 becomes 5.

    Example:
        >>> s10_check_digit("12345678")
        5
    """
    if len(serial) != len(_S10_WEIGHTS):
        raise ValueError(f"an S10 serial has {len(_S10_WEIGHTS)} digits: {serial!r}")
    return int(_s10_check(_one_row(serial, digits=True))[0])


# --- the one detector ------------------------------------------------------------------------


def detect_carrier_codes(values: Sequence[Any]) -> npt.NDArray[np.int16]:
    """Per value, an index into :data:`CARRIER_NAMES`, ``-1`` when nothing is detected:
    the one implementation of the rules in the module docstring, for a whole column.

    Example:
        >>> codes = detect_carrier_codes(["1Z999AA10123456784", None, "x"])
        >>> codes.tolist(), CARRIER_NAMES[codes[0]]
        ([0, -1, -1], 'UPS')
    """
    return _classify(values)[1]


def _classify(values: Sequence[Any]) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int16]]:
    """Per value, the :class:`_Format` it satisfies and the carrier code (``-1``: none)."""
    import numpy as np

    chars, lengths, digit_rows = _clean_matrix(values)
    formats = _formats(chars, lengths, digit_rows)
    carriers = np.array(_FORMAT_CODES, dtype=np.int16)[formats]  # formats[i] -1 -> the -1 last
    s10 = np.flatnonzero(formats == _Format.S10)
    if len(s10):
        country = chars[s10, -2].astype(np.int32) * 256 + chars[s10, -1]
        for key, code in _S10_CODES.items():
            carriers[s10[country == key]] = code
    return formats, carriers


def _as_strings(values: Sequence[Any]) -> pa.StringArray:
    """Strings as they are, an ``int`` as its text (a number sent as a JSON number), anything
    else (bytes, floats, None, NA) as null."""
    import pyarrow as pa

    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):  # ints among strings,
        array = None  # ints too large for int64 (a 34-digit number sent as a JSON number), ...
    if array is None or not (
        pa.types.is_string(array.type)
        or pa.types.is_large_string(array.type)
        or pa.types.is_null(array.type)
    ):
        array = pa.array(
            [v if isinstance(v, str) else str(v) if type(v) is int else None for v in values],
            type=pa.string(),
        )
    return array.cast(pa.string())


def _clean_matrix(
    values: Sequence[Any],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Clean every value (ASCII only; spaces, tabs and hyphens removed; upper case) and
    right-align the ones some rule may accept in a ``len(values) x 34`` matrix of ASCII
    codes, ``"0"``-padded on the left. Also each cleaned length (0 for the rest) and
    whether it is all digits."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(values)
    if n == 0:
        return np.zeros((0, _WIDTH), np.uint8), np.zeros(0, np.int64), np.zeros(0, bool)
    array = _as_strings(values)
    # Cleaned text that is ASCII letters and digits was ASCII all along: separators are
    # ASCII, and ascii_upper leaves other characters as they are.
    cleaned = pc.ascii_upper(pc.replace_substring_regex(array, _SEPARATORS, ""))
    sizes = pc.fill_null(pc.binary_length(cleaned), 0).to_numpy(zero_copy_only=False)
    keep = pc.fill_null(pc.ascii_is_alnum(cleaned), False).to_numpy(zero_copy_only=False)
    keep &= (sizes >= _SHORTEST) & (sizes <= _WIDTH)
    cleaned = pc.if_else(keep, cleaned, "")  # what no rule accepts is blanked
    lengths = np.asarray(np.where(keep, sizes, 0), dtype=np.int64)
    padded = pc.ascii_lpad(cleaned, _WIDTH, "0").cast(pa.binary())  # ASCII by now
    data = np.frombuffer(padded.buffers()[2], dtype=np.uint8)
    start = int(np.frombuffer(padded.buffers()[1], dtype=np.int32)[padded.offset])
    chars = data[start : start + n * _WIDTH].reshape(n, _WIDTH)
    digit_rows = np.asarray((chars <= ord("9")).all(axis=1), dtype=bool)  # "0" pads too
    return chars, lengths, digit_rows


def _formats(
    chars: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64], digit_rows: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int8]:
    """The :class:`_Format` of each right-aligned number (one per row), ``-1`` for none.

    Rows are grouped by length, so each rule does arithmetic on its own rows only (and the
    rules of absent lengths not at all); a row takes the first format that accepts it.
    """
    import numpy as np

    out = np.full(len(chars), -1, dtype=np.int8)
    for size in np.unique(lengths).tolist():
        rule = _RULES.get(size)
        if rule is None:
            continue
        letters_too = size in _ALNUM_SIZES
        idx = np.flatnonzero((lengths == size) & (True if letters_too else digit_rows))
        block = chars[idx, _WIDTH - size :].astype(np.int32)
        for valid, fmt in rule(block if letters_too else block - _ZERO):
            chosen = idx[np.asarray(valid, dtype=bool)]
            out[chosen[out[chosen] < 0]] = fmt
    return out


# Each rule takes the rows of one length (ASCII codes for 13 and 18, digit values for the
# rest) and gives (accepted rows, format) pairs, in the order they are tried.
Rows = Any  # a numpy int32 matrix, one number per row
Rule = Callable[[Rows], list[tuple[Rows, _Format]]]


def _gs1_ok(d: Rows) -> Rows:
    return _gs1_check(d[:, :-1]) == d[:, -1]


def _starts(d: Rows, *values: int) -> Rows:
    head = d[:, 0] == values[0]
    for column, value in enumerate(values[1:], start=1):
        head &= d[:, column] == value
    return head


def _is_impb(d: Rows) -> Rows:
    """An IMpb starts 91..95 and has a GS1 check digit."""
    return (d[:, 0] == 9) & (d[:, 1] >= 1) & (d[:, 1] <= 5) & _gs1_ok(d)


def _ups_rule(c: Rows) -> list[tuple[Rows, _Format]]:
    """``1Z`` + 15 letters or digits + a check digit."""
    check_ok = (c[:, 17] <= ord("9")) & (_ups_check(c[:, 2:17]) == c[:, 17] - _ZERO)
    return [(_starts(c, ord("1"), ord("Z")) & check_ok, _Format.UPS)]


def _s10_rule(c: Rows) -> list[tuple[Rows, _Format]]:
    """2 letters, 8 digits, a check digit, 2 letters (the country)."""
    letters = (c[:, [0, 1, 11, 12]] >= ord("A")).all(axis=1)
    numbers = (c[:, 2:11] <= ord("9")).all(axis=1)
    check_ok = _s10_check(c[:, 2:10] - _ZERO) == c[:, 10] - _ZERO
    return [(letters & numbers & check_ok, _Format.S10)]


def _twenty_rule(d: Rows) -> list[tuple[Rows, _Format]]:
    """SSCC (``00``) for FedEx, else USPS, else FedEx SmartPost (GS1 over ``92`` + number)."""
    import numpy as np

    sscc = _starts(d, 0, 0)
    smartpost = np.hstack([np.tile(np.array([9, 2], np.int32), (len(d), 1)), d])
    return [
        (sscc & _gs1_ok(d), _Format.FEDEX_SSCC),
        (~sscc & _gs1_ok(d), _Format.USPS_20),
        (~sscc & _gs1_ok(smartpost), _Format.FEDEX_SMARTPOST),
    ]


def _routed_impb(d: Rows) -> Rows:
    """``420`` + ZIP + an IMpb in the last 22 digits."""
    return _starts(d, 4, 2, 0) & _is_impb(d[:, -22:])


_ALNUM_SIZES: Final = frozenset({13, 18})
_RULES: Final[Mapping[int, Rule]] = {
    18: _ups_rule,
    13: _s10_rule,
    10: lambda d: [(_mod7_check(d[:, :9]) == d[:, 9], _Format.DHL_EXPRESS)],
    12: lambda d: [
        (_fedex_check(d[:, :11], _FEDEX_EXPRESS_WEIGHTS) == d[:, 11], _Format.FEDEX_EXPRESS)
    ],
    15: lambda d: [(_gs1_ok(d), _Format.FEDEX_GROUND)],
    20: _twenty_rule,
    22: lambda d: [
        (_starts(d, 9, 6) & _gs1_ok(d[:, 7:]), _Format.FEDEX_GROUND_96),
        (_is_impb(d), _Format.USPS_IMPB),
    ],
    26: lambda d: [(_is_impb(d), _Format.USPS_IMPB)],
    30: lambda d: [(_routed_impb(d), _Format.USPS_IMPB_ROUTED)],
    34: lambda d: [
        (_routed_impb(d), _Format.USPS_IMPB_ROUTED),
        (
            (_starts(d, 1, 0, 0) | _starts(d, 9, 6))
            & (_fedex_check(d[:, 20:33], _FEDEX_34_WEIGHTS) == d[:, 33]),
            _Format.FEDEX_EXPRESS_34,
        ),
    ],
}
"""Cleaned length -> its rule: the table of the module docstring, as code."""


# --- the scalar API: a batch of one -----------------------------------------------------------


def _format_of(number: Any) -> _Format | None:
    found = int(_classify([number])[0][0])
    return None if found < 0 else _Format(found)


def detect_carrier(number: Any) -> str | None:
    """The carrier whose published format and check digit ``number`` satisfies, else ``None``.

    See the module docstring for the rules and how ambiguity is resolved.

    Example:
        >>> [detect_carrier(n) for n in ["986578788855", "3318810025", "hello", None]]
        ['FedEx', 'DHL', None, None]
    """
    code = int(detect_carrier_codes([text_or_none(number, "detect_carrier", numbers=True)])[0])
    return None if code < 0 else CARRIER_NAMES[code]


# The public validators: one line each over the one engine (_format_of), written out so that
# each keeps its own docstring and doctest; `duplicates` counts their shape, by design.
def is_valid_ups(number: str) -> bool:
    """An 18-character ``1Z`` number with the right check digit.

    Example:
        >>> is_valid_ups("1Z999AA10123456784"), is_valid_ups("1Z999AA10123456783")
        (True, False)
    """
    return _format_of(number) is _Format.UPS


def is_valid_usps_impb(number: str) -> bool:
    """A USPS number: 20 digits, or an IMpb of 22 / 26 digits starting ``91``-``95`` (30 / 34
    with a ``420`` + ZIP routing prefix), with a right GS1 mod 10 check digit.

    Example:
        >>> is_valid_usps_impb("9400 1112 0108 0805 4830 16"), is_valid_usps_impb("9400")
        (True, False)
    """
    return _format_of(number) in _USPS_FORMATS


def is_valid_fedex_express(number: str) -> bool:
    """A 12-digit FedEx Express number with the right check digit.

    Example:
        >>> is_valid_fedex_express("986578788855"), is_valid_fedex_express("996578788855")
        (True, False)
    """
    return _format_of(number) is _Format.FEDEX_EXPRESS


def is_valid_fedex(number: str) -> bool:
    """Any FedEx format: Express 12 / 34, Ground 15 / 22 (``96``) / GSN 34, SSCC 20 (``00``),
    SmartPost 20.

    Example:
        >>> is_valid_fedex("041441760228964"), is_valid_fedex("041441760228965")
        (True, False)
    """
    return _format_of(number) in _FEDEX_FORMATS


def is_valid_dhl_express(number: str) -> bool:
    """A 10-digit DHL Express waybill number whose last digit is the first nine mod 7.

    Example:
        >>> is_valid_dhl_express("3318810025"), is_valid_dhl_express("3318810024")
        (True, False)
    """
    return _format_of(number) is _Format.DHL_EXPRESS


def is_valid_s10(number: str) -> bool:
    """A UPU S10 identifier (``AA12345678CCC`` shape) with the right check digit, whatever
    its country.

    Example:
        >>> is_valid_s10("RR123456785GB"), is_valid_s10("RR123456784GB")
        (True, False)
    """
    return _format_of(number) is _Format.S10


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
        items = values_of(values, "detect_carriers")
        index, name = pd.RangeIndex(len(items)), "carrier_detected"
    codes = detect_carrier_codes(items)
    labels = np.array([*CARRIER_NAMES, None], dtype=object)
    return pd.Series(
        pd.array(labels[codes], dtype=pd.StringDtype("pyarrow")), index=index, name=name
    )
