"""Noise walks: the sampler's starting noise moves from one seed's noise to another's."""

from __future__ import annotations

from ..latent_ops import noise, schedule
from .comfy import io
from .common import (
    MAX_FRAMES,
    STEP_NOISE_NOTE,
    WalkNoise,
    easing_input,
    empty_latent,
    method_input,
    size_inputs,
    walk_outputs,
    window_inputs,
)


def seed_input(name: str, tooltip: str) -> io.Int.Input:
    return io.Int.Input(name, default=0, min=0, max=noise.SEED_MAX, control_after_generate=False, tooltip=tooltip)


class MeanderSeedWalk(io.ComfyNode):
    """N noise frames from seed A's noise to seed B's."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="MeanderSeedWalk",
            display_name="Seed Walk Noise (Meander)",
            category="latent/meander",
            description="The starting noise of N frames walking from seed A's noise to seed B's (slerp, nlerp "
            "or lerp, with easing). Frame 0 is exactly the image KSampler makes with seed A, the last frame "
            "the one with seed B. " + STEP_NOISE_NOTE,
            inputs=[
                seed_input("seed_a", "Seed of the first frame: the same seed gives the same image as KSampler."),
                seed_input("seed_b", "Seed of the last frame."),
                io.Int.Input("frames", default=48, min=2, max=MAX_FRAMES,
                             tooltip="Frames in the whole walk, both seeds' frames included."),
                method_input(),
                easing_input(),
                *size_inputs(),
                *window_inputs(),
            ],
            outputs=walk_outputs(),
        )

    @classmethod
    def execute(cls, seed_a: int, seed_b: int, frames: int, method: str, easing: str, width: int, height: int,
                start_frame: int, frame_count: int) -> io.NodeOutput:
        idx = schedule.window(frames, start_frame, frame_count)

        def walk(frame_shape: tuple[int, ...]):
            return noise.seed_walk(seed_a, seed_b, frame_shape, frames, method, easing, start_frame, frame_count)

        return io.NodeOutput(WalkNoise(seed_a, len(idx), walk), empty_latent(len(idx), width, height))
