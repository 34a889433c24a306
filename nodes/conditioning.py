"""CONDITIONING walks: the checks, padding and per-entry walking that every prompt walk node shares.

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

from ..latent_ops import embedding
from ..latent_ops.checks import check_choice
from ..latent_ops.walks import KeyframeTravel, VideoTravel
from .comfy import io
from .common import FrameLatent
from .validate import PROMPT_WALK_BYTES_PER_VALUE, check_finite, check_memory

Conditioning = list[list[Any]]


def conditioning_walk_outputs() -> list[io.Output]:
    """A prompt walk's outputs: one conditioning per frame, and the frames' empty latents."""
    return [
        io.Conditioning.Output(display_name="conditioning",
                               tooltip="One conditioning per emitted frame (batch item k = frame k): the "
                               "sampler's positive input, with a latent batch of the same frames."),
        io.Latent.Output(display_name="latent",
                         tooltip="An empty latent batch with one item per emitted frame, all with the seed's "
                         "same noise in KSampler (batch_index 0): the sampler's latent_image."),
    ]


def same_noise_latent(count: int, frame: FrameLatent) -> dict:
    """Empty latent of `count` frames whose items all draw the seed's first noise (batch_index 0)."""
    latent = frame.empty(count)
    latent["batch_index"] = [0] * count
    return latent


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


def walk_keyframes(keys: Sequence[tuple[str, Conditioning]], walk: KeyframeTravel, frames: range,
                   frame: FrameLatent) -> Conditioning:
    """The CONDITIONING of the window `frames` of a walk through the (name, conditioning) keyframes `keys`,
    at the walk's keyframe positions, with its loop, method, per, easing and padding.

    The window's frames (and their empty latents) are checked to fit in memory first.
    """
    check_choice("pad", walk.pad, embedding.PADDING)
    columns = _keyframe_entries(keys)
    padded_columns = [embedding.pad_tokens([cond for cond, _ in column], walk.pad) for column in columns]
    values = sum(padded[0][0].numel() + _pooled_values(column[0][1])
                 for column, padded in zip(columns, padded_columns, strict=True))
    check_prompt_memory(len(frames), values, frame, walk.length_input if len(frames) == walk.length else "frame_count")
    out: Conditioning = []
    for column, padded in zip(columns, padded_columns, strict=True):
        conds = [cond for cond, _ in column]
        extras = {k: v for k, v in column[0][1].items() if k != "pooled_output"}
        if "attention_mask" in extras and padded[0].shape[1] != conds[0].shape[1]:
            raise ValueError("these keyframes carry an attention_mask and have different token lengths: "
                             "use prompts of the same token length")
        at = torch.arange(frames.start, frames.stop)
        out.append([walk.embeddings_at(padded, at), extras])
        if "pooled_output" in column[0][1]:
            extras["pooled_output"] = walk.embeddings_at([e["pooled_output"] for _, e in column], at)
    return out


def timeline_conditioning(keys: Sequence[tuple[str, Conditioning]], walk: VideoTravel) -> Conditioning:
    """One entry per latent frame r of the walk's video: the keyframes' walk at video frame r c (walk.timeline).

    Each keyframe must be one entry (a text encoder's output): the entries' order is what ComfyUI's
    context windows read as regions. Embeddings and pooled outputs are walked, other keys carried.
    """
    columns = _keyframe_entries(keys)
    if len(columns) != 1:
        raise ValueError(f"{keys[0][0]} has {len(columns)} conditioning entries: video travel makes one entry per "
                         "latent frame, so give each keyframe one (a text encoder's output, no ConditioningCombine)")
    column = columns[0]
    padded = embedding.pad_tokens([cond for cond, _ in column], walk.pad)
    at = walk.timeline[0]
    check_memory("video_latent", len(at), PROMPT_WALK_BYTES_PER_VALUE * (padded[0].numel()
                                                                         + _pooled_values(column[0][1])),
                 f"{padded[0].numel()}-value conditioning entries", "the video's length, or use shorter prompts")
    conds = walk.embeddings_at(padded, at)
    pooled = (walk.embeddings_at([e["pooled_output"] for _, e in column], at) if "pooled_output" in column[0][1]
              else None)
    extras = {k: v for k, v in column[0][1].items() if k != "pooled_output"}
    return [[conds[r:r + 1], extras if pooled is None else {**extras, "pooled_output": pooled[r:r + 1]}]
            for r in range(len(at))]


def _pooled_values(extras: dict) -> int:
    pooled = extras.get("pooled_output")
    return pooled[0].numel() if isinstance(pooled, Tensor) else 0


def check_prompt_memory(count: int, values_per_frame: int, frame: FrameLatent, name: str) -> None:
    """A prompt walk's window of `count` frames (conditioning of `values_per_frame` values and an
    empty latent each) must fit in memory; `name` is the input to lower."""
    check_memory(name, count,
                 PROMPT_WALK_BYTES_PER_VALUE * values_per_frame + 4 * frame.values,
                 f"{values_per_frame}-value conditioning and {frame.what} latents",
                 "the width and height, or use shorter prompts")


def walk_each_entry(conditioning: Conditioning, walk, count: int, frame_count: int, frame: FrameLatent) -> Conditioning:
    """Apply walk(tensor) -> frames to every entry's cond and pooled_output; carry other extras.

    `count` frames (and their empty latents) are checked to fit in memory first.
    """
    entries = _entries(conditioning, "conditioning")
    values = sum(cond[0].numel() + _pooled_values(extras) for cond, extras in entries)
    check_prompt_memory(count, values, frame, "frames" if frame_count == 0 else "frame_count")
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
