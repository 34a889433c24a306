"""Video prompt travel: one video's timeline walks through keyframe prompts, through ComfyUI's context windows.

The walks (latent_ops/walks.py, VideoPromptTravel and VideoConditioningTravel) declare the inputs
and give the timeline; nodes/conditioning.py makes the entries. The host's context windows
(WanContextWindowsManual, LTXVContextWindows with split_conds_to_windows) give each window the entry
of its middle latent frame.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import comfy.context_windows
from torch import Tensor

from ..latent_ops import walks
from .comfy import io
from .conditioning import Conditioning, encode_prompts, timeline_conditioning
from .declared import walk_schema


def host_splits_conditionings() -> bool:
    """Whether this ComfyUI's context windows give each window its own conditioning entry (split_conds_to_windows)."""
    handler = getattr(comfy.context_windows, "IndexListContextHandler", None)
    return handler is not None and "split_conds_to_windows" in inspect.signature(handler.__init__).parameters


def check_host() -> None:
    """Refuse on a ComfyUI whose context windows cannot split conditionings (0.3.75), naming the version needed."""
    if not host_splits_conditionings():
        version = getattr(importlib.import_module("comfyui_version"), "__version__", "this version")
        raise ValueError(f"ComfyUI {version} cannot give each context window its own conditioning (its context "
                         "windows have no split_conds_to_windows): update ComfyUI (0.33.0 and newer have it) to "
                         "travel along a video's timeline")


def latent_frames(video_latent: Any) -> int:
    """T of a connected video latent (1 x C x T x H x W); ValueError naming the input otherwise."""
    samples = video_latent.get("samples") if isinstance(video_latent, dict) else None
    if not isinstance(samples, Tensor) or samples.is_nested or samples.dim() != 5:
        shape = tuple(samples.shape) if isinstance(samples, Tensor) and not samples.is_nested else None
        raise ValueError(f"video_latent {'has shape ' + str(shape) if shape else 'is no plain LATENT'}: connect the "
                         "video model's empty latent (B x C x T x H x W, e.g. EmptyHunyuanLatentVideo)")
    if samples.shape[0] != 1:
        raise ValueError(f"video_latent has a batch of {samples.shape[0]}: set its batch_size to 1 (video travel "
                         "walks along one video)")
    return samples.shape[2]


def conditioning_output() -> list[io.Output]:
    return [io.Conditioning.Output(
        display_name="conditioning",
        tooltip="One conditioning entry per latent frame of the video (entry r for the context windows whose middle "
        "is latent frame r): the guider's positive. Patch the model with WanContextWindowsManual (or "
        "LTXVContextWindows) with split_conds_to_windows on.")]


class MeanderVideoPromptTravel(io.ComfyNode):
    """Prompt travel along a video's timeline from a schedule of keyframe prompts at video frames."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return walk_schema(walks.VideoPromptTravel, conditioning_output())

    @classmethod
    def execute(cls, clip, video_latent: dict, **inputs) -> io.NodeOutput:
        check_host()
        walk = walks.VideoPromptTravel.from_inputs({**inputs, "latent_frames": latent_frames(video_latent)})
        walk.check()
        encoded = encode_prompts(clip, [p for _, p in walk.keyframes])
        named: list[tuple[str, Conditioning]] = [(f"the prompt at frame {k}", encoded[p]) for k, p in walk.keyframes]
        return io.NodeOutput(timeline_conditioning(named, walk))


class MeanderVideoConditioningTravel(io.ComfyNode):
    """Video prompt travel through keyframe CONDITIONING inputs at given video frames."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return walk_schema(walks.VideoConditioningTravel, conditioning_output())

    @classmethod
    def execute(cls, video_latent: dict, **inputs) -> io.NodeOutput:
        check_host()
        keys = walks.VideoConditioningTravel.keyframe_inputs(inputs)
        walk = walks.VideoConditioningTravel.from_inputs({**inputs, "latent_frames": latent_frames(video_latent)})
        walk.check()
        return io.NodeOutput(timeline_conditioning(keys, walk))
