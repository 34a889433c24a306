"""Prompt travel: walks through keyframe conditionings, one CONDITIONING whose batch item k is frame k's.

The walk objects (latent_ops/walks.py) declare each node's inputs and give its length, window,
checks and keyframe positions; the CONDITIONING work (keyframe checks, padding, memory) is
nodes/conditioning.py's. The walks around one prompt (Prompt Drift, Prompt Circle) have nodes
built from their walk classes alone (nodes/declared.py).
"""

from __future__ import annotations

from ..latent_ops import walks
from .comfy import io
from .common import FrameLatent
from .conditioning import conditioning_walk_outputs, encode_prompts, same_noise_latent, walk_keyframes
from .declared import walk_schema


class MeanderPromptTravel(io.ComfyNode):
    """Prompt travel from a keyframe schedule text: `frame: prompt` per line."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return walk_schema(walks.PromptTravel, conditioning_walk_outputs())

    @classmethod
    def execute(cls, clip, start_frame: int, frame_count: int, width: int, height: int,
                latent_shape: dict | None = None, **inputs) -> io.NodeOutput:
        frame = FrameLatent.of(width, height, latent_shape)
        walk = walks.PromptTravel.from_inputs(inputs)
        frames = walk.window(start_frame, frame_count)
        encoded = encode_prompts(clip, [p for _, p in walk.keyframes])
        named = [(f"the prompt at frame {k}", encoded[p]) for k, p in walk.keyframes]
        return io.NodeOutput(walk_keyframes(named, walk, frames, frame), same_noise_latent(len(frames), frame))


class MeanderConditioningTravel(io.ComfyNode):
    """Prompt travel through 2 to 6 CONDITIONING inputs, F frames per segment."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return walk_schema(walks.ConditioningTravel, conditioning_walk_outputs())

    @classmethod
    def execute(cls, conditioning_1, conditioning_2, start_frame: int, frame_count: int, width: int, height: int,
                latent_shape: dict | None = None, **inputs) -> io.NodeOutput:
        inputs = {**inputs, "conditioning_1": conditioning_1, "conditioning_2": conditioning_2}
        keys = walks.ConditioningTravel.keyframe_inputs(inputs)
        walk = walks.ConditioningTravel.from_inputs(inputs)
        frames = walk.window(start_frame, frame_count)
        frame = FrameLatent.of(width, height, latent_shape)
        return io.NodeOutput(walk_keyframes(keys, walk, frames, frame), same_noise_latent(len(frames), frame))
