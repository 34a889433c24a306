"""Even re-timing from a coarse render: the time warp Timed Seed Walk Noise (latent_ops/walks.py) walks by."""

from __future__ import annotations

from ..latent_ops import metrics, retime
from .comfy import io, schema
from .common import TimeWarp, frames_of, warp_output


class MeanderEvenRetime(io.ComfyNode):
    """The time warp that makes a walk's frame-to-frame image distance even, from a coarse render."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderEvenRetime",
            search_aliases=["latent walk", "retime", "even speed"],
            display_name="Even Re-timing from a Render (Meander)",
            category="latent/meander/timing",
            description="Walks move unevenly in image space: long still stretches, then a jump. Give this node a "
            "first, coarse render of the walk (e.g. 12 frames, linear easing); it measures the distance between "
            "neighbouring frames and outputs a time warp that spends the frames evenly along the distance "
            "travelled (read through a monotone cubic through the measured points). Feed the warp to Timed Seed "
            "Walk Noise with the same seeds and method and render again.",
            inputs=[
                io.Image.Input("images", optional=True,
                               tooltip="The coarse render's decoded frames (measures image distance). Connect this or "
                               "latent."),
                io.Latent.Input("latent", optional=True,
                                tooltip="The coarse render's sampled latents (measures latent distance)."),
                io.Float.Input("strength", default=1.0, min=0.0, max=1.0, step=0.05,
                               tooltip="1 makes the steps even; 0 keeps linear timing; in between blends the two."),
                TimeWarp.Input("coarse_time_warp", optional=True,
                               tooltip="If the coarse render was itself timed by a warp, connect that warp here so "
                               "its frames are placed at the right times. Leave empty for a coarse walk with linear "
                               "easing."),
            ],
            outputs=[warp_output("Frame times that make the walk's steps even: connect to Timed Seed Walk Noise.")],
        )

    @classmethod
    def execute(cls, strength: float, images=None, latent=None, coarse_time_warp=None) -> io.NodeOutput:
        frames = frames_of(images, latent, "coarse render")
        if frames is None:
            raise ValueError("connect the coarse render's frames to images (decoded) or latent")
        if frames.shape[0] < 2:
            raise ValueError(f"the coarse render has {frames.shape[0]} frame: render at least 2 (8 to 16 is good)")
        d = metrics.step_distances(frames)
        times = None if coarse_time_warp is None else coarse_time_warp.frame_times(frames.shape[0])
        return io.NodeOutput(retime.even_warp(d, times).blend(strength))
