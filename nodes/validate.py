"""Checks of node inputs, shared by every node: each raises a ValueError naming the input and the fix.

(The checks of walk parameters that need no ComfyUI, check_choice among them, are latent_ops/checks.py's.)
- check_finite: no NaN or inf in a tensor input, so no node turns bad values into bad frames.
- check_memory: refuse a frame count whose frames would not fit in free memory, with the estimate.
"""

from __future__ import annotations

import math

import comfy.model_management
import torch
from torch import Tensor

from ..latent_ops.windows import LATENT_CHANNELS, LATENT_DOWNSCALE

NOISE_WALK_BYTES_PER_VALUE = 32
"""Bytes a noise walk allocates per latent value of one frame: the float32 empty latent (4), the
float32 noise frame (4), the float64 copies of both endpoints that slerp works on (16) and its
float32 weighted terms (8)."""

PROMPT_WALK_BYTES_PER_VALUE = 24
"""Bytes a prompt walk allocates per embedding value of one frame: the float64 walk (8), its
float64 temporaries (8) and the conditioning it returns (up to 8)."""

PAN_BYTES_PER_VALUE = 16
"""Bytes a pan allocates per latent value of one frame: the gathered window, its subpixel
neighbour, the blend and the frame returned (float32 each)."""

IMAGE_BYTES_PER_VALUE = 4
"""Bytes per value of an IMAGE frame (float32)."""


def check_finite(name: str, x: Tensor, fix: str) -> None:
    """Raise ValueError when `x` holds NaN or inf values (they would make every frame NaN)."""
    parts = x.unbind() if x.is_nested else [x]
    if x.is_floating_point() or x.is_complex():
        bad = sum(int((~torch.isfinite(p)).sum()) for p in parts)
        if bad:
            raise ValueError(f"{name} holds {bad} NaN or infinite value{'s' if bad > 1 else ''} (of {x.numel()}): "
                             f"{fix}")


def format_bytes(n: float) -> str:
    """Bytes in binary units, e.g. '3.0 GiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def free_memory() -> int:
    """Bytes free where walk frames are made: the CPU's RAM, and the intermediate device's if it differs."""
    devices = {torch.device("cpu"), torch.device(comfy.model_management.intermediate_device())}
    return min(int(comfy.model_management.get_free_memory(d)) for d in devices)


def memory_estimate(frames: int, bytes_per_frame: int) -> int:
    """Bytes of `frames` frames of `bytes_per_frame` each."""
    return frames * bytes_per_frame


def check_memory(name: str, frames: int, bytes_per_frame: int, what: str, lower: str = "the width and height",
                 free: int | None = None) -> None:
    """Raise ValueError when `frames` frames of `bytes_per_frame` bytes would not fit in free memory.

    The message gives the estimate, the memory free and the largest window that fits (half the
    free memory, so the sampler and the decoder keep room), and suggests lowering `lower`.
    """
    need = memory_estimate(frames, bytes_per_frame)
    free = free_memory() if free is None else free
    if need > free:
        fit = max(1, math.floor(free / 2 / max(bytes_per_frame, 1)))
        raise ValueError(
            f"{name}: {frames} frames of {what} need about {format_bytes(need)} "
            f"({format_bytes(bytes_per_frame)} per frame) but only {format_bytes(free)} of memory is free: "
            f"render the walk in windows with start_frame and frame_count (at most about {fit} frames each), "
            f"or lower {lower}")


def latent_values(width: int, height: int) -> int:
    """Values of one empty walk latent of an image of width x height (C x height/8 x width/8)."""
    return LATENT_CHANNELS * (height // LATENT_DOWNSCALE) * (width // LATENT_DOWNSCALE)


def check_noise_walk_memory(frames: int, frame, name: str = "frame_count") -> None:
    """A noise walk's window of `frames` frames (each a common.FrameLatent) must fit in memory."""
    check_memory(name, frames, NOISE_WALK_BYTES_PER_VALUE * frame.values, f"{frame.what} walk noise and latents")
