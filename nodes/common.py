"""Inputs and outputs every walk node shares: widgets, the walk NOISE, the empty LATENT, the frame batch."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from torch import Tensor

from ..latent_ops import noise
from ..latent_ops.inputs import MAX_FRAMES
from ..latent_ops.walks import NoiseWalk, Pan
from ..latent_ops.windows import LATENT_CHANNELS, LATENT_DOWNSCALE
from .comfy import host_node, io
from .validate import (
    NOISE_WALK_BYTES_PER_VALUE,
    PAN_BYTES_PER_VALUE,
    check_finite,
    check_memory,
    check_noise_walk_memory,
)

TimeWarp = io.Custom("MEANDER_TIME_WARP")
"""A latent_ops.retime.TimeWarp: frame position u = k / (N - 1) -> walk time t."""

def seed_input(name: str, tooltip: str, default: int = 0) -> io.Int.Input:
    return io.Int.Input(name, default=default, min=0, max=noise.SEED_MAX, control_after_generate=False,
                        tooltip=tooltip)


def warp_output(tooltip: str) -> io.Output:
    return TimeWarp.Output(display_name="time_warp", tooltip=tooltip)


def latent_shape_input() -> io.Latent.Input:
    return io.Latent.Input(
        "latent_shape", optional=True,
        tooltip="Optional: an empty latent of your model's own shape with batch_size 1. For a video model "
        "(Wan, HunyuanVideo, ...) connect its empty video latent (e.g. EmptyHunyuanLatentVideo): each frame of "
        "the walk is then one whole clip. Unconnected: an image latent of width x height.")


def noise_walk_outputs() -> list[io.Output]:
    return [
        io.Noise.Output(display_name="noise",
                        tooltip="The walk's noise, frame k for batch item k: connect to SamplerCustomAdvanced."),
        io.Latent.Output(display_name="latent",
                         tooltip="An empty latent batch with one item per emitted frame (per clip for a video "
                         "latent_shape): the sampler's latent_image."),
    ]


def empty_latent(count: int, width: int, height: int) -> dict:
    """The host's own EmptyLatentImage of `count` items at width x height (4 x height/8 x width/8 zeros).

    The host's node builds it, so the latent carries whatever keys this ComfyUI adds (0.33.0 adds
    its spatial downscale); the sampler widens the channels to the model's (16 for SD3 / Flux).
    A size that is not a multiple of 8 is floored, as the host does, and said in the log.
    """
    for name, size in (("width", width), ("height", height)):
        if size % LATENT_DOWNSCALE:
            snapped = size // LATENT_DOWNSCALE * LATENT_DOWNSCALE
            logging.warning("Meander: %s %d is not a multiple of %d: the latent is %d wide, the images %d pixels",
                            name, size, LATENT_DOWNSCALE, size // LATENT_DOWNSCALE, snapped)
    return host_node("EmptyLatentImage")().generate(width, height, count)[0]


@dataclass(frozen=True)
class FrameLatent:
    """One walk frame's empty latent: an image latent of width x height, or a connected latent's item.

    With a `latent_shape` (a video model's empty latent, B x C x T x H x W) every frame is one whole
    clip: the walk's noise covers all of C x T x H x W (docs/SPEC.md, "Walks of clips").
    """

    width: int
    height: int
    template: dict | None = None

    @classmethod
    def of(cls, width: int, height: int, latent_shape: dict | None = None) -> FrameLatent:
        """Checks the connected latent_shape: a plain latent dict with one item."""
        if latent_shape is not None:
            samples = latent_shape.get("samples") if isinstance(latent_shape, dict) else None
            if not isinstance(samples, Tensor):
                raise ValueError("latent_shape is not a LATENT: connect an empty latent node's output")
            if samples.is_nested or samples.dim() < 4:
                raise ValueError(f"latent_shape has shape {tuple(samples.shape)}: connect a plain image or video "
                                 "latent (B x C x H x W or B x C x T x H x W)")
            if samples.shape[0] != 1:
                raise ValueError(f"latent_shape has a batch of {samples.shape[0]}: set its batch_size to 1 (the walk "
                                 "makes one item per frame)")
        return cls(width, height, latent_shape)

    @property
    def item_shape(self) -> tuple[int, ...]:
        """C x H x W of an image frame, or the connected latent's C x (T x) H x W."""
        if self.template is None:
            return (LATENT_CHANNELS, self.height // LATENT_DOWNSCALE, self.width // LATENT_DOWNSCALE)
        return tuple(self.template["samples"].shape[1:])

    @property
    def is_clip(self) -> bool:
        return self.template is not None and self.template["samples"].dim() == 5

    @property
    def values(self) -> int:
        """Latent values of one frame."""
        return math.prod(self.item_shape)

    @property
    def what(self) -> str:
        """How the memory check names a frame: '512x512' or '16x7x60x104 clip'."""
        if self.template is None:
            return f"{self.width}x{self.height}"
        return "x".join(map(str, self.item_shape)) + (" clip" if self.is_clip else " latent")

    def empty(self, count: int) -> dict:
        """`count` empty items: the host's EmptyLatentImage, or zeros of the connected latent's item shape
        carrying its other keys (not its noise_mask or batch_index, which belong to its own batch)."""
        if self.template is None:
            return empty_latent(count, self.width, self.height)
        samples = self.template["samples"]
        latent = {k: v for k, v in self.template.items() if k not in ("samples", "noise_mask", "batch_index")}
        latent["samples"] = samples.new_zeros((count, *samples.shape[1:]))
        return latent


VIDEO_LATENT_FIX = ("connect the video model's empty latent with batch_size 1 (e.g. EmptyHunyuanLatentVideo) to the "
                    "walk node's latent_shape input, and the walk node's latent output to latent_image")


class WalkNoise:
    """A NOISE for SamplerCustomAdvanced whose batch item k is frame k of a walk's window.

    The walk makes the frames for the latent's own shape, so the same walk serves any model's
    latent channels and rank. `clips`: the walk's latent was built from a video latent_shape.
    """

    def __init__(self, walk: NoiseWalk, frames: range, clips: bool = False):
        self.seed = walk.first_seed
        self.count = len(frames)
        self.walk = walk
        self.frames = frames
        self._clips = clips

    def generate_noise(self, input_latent: dict) -> Tensor:
        """The window's noise for `input_latent`, whose batch must hold one item per frame."""
        latent = input_latent["samples"]
        if latent.is_nested:
            raise ValueError("this walk's noise works on plain latents only, not on nested (audio/video) latents")
        if latent.dim() == 5 and latent.shape[0] == self.count and latent.shape[2] == 1 and not self._clips:
            raise ValueError("the model is a video model but the walk's latent is an image latent, which it would "
                             f"sample as 1-frame clips: {VIDEO_LATENT_FIX}")
        if latent.shape[0] != self.count:
            fix = VIDEO_LATENT_FIX if latent.dim() == 5 else "connect the walk node's latent output to the " \
                "sampler's latent_image"
            raise ValueError(f"latent_image has a batch of {latent.shape[0]} but the walk emits {self.count} frames: "
                             + fix)
        return self.walk.noise_frames(tuple(latent.shape[1:]), self.frames).to(dtype=latent.dtype)


def noise_walk_output(walk: NoiseWalk, start_frame: int, frame_count: int, frame: FrameLatent) -> io.NodeOutput:
    """The NOISE of the walk's window [start, start + count) and its empty LATENT.

    Refuses a window whose frames would not fit in memory (naming the input that sets the walk's
    length when the window is the whole walk); a pan's window also holds its strip of noise.
    """
    if isinstance(walk, Pan):
        check_pan_size(walk, frame)
    frames = walk.window(start_frame, frame_count)
    name = walk.length_input if frame_count == 0 else "frame_count"
    if isinstance(walk, Pan):
        check_pan_count(len(frames))
        check_memory(name, len(frames), (NOISE_WALK_BYTES_PER_VALUE + PAN_BYTES_PER_VALUE) * frame.values,
                     f"{frame.what} pan noise and latents", "the width and height or raise stride")
    else:
        check_noise_walk_memory(len(frames), frame, name)
    return io.NodeOutput(WalkNoise(walk, frames, frame.is_clip), frame.empty(len(frames)))


def check_pan_count(count: int) -> None:
    """A pan's window may not emit more than MAX_FRAMES frames."""
    if count > MAX_FRAMES:
        raise ValueError(f"the pan emits {count} frames, more than {MAX_FRAMES}: raise stride or set frame_count")


def check_pan_size(walk: Pan, frame: FrameLatent) -> None:
    """A noise pan's length follows its width and height, so a connected latent_shape must have that size."""
    if frame.template is None:
        return
    h, w = frame.item_shape[-2:]
    if (h, w) != (walk.height // LATENT_DOWNSCALE, walk.width // LATENT_DOWNSCALE):
        raise ValueError(f"latent_shape is {w * LATENT_DOWNSCALE}x{h * LATENT_DOWNSCALE} pixels but width x height "
                         f"is {walk.width}x{walk.height}: set width to {w * LATENT_DOWNSCALE} and height to "
                         f"{h * LATENT_DOWNSCALE} (the pan's length follows them)")


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
