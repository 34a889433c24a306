"""Inputs and outputs every walk node shares: widgets, the walk NOISE, the empty LATENT, the frame batch."""

from __future__ import annotations

import comfy.model_management
import torch
from torch import Tensor

from ..latent_ops import interpolate, noise, schedule
from ..latent_ops.walks import MAX_FRAMES, NoiseWalk
from ..latent_ops.windows import LATENT_CHANNELS, LATENT_DOWNSCALE
from .comfy import io
from .validate import check_finite, check_noise_walk_memory

MAX_RESOLUTION = 16384

TimeWarp = io.Custom("MEANDER_TIME_WARP")
"""A latent_ops.retime.TimeWarp: frame position u = k / (N - 1) -> walk time t."""

STEP_NOISE_NOTE = (
    "Use a deterministic sampler (euler, heun, dpmpp_2m, ddim, lms, uni_pc): ancestral and SDE "
    "samplers draw fresh noise over the whole batch at every step, so neighbouring frames jump."
)


def seed_input(name: str, tooltip: str, default: int = 0) -> io.Int.Input:
    return io.Int.Input(name, default=default, min=0, max=noise.SEED_MAX, control_after_generate=False,
                        tooltip=tooltip)


def warp_output(tooltip: str) -> io.Output:
    return TimeWarp.Output(display_name="time_warp", tooltip=tooltip)


def noise_method_input() -> io.Combo.Input:
    return io.Combo.Input(
        "method",
        options=list(interpolate.METHODS),
        default="slerp",
        tooltip="slerp: along the great circle, keeps the noise's variance (best). nlerp: straight line "
        "rescaled to the endpoints' norm (unit variance; equal seeds stay still). lerp: straight line; middle frames lose variance and blur.",
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


def noise_walk_outputs() -> list[io.Output]:
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
    shape = (count, LATENT_CHANNELS, height // LATENT_DOWNSCALE, width // LATENT_DOWNSCALE)
    return {"samples": torch.zeros(shape, device=comfy.model_management.intermediate_device())}


class WalkNoise:
    """A NOISE for SamplerCustomAdvanced whose batch item k is frame k of a walk's window.

    The walk makes the frames for the latent's own shape, so the same walk serves any model's
    latent channels and rank.
    """

    def __init__(self, walk: NoiseWalk, frames: range):
        self.seed = walk.first_seed
        self.count = len(frames)
        self._walk = walk
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
        return self._walk.noise_frames(tuple(latent.shape[1:]), self._frames).to(dtype=latent.dtype)


def noise_walk_output(walk: NoiseWalk, start_frame: int, frame_count: int, width: int, height: int) -> io.NodeOutput:
    """The NOISE of the walk's window [start, start + count) and its empty LATENT.

    Refuses a window whose frames would not fit in memory (naming the input that sets the walk's
    length when the window is the whole walk).
    """
    frames = walk.window(start_frame, frame_count)
    check_noise_walk_memory(len(frames), width, height, walk.length_input if frame_count == 0 else "frame_count")
    return io.NodeOutput(WalkNoise(walk, frames), empty_latent(len(frames), width, height))


def frames_of(images: Tensor | None, latent: dict | None, what: str) -> Tensor | None:
    """The frame batch of a walk from either an IMAGE or a LATENT input (not both); None if neither."""
    if images is not None and latent is not None:
        raise ValueError(f"{what}: connect either images or latent, not both")
    if latent is not None:
        samples = latent["samples"]
        if samples.is_nested:
            raise ValueError(f"{what}: nested (audio/video) latents are not supported, decode them to images first")
        check_finite(f"{what} latent", samples, "measure a walk whose sampling worked (NaN latents decode to black)")
        return samples
    if images is not None:
        check_finite(f"{what} images", images, "decode the frames again (a NaN image usually comes from a float16 "
                     "VAE: try --fp32-vae)")
    return images
