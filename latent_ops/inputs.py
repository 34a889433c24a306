"""A walk's inputs, declared once on its fields (docs/ARCHITECTURE.md, "Declaring a walk").

Each field of a walk class (latent_ops/walks.py) that a user sets is declared with one of the
functions below, e.g. `frames: int = integer(48, "Frames in the whole walk.", low=2)`: its type
next to what the node shows (kind, default, range, step, choices, tooltip, labels), in a form
free of ComfyUI. nodes/declared.py turns these into the node's widgets; `Walk.from_inputs` reads
the same fields back, so a walk's node, the editor preview and the render CLI cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

SEED_MAX = 0xFFFFFFFFFFFFFFFF
"""Largest seed ComfyUI's widgets accept (torch.manual_seed takes 0..2^64 - 1)."""

MAX_FRAMES = 100_000
"""The longest walk a node makes (its frames widgets' maximum)."""


@dataclass(frozen=True)
class Spec:
    """One widget: `kind` is int, float, string, boolean or combo (a seed is an int with no control
    after generate); `low`/`high`/`step`/`round` bound numbers, `choices` a combo's options."""

    kind: str
    default: Any
    tooltip: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    round: float | None = None
    choices: tuple[str, ...] = ()
    multiline: bool = False
    label_on: str | None = None
    label_off: str | None = None
    seed: bool = False


def declared(spec: Spec) -> Any:
    """The dataclass field of a widget: its default is the spec's, the spec rides in its metadata."""
    return field(default=spec.default, metadata={"input": spec})


def integer(default: int, tooltip: str, low: int = 0, high: int = MAX_FRAMES, step: int | None = None) -> Any:
    """An int widget in low..high."""
    return declared(Spec("int", default, tooltip, low, high, step))


def real(default: float, tooltip: str, low: float, high: float, step: float, round: float | None = None) -> Any:
    """A float widget in low..high moving by `step`."""
    return declared(Spec("float", default, tooltip, low, high, step, round))


def seed(tooltip: str, default: int = 0) -> Any:
    """A seed widget: 0..SEED_MAX, never changed after a run (a walk's seeds are its keyframes)."""
    return declared(Spec("int", default, tooltip, 0, SEED_MAX, seed=True))


def text(default: str, tooltip: str, multiline: bool = False) -> Any:
    """A string widget."""
    return declared(Spec("string", default, tooltip, multiline=multiline))


def flag(default: bool, tooltip: str, label_on: str | None = None, label_off: str | None = None) -> Any:
    """A boolean widget, with the labels its switch shows."""
    return declared(Spec("boolean", default, tooltip, label_on=label_on, label_off=label_off))


def choice(options: Iterable[str], default: str, tooltip: str) -> Any:
    """A combo widget of `options`."""
    return declared(Spec("combo", default, tooltip, choices=tuple(options)))


def widgets(cls: type) -> list[tuple[str, Spec]]:
    """(name, spec) of a walk class's declared fields, `leading` ones first, then in field order."""
    specs = [(f.name, f.metadata["input"]) for f in fields(cls) if "input" in f.metadata]
    first = list(getattr(cls, "leading", ()))
    return sorted(specs, key=lambda item: first.index(item[0]) if item[0] in first else len(first))
