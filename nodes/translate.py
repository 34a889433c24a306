"""Latent translation windows: pans and wipes across a strip of latents or of seeds' noise."""

from __future__ import annotations

from torch import Tensor

from ..latent_ops import schedule, walks, windows
from ..latent_ops.walks import MAX_FRAMES
from ..latent_ops.windows import LATENT_DOWNSCALE
from .comfy import io, schema
from .common import (
    STEP_NOISE_NOTE,
    FrameLatent,
    WalkNoise,
    easing_input,
    latent_shape_input,
    noise_walk_outputs,
    size_inputs,
    window_inputs,
)
from .validate import (
    NOISE_WALK_BYTES_PER_VALUE,
    PAN_BYTES_PER_VALUE,
    check_finite,
    check_memory,
)

CATEGORY = "latent/meander/translate"


def pan_inputs() -> list[io.Input]:
    """The widgets every pan node shares, in this order."""
    return [
        io.Combo.Input("motion", options=list(windows.MOTIONS), default="pan",
                       tooltip="pan: a window slides along the strip (the picture moves). wipe: the frame stays "
                       "in place and the next latent replaces the current one from the far edge, row by row."),
        io.Combo.Input("axis", options=list(windows.AXES), default="width",
                       tooltip="width: latents side by side, the pan runs left to right. height: stacked, the "
                       "pan runs top to bottom."),
        io.Float.Input("stride", default=1.0, min=0.01, max=4096.0, step=0.125, round=0.001,
                       tooltip="How far the window moves per frame, in latent pixels (1 latent pixel = 8 image "
                       "pixels). Frames of an open pan: (K - 1) x latent size / stride + 1. Below 1 needs "
                       "subpixel lerp or nlerp, or frames repeat."),
        io.Boolean.Input("loop", default=False,
                         tooltip="Off: open pan from the first latent to the last (both are frames). On: the strip "
                         "wraps (last latent joins the first) and the pan comes back to its start with no repeated "
                         "frame, for a seamless loop."),
        io.Boolean.Input("ping_pong", default=False,
                         tooltip="Open pans only: play the pan forward then back (frames 0..N-1 then N-2..1)."),
        easing_input(),
        io.Combo.Input("subpixel", options=list(windows.SUBPIXEL), default="round",
                       tooltip="Offsets between whole latent pixels (slow strides, easing). round: exact slices, "
                       "moves in 8-pixel steps. lerp: blends neighbouring latent pixels, smooth for sampled "
                       "latents but noise loses variance (blurs) halfway. nlerp: keeps noise at unit variance, "
                       "but makes it smoother along the axis."),
    ]


def _check_count(count: int) -> None:
    """A pan's window may not emit more than MAX_FRAMES frames."""
    if count > MAX_FRAMES:
        raise ValueError(f"the pan emits {count} frames, more than {MAX_FRAMES}: raise stride or set frame_count")


def _samples(latent: dict, name: str) -> Tensor:
    z = latent["samples"]
    if z.is_nested:
        raise ValueError(f"{name}: pans work on plain latents only, not on nested (audio/video) latents")
    if z.dim() < 4:
        raise ValueError(f"{name} must be a batch of image or video latents (B x C x H x W), got {tuple(z.shape)}")
    check_finite(name, z, "connect latents from a sampler or an encoder that worked (a NaN latent decodes "
                 "to a black image; try the VAE in float32)")
    return z


class MeanderLatentPan(io.ComfyNode):
    """A pan (or wipe) across latents joined side by side: a batch of frames to decode or sample."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderLatentPan",
            search_aliases=["latent walk", "pan", "panorama", "translate"],
            display_name="Latent Pan (Meander)",
            category=CATEGORY,
            description="Joins K latents (a batch, then the optional second batch) into one strip along the "
            "width or height and slides a latent-sized window across it: frame 0 is the first latent, the last "
            "frame the last latent (open), or the strip wraps into a seamless loop. Pan across sampled latents "
            "and decode them for a panorama video; wipe replaces one latent by the next in place. Latents must "
            "have the same channels and size: they are never resized.",
            inputs=[
                io.Latent.Input("latents", tooltip="The strip's latents, left to right (top to bottom): a batch of "
                                "K latents, e.g. a KSampler batch."),
                io.Latent.Input("latents_2", optional=True,
                                tooltip="More latents appended after `latents` (same channels, width and height)."),
                *pan_inputs(),
                *window_inputs(),
            ],
            outputs=[io.Latent.Output(display_name="frames",
                                      tooltip="One latent per frame (batch item k is frame k): decode it for the "
                                      "video, or use it as a sampler's latent_image.")],
        )

    @classmethod
    def execute(cls, latents: dict, motion: str, axis: str, stride: float, loop: bool, ping_pong: bool,
                easing: str, subpixel: str, start_frame: int, frame_count: int,
                latents_2: dict | None = None) -> io.NodeOutput:
        pan = walks.Pan(motion, axis, stride, loop, ping_pong, easing, subpixel)
        pan.check_combos()
        parts, names = [_samples(latents, "latents")], ["latents"]
        if latents_2 is not None:
            parts.append(_samples(latents_2, "latents_2"))
            names.append("latents_2")
        z = windows.stack_latents(parts, names)
        window = schedule.window(pan.pan_length(z.shape[0], z.shape[windows.AXES[axis]]), start_frame, frame_count)
        _check_count(len(window))
        check_memory("frame_count" if frame_count else "stride", len(window), PAN_BYTES_PER_VALUE * z[0].numel(),
                     f"{tuple(z.shape[1:])} latents", "the latents' size or raise stride")
        frames = pan.translate(z, window)
        out = dict(latents)
        out.pop("noise_mask", None)  # per input item: no meaning for a frame made of two latents
        out.pop("batch_index", None)  # the batch is now the frames
        out["samples"] = frames
        return io.NodeOutput(out)


class MeanderNoisePan(io.ComfyNode):
    """A pan (or wipe) across the noise of K seeds side by side: the starting noise of each frame."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderNoisePan",
            search_aliases=["latent walk", "pan", "loop", "translate"],
            display_name="Noise Pan (Meander)",
            category=CATEGORY,
            description="Lays the noise of K seeds side by side and slides a window across it, one frame's "
            "starting noise per window (as in 'Exploring the latent space'): the picture moves and changes as it "
            "goes. Frame 0 is exactly KSampler's image for the first seed, the last frame the last seed's "
            "(open pan). " + STEP_NOISE_NOTE,
            inputs=[
                io.String.Input("seeds", default="1337, 42",
                                tooltip="Seeds whose noise makes the strip, left to right (top to bottom), "
                                "separated by commas: two or more for an open pan, one or more for a loop."),
                *pan_inputs(),
                *size_inputs(),
                latent_shape_input(),
                *window_inputs(),
            ],
            outputs=noise_walk_outputs(),
        )

    @classmethod
    def execute(cls, seeds: str, motion: str, axis: str, stride: float, loop: bool, ping_pong: bool,
                easing: str, subpixel: str, width: int, height: int, start_frame: int,
                frame_count: int, latent_shape: dict | None = None) -> io.NodeOutput:
        frame = FrameLatent.of(width, height, latent_shape)
        _check_size_matches(frame)
        walk = walks.NoisePan(motion, axis, stride, loop, ping_pong, easing, subpixel, seeds, width, height)
        window = walk.window(start_frame, frame_count)
        _check_count(len(window))
        check_memory("frame_count" if frame_count else "stride", len(window),
                     (NOISE_WALK_BYTES_PER_VALUE + PAN_BYTES_PER_VALUE) * frame.values,
                     f"{frame.what} pan noise and latents", "the width and height or raise stride")
        return io.NodeOutput(WalkNoise(walk, window, frame.is_clip), frame.empty(len(window)))


def _check_size_matches(frame: FrameLatent) -> None:
    """A pan's length follows width and height, so a connected latent_shape must have that size."""
    if frame.template is None:
        return
    h, w = frame.item_shape[-2:]
    want = (frame.height // LATENT_DOWNSCALE, frame.width // LATENT_DOWNSCALE)
    if (h, w) != want:
        raise ValueError(f"latent_shape is {w * LATENT_DOWNSCALE}x{h * LATENT_DOWNSCALE} pixels but width x height "
                         f"is {frame.width}x{frame.height}: set width to {w * LATENT_DOWNSCALE} and height to "
                         f"{h * LATENT_DOWNSCALE} (the pan's length follows them)")
