"""Checks of walk parameters, one per kind of input: each raises ValueError naming the input and the fix."""

from __future__ import annotations

import math
from collections.abc import Iterable


def check_choice(name: str, value: str, options: Iterable[str]) -> None:
    """Raise ValueError unless `value` is one of `options` (a graph validates combos, a direct call does not)."""
    options = list(options)
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")


def check_at_least(name: str, value: int, minimum: int, why: str = "") -> None:
    """Raise ValueError unless value >= minimum; `why` says what needs it ("for a loop")."""
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}{' ' + why if why else ''}, got {value}")


def check_fraction(name: str, value: float, meaning: str) -> None:
    """Raise ValueError unless 0 <= value <= 1 (NaN refused); `meaning` says what 1 means."""
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(f"{name} must be in 0..1 ({meaning}), got {value}")
