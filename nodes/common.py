"""Inputs and outputs every walk node shares: widgets, the walk NOISE, the empty LATENT."""

from __future__ import annotations

from collections.abc import Callable

import comfy.model_management
import torch
from torch import Tensor

from ..latent_ops import interpolate, schedule
from ..latent_ops.windows import LATENT_DOWNSCALE
from .comfy import io

MAX_FRAMES = 100_000
MAX_RESOLUTION = 16384

STEP_NOISE_NOTE = (
    "Use a deterministic sampler (euler, heun, dpmpp_2m, ddim, lms, uni_pc): ancestral and SDE "
    "samplers draw fresh noise over the whole batch at every step, so neighbouring frames jump."
)


def method_input() -> io.Combo.Input:
    return io.Combo.Input(
        "method",
        options=list(interpolate.METHODS),
        default="slerp",
        tooltip="slerp: along the great circle, keeps the noise's variance (best). nlerp: straight line "
        "rescaled to unit variance. lerp: straight line; middle frames lose variance and blur.",
    )


def easing_input() -> io.Combo.Input:
    return io.Combo.Input(
        "easing",
        options=list(schedule.EASINGS),
        default="linear",
        tooltip="How the walk's time runs between keyframes: linear is even speed; smoothstep and "
        "cosine slow down at both ends; ease_in starts slow; ease_out ends slow.",
    )


def size_inputs() -> list[io.Int.Input]:
    return [
        io.Int.Input("width", default=512, min=16, max=MAX_RESOLUTION, step=8,
                     tooltip="Image width in pixels (the latent is width / 8)."),
        io.Int.Input("height", default=512, min=16, max=MAX_RESOLUTION, step=8,
                     tooltip="Image height in pixels (the latent is height / 8)."),
    ]


def window_inputs() -> list[io.Int.Input]:
    return [
        io.Int.Input("start_frame", default=0, min=0, max=MAX_FRAMES - 1,
                     tooltip="First frame of the walk to emit: render a long walk in windows. Frames are "
                     "identical to the same frames of the whole walk."),
        io.Int.Input("frame_count", default=0, min=0, max=MAX_FRAMES,
                     tooltip="How many frames to emit from start_frame; 0 emits all the rest."),
    ]


def walk_outputs() -> list[io.Output]:
    return [
        io.Noise.Output(display_name="noise",
                        tooltip="The walk's noise, frame k for batch item k: connect to SamplerCustomAdvanced."),
        io.Latent.Output(display_name="latent",
                         tooltip="An empty latent batch with one item per emitted frame: the sampler's latent_image."),
    ]


def empty_latent(count: int, width: int, height: int) -> dict[str, Tensor]:
    """Zeros of shape (count, 4, height / 8, width / 8), as core EmptyLatentImage makes them.

    The sampler widens the channels to the model's (16 for SD3 / Flux) before asking for noise.
    """
    shape = (count, 4, height // LATENT_DOWNSCALE, width // LATENT_DOWNSCALE)
    return {"samples": torch.zeros(shape, device=comfy.model_management.intermediate_device())}


class WalkNoise:
    """A NOISE for SamplerCustomAdvanced whose batch item k is frame k of a walk window.

    `frames(frame_shape)` returns the window's frames for one latent's shape, so the same walk
    serves any model's latent channels and rank.
    """

    def __init__(self, seed: int, count: int, frames: Callable[[tuple[int, ...]], Tensor]):
        self.seed = seed
        self.count = count
        self._frames = frames

    def generate_noise(self, input_latent: dict) -> Tensor:
        """The window's noise for `input_latent`, whose batch must hold one item per frame."""
        latent = input_latent["samples"]
        if latent.is_nested:
            raise ValueError("this walk's noise works on plain latents only, not on nested (audio/video) latents")
        if latent.shape[0] != self.count:
            raise ValueError(
                f"latent_image has a batch of {latent.shape[0]} but the walk emits {self.count} frames: "
                "connect the walk node's latent output to the sampler's latent_image"
            )
        return self._frames(tuple(latent.shape[1:])).to(dtype=latent.dtype)
