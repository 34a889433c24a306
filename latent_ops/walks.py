"""Every walk the pack makes, described once (docs/SPEC.md has the formulas, docs/ARCHITECTURE.md the flow).

A walk is a frozen dataclass whose fields are named like its node's inputs:
- `check()` raises ValueError with the message users see when the parameters make no walk;
- `length` is the whole walk's frame count;
- `window(start_frame, frame_count)` is the frames a node emits (count 0: to the end);
- `progress(window)` is each frame's place along the walk in [0, 1] (what the editor plots);
- a noise walk's `noise_frames(shape, window)` is the window's noise, frame k a pure function of the
  parameters and k, so any window equals the same slice of the whole walk.
The walk's node declares the inputs and calls it; the segmented CLI and the editor's preview ask
`plan(node_id, inputs)`, so no other place derives a walk's length or frame times.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

import torch
from torch import Tensor

from . import embedding, interpolate, noise, retime, schedule, step_noise, windows
from .checks import check_at_least, check_choice, check_fraction

MAX_FRAMES = 100_000
"""The longest walk a node makes (its frames widgets' maximum)."""


class UnknownLength(LookupError):
    """The walk's length is not fixed by its widgets (an input fed by a link, or a batch it is given)."""


@dataclass(frozen=True)
class Walk:
    """The frames of a walk: its parameters, checks, length, window and progress (see the module doc)."""

    node_id: ClassVar[str]
    length_input: ClassVar[str] = "frames"
    """The input that sets the walk's length: named when the whole walk would not fit in memory."""
    linked: ClassVar[frozenset[str]] = frozenset()
    """Fields that come from links by nature (a time warp): from_inputs leaves them at their default."""

    def check(self) -> None:
        """Raise ValueError naming the input when the parameters make no walk."""

    @property
    def length(self) -> int:
        """The walk's frame count: its `frames` input, where it has one (others compute it)."""
        return self.frames

    def window(self, start_frame: int = 0, frame_count: int = 0) -> range:
        """The frames [start, start + count) a node emits, the parameters checked first."""
        self.check()
        return schedule.window(self.length, start_frame, frame_count)

    def progress(self, frames: range) -> Tensor:
        """Each frame's place along the walk in [0, 1] (float64): the eased time through all segments."""
        raise NotImplementedError

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> Walk:
        """The walk of a node's inputs (API format); UnknownLength where one is fed by a link."""
        values = {}
        for f in fields(cls):
            if f.name in cls.linked or (f.name not in inputs and f.default is not MISSING):
                continue
            if isinstance(inputs.get(f.name), list) or f.name not in inputs:
                raise UnknownLength(f.name)
            values[f.name] = inputs[f.name]
        return cls(**values)


@dataclass(frozen=True)
class NoiseWalk(Walk):
    """A walk of the sampler's starting noise."""

    @property
    def first_seed(self) -> int:
        """The seed of frame 0's noise (the NOISE's `seed`, which ComfyUI shows and caches by)."""
        raise NotImplementedError

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        """Noise frames `frames` for one latent of `frame_shape`: (len(frames), *frame_shape), float32, CPU."""
        raise NotImplementedError

    def step_mix(self, frames: range) -> step_noise.StepMix:
        """Each frame's weights over the keyframe seeds' step-noise streams (latent_ops/step_noise.py).

        The same walk as the starting noise, between the seeds' step noise: what the Walk Sampler
        gives ancestral and SDE samplers. Walks whose frames are no mix of whole seed noises refuse.
        """
        raise ValueError(f"{self.node_id}'s frames are not a mix of whole seeds' noises, so its step noise cannot "
                         "walk: sample it with a deterministic sampler (euler, dpmpp_2m, ddim), not the Walk Sampler")


def _even(frames: range, period: int) -> Tensor:
    """k / period of each frame k (float64): even progress, period N - 1 for an open walk, N for a loop."""
    return torch.arange(frames.start, frames.stop, dtype=torch.float64) / period


def _chain_progress(keys: int, frames_per_segment: int, closed: bool, easing: str, frames: range) -> Tensor:
    """(i + e(t)) / segments for chain frame j in segment i at time t."""
    segment, t = schedule.chain_times(keys, frames_per_segment, closed, frames)
    return (segment.double() + schedule.ease(t, easing)) / (keys if closed else keys - 1)


def _chain_mix(seeds: Sequence[int], frames_per_segment: int, closed: bool, method: str, easing: str,
               frames: range) -> step_noise.StepMix:
    """Step-noise weights of chain frame j between the noises of seeds i and i + 1 at e(t) (noise.chain_between)."""
    segment, t = schedule.chain_times(len(seeds), frames_per_segment, closed, frames)
    distinct, keyframes = step_noise.seed_keyframes(seeds)
    return step_noise.pair_mix(distinct, keyframes, segment, (segment + 1) % len(seeds), schedule.ease(t, easing),
                               method)


def _check_method_and_easing(method: str, easing: str | None) -> None:
    check_choice("method", method, interpolate.METHODS)
    if easing is not None:
        check_choice("easing", easing, schedule.EASINGS)


@dataclass(frozen=True)
class SeedWalk(NoiseWalk):
    """N frames from seed_a's noise to seed_b's: frame k = interp(a, b, e(k / (N - 1)))."""

    node_id: ClassVar[str] = "MeanderSeedWalk"
    seed_a: int = 0
    seed_b: int = 0
    frames: int = 48
    method: str = "slerp"
    easing: str = "linear"

    def check(self) -> None:
        check_at_least("frames", self.frames, 2, "for a walk from one seed to another")
        _check_method_and_easing(self.method, self.easing)

    @property
    def first_seed(self) -> int:
        return self.seed_a

    def progress(self, frames: range) -> Tensor:
        return _chain_progress(2, self.frames - 1, False, self.easing, frames)

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        return noise.seed_walk(self.seed_a, self.seed_b, frame_shape, self.frames, self.method, self.easing,
                               frames.start, len(frames))

    def step_mix(self, frames: range) -> step_noise.StepMix:
        return _chain_mix([self.seed_a, self.seed_b], self.frames - 1, False, self.method, self.easing, frames)


@dataclass(frozen=True)
class SeedChainWalk(NoiseWalk):
    """A chain through the noises of K seeds, F frames per segment, open or closed."""

    node_id: ClassVar[str] = "MeanderSeedChainWalk"
    length_input: ClassVar[str] = "frames_per_segment"
    seeds: str = "1337, 42, 7"
    frames_per_segment: int = 48
    method: str = "slerp"
    easing: str = "linear"
    closed: bool = False

    @property
    def seed_list(self) -> list[int]:
        return noise.parse_seeds(self.seeds)

    def check(self) -> None:
        schedule.chain_length(len(self.seed_list), self.frames_per_segment, self.closed)
        _check_method_and_easing(self.method, self.easing)

    @property
    def length(self) -> int:
        return schedule.chain_length(len(self.seed_list), self.frames_per_segment, self.closed)

    @property
    def first_seed(self) -> int:
        return self.seed_list[0]

    def progress(self, frames: range) -> Tensor:
        return _chain_progress(len(self.seed_list), self.frames_per_segment, self.closed, self.easing, frames)

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        return noise.chain_walk(self.seed_list, frame_shape, self.frames_per_segment, self.method, self.easing,
                                self.closed, frames.start, len(frames))

    def step_mix(self, frames: range) -> step_noise.StepMix:
        return _chain_mix(self.seed_list, self.frames_per_segment, self.closed, self.method, self.easing, frames)


@dataclass(frozen=True)
class SeedVariations(NoiseWalk):
    """Frames around one seed's image: a chain through its variations of one strength.

    Keyframe i is noise.variation_noise(seed, v_i, strength) for the variation seeds v_i; the walk
    goes from one variation to the next like a seed chain (F frames per segment, open or closed),
    so keyframe i F is the very noise AUTOMATIC1111's variation seed v_i at that strength gives.
    """

    node_id: ClassVar[str] = "MeanderSeedVariations"
    length_input: ClassVar[str] = "frames_per_variation"
    seed: int = 1337
    variation_seeds: str = "1, 2, 3, 4"
    strength: float = 0.2
    frames_per_variation: int = 24
    easing: str = "linear"
    closed: bool = True

    @property
    def variations(self) -> list[int]:
        return noise.parse_seeds(self.variation_seeds, "variation_seeds")

    def check(self) -> None:
        check_fraction("strength", self.strength, "0 = the seed's own image, 1 = the variation seeds' images")
        check_at_least("frames_per_variation", self.frames_per_variation, 1)
        check_choice("easing", self.easing, schedule.EASINGS)

    @property
    def length(self) -> int:
        return schedule.chain_length(len(self.variations), self.frames_per_variation, self.closed)

    @property
    def first_seed(self) -> int:
        return self.seed

    def progress(self, frames: range) -> Tensor:
        return _chain_progress(len(self.variations), self.frames_per_variation, self.closed, self.easing, frames)

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        variations = self.variations

        def keyframe(i: int, shape: Sequence[int]) -> Tensor:
            return noise.variation_noise(self.seed, variations[i], self.strength, shape)

        return noise.chain_between(keyframe, len(variations), frame_shape, self.frames_per_variation, "slerp",
                                   self.easing, self.closed, frames.start, len(frames))

    def step_mix(self, frames: range) -> step_noise.StepMix:
        """Keyframe i's step noise is slerp(seed's, v_i's, strength), as its starting noise; the chain slerps them."""
        variations = self.variations
        seeds, basis = step_noise.seed_keyframes([self.seed, *variations])
        own = basis[:1].expand(len(variations), -1)
        strength = torch.full((len(variations),), self.strength, dtype=torch.float64)
        keyframes = interpolate.interpolate(own, basis[1:], strength, "slerp")
        segment, t = schedule.chain_times(len(variations), self.frames_per_variation, self.closed, frames)
        return step_noise.pair_mix(seeds, keyframes, segment, (segment + 1) % len(variations),
                                   schedule.ease(t, self.easing), "slerp")


@dataclass(frozen=True)
class NoiseLoop(NoiseWalk):
    """A seamless loop of N frames on a circle of noise (noise.circular_loop)."""

    node_id: ClassVar[str] = "MeanderNoiseLoop"
    seed_x: int = 1337
    seed_y: int = 42
    frames: int = 48
    radius: float = 1.0
    centre_seed: int = 7

    def check(self) -> None:
        noise.check_circular_loop(self.seed_x, self.seed_y, self.frames, self.radius, self.centre_seed)

    @property
    def first_seed(self) -> int:
        return self.seed_x

    def progress(self, frames: range) -> Tensor:
        return _even(frames, self.frames)

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        return noise.circular_loop(self.seed_x, self.seed_y, frame_shape, self.frames, self.radius, self.centre_seed,
                                   frames.start, len(frames))

    def step_mix(self, frames: range) -> step_noise.StepMix:
        """(cos phi_k, sin phi_k) on seed_x's and seed_y's step noise; below radius 1
        (sqrt(1 - r^2), r cos phi_k, r sin phi_k) on centre_seed's, seed_x's and seed_y's (independent
        streams need no Gram-Schmidt). Frame 0 at radius 1 is seed_x's step noise bit for bit."""
        phi = 2.0 * math.pi * self.progress(frames)
        circle = torch.stack([torch.cos(phi), torch.sin(phi)], dim=1)
        if self.radius == 1.0:
            return step_noise.StepMix((self.seed_x, self.seed_y), step_noise.unit_rows(circle))
        centre = torch.full((len(frames), 1), math.sqrt(1.0 - self.radius ** 2), dtype=torch.float64)
        weights = torch.cat([centre, self.radius * circle], dim=1)
        return step_noise.StepMix((self.centre_seed, self.seed_x, self.seed_y), step_noise.unit_rows(weights))


@dataclass(frozen=True)
class TimedSeedWalk(NoiseWalk):
    """A seed walk at the frame times a time warp gives: frame k = interp(a, b, t_k)."""

    node_id: ClassVar[str] = "MeanderTimedSeedWalk"
    linked: ClassVar[frozenset[str]] = frozenset({"time_warp"})
    seed_a: int = 0
    seed_b: int = 0
    frames: int = 48
    method: str = "slerp"
    time_warp: retime.TimeWarp | None = None
    """Frame position u = k / (N - 1) -> walk time t; None: even times (what the editor previews)."""

    def check(self) -> None:
        check_at_least("frames", self.frames, 2, "for an open walk")
        check_choice("method", self.method, interpolate.METHODS)

    @property
    def first_seed(self) -> int:
        return self.seed_a

    def progress(self, frames: range) -> Tensor:
        warp = retime.identity() if self.time_warp is None else self.time_warp
        return warp.frame_times(self.frames, frames.start, len(frames))

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        return noise.timed_walk(self.seed_a, self.seed_b, frame_shape, self.progress(frames), self.method)

    def step_mix(self, frames: range) -> step_noise.StepMix:
        seeds, keyframes = step_noise.seed_keyframes([self.seed_a, self.seed_b])
        ends = torch.zeros(len(frames), dtype=torch.int64)
        return step_noise.pair_mix(seeds, keyframes, ends, ends + 1, self.progress(frames), self.method)


@dataclass(frozen=True)
class Pan:
    """The motion of a pan (or wipe) across K latents of S latent pixels along an axis (windows.py)."""

    motion: str = "pan"
    axis: str = "width"
    stride: float = 1.0
    loop: bool = False
    ping_pong: bool = False
    easing: str = "linear"
    subpixel: str = "round"

    def check_combos(self) -> None:
        check_choice("motion", self.motion, windows.MOTIONS)
        check_choice("axis", self.axis, windows.AXES)
        check_choice("easing", self.easing, schedule.EASINGS)
        check_choice("subpixel", self.subpixel, windows.SUBPIXEL)

    def pan_length(self, count: int, size: int) -> int:
        return windows.pan_length(count, size, self.stride, self.loop, self.ping_pong)

    def pan_progress(self, count: int, size: int, frames: range) -> Tensor:
        travel = (count if self.loop else count - 1) * size
        return windows.pan_offsets(count, size, self.stride, self.loop, self.ping_pong, self.easing, frames.start,
                                   len(frames)) / travel

    def translate(self, latents: Tensor, frames: range) -> Tensor:
        """Frames `frames` of this pan across the (K, *P, H, W) latents."""
        return windows.translate(latents, self.stride, self.axis, self.motion, self.loop, self.ping_pong, self.easing,
                                 self.subpixel, frames.start, len(frames))


@dataclass(frozen=True)
class NoisePan(Pan, NoiseWalk):
    """A pan across the noises of K seeds side by side, one window per frame's starting noise."""

    node_id: ClassVar[str] = "MeanderNoisePan"
    length_input: ClassVar[str] = "stride"
    seeds: str = "1337, 42"
    width: int = 512
    height: int = 512

    @property
    def seed_list(self) -> list[int]:
        return noise.parse_seeds(self.seeds, minimum=1)

    @property
    def size(self) -> int:
        """Latent pixels of one seed's noise along the axis."""
        return (self.width if self.axis == "width" else self.height) // windows.LATENT_DOWNSCALE

    def check(self) -> None:
        self.check_combos()
        self.pan_length(len(self.seed_list), self.size)

    @property
    def length(self) -> int:
        return self.pan_length(len(self.seed_list), self.size)

    @property
    def first_seed(self) -> int:
        return self.seed_list[0]

    def progress(self, frames: range) -> Tensor:
        return self.pan_progress(len(self.seed_list), self.size, frames)

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        z = torch.stack([noise.seed_noise(s, frame_shape) for s in self.seed_list])
        return self.translate(z, frames)


@dataclass(frozen=True)
class PromptTravel(Walk):
    """A walk through the keyframe prompts of a schedule ('frame: prompt' lines)."""

    node_id: ClassVar[str] = "MeanderPromptTravel"
    schedule: str = "0: a photograph of a dog\n47: a photograph of a cat"
    frames: int = 0
    loop: bool = False
    easing: str = "linear"

    @property
    def keyframes(self) -> list[tuple[int, str]]:
        return embedding.parse_keyframes(self.schedule)

    @property
    def positions(self) -> list[int]:
        return [k for k, _ in self.keyframes]

    def check(self) -> None:
        last = self.positions[-1]
        if last >= MAX_FRAMES:
            raise ValueError(f"schedule: keyframe at frame {last} is past the longest walk ({MAX_FRAMES} frames, "
                             f"0..{MAX_FRAMES - 1}): number the keyframes from 0 and keep them below {MAX_FRAMES}")
        if self.frames == 0 and self.loop:
            raise ValueError(f"frames must be more than the last keyframe ({last}) for a loop: the walk back "
                             "to the first prompt takes the frames after it (frames = 0 only ends on the last "
                             "keyframe)")
        if self.frames and last >= self.frames:
            raise ValueError(f"keyframe at frame {last} is past the end of the walk ({self.frames} frames): "
                             f"raise frames to at least {last + 1} (or 0 to end on the last keyframe)")
        check_choice("easing", self.easing, schedule.EASINGS)

    @property
    def length(self) -> int:
        return self.frames or self.positions[-1] + 1

    def progress(self, frames: range) -> Tensor:
        return _keyframe_progress(self.positions, self.length, self.loop, self.easing, frames)


def _keyframe_progress(positions: Sequence[int], total: int, closed: bool, easing: str, frames: range) -> Tensor:
    """(i + e(t)) / segments of frames between keyframes i and j at `positions` (embedding.keyframe_times)."""
    i, _, t = embedding.keyframe_times(positions, total, closed)
    segments = max(len(positions) if closed else len(positions) - 1, 1)
    held = (t == 0) & (i == len(positions) - 1) & (not closed)  # frames from the last keyframe on
    out = (i.double() + schedule.ease(t, easing)) / segments
    return torch.where(held, torch.ones_like(out), out)[frames.start:frames.stop]


@dataclass(frozen=True)
class ConditioningTravel(Walk):
    """A chain through K connected keyframe conditionings, F frames per segment."""

    node_id: ClassVar[str] = "MeanderConditioningTravel"
    length_input: ClassVar[str] = "frames_per_segment"
    keyframes: int
    frames_per_segment: int = 24
    loop: bool = False
    easing: str = "linear"

    def check(self) -> None:
        embedding.chain_positions(self.keyframes, self.frames_per_segment, self.loop)
        check_choice("easing", self.easing, schedule.EASINGS)

    @property
    def length(self) -> int:
        return embedding.chain_positions(self.keyframes, self.frames_per_segment, self.loop)[1]

    def progress(self, frames: range) -> Tensor:
        positions, total = embedding.chain_positions(self.keyframes, self.frames_per_segment, self.loop)
        return _keyframe_progress(positions, total, self.loop, self.easing, frames)

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> Walk:
        """Its keyframes are the connected conditioning_N inputs."""
        keys = sum(1 for name, value in inputs.items() if name.startswith("conditioning_") and value is not None)
        rest = {name: value for name, value in inputs.items() if not name.startswith("conditioning_")}
        return super().from_inputs({**rest, "keyframes": keys})


@dataclass(frozen=True)
class LatentWalk(Walk):
    """A chain through K connected keyframe latents (latent_a, latent_b, ...), F frames per segment, open or closed.

    Frame j = interp(k_i, k_{i+1}, e(t)) as noise.chain_between lays it out: (K - 1) F + 1 frames open,
    K F closed, frame i F keyframe i bit for bit.
    """

    node_id: ClassVar[str] = "MeanderLatentWalk"
    length_input: ClassVar[str] = "frames_per_segment"
    key_prefix: ClassVar[str] = "latent_"
    """The node's keyframe inputs are named key_prefix + a, b, c, d."""
    keyframes: int
    frames_per_segment: int = 24
    method: str = "slerp"
    easing: str = "linear"
    closed: bool = False

    def check(self) -> None:
        schedule.chain_length(self.keyframes, self.frames_per_segment, self.closed)
        _check_method_and_easing(self.method, self.easing)

    @property
    def length(self) -> int:
        return schedule.chain_length(self.keyframes, self.frames_per_segment, self.closed)

    def progress(self, frames: range) -> Tensor:
        return _chain_progress(self.keyframes, self.frames_per_segment, self.closed, self.easing, frames)

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> Walk:
        """Its keyframes are the connected key_prefix inputs."""
        keys = sum(1 for name, value in inputs.items() if name.startswith(cls.key_prefix) and value is not None)
        rest = {name: value for name, value in inputs.items() if not name.startswith(cls.key_prefix)}
        return super().from_inputs({**rest, "keyframes": keys})


@dataclass(frozen=True)
class ImageWalk(LatentWalk):
    """The image walk's layout: a chain through its K keyframe images' inverted noises (latent_ops/inversion)."""

    node_id: ClassVar[str] = "MeanderImageWalk"
    key_prefix: ClassVar[str] = "image_"


@dataclass(frozen=True)
class PromptDrift(Walk):
    """A straight drift from one prompt: e_k = e_0 + k step d (embedding.drift_walk)."""

    node_id: ClassVar[str] = "MeanderPromptDrift"
    frames: int = 150

    def check(self) -> None:
        check_at_least("frames", self.frames, 1, "(frame 0 is the prompt's own image)")

    def progress(self, frames: range) -> Tensor:
        return _even(frames, max(self.frames - 1, 1))


@dataclass(frozen=True)
class PromptCircle(PromptDrift):
    """A closed circle around one prompt (embedding.circle_walk): frame k at phi_k = 2 pi k / N."""

    node_id: ClassVar[str] = "MeanderPromptCircle"
    frames: int = 48

    def progress(self, frames: range) -> Tensor:
        return _even(frames, self.frames)

WALKS: dict[str, type[Walk]] = {cls.node_id: cls for cls in (
    SeedWalk, SeedChainWalk, SeedVariations, NoiseLoop, TimedSeedWalk, NoisePan,
    PromptTravel, ConditioningTravel, PromptDrift, PromptCircle, LatentWalk, ImageWalk)}
"""Node id -> its walk. A Latent Pan is not here: its length depends on the batch it is given."""

BATCH_LENGTH = {"MeanderLatentPan": "the frame count follows the latents it is given (see it when the graph runs)"}
"""Walk nodes whose length no widget fixes, with what the editor says instead of a plan."""


PLAN_POINTS = 512
"""The most frames whose progress a plan lists: enough for the editor's plot of any walk."""


def plan(node_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the editor shows of a walk node: {length, window: [start, stop], frames, progress}.

    `frames` are up to PLAN_POINTS frame indices spread evenly over the walk (all of a shorter one)
    and `progress` their places along the walk in [0, 1]. Raises KeyError for a node that is no
    widget-defined walk, UnknownLength where an input is fed by a link, ValueError (the node's own
    message) for parameters that make no walk.
    """
    walk = WALKS[node_id].from_inputs(inputs)
    window = walk.window(int(inputs.get("start_frame") or 0), int(inputs.get("frame_count") or 0))
    progress = walk.progress(range(walk.length))
    picked = torch.linspace(0, walk.length - 1, min(walk.length, PLAN_POINTS)).round().long().unique()
    return {"length": walk.length, "window": [window.start, window.stop], "frames": picked.tolist(),
            "progress": [round(float(p), 6) for p in progress[picked]]}


def length_of(node_id: str, inputs: Mapping[str, Any]) -> int | None:
    """The walk's length from a node's inputs, or None where they do not fix it (see plan)."""
    if node_id not in WALKS:
        return None
    try:
        walk = WALKS[node_id].from_inputs(inputs)
        walk.check()
        return walk.length
    except (UnknownLength, TypeError):
        return None
