"""Deterministic random draws for the sandbox: SplitMix64 streams, weighted choices, UUIDs.

Everything the sandbox generates is a pure function of the dataset seed: the initial
records come from one ``random.Random(seed)``; what is built lazily per record comes from a
:class:`Draws` stream keyed by the seed and the record's id; what appears later comes from
streams keyed by :func:`mix64` of the seed and a period number. Never the global generator,
never ``hash()`` (salted per process for strings).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, Protocol, TypeVar

__all__ = ["Draws", "RandomSource", "Weighted", "mix64", "poisson", "uuid4"]

T = TypeVar("T")

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


class RandomSource(Protocol):
    """Anything with ``random.Random``'s ``random()``: a uniform float in ``[0, 1)``."""

    def random(self) -> float: ...


class Weighted(Generic[T]):
    """A weighted choice driven by one uniform float (from ``rng.random()`` or a hash).

    Example:
        >>> coin = Weighted([("heads", 1), ("tails", 3)])
        >>> coin.draw(0.1), coin.draw(0.9)
        ('heads', 'tails')
    """

    __slots__ = ("_cum", "_total", "_values")

    def __init__(self, pairs: Sequence[tuple[T, int]]) -> None:
        self._values = tuple(value for value, _ in pairs)
        self._cum = list(accumulate(weight for _, weight in pairs))
        self._total = self._cum[-1]

    def draw(self, uniform: float) -> T:
        """The value whose weight band holds ``uniform * total``."""
        return self._values[bisect_right(self._cum, uniform * self._total)]


def _splitmix(state: int) -> int:
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def mix64(*values: int) -> int:
    """One well-mixed 64-bit integer from any integers (a seed for a derived stream).

    Example:
        >>> mix64(1, 2) == mix64(1, 2) != mix64(2, 1)
        True
    """
    state = 0
    for value in values:
        folded = (value & MASK64) ^ ((value >> 64) & MASK64)
        state = _splitmix((state ^ folded) + GOLDEN & MASK64)
    return state


class Draws:
    """Random draws for one record: SplitMix64 seeded from (dataset seed, record id).

    Much cheaper than seeding a ``random.Random`` per record, and just as deterministic
    (record ids are themselves random UUIDs drawn from the dataset's generator).

    Example:
        >>> a = Draws(0, "0b6f1d7e-9a51-4c1f-8e0b-6a2b4b1f9c3d")
        >>> b = Draws(0, "0b6f1d7e-9a51-4c1f-8e0b-6a2b4b1f9c3d")
        >>> a.random() == b.random() and 0 <= a.below(10) < 10
        True
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int, record_id: str, stream: int = 0) -> None:
        key = int(record_id.replace("-", ""), 16)
        self._state = (key ^ (key >> 64) ^ (seed * GOLDEN) ^ (stream << 56)) & MASK64

    def random(self) -> float:
        """A uniform float in ``[0, 1)`` (same name as ``random.Random.random``)."""
        self._state = state = (self._state + GOLDEN) & MASK64
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & MASK64  # _splitmix, inlined: hot
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return ((z ^ (z >> 31)) >> 11) / 9007199254740992.0

    def below(self, bound: int) -> int:
        """A uniform integer in ``[0, bound)`` (``bound`` well below 2**53)."""
        return int(self.random() * bound)


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (not from the OS: deterministic per seed)."""
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def poisson(rng: RandomSource, mean: float) -> int:
    """A Poisson-distributed count (Knuth's product up to a mean of 30, else normal).

    Example:
        >>> poisson(random.Random(1), 0.0)
        0
    """
    if mean <= 0:
        return 0
    if mean > 30:
        u1, u2 = rng.random(), rng.random()
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2 * math.pi * u2)
        return max(0, round(mean + z * math.sqrt(mean)))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count
