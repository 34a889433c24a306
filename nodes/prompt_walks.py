"""Prompt and embedding walks: one CONDITIONING whose batch item k is frame k's conditioning.

A CONDITIONING is ComfyUI's list of [cond, extras] entries; each keyframe must hold a batch of
one. Every entry is walked on its own (cond (1, T, D) and extras["pooled_output"] (1, D')); the
other extras (area, strength, mask, timestep range, ...) must be the same in every keyframe and
are carried unchanged, so they apply to every frame. The LATENT output is an empty batch whose
items all have batch_index 0: KSampler then gives every frame the seed's own single-image noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from ..latent_ops import embedding, schedule
from .comfy import io, schema
from .common import MAX_FRAMES, STEP_NOISE_NOTE, easing_input, empty_latent, size_inputs, window_inputs
from .validate import PROMPT_WALK_BYTES_PER_VALUE, check_choice, check_finite, check_memory, latent_values

Conditioning = list[list[Any]]
MAX_KEYFRAME_INPUTS = 6
SEED_MAX = 0xFFFFFFFFFFFFFFFF

SAME_NOISE_NOTE = (
    "Its latent output gives every frame the same noise in KSampler (the seed's single-image noise); "
    "for a walking noise, feed the sampler from a seed walk with the same frames and window instead."
)


# ---------------------------------------------------------------------------------------------
# inputs and outputs


def method_input() -> io.Combo.Input:
    return io.Combo.Input(
        "method", options=list(embedding.METHODS), default="slerp",
        tooltip="slerp: along the arc between the embeddings (keeps their size); lerp: straight line "
        "(000's prompt interpolation).")


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
    return [loop_input(), method_input(), per_input(), easing_input(), pad_input(), *size_inputs(), *window_inputs()]


def loop_input() -> io.Boolean.Input:
    return io.Boolean.Input(
        "loop", default=False,
        tooltip="Off: the walk ends on the last keyframe. On: after the last keyframe it walks back to the "
        "first, and the frame after the last would be the first (a seamless loop).")


def frame_seed_input() -> io.Int.Input:
    return io.Int.Input("seed", default=0, min=0, max=SEED_MAX, control_after_generate=False,
                        tooltip="Seed of the walk's random direction(s); not the sampler's seed.")


def walk_outputs() -> list[io.Output]:
    return [
        io.Conditioning.Output(display_name="conditioning",
                               tooltip="One conditioning per emitted frame (batch item k = frame k): the "
                               "sampler's positive input, with a latent batch of the same frames."),
        io.Latent.Output(display_name="latent",
                         tooltip="An empty latent batch with one item per emitted frame, all with the seed's "
                         "same noise in KSampler (batch_index 0): the sampler's latent_image."),
    ]


def same_noise_latent(count: int, width: int, height: int) -> dict:
    """Empty latent of `count` frames whose items all draw the seed's first noise (batch_index 0)."""
    latent = empty_latent(count, width, height)
    latent["batch_index"] = [0] * count
    return latent


# ---------------------------------------------------------------------------------------------
# conditioning checks


def _same(a: Any, b: Any) -> bool:
    """Equal extras values: tensors by shape and value, sequences item by item, others by ==."""
    if a is b:
        return True
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or a.shape != b.shape:
            return False
        return bool(torch.equal(a, b.to(a.device)))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects without a usable ==
        return False


def _entries(conditioning: Conditioning, name: str) -> list[tuple[Tensor, dict]]:
    """The [cond, extras] entries of one keyframe, each cond checked to be a finite (1, T, D) tensor."""
    if not isinstance(conditioning, (list, tuple)):
        raise ValueError(f"{name} is a {type(conditioning).__name__}, not a CONDITIONING (a list of [embedding, "
                         "extras] pairs): connect a text encoder's output")
    if len(conditioning) == 0:
        raise ValueError(f"{name} is empty: connect a text encoder's CONDITIONING")
    out = []
    for entry in conditioning:
        if not (isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[0], Tensor)
                and isinstance(entry[1], dict)):
            raise ValueError(f"{name} is not a CONDITIONING: each entry must be [embedding tensor, extras dict]; "
                             "connect a text encoder's output")
        cond, extras = entry[0], entry[1]
        if cond.dim() != 3:
            raise ValueError(f"{name} has an embedding of shape {tuple(cond.shape)}; prompt walks take text "
                             "embeddings of shape (1, tokens, channels)")
        if cond.shape[0] != 1:
            raise ValueError(f"{name} holds a batch of {cond.shape[0]} conditionings; a prompt walk takes one per "
                             "keyframe: connect a text encoder's output directly")
        check_finite(name, cond, NAN_FIX)
        pooled = extras.get("pooled_output")
        if isinstance(pooled, Tensor):
            check_finite(f"{name}'s pooled_output", pooled, NAN_FIX)
        out.append((cond, extras))
    return out


NAN_FIX = "encode the prompt again with a text encoder that works (NaN embeddings render black or noise)"


def _keyframe_entries(keys: Sequence[tuple[str, Conditioning]]) -> list[list[tuple[Tensor, dict]]]:
    """For each entry index, the (cond, extras) of every keyframe, checked to be walkable together."""
    per_key = [(name, _entries(c, name)) for name, c in keys]
    first_name, first = per_key[0]
    for name, entries in per_key[1:]:
        if len(entries) != len(first):
            raise ValueError(f"{name} has {len(entries)} conditioning entries but {first_name} has {len(first)}: "
                             "give every keyframe the same structure (same Combine / SetArea nodes)")
    columns = []
    for e in range(len(first)):
        column = [entries[e] for _, entries in per_key]
        names = [name for name, _ in per_key]
        d = column[0][0].shape[2]
        for name, (cond, extras) in zip(names, column, strict=True):
            if cond.shape[2] != d:
                raise ValueError(f"{name} has {cond.shape[2]} channels per token but {names[0]} has {d}: "
                                 "encode every keyframe with the same CLIP")
            if ("pooled_output" in extras) != ("pooled_output" in column[0][1]):
                raise ValueError(f"{name} and {names[0]} differ in having a pooled_output: encode every keyframe "
                                 "with the same CLIP and text encode node")
            if "pooled_output" in extras:
                mine, theirs = extras["pooled_output"], column[0][1]["pooled_output"]
                if tuple(mine.shape) != tuple(theirs.shape):
                    raise ValueError(f"{name} has a pooled_output of shape {tuple(mine.shape)} but {names[0]} has "
                                     f"{tuple(theirs.shape)}: encode every keyframe with the same CLIP")
        keys0 = set(column[0][1]) - {"pooled_output"}
        for name, (_, extras) in zip(names[1:], column[1:], strict=True):
            other = set(extras) - {"pooled_output"}
            differ = sorted(keys0 ^ other)
            if differ:
                raise ValueError(f"{name} and {names[0]} differ in conditioning key {differ[0]!r}: set it the same "
                                 "on every keyframe (prompt walks interpolate only the embeddings and pooled_output)")
            for key in sorted(keys0):
                if not _same(column[0][1][key], extras[key]):
                    raise ValueError(f"{name} and {names[0]} have different {key!r}: set it the same on every "
                                     "keyframe (prompt walks interpolate only the embeddings and pooled_output)")
        columns.append(column)
    return columns


def walk_keyframes(
    keys: Sequence[tuple[str, Conditioning]],
    positions: Sequence[int],
    frames: int,
    loop: bool,
    method: str,
    per: str,
    easing: str,
    pad: str,
    start_frame: int,
    frame_count: int,
    width: int = 0,
    height: int = 0,
) -> Conditioning:
    """The CONDITIONING of frames [start, start + count) of a walk through keyframe conditionings.

    The window's frames (and their width x height latents) are checked to fit in memory first.
    """
    check_choice("pad", pad, embedding.PADDING)
    columns = _keyframe_entries(keys)
    padded_columns = [embedding.pad_tokens([cond for cond, _ in column], pad) for column in columns]
    values = sum(padded[0][0].numel() + _pooled_values(column[0][1])
                 for column, padded in zip(columns, padded_columns, strict=True))
    check_prompt_memory(len(schedule.window(frames, start_frame, frame_count)), values, frame_count, width, height)
    out: Conditioning = []
    for column, padded in zip(columns, padded_columns, strict=True):
        conds = [cond for cond, _ in column]
        extras = {k: v for k, v in column[0][1].items() if k != "pooled_output"}
        if "attention_mask" in extras and padded[0].shape[1] != conds[0].shape[1]:
            raise ValueError("these keyframes carry an attention_mask and have different token lengths: "
                             "use prompts of the same token length")
        walked = embedding.keyframe_walk(padded, positions, frames, loop, method, per, easing, start_frame, frame_count)
        if "pooled_output" in column[0][1]:
            pooled = [e["pooled_output"] for _, e in column]
            extras["pooled_output"] = embedding.keyframe_walk(
                pooled, positions, frames, loop, method, per, easing, start_frame, frame_count)
        out.append([walked, extras])
    return out


def _pooled_values(extras: dict) -> int:
    pooled = extras.get("pooled_output")
    return pooled[0].numel() if isinstance(pooled, Tensor) else 0


def check_prompt_memory(count: int, values_per_frame: int, frame_count: int, width: int, height: int) -> None:
    """A prompt walk's window of `count` frames (conditioning of `values_per_frame` values and an
    empty latent of width x height) must fit in memory."""
    check_memory("frames" if frame_count == 0 else "frame_count", count,
                 PROMPT_WALK_BYTES_PER_VALUE * values_per_frame + 4 * latent_values(width, height),
                 f"{values_per_frame}-value conditioning and {width}x{height} latents",
                 "the width and height, or use shorter prompts")


def walk_each_entry(conditioning: Conditioning, walk, count: int = 0, frame_count: int = 0, width: int = 0,
                    height: int = 0) -> Conditioning:
    """Apply walk(tensor) -> frames to every entry's cond and pooled_output; carry other extras.

    `count` frames (and their width x height latents) are checked to fit in memory first.
    """
    entries = _entries(conditioning, "conditioning")
    values = sum(cond[0].numel() + _pooled_values(extras) for cond, extras in entries)
    check_prompt_memory(count, values, frame_count, width, height)
    out: Conditioning = []
    for cond, extras in entries:
        new = dict(extras)
        frames = walk(cond)
        if "pooled_output" in extras and extras["pooled_output"] is not None:
            new["pooled_output"] = walk(extras["pooled_output"])
        out.append([frames, new])
    return out


def encode_prompts(clip: Any, prompts: Sequence[str]) -> dict[str, Conditioning]:
    """Each distinct prompt encoded once, as core CLIPTextEncode encodes it."""
    if clip is None:
        raise ValueError("clip is None: the checkpoint has no text encoder; connect a CLIP loader's output")
    encoded: dict[str, Conditioning] = {}
    for prompt in prompts:
        if prompt not in encoded:
            encoded[prompt] = clip.encode_from_tokens_scheduled(clip.tokenize(prompt))
    return encoded


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
            outputs=walk_outputs(),
        )

    @classmethod
    def execute(cls, clip, schedule: str, frames: int, loop: bool, method: str, per: str, easing: str, pad: str,
                width: int, height: int, start_frame: int, frame_count: int) -> io.NodeOutput:
        keys = embedding.parse_keyframes(schedule)
        last = keys[-1][0]
        if last >= MAX_FRAMES:
            raise ValueError(f"schedule: keyframe at frame {last} is past the longest walk ({MAX_FRAMES} frames, "
                             f"0..{MAX_FRAMES - 1}): number the keyframes from 0 and keep them below {MAX_FRAMES}")
        if frames == 0:
            if loop:
                raise ValueError(f"frames must be more than the last keyframe ({last}) for a loop: the walk back "
                                 "to the first prompt takes the frames after it (frames = 0 only ends on the last "
                                 "keyframe)")
            frames = last + 1
        idx = schedule_window(frames, start_frame, frame_count, [k for k, _ in keys])
        encoded = encode_prompts(clip, [p for _, p in keys])
        named = [(f"the prompt at frame {k}", encoded[p]) for k, p in keys]
        cond = walk_keyframes(named, [k for k, _ in keys], frames, loop, method, per, easing, pad,
                              start_frame, frame_count, width, height)
        return io.NodeOutput(cond, same_noise_latent(len(idx), width, height))


def check_frames(frames: int) -> None:
    if frames < 1:
        raise ValueError(f"frames must be >= 1 (frame 0 is the prompt's own image), got {frames}")


def schedule_window(frames: int, start_frame: int, frame_count: int, positions: Sequence[int]) -> range:
    """The window, with the keyframes checked to lie inside the walk first."""
    if positions and positions[-1] >= frames:
        raise ValueError(f"keyframe at frame {positions[-1]} is past the end of the walk ({frames} frames): "
                         f"raise frames to at least {positions[-1] + 1} (or 0 to end on the last keyframe)")
    return schedule.window(frames, start_frame, frame_count)


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
            outputs=walk_outputs(),
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
        positions, frames = embedding.chain_positions(len(keys), frames_per_segment, loop)
        idx = schedule.window(frames, start_frame, frame_count)
        cond = walk_keyframes(keys, positions, frames, loop, method, per, easing, pad, start_frame, frame_count,
                              width, height)
        return io.NodeOutput(cond, same_noise_latent(len(idx), width, height))


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
                               tooltip="How far each frame moves along d, per embedding value (0.002: 000's owl walk; "
                               "150 frames then move 0.3 per value)."),
                io.Combo.Input("direction", options=list(embedding.DIRECTIONS), default="ones",
                               tooltip="ones: every value drifts the same way (000); random: a seeded direction of "
                               "unit RMS."),
                frame_seed_input(),
                *size_inputs(),
                *window_inputs(),
            ],
            outputs=walk_outputs(),
        )

    @classmethod
    def execute(cls, conditioning, frames: int, step: float, direction: str, seed: int, width: int, height: int,
                start_frame: int, frame_count: int) -> io.NodeOutput:
        check_frames(frames)
        check_choice("direction", direction, embedding.DIRECTIONS)
        idx = schedule.window(frames, start_frame, frame_count)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        cond = walk_each_entry(conditioning, lambda e: embedding.drift_walk(
            e, frames, step, direction, generator, start_frame, frame_count), len(idx), frame_count, width, height)
        return io.NodeOutput(cond, same_noise_latent(len(idx), width, height))


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
                *window_inputs(),
            ],
            outputs=walk_outputs(),
        )

    @classmethod
    def execute(cls, conditioning, frames: int, radius: float, seed: int, width: int, height: int,
                start_frame: int, frame_count: int) -> io.NodeOutput:
        check_frames(frames)
        idx = schedule.window(frames, start_frame, frame_count)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        cond = walk_each_entry(conditioning, lambda e: embedding.circle_walk(
            e, frames, radius, generator, start_frame, frame_count), len(idx), frame_count, width, height)
        return io.NodeOutput(cond, same_noise_latent(len(idx), width, height))
