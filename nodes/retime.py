"""Walks with given frame times: even re-timing from a coarse render, and the timed seed walk."""

from __future__ import annotations

from ..latent_ops import interpolate, metrics, noise, retime
from .analysis import frames_of
from .comfy import io, schema
from .common import (
    MAX_FRAMES,
    STEP_NOISE_NOTE,
    WalkNoise,
    empty_latent,
    method_input,
    size_inputs,
    walk_outputs,
    window_inputs,
)
from .noise_walks import seed_input
from .validate import check_choice, check_noise_walk_memory

TimeWarp = io.Custom("MEANDER_TIME_WARP")
"""A latent_ops.retime.TimeWarp: frame position u = k / (N - 1) -> walk time t."""


def warp_output(tooltip: str) -> io.Output:
    return TimeWarp.Output(display_name="time_warp", tooltip=tooltip)


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


class MeanderTimedSeedWalk(io.ComfyNode):
    """A seed walk whose frame times come from a time warp (even re-timing, audio pacing)."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderTimedSeedWalk",
            search_aliases=["slerp", "seed travel", "keyframes"],
            display_name="Timed Seed Walk Noise (Meander)",
            category="latent/meander",
            description="Seed Walk Noise whose frame k sits at walk time t_k = W(k / (N - 1)) given by a time warp "
            "W (from Even Re-timing or Audio Pacing) instead of an easing. Frame 0 is seed A's noise and the "
            "last frame seed B's, exactly. " + STEP_NOISE_NOTE,
            inputs=[
                TimeWarp.Input("time_warp", tooltip="The frame times: from Even Re-timing or Audio Pacing."),
                seed_input("seed_a", "Seed of the first frame: the same seed gives the same image as KSampler."),
                seed_input("seed_b", "Seed of the last frame."),
                io.Int.Input("frames", default=48, min=2, max=MAX_FRAMES,
                             tooltip="Frames in the whole walk, both seeds' frames included (any number: the warp "
                             "is sampled at k / (N - 1))."),
                method_input(),
                *size_inputs(),
                *window_inputs(),
            ],
            outputs=walk_outputs(),
        )

    @classmethod
    def execute(cls, time_warp, seed_a: int, seed_b: int, frames: int, method: str, width: int, height: int,
                start_frame: int, frame_count: int) -> io.NodeOutput:
        check_choice("method", method, interpolate.METHODS)
        times = time_warp.frame_times(frames, start_frame, frame_count)
        check_noise_walk_memory(len(times), width, height, "frames" if frame_count == 0 else "frame_count")

        def walk(frame_shape: tuple[int, ...]):
            return noise.timed_walk(seed_a, seed_b, frame_shape, times, method)

        return io.NodeOutput(WalkNoise(seed_a, len(times), walk), empty_latent(len(times), width, height))
