"""Prompt and embedding walks: one CONDITIONING whose batch item k is frame k's conditioning.

The walk objects (latent_ops/walks.py) give each node's length, window and checks; the
CONDITIONING work (keyframe checks, padding, memory) is nodes/conditioning.py's.
"""

from __future__ import annotations

from typing import Any

import torch

from ..latent_ops import embedding, noise, walks
from ..latent_ops.checks import check_choice
from ..latent_ops.walks import MAX_FRAMES
from .comfy import io, schema
from .common import STEP_NOISE_NOTE, FrameLatent, easing_input, latent_shape_input, size_inputs, window_inputs
from .conditioning import encode_prompts, same_noise_latent, walk_each_entry, walk_keyframes

Conditioning = list[list[Any]]
MAX_KEYFRAME_INPUTS = 6

SAME_NOISE_NOTE = (
    "Its latent output gives every frame the same noise in KSampler (the seed's single-image noise); "
    "for a walking noise, feed the sampler from a seed walk with the same frames and window instead."
)


# ---------------------------------------------------------------------------------------------
# inputs and outputs


def embedding_method_input() -> io.Combo.Input:
    return io.Combo.Input(
        "method", options=list(embedding.METHODS), default="slerp",
        tooltip="slerp: along the arc between the embeddings (keeps their size); lerp: straight line "
        "(the prompt interpolation of 'Beyond Static Image Generation').")


def per_input() -> io.Combo.Input:
    return io.Combo.Input(
        "per", options=list(embedding.PER), default="token",
        tooltip="token: slerp each token's embedding row on its own (default); whole: slerp the whole "
        "T x 768 tensor as one vector. lerp is the same either way.")


def pad_input() -> io.Combo.Input:
    return io.Combo.Input(
        "pad", options=list(embedding.PADDING), default="repeat",
        tooltip="Prompts of different token lengths (77 vs 154): repeat pads as ComfyUI's sampler does "
        "(each keyframe keeps its own image); zeros pads with zero rows as ConditioningAverage does.")


def keyframe_walk_inputs() -> list:
    """The inputs every keyframe walk shares after its keyframes and length."""
    return [loop_input(), embedding_method_input(), per_input(), easing_input(), pad_input(), *size_inputs(),
            latent_shape_input(), *window_inputs()]


def loop_input() -> io.Boolean.Input:
    return io.Boolean.Input(
        "loop", default=False,
        tooltip="Off: the walk ends on the last keyframe. On: after the last keyframe it walks back to the "
        "first, and the frame after the last would be the first (a seamless loop).")


def frame_seed_input() -> io.Int.Input:
    return io.Int.Input("seed", default=0, min=0, max=noise.SEED_MAX, control_after_generate=False,
                        tooltip="Seed of the walk's random direction(s); not the sampler's seed.")


def conditioning_walk_outputs() -> list[io.Output]:
    return [
        io.Conditioning.Output(display_name="conditioning",
                               tooltip="One conditioning per emitted frame (batch item k = frame k): the "
                               "sampler's positive input, with a latent batch of the same frames."),
        io.Latent.Output(display_name="latent",
                         tooltip="An empty latent batch with one item per emitted frame, all with the seed's "
                         "same noise in KSampler (batch_index 0): the sampler's latent_image."),
    ]


# ---------------------------------------------------------------------------------------------
# nodes


class MeanderPromptTravel(io.ComfyNode):
    """Prompt travel from a keyframe schedule text: `frame: prompt` per line."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderPromptTravel",
            search_aliases=["prompt travel", "latent walk", "morph", "prompt interpolation"],
            display_name="Prompt Travel (Meander)",
            category="latent/meander/prompt",
            description="Walks the text embedding through keyframe prompts ('0: a dog' / '47: a cat', one per "
            "line): each prompt is encoded once, prompts of different lengths are padded, and the frames between "
            "keyframes interpolate the embeddings (and SDXL's pooled output). One CONDITIONING holds a "
            "conditioning per frame, so one sampler run renders the whole walk; a keyframe's frame is exactly "
            "its prompt's image. " + SAME_NOISE_NOTE + " " + STEP_NOISE_NOTE,
            inputs=[
                io.Clip.Input("clip", tooltip="The text encoder that encodes each keyframe prompt once."),
                io.String.Input("schedule", multiline=True,
                                default="0: a photograph of a dog\n47: a photograph of a cat",
                                tooltip="One keyframe per line, 'frame: prompt' (frames counted from 0). Frames "
                                "between keyframes travel from one prompt to the next."),
                io.Int.Input("frames", default=0, min=0, max=MAX_FRAMES,
                             tooltip="Frames in the whole walk. 0: up to and including the last keyframe. More frames "
                             "than that hold the last prompt (or, with loop, travel back to the first)."),
                *keyframe_walk_inputs(),
            ],
            outputs=conditioning_walk_outputs(),
        )

    @classmethod
    def execute(cls, clip, schedule: str, frames: int, loop: bool, method: str, per: str, easing: str, pad: str,
                width: int, height: int, start_frame: int, frame_count: int,
                latent_shape: dict | None = None) -> io.NodeOutput:
        frame = FrameLatent.of(width, height, latent_shape)
        walk = walks.PromptTravel(schedule, frames, loop, easing)
        idx = walk.window(start_frame, frame_count)
        keys, frames = walk.keyframes, walk.length
        encoded = encode_prompts(clip, [p for _, p in keys])
        named = [(f"the prompt at frame {k}", encoded[p]) for k, p in keys]
        cond = walk_keyframes(named, [k for k, _ in keys], frames, loop, method, per, easing, pad,
                              start_frame, frame_count, frame)
        return io.NodeOutput(cond, same_noise_latent(len(idx), frame))


class MeanderConditioningTravel(io.ComfyNode):
    """Prompt travel through 2 to 6 CONDITIONING inputs, F frames per segment."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        optional = [
            io.Conditioning.Input(f"conditioning_{i}", optional=True,
                                  tooltip=f"Keyframe {i} (optional): leave unconnected to end the chain earlier.")
            for i in range(3, MAX_KEYFRAME_INPUTS + 1)
        ]
        return schema(
            node_id="MeanderConditioningTravel",
            search_aliases=["prompt travel", "morph", "conditioning interpolation"],
            display_name="Conditioning Travel (Meander)",
            category="latent/meander/prompt",
            description="Walks through 2 to 6 keyframe conditionings (any text encode node: CLIPTextEncode, "
            "CLIPTextEncodeSDXL, ...) with frames_per_segment frames from each to the next: an open chain of K "
            "keyframes has (K - 1) F + 1 frames, a loop K F. Embeddings and pooled outputs are interpolated; "
            "area, strength and mask must match between keyframes and carry over. " + SAME_NOISE_NOTE,
            inputs=[
                io.Conditioning.Input("conditioning_1", tooltip="Keyframe 1: the first frame."),
                io.Conditioning.Input("conditioning_2", tooltip="Keyframe 2."),
                *optional,
                io.Int.Input("frames_per_segment", default=24, min=1, max=MAX_FRAMES,
                             tooltip="Frames from one keyframe to the next (the next keyframe is the first frame of "
                             "the next segment)."),
                *keyframe_walk_inputs(),
            ],
            outputs=conditioning_walk_outputs(),
        )

    @classmethod
    def execute(cls, conditioning_1, conditioning_2, frames_per_segment: int, loop: bool, method: str, per: str,
                easing: str, pad: str, width: int, height: int, start_frame: int, frame_count: int,
                **optional) -> io.NodeOutput:
        keys = [("conditioning_1", conditioning_1), ("conditioning_2", conditioning_2)]
        for i in range(3, MAX_KEYFRAME_INPUTS + 1):
            value = optional.get(f"conditioning_{i}")
            if value is not None:
                keys.append((f"conditioning_{i}", value))
        walk = walks.ConditioningTravel(len(keys), frames_per_segment, loop, easing)
        idx = walk.window(start_frame, frame_count)
        positions, frames = embedding.chain_positions(len(keys), frames_per_segment, loop)
        frame = FrameLatent.of(width, height, optional.get("latent_shape"))
        cond = walk_keyframes(keys, positions, frames, loop, method, per, easing, pad, start_frame, frame_count,
                              frame)
        return io.NodeOutput(cond, same_noise_latent(len(idx), frame))


class MeanderPromptDrift(io.ComfyNode):
    """Drift away from one prompt: e_k = e_0 + k step d."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderPromptDrift",
            search_aliases=["prompt travel", "latent walk", "drift"],
            display_name="Prompt Drift (Meander)",
            category="latent/meander/prompt",
            description="Drifts a prompt's embedding in a straight line, e_k = e_0 + k * step * d, with d all ones "
            "(the owl walk: 150 frames of 0.002) or a seeded random direction of unit RMS. Frame 0 is the prompt's "
            "own image; the image wanders off into style changes and finally noise. The pooled output (SDXL) "
            "drifts too. " + SAME_NOISE_NOTE,
            inputs=[
                io.Conditioning.Input("conditioning", tooltip="The prompt to start from (a text encoder's output)."),
                io.Int.Input("frames", default=150, min=1, max=MAX_FRAMES, tooltip="Frames in the whole walk."),
                io.Float.Input("step", default=0.002, min=-1.0, max=1.0, step=0.0001,
                               tooltip="How far each frame moves along d, per embedding value (0.002: the owl walk; "
                               "150 frames then move 0.3 per value)."),
                io.Combo.Input("direction", options=list(embedding.DIRECTIONS), default="ones",
                               tooltip="ones: every value drifts the same way; random: a seeded direction of "
                               "unit RMS."),
                frame_seed_input(),
                *size_inputs(),
                latent_shape_input(),
                *window_inputs(),
            ],
            outputs=conditioning_walk_outputs(),
        )

    @classmethod
    def execute(cls, conditioning, frames: int, step: float, direction: str, seed: int, width: int, height: int,
                start_frame: int, frame_count: int, latent_shape: dict | None = None) -> io.NodeOutput:
        frame = FrameLatent.of(width, height, latent_shape)
        idx = walks.PromptDrift(frames).window(start_frame, frame_count)
        check_choice("direction", direction, embedding.DIRECTIONS)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        cond = walk_each_entry(conditioning, lambda e: embedding.drift_walk(
            e, frames, step, direction, generator, start_frame, frame_count), len(idx), frame_count, frame)
        return io.NodeOutput(cond, same_noise_latent(len(idx), frame))


class MeanderPromptCircle(io.ComfyNode):
    """A closed circle around one prompt's embedding."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderPromptCircle",
            search_aliases=["prompt travel", "loop", "circle"],
            display_name="Prompt Circle Loop (Meander)",
            category="latent/meander/prompt",
            description="Circles a prompt's embedding, e_k = e_0 + r (cos(phi_k) u + sin(phi_k) v) with "
            "phi_k = 2 pi k / N and seeded orthonormal directions u, v scaled to the embedding's RMS: the image "
            "leaves the prompt and comes back, and the frame after the last would be the first (a seamless "
            "loop). The pooled output (SDXL) circles too. " + SAME_NOISE_NOTE,
            inputs=[
                io.Conditioning.Input("conditioning", tooltip="The prompt to circle (a text encoder's output)."),
                io.Int.Input("frames", default=48, min=1, max=MAX_FRAMES,
                             tooltip="Frames in one turn of the loop (no frame repeats at the seam)."),
                io.Float.Input("radius", default=0.1, min=0.0, max=10.0, step=0.01,
                               tooltip="Size of the circle as a fraction of the embedding's own size "
                               "(|e_k - e_0| = radius |e_0|); 0.05 to 0.2 keeps the prompt recognisable."),
                frame_seed_input(),
                *size_inputs(),
                latent_shape_input(),
                *window_inputs(),
            ],
            outputs=conditioning_walk_outputs(),
        )

    @classmethod
    def execute(cls, conditioning, frames: int, radius: float, seed: int, width: int, height: int,
                start_frame: int, frame_count: int, latent_shape: dict | None = None) -> io.NodeOutput:
        frame = FrameLatent.of(width, height, latent_shape)
        idx = walks.PromptCircle(frames).window(start_frame, frame_count)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        cond = walk_each_entry(conditioning, lambda e: embedding.circle_walk(
            e, frames, radius, generator, start_frame, frame_count), len(idx), frame_count, frame)
        return io.NodeOutput(cond, same_noise_latent(len(idx), frame))
