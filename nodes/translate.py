"""Latent Pan: pans and wipes across a strip of latents (the Noise Pan's node is built from its walk class)."""

from __future__ import annotations

from torch import Tensor

from ..latent_ops import schedule, walks, windows
from .comfy import io, schema
from .common import check_pan_count
from .declared import widgets_of
from .validate import PAN_BYTES_PER_VALUE, check_finite, check_memory


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
            category=walks.NoisePan.category,
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
                *widgets_of(walks.Pan),
                *widgets_of(walks.Window),
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
        check_pan_count(len(window))
        check_memory("frame_count" if frame_count else "stride", len(window), PAN_BYTES_PER_VALUE * z[0].numel(),
                     f"{tuple(z.shape[1:])} latents", "the latents' size or raise stride")
        frames = pan.translate(z, window)
        out = dict(latents)
        out.pop("noise_mask", None)  # per input item: no meaning for a frame made of two latents
        out.pop("batch_index", None)  # the batch is now the frames
        out["samples"] = frames
        return io.NodeOutput(out)
