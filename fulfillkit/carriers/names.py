"""Canonical carrier names from Shopify's free-text ``tracking_company``.

Merchants type the carrier however they like (``"UPS"``, ``" ups "``, ``"United Parcel
Service"``, ``"DHL Express"``). A :class:`CarrierTable` folds case, spacing and punctuation
and then tries an ordered list of rules, ``(canonical name, regex patterns)``; the first rule
with a matching pattern names the carrier. Anything else, null or blank included, is
:attr:`CarrierTable.unknown` (``"Unknown"``); the literal ``"Other"`` is ``"Other"``.

The table is data, not code: :meth:`CarrierTable.with_rules` returns a table with extra (or
overriding) rules, and every function here takes ``table=``.

Example:
    >>> canonical_carrier(" ups "), canonical_carrier("DHL eCommerce"), canonical_carrier(None)
    ('UPS', 'DHL', 'Unknown')
    >>> mine = DEFAULT_CARRIERS.with_rules(("Bob's Courier", [r"\\bbob'?s courier\\b"]))
    >>> canonical_carrier("BOB'S  COURIER", table=mine)
    "Bob's Courier"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from fulfillkit.carriers.inputs import text_or_none, values_of

if TYPE_CHECKING:  # pandas and numpy load only when a column is canonicalised
    import pandas as pd

__all__ = [
    "DEFAULT_CARRIERS",
    "OTHER",
    "UNKNOWN",
    "CarrierRule",
    "CarrierTable",
    "canonical_carrier",
    "canonical_carriers",
    "fold",
]

UNKNOWN: Final = "Unknown"
"""The label for a null, blank or unrecognised carrier."""
OTHER: Final = "Other"
"""The label for Shopify's literal ``"Other"``."""

_PUNCTUATION = re.compile(r"[\s\-_/,;:()]+")


def fold(text: str) -> str:
    """Case-fold, drop dots, and turn runs of spaces and punctuation into one space.

    Example:
        >>> fold("  Fed-Ex   Ground "), fold("U.S.P.S.")
        ('fed ex ground', 'usps')
    """
    return _PUNCTUATION.sub(" ", text.casefold().replace(".", "")).strip()


@dataclass(frozen=True)
class CarrierRule:
    """A canonical carrier name and the regexes that recognise it in :func:`fold`-ed text.

    Patterns are searched (``re.search``), so anchor or word-bound them as needed.
    """

    name: str
    patterns: tuple[str, ...]
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name or not self.patterns:
            raise ValueError("a carrier rule needs a name and at least one pattern")
        object.__setattr__(self, "patterns", tuple(self.patterns))
        object.__setattr__(self, "_regex", re.compile("|".join(f"(?:{p})" for p in self.patterns)))

    def matches(self, folded: str) -> bool:
        """Whether any pattern occurs in the already folded text."""
        return self._regex.search(folded) is not None


RuleLike = CarrierRule | tuple[str, Sequence[str]]


class CarrierTable:
    """An ordered, immutable table of carrier rules: the first matching rule wins.

    Example:
        >>> table = CarrierTable([("UPS", [r"\\bups\\b"])])
        >>> table.canonical("ups ground"), table.canonical("Evri")
        ('UPS', 'Unknown')
    """

    def __init__(self, rules: Iterable[RuleLike], *, unknown: str = UNKNOWN) -> None:
        self._rules: tuple[CarrierRule, ...] = tuple(
            rule if isinstance(rule, CarrierRule) else CarrierRule(rule[0], tuple(rule[1]))
            for rule in rules
        )
        self.unknown = unknown
        # Few distinct spellings occur, so canonicalising once per spelling is enough.
        self._cached = lru_cache(maxsize=4096)(self._canonical)

    @property
    def rules(self) -> tuple[CarrierRule, ...]:
        """The rules in the order they are tried."""
        return self._rules

    @property
    def names(self) -> tuple[str, ...]:
        """Every label this table can give, in table order, the unknown label last."""
        return (*dict.fromkeys(rule.name for rule in self._rules), self.unknown)

    def with_rules(self, *rules: RuleLike, first: bool = True) -> CarrierTable:
        """A new table with ``rules`` tried before (``first=True``) or after the current ones.

        Example:
            >>> t = DEFAULT_CARRIERS.with_rules(("Canada Post", [r"\\bcanada ?post\\b"]))
            >>> t.canonical("canada post"), t.canonical("UPS")
            ('Canada Post', 'UPS')
        """
        extra = CarrierTable(rules).rules
        ordered = (*extra, *self._rules) if first else (*self._rules, *extra)
        return CarrierTable(ordered, unknown=self.unknown)

    def canonical(self, text: str | None) -> str:
        """The canonical name of one carrier text (null, blank or unrecognised: unknown)."""
        if not isinstance(text, str):
            return self.unknown
        return self._cached(text)

    def _canonical(self, text: str) -> str:
        folded = fold(text)
        if folded:
            for rule in self._rules:
                if rule.matches(folded):
                    return rule.name
        return self.unknown

    def canonical_series(self, values: pd.Series[Any] | Sequence[Any]) -> pd.Series[Any]:
        """Vectorised :meth:`canonical`: once per distinct spelling, then one take.

        Returns a ``string[python]`` Series with the index of ``values`` (when a Series).
        """
        import numpy as np
        import pandas as pd

        series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        labels = np.array([self.canonical(u) for u in uniques] + [self.unknown], dtype=object)
        mapped = labels[codes]  # code -1 (missing) picks the trailing unknown label
        return pd.Series(
            pd.array(mapped, dtype=pd.StringDtype("pyarrow")),
            index=series.index,
            name=series.name if isinstance(values, pd.Series) else "carrier",
        )


# A data table (name, patterns), one carrier a line: `duplicates` sees same-shape lines.
DEFAULT_CARRIERS: Final = CarrierTable(
    [
        ("UPS", [r"\bups\b", r"\bunited parcel service\b"]),
        (
            "USPS",
            [r"\busps\b", r"\bunited states postal\b", r"\bus postal service\b", r"\bus mail\b"],
        ),
        ("FedEx", [r"\bfed ?ex\b", r"\bfederal express\b"]),
        ("DHL", [r"\bdhl\b"]),  # DHL Express, DHL eCommerce, DHL Parcel, ...
        ("Royal Mail", [r"\broyal ?mail\b"]),
        ("Parcelforce", [r"\bparcel ?force\b"]),
        ("Canada Post", [r"\bcanada ?post\b", r"\bpostes? canada\b"]),
        ("La Poste", [r"\bla ?poste\b", r"\bcolissimo\b"]),
        ("Australia Post", [r"\baustralia ?post\b", r"\bauspost\b"]),
        ("Deutsche Post", [r"\bdeutsche ?post\b"]),
        ("PostNL", [r"\bpost ?nl\b"]),
        ("DPD", [r"\bdpd\b"]),
        ("GLS", [r"\bgls\b"]),
        ("Evri", [r"\bevri\b", r"\bhermes\b"]),
        ("Amazon Logistics", [r"\bamazon\b", r"\bamzl\b"]),
        ("OnTrac", [r"\bontrac\b"]),
        ("Purolator", [r"\bpurolator\b"]),
        ("Japan Post", [r"\bjapan ?post\b"]),
        ("China Post", [r"\bchina ?post\b"]),
        ("Poste Italiane", [r"\bposte ?italiane\b"]),
        ("Correos de México", [r"\bcorreos de m[eé]xico\b"]),
        ("Correos", [r"\bcorreos\b"]),
        ("Correios", [r"\bcorreios\b"]),
        ("bpost", [r"\bbpost\b"]),
        ("Swiss Post", [r"\bswiss ?post\b", r"\bpost ?ch\b"]),
        ("Austrian Post", [r"\baustrian ?post\b", r"\b[oö]sterreichische ?post\b"]),
        ("An Post", [r"\ban ?post\b"]),
        ("NZ Post", [r"\bnz ?post\b", r"\bnew zealand post\b"]),
        ("PostNord", [r"\bpost ?nord\b"]),
        ("Hongkong Post", [r"\bhong ?kong ?post\b"]),
        ("Singapore Post", [r"\bsingapore ?post\b", r"\bsingpost\b"]),
        ("India Post", [r"\bindia ?post\b"]),
        ("Korea Post", [r"\bkorea ?post\b"]),
        ("CTT", [r"\bctt\b"]),
        ("Poczta Polska", [r"\bpoczta ?polska\b"]),
        (OTHER, [r"^other$"]),
    ]
)
"""The built-in table: UPS, USPS, FedEx, DHL (all its services), the main postal services
(every operator :mod:`fulfillkit.carriers.detect` can detect from a UPU S10 number, named alike)
and parcel networks, and Shopify's literal "Other"; extend it with
:meth:`CarrierTable.with_rules`."""


def canonical_carrier(text: str | None, *, table: CarrierTable = DEFAULT_CARRIERS) -> str:
    """The canonical carrier name for one free-text carrier.

    Example:
        >>> [canonical_carrier(t) for t in ["UPS", "ups", "Fedex", "other", "Acme", ""]]
        ['UPS', 'UPS', 'FedEx', 'Other', 'Unknown', 'Unknown']
    """
    return table.canonical(text_or_none(text, "canonical_carrier"))


def canonical_carriers(
    values: pd.Series[Any] | Sequence[Any], *, table: CarrierTable = DEFAULT_CARRIERS
) -> pd.Series[Any]:
    """Canonical carrier names for a whole column, computed once per distinct spelling.

    Example:
        >>> import pandas as pd
        >>> canonical_carriers(pd.Series(["UPS", None, "DHL Express"])).tolist()
        ['UPS', 'Unknown', 'DHL']
    """
    import pandas as pd

    if not isinstance(values, pd.Series):
        values = values_of(values, "canonical_carriers")
    return table.canonical_series(values)
