"""Seed noise and noise walks (shared/SPEC.md, "Noise of a seed")."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from . import interpolate, schedule

SEED_MAX = 0xFFFFFFFFFFFFFFFF
"""Largest seed ComfyUI's widgets accept (torch.manual_seed takes 0..2^64 - 1)."""


def seed_noise(seed: int, shape: Sequence[int]) -> Tensor:
    """float32 N(0, I) noise of one latent of `shape`, drawn on the CPU from `seed`.

    Bit-identical to ComfyUI's `comfy.sample.prepare_noise` for a batch of one: torch.randn
    with a CPU generator seeded by `seed` (the stream of torch.manual_seed(seed)).
    """
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(f"seed must be in 0..{SEED_MAX}, got {seed}")
    generator = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randn(tuple(shape), generator=generator, dtype=torch.float32, device="cpu")


def seed_walk(
    seed_a: int,
    seed_b: int,
    frame_shape: Sequence[int],
    frames: int,
    method: str = "slerp",
    easing: str = "linear",
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of the open walk from seed_a's noise to seed_b's.

    Frame k = interp(noise(seed_a), noise(seed_b), e(k / (N - 1))) for the chosen method and
    easing e; frame 0 is seed_a's noise and frame N - 1 seed_b's, bit for bit. Shape
    (count, *frame_shape), float32 on the CPU.
    """
    if frames < 2:
        raise ValueError(f"frames must be >= 2 for a walk from one seed to another, got {frames}")
    idx = schedule.window(frames, start_frame, frame_count)
    t = schedule.ease(schedule.frame_times(frames)[idx.start : idx.stop], easing)
    a = seed_noise(seed_a, frame_shape).unsqueeze(0)
    b = seed_noise(seed_b, frame_shape).unsqueeze(0)
    return interpolate.interpolate(a, b, t, method)
