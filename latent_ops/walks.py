"""Every walk the pack makes, declared once (docs/SPEC.md has the formulas, docs/ARCHITECTURE.md the flow).

A walk is a frozen dataclass whose fields are its node's widgets, each declared with its input
spec (latent_ops/inputs.py); its class variables give the node's title, description, category
and search aliases, and the inputs that come from links (`heads`). nodes/declared.py builds the
node from this declaration. A walk has
- `check()`: raises ValueError with the message users see when the parameters make no walk;
- `length`: the whole walk's frame count;
- `window(start_frame, frame_count)`: the frames a node emits (count 0: to the end);
- `progress(window)`: each frame's place along the walk in [0, 1] (what the editor plots);
- its frames: a noise walk's `noise_frames(shape, window)`, a prompt walk's `embedding_walker(window)`,
  each frame a pure function of the parameters and its index, so any window equals the same slice of
  the whole walk.
The segmented CLI and the editor's preview ask `plan(node_id, inputs)`, so no other place derives a
walk's length or frame times.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

import torch
from torch import Tensor

from . import embedding, interpolate, noise, retime, schedule, step_noise, windows
from .checks import check_at_least, check_choice, check_fraction
from .inputs import MAX_FRAMES, choice, flag, integer, real, text
from .inputs import seed as seed_widget

WALK_SAMPLER_NOTE = (
    "Deterministic samplers (euler, heun, dpmpp_2m, ddim, lms, uni_pc) keep the walk smooth; for ancestral and "
    "SDE samplers pass them through Walk Sampler (Meander), which walks their step noise with the frames."
)
STEP_NOISE_NOTE = (
    "Use a deterministic sampler (euler, heun, dpmpp_2m, ddim, lms, uni_pc): ancestral and SDE "
    "samplers draw fresh noise over the whole batch at every step, so neighbouring frames jump."
)
SAME_NOISE_NOTE = (
    "Its latent output gives every frame the same noise in KSampler (the seed's single-image noise); "
    "for a walking noise, feed the sampler from a seed walk with the same frames and window instead."
)


class UnknownLength(LookupError):
    """The walk's length is not fixed by its widgets (an input fed by a link, or a batch it is given)."""


@dataclass(frozen=True)
class Link:
    """An input a walk's node takes from a link, before its widgets: name, ComfyUI type, tooltip."""

    name: str
    type: str
    tooltip: str
    optional: bool = False


@dataclass(frozen=True)
class Walk:
    """The frames of a walk: its parameters, checks, length, window and progress (see the module doc)."""

    node_id: ClassVar[str]
    title: ClassVar[str]
    """The node's display name, without the pack's "(Meander)"."""
    description: ClassVar[str]
    category: ClassVar[str] = "latent/meander"
    aliases: ClassVar[tuple[str, ...]] = ()
    """The node's search aliases (newer hosts only)."""
    heads: ClassVar[tuple[Link, ...]] = ()
    leading: ClassVar[tuple[str, ...]] = ()
    """Widgets the node shows before the rest of the fields (their order in saved workflows)."""
    tails: ClassVar[tuple[str, ...]] = ("size", "latent_shape", "window")
    """The shared inputs after the widgets (nodes/declared.py): width and height, latent_shape, the window."""
    length_input: ClassVar[str] = "frames"
    """The input that sets the walk's length: named when the whole walk would not fit in memory."""
    linked: ClassVar[frozenset[str]] = frozenset()
    """Fields that come from links by nature (a time warp): from_inputs takes them only as values."""
    key_prefix: ClassVar[str] = ""
    """Where set, the heads named key_prefix... are keyframes, and the `keyframes` field counts them."""

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
    def keyframe_inputs(cls, inputs: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """(name, value) of the keyframe heads (named key_prefix...) that are given (not None), in order."""
        return [(h.name, inputs[h.name]) for h in cls.heads
                if h.name.startswith(cls.key_prefix) and inputs.get(h.name) is not None]

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> Walk:
        """The walk of a node's inputs (API format, or a node's execute arguments); UnknownLength where a
        widget is fed by a link. `keyframes` counts the keyframe heads that are given (not None)."""
        if cls.key_prefix:
            inputs = {**inputs, "keyframes": len(cls.keyframe_inputs(inputs))}
        values = {}
        for f in fields(cls):
            if f.name in cls.linked:
                if f.name in inputs and not isinstance(inputs[f.name], list):
                    values[f.name] = inputs[f.name]  # a node's execute has the linked value itself
                continue
            if f.name not in inputs and f.default is not MISSING:
                continue
            if isinstance(inputs.get(f.name), list) or f.name not in inputs:
                raise UnknownLength(f.name)
            values[f.name] = inputs[f.name]
        return cls(**values)


def frames_input(default: int, tooltip: str, low: int = 1) -> Any:
    """The widget of a walk's frame count."""
    return integer(default, tooltip, low, MAX_FRAMES)


def method_widget() -> Any:
    return choice(interpolate.METHODS, "slerp",
                  "slerp: along the great circle, keeps the noise's variance (best). nlerp: straight line rescaled "
                  "to the endpoints' norm (unit variance; equal seeds stay still). lerp: straight line; middle "
                  "frames lose variance and blur.")


def easing_widget() -> Any:
    return choice(schedule.EASINGS, "linear",
                  "How the walk's time runs between keyframes: linear is even speed; smoothstep and cosine slow "
                  "down at both ends; ease_in starts slow; ease_out ends slow.")


def closed_chain(what: str, default: bool = False) -> Any:
    """The switch that closes a chain of keyframes (`what`: seed, keyframe, image) into a loop."""
    return flag(default, f"Closed: a last segment from the last {what} back to the first (K*F frames, loops "
                f"seamlessly). Open: ends on the last {what} ((K-1)*F+1 frames).",
                f"loop back to the first {what}", f"open: end on the last {what}")


def segment_frames(what: str, default: int, more: str = "") -> Any:
    """F, the frames from one keyframe to the next."""
    return frames_input(default, f"Frames from one {what} to the next (the next {what}'s frame starts the next "
                        f"segment).{' ' + more if more else ''}")


def pixels(name: str) -> Any:
    """An image width or height in pixels, a multiple of 8."""
    return integer(512, f"Image {name} in pixels (the latent is {name} / 8).", 16, 16384, 8)


@dataclass(frozen=True)
class FrameSize:
    """The `size` tail of a walk node: the image a frame is when no latent_shape is connected."""

    width: int = pixels("width")
    height: int = pixels("height")


@dataclass(frozen=True)
class Window:
    """The `window` tail of every walk node: which frames of the walk it emits (Walk.window)."""

    start_frame: int = integer(0, "First frame of the walk to emit: render a long walk in windows. Frames are "
                               "identical to the same frames of the whole walk.", 0, MAX_FRAMES - 1)
    frame_count: int = integer(0, "How many frames to emit from start_frame; 0 emits all the rest.", 0, MAX_FRAMES)


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
    title: ClassVar[str] = "Seed Walk Noise"
    aliases: ClassVar[tuple[str, ...]] = ("slerp", "latent walk", "seed travel", "morph", "interpolate seeds")
    description: ClassVar[str] = (
        "The starting noise of N frames walking from seed A's noise to seed B's (slerp, nlerp or lerp, with easing). "
        "Frame 0 is exactly the image KSampler makes with seed A, the last frame the one with seed B. "
        + WALK_SAMPLER_NOTE)
    seed_a: int = seed_widget("Seed of the first frame: the same seed gives the same image as KSampler.")
    seed_b: int = seed_widget("Seed of the last frame.")
    frames: int = frames_input(48, "Frames in the whole walk, both seeds' frames included.", low=2)
    method: str = method_widget()
    easing: str = easing_widget()

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
    title: ClassVar[str] = "Seed Chain Walk Noise"
    aliases: ClassVar[tuple[str, ...]] = ("slerp", "latent walk", "seed travel", "morph", "seed chain")
    description: ClassVar[str] = (
        "The starting noise of a walk through a list of seeds' noises, frames_per_segment frames from each seed to "
        "the next (slerp, nlerp or lerp, eased per segment). Open: (K-1)*F+1 frames ending on the last seed; "
        "closed: K*F frames returning to the first seed, a seamless loop. Frame i*F is exactly the image KSampler "
        "makes with seed i; no frame repeats at a joint. " + WALK_SAMPLER_NOTE)
    length_input: ClassVar[str] = "frames_per_segment"
    seeds: str = text("1337, 42, 7", "The keyframe seeds in order, separated by commas (at least 2), e.g. "
                      "'1337, 42, 7'. Each keyframe is the image KSampler makes with that seed.")
    frames_per_segment: int = segment_frames("seed", 48, "At 24 fps, 48 frames is 2 s per seed.")
    method: str = method_widget()
    easing: str = easing_widget()
    closed: bool = closed_chain("seed")

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
    title: ClassVar[str] = "Seed Variations Walk Noise"
    aliases: ClassVar[tuple[str, ...]] = ("variation seed", "latent walk", "seed travel", "bump seed", "slerp")
    description: ClassVar[str] = (
        "The starting noise of a walk that stays near one seed's image: each variation seed v gives the noise "
        "slerp(noise(seed), noise(v), strength) (the variation seed of AUTOMATIC1111 and seed_travel's bump seed), "
        "and the walk goes from one variation to the next, frames_per_variation frames apart. Strength 0.1 to 0.3 "
        "keeps the picture and moves its details; frame i*F is exactly variation i. " + WALK_SAMPLER_NOTE)
    length_input: ClassVar[str] = "frames_per_variation"
    seed: int = seed_widget("The seed whose image the walk stays near.", 1337)
    variation_seeds: str = text("1, 2, 3, 4", "The variation seeds in order, separated by commas (at least 2): "
                                "each gives one variation of the seed's image.")
    strength: float = real(0.2, "How far each variation is from the seed's image: 0 is the seed's own image, 1 the "
                           "variation seed's; 0.1 to 0.3 keeps the composition.", 0.0, 1.0, 0.01)
    frames_per_variation: int = frames_input(24, "Frames from one variation to the next. At 24 fps, 24 frames is "
                                             "1 s each.")
    easing: str = easing_widget()
    closed: bool = flag(True, "Closed: K*F frames that loop seamlessly. Open: (K-1)*F+1 frames ending on the last "
                        "variation.", "loop back to the first variation", "open: end on the last variation")

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
    title: ClassVar[str] = "Circular Noise Loop"
    aliases: ClassVar[tuple[str, ...]] = ("loop", "latent walk", "seamless loop", "circular walk")
    description: ClassVar[str] = (
        "The starting noise of a seamless loop of N frames: cos(phi) x + sin(phi) y with phi = 2 pi k / N, x and y "
        "two seeds' noises (y made orthogonal to x), so every frame has exactly the noise's variance and the frame "
        "after the last is the first. Radius below 1 circles around centre_seed's image instead. "
        + WALK_SAMPLER_NOTE)
    seed_x: int = seed_widget("Seed of frame 0 at radius 1: the loop starts and ends on the image KSampler makes "
                              "with this seed.", 1337)
    seed_y: int = seed_widget("Seed of the second direction of the circle (must differ from seed_x).", 42)
    frames: int = frames_input(48, "Frames in one turn of the loop; the frame after the last would be frame 0, so "
                               "the looping video has no repeated frame.", low=2)
    radius: float = real(1.0, "1: a great circle through seed_x's image (the most change). Below 1: a circle of "
                         "this radius around centre_seed's image (0.3 stays close to it, 0 is a still). Every frame "
                         "keeps unit variance.", 0.0, 1.0, 0.01)
    centre_seed: int = seed_widget("Seed of the image the loop circles around when radius < 1 (must differ from "
                                   "seed_x and seed_y); unused at radius 1.", 7)

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
    title: ClassVar[str] = "Timed Seed Walk Noise"
    aliases: ClassVar[tuple[str, ...]] = ("slerp", "seed travel", "keyframes")
    description: ClassVar[str] = (
        "Seed Walk Noise whose frame k sits at walk time t_k = W(k / (N - 1)) given by a time warp W (from Even "
        "Re-timing or Audio Pacing) instead of an easing. Frame 0 is seed A's noise and the last frame seed B's, "
        "exactly. " + WALK_SAMPLER_NOTE)
    heads: ClassVar[tuple[Link, ...]] = (
        Link("time_warp", "MEANDER_TIME_WARP", "The frame times: from Even Re-timing or Audio Pacing."),)
    linked: ClassVar[frozenset[str]] = frozenset({"time_warp"})
    seed_a: int = seed_widget("Seed of the first frame: the same seed gives the same image as KSampler.")
    seed_b: int = seed_widget("Seed of the last frame.")
    frames: int = frames_input(48, "Frames in the whole walk, both seeds' frames included (any number: the warp is "
                               "sampled at k / (N - 1)).", low=2)
    method: str = method_widget()
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
class FigureEightLoop(NoiseWalk):
    """A seamless figure-eight of N frames through three seeds' noises (noise.figure_eight)."""

    node_id: ClassVar[str] = "MeanderFigureEightLoop"
    title: ClassVar[str] = "Figure-Eight Noise Loop"
    aliases: ClassVar[tuple[str, ...]] = ("loop", "figure eight", "lissajous", "seamless loop", "latent walk")
    description: ClassVar[str] = (
        "The starting noise of a seamless loop of N frames that traces a figure eight: "
        "cos^2(phi) x + sin(phi) y + cos(phi) sin(phi) z with phi = 2 pi k / N and x, y, z three seeds' noises made "
        "orthogonal (Viviani's curve on the sphere of unit-variance noise). It crosses itself at seed_x's image "
        "(frames 0 and N/2) and its two lobes turn at seed_y's image (frame N/4) and at the mirror of its noise "
        "(frame 3N/4), so the video leaves seed_x's image twice, in two directions, and every frame has exactly the "
        "noise's variance. " + WALK_SAMPLER_NOTE)
    seed_x: int = seed_widget("Seed of the crossing: frames 0 and N/2 are the image KSampler makes with it.", 1337)
    seed_y: int = seed_widget("Seed the lobes turn at: frame N/4 is (nearly) its image, frame 3N/4 its noise's "
                              "mirror (must differ from seed_x).", 42)
    seed_z: int = seed_widget("Seed of the lobes' width (must differ from seed_x and seed_y).", 7)
    frames: int = frames_input(96, "Frames in one turn of the figure eight; the frame after the last would be frame "
                               "0, so the looping video has no repeated frame.", low=4)

    def check(self) -> None:
        noise.check_figure_eight(self.seed_x, self.seed_y, self.seed_z, self.frames)

    @property
    def first_seed(self) -> int:
        return self.seed_x

    def progress(self, frames: range) -> Tensor:
        return _even(frames, self.frames)

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        return noise.figure_eight(self.seed_x, self.seed_y, self.seed_z, frame_shape, self.frames, frames.start,
                                  len(frames))

    def step_mix(self, frames: range) -> step_noise.StepMix:
        """(cos^2 phi_k, sin phi_k, cos phi_k sin phi_k) on the three seeds' step noise: rows of unit length, as
        independent streams need no Gram-Schmidt; frame 0 is seed_x's step noise bit for bit."""
        phi = 2.0 * math.pi * self.progress(frames)
        weights = torch.stack([torch.cos(phi) ** 2, torch.sin(phi), torch.cos(phi) * torch.sin(phi)], dim=1)
        return step_noise.StepMix((self.seed_x, self.seed_y, self.seed_z), step_noise.unit_rows(weights))


@dataclass(frozen=True)
class Pan:
    """The motion of a pan (or wipe) across K latents of S latent pixels along an axis (windows.py)."""

    motion: str = choice(windows.MOTIONS, "pan", "pan: a window slides along the strip (the picture moves). wipe: "
                         "the frame stays in place and the next latent replaces the current one from the far edge, "
                         "row by row.")
    axis: str = choice(windows.AXES, "width", "width: latents side by side, the pan runs left to right. height: "
                       "stacked, the pan runs top to bottom.")
    stride: float = real(1.0, "How far the window moves per frame, in latent pixels (1 latent pixel = 8 image "
                         "pixels). Frames of an open pan: (K - 1) x latent size / stride + 1. Below 1 needs subpixel "
                         "lerp or nlerp, or frames repeat.", 0.01, 4096.0, 0.125, 0.001)
    loop: bool = flag(False, "Off: open pan from the first latent to the last (both are frames). On: the strip wraps "
                      "(last latent joins the first) and the pan comes back to its start with no repeated frame, for "
                      "a seamless loop.")
    ping_pong: bool = flag(False, "Open pans only: play the pan forward then back (frames 0..N-1 then N-2..1).")
    easing: str = easing_widget()
    subpixel: str = choice(windows.SUBPIXEL, "round", "Offsets between whole latent pixels (slow strides, easing). "
                           "round: exact slices, moves in 8-pixel steps. lerp: blends neighbouring latent pixels, "
                           "smooth for sampled latents but noise loses variance (blurs) halfway. nlerp: keeps noise "
                           "at unit variance, but makes it smoother along the axis.")

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
    title: ClassVar[str] = "Noise Pan"
    category: ClassVar[str] = "latent/meander/translate"
    aliases: ClassVar[tuple[str, ...]] = ("latent walk", "pan", "loop", "translate")
    description: ClassVar[str] = (
        "Lays the noise of K seeds side by side and slides a window across it, one frame's starting noise per "
        "window (as in 'Exploring the latent space'): the picture moves and changes as it goes. Frame 0 is exactly "
        "KSampler's image for the first seed, the last frame the last seed's (open pan). " + STEP_NOISE_NOTE)
    leading: ClassVar[tuple[str, ...]] = ("seeds",)
    length_input: ClassVar[str] = "stride"
    seeds: str = text("1337, 42", "Seeds whose noise makes the strip, left to right (top to bottom), separated by "
                      "commas: two or more for an open pan, one or more for a loop.")
    width: int = pixels("width")
    height: int = pixels("height")

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


def embedding_method() -> Any:
    return choice(embedding.METHODS, "slerp", "slerp: along the arc between the embeddings (keeps their size); "
                  "lerp: straight line (the prompt interpolation of 'Beyond Static Image Generation').")


def loop_widget() -> Any:
    return flag(False, "Off: the walk ends on the last keyframe. On: after the last keyframe it walks back to the "
                "first, and the frame after the last would be the first (a seamless loop).")


def per_widget() -> Any:
    return choice(embedding.PER, "token", "token: slerp each token's embedding row on its own (default); whole: "
                  "slerp the whole T x 768 tensor as one vector. lerp is the same either way.")


def pad_widget() -> Any:
    return choice(embedding.PADDING, "repeat", "Prompts of different token lengths (77 vs 154): repeat pads as "
                  "ComfyUI's sampler does (each keyframe keeps its own image); zeros pads with zero rows as "
                  "ConditioningAverage does.")


@dataclass(frozen=True)
class KeyframeTravel(Walk):
    """A walk through keyframe conditionings at frame positions (embedding.keyframe_walk does the embeddings)."""

    category: ClassVar[str] = "latent/meander/prompt"
    loop: bool = loop_widget()
    method: str = embedding_method()
    per: str = per_widget()
    easing: str = easing_widget()
    pad: str = pad_widget()

    @property
    def positions(self) -> list[int]:
        """Each keyframe's frame."""
        raise NotImplementedError

    def progress(self, frames: range) -> Tensor:
        return _keyframe_progress(self.positions, self.length, self.loop, self.easing, frames)

    def embeddings_at(self, keyframes: Sequence[Tensor], at: Tensor) -> Tensor:
        """The frames `at` of this walk through one entry's keyframe embeddings (embedding.keyframe_walk_at)."""
        return embedding.keyframe_walk_at(keyframes, self.positions, self.length, at, self.loop, self.method,
                                          self.per, self.easing)


@dataclass(frozen=True)
class PromptTravel(KeyframeTravel):
    """A walk through the keyframe prompts of a schedule ('frame: prompt' lines)."""

    node_id: ClassVar[str] = "MeanderPromptTravel"
    title: ClassVar[str] = "Prompt Travel"
    aliases: ClassVar[tuple[str, ...]] = ("prompt travel", "latent walk", "morph", "prompt interpolation")
    description: ClassVar[str] = (
        "Walks the text embedding through keyframe prompts ('0: a dog' / '47: a cat', one per line): each prompt is "
        "encoded once, prompts of different lengths are padded, and the frames between keyframes interpolate the "
        "embeddings (and SDXL's pooled output). One CONDITIONING holds a conditioning per frame, so one sampler run "
        "renders the whole walk; a keyframe's frame is exactly its prompt's image. " + SAME_NOISE_NOTE + " "
        + STEP_NOISE_NOTE)
    heads: ClassVar[tuple[Link, ...]] = (
        Link("clip", "CLIP", "The text encoder that encodes each keyframe prompt once."),)
    leading: ClassVar[tuple[str, ...]] = ("schedule", "frames")
    schedule: str = text("0: a photograph of a dog\n47: a photograph of a cat", "One keyframe per line, "
                         "'frame: prompt' (frames counted from 0). Frames between keyframes travel from one prompt "
                         "to the next.", multiline=True)
    frames: int = integer(0, "Frames in the whole walk. 0: up to and including the last keyframe. More frames than "
                          "that hold the last prompt (or, with loop, travel back to the first).")

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


def _keyframe_progress(positions: Sequence[int], total: int, closed: bool, easing: str, frames: range) -> Tensor:
    """(i + e(t)) / segments of frames between keyframes i and j at `positions` (embedding.keyframe_times)."""
    i, _, t = embedding.keyframe_times(positions, total, closed)
    segments = max(len(positions) if closed else len(positions) - 1, 1)
    held = (t == 0) & (i == len(positions) - 1) & (not closed)  # frames from the last keyframe on
    out = (i.double() + schedule.ease(t, easing)) / segments
    return torch.where(held, torch.ones_like(out), out)[frames.start:frames.stop]


MAX_CONDITIONINGS = 6
"""Conditioning Travel's keyframe inputs: conditioning_1 .. conditioning_6, the first two required."""


@dataclass(frozen=True)
class ConditioningTravel(KeyframeTravel):
    """A chain through K connected keyframe conditionings, F frames per segment."""

    node_id: ClassVar[str] = "MeanderConditioningTravel"
    title: ClassVar[str] = "Conditioning Travel"
    aliases: ClassVar[tuple[str, ...]] = ("prompt travel", "morph", "conditioning interpolation")
    description: ClassVar[str] = (
        "Walks through 2 to 6 keyframe conditionings (any text encode node: CLIPTextEncode, CLIPTextEncodeSDXL, ...) "
        "with frames_per_segment frames from each to the next: an open chain of K keyframes has (K - 1) F + 1 "
        "frames, a loop K F. Embeddings and pooled outputs are interpolated; area, strength and mask must match "
        "between keyframes and carry over. " + SAME_NOISE_NOTE)
    heads: ClassVar[tuple[Link, ...]] = tuple(
        Link(f"conditioning_{i}", "CONDITIONING", "Keyframe 1: the first frame." if i == 1 else "Keyframe 2."
             if i == 2 else f"Keyframe {i} (optional: leave unconnected to end the chain earlier).", i > 2)
        for i in range(1, MAX_CONDITIONINGS + 1))
    leading: ClassVar[tuple[str, ...]] = ("frames_per_segment",)
    length_input: ClassVar[str] = "frames_per_segment"
    key_prefix: ClassVar[str] = "conditioning_"
    keyframes: int = 2
    frames_per_segment: int = segment_frames("keyframe", 24)

    def check(self) -> None:
        embedding.chain_positions(self.keyframes, self.frames_per_segment, self.loop)
        check_choice("easing", self.easing, schedule.EASINGS)

    @property
    def positions(self) -> list[int]:
        return embedding.chain_positions(self.keyframes, self.frames_per_segment, self.loop)[0]

    @property
    def length(self) -> int:
        return embedding.chain_positions(self.keyframes, self.frames_per_segment, self.loop)[1]



@dataclass(frozen=True)
class VideoTravel(KeyframeTravel):
    """Prompt travel along one video's timeline: T entries, one per latent frame, for ComfyUI's context windows.

    Entry r is the walk through the keyframes at video frame r c (embedding.timeline_frames), so a
    context window with split_conds_to_windows samples with the point of the walk at its middle.
    """

    tails: ClassVar[tuple[str, ...]] = ()
    latent_frames: int = 1
    """T, the connected video latent's latent frames (not a widget)."""
    frames_per_latent: int = integer(4, "Video frames per latent frame: the video model's time compression (Wan 4, "
                                     "LTX 8). Keyframe frames are video frames; latent frame r is video frame "
                                     "r x this.", 1, 64)

    @property
    def timeline(self) -> tuple[Tensor, int]:
        """(each region's video frame, the walk's length in video frames)."""
        return embedding.timeline_frames(self.latent_frames, self.frames_per_latent, self.loop)

    @property
    def length(self) -> int:
        return self.timeline[1]

    def check(self) -> None:
        last, video = self.positions[-1], (self.latent_frames - 1) * self.frames_per_latent + 1
        if last >= video:
            raise ValueError(f"{self.keyframe_input}: the keyframe at video frame {last} is past the video's end: its "
                             f"{self.latent_frames} latent frames are {video} video frames (0..{video - 1}) at "
                             f"{self.frames_per_latent} per latent frame: move the keyframe earlier or make the video "
                             "longer (its empty latent's length)")
        check_choice("easing", self.easing, schedule.EASINGS)


@dataclass(frozen=True)
class VideoPromptTravel(VideoTravel):
    """Video prompt travel from a keyframe schedule in video frames ('frame: prompt' lines)."""

    node_id: ClassVar[str] = "MeanderVideoPromptTravel"
    title: ClassVar[str] = "Video Prompt Travel"
    aliases: ClassVar[tuple[str, ...]] = ("prompt travel", "prompt schedule", "batch prompt schedule", "wan",
                                          "context windows")
    description: ClassVar[str] = (
        "Prompt travel along ONE video's timeline for video models (Wan, LTX) sampled in ComfyUI's context windows: "
        "keyframe prompts at video frames ('0: a forest in spring' / '120: the same forest in winter'), and one "
        "conditioning entry per latent frame of the connected video latent, entry r the walk at video frame "
        "r x frames_per_latent. With the model patched by WanContextWindowsManual (or LTXVContextWindows) with "
        "split_conds_to_windows on, every window samples with the point of the walk at its middle, so the video "
        "changes along its own time axis. loop walks back to the first prompt (pair it with the uniform_looped "
        "schedule and closed_loop for a seamless loop). Needs a ComfyUI whose context windows split "
        "conditionings (not 0.3.75).")
    heads: ClassVar[tuple[Link, ...]] = (
        Link("clip", "CLIP", "The text encoder that encodes each keyframe prompt once."),
        Link("video_latent", "LATENT", "The video's empty latent (e.g. EmptyHunyuanLatentVideo, batch 1): its "
             "latent frames set how many entries the conditioning has."))
    leading: ClassVar[tuple[str, ...]] = ("schedule", "frames_per_latent")
    keyframe_input: ClassVar[str] = "schedule"
    schedule: str = text("0: a forest in spring, morning light\n80: the same forest in winter, snow falling",
                         "One keyframe per line, 'frame: prompt', frames counted in VIDEO frames from 0 (FizzNodes' "
                         "'\"0\": \"...\",' lines work too). Frames between keyframes travel from one prompt to the "
                         "next.", multiline=True)

    @property
    def keyframes(self) -> list[tuple[int, str]]:
        return embedding.parse_keyframes(self.schedule)

    @property
    def positions(self) -> list[int]:
        return [k for k, _ in self.keyframes]


@dataclass(frozen=True)
class VideoConditioningTravel(VideoTravel):
    """Video prompt travel through 2 to 6 keyframe CONDITIONING inputs at given video frames."""

    node_id: ClassVar[str] = "MeanderVideoConditioningTravel"
    title: ClassVar[str] = "Video Conditioning Travel"
    aliases: ClassVar[tuple[str, ...]] = ("prompt travel", "conditioning travel", "wan", "context windows")
    description: ClassVar[str] = (
        "Video Prompt Travel for 1 to 6 keyframe conditionings from any text encode node (T5 for Wan, ...): "
        "conditioning_i "
        "sits at the i-th video frame of keyframe_frames, and the output holds one conditioning entry per latent "
        "frame of the connected video latent for ComfyUI's context windows with split_conds_to_windows on. "
        "Embeddings and pooled outputs are interpolated; other keys must match between keyframes. Needs a ComfyUI "
        "whose context windows split conditionings (not 0.3.75).")
    heads: ClassVar[tuple[Link, ...]] = (
        *(Link(f"conditioning_{i}", "CONDITIONING", "Keyframe 1: at the first of keyframe_frames (alone, the whole "
               "video has it)." if i == 1 else f"Keyframe {i} (optional: at the {i}-th of keyframe_frames).", i > 1)
          for i in range(1, MAX_CONDITIONINGS + 1)),
        VideoPromptTravel.heads[1])
    leading: ClassVar[tuple[str, ...]] = ("keyframe_frames", "frames_per_latent")
    key_prefix: ClassVar[str] = "conditioning_"
    keyframe_input: ClassVar[str] = "keyframe_frames"
    keyframes: int = 1
    keyframe_frames: str = text("0, 80", "The video frame of each connected keyframe conditioning, in order, "
                                "separated by commas (strictly increasing, the first usually 0).")

    @property
    def positions(self) -> list[int]:
        positions = noise.parse_seeds(self.keyframe_frames, "keyframe_frames", minimum=1)
        if len(positions) != self.keyframes:
            raise ValueError(f"keyframe_frames lists {len(positions)} frame{'s' if len(positions) != 1 else ''} but "
                             f"{self.keyframes} conditionings are connected: give one video frame per connected "
                             "conditioning")
        if any(b <= a for a, b in zip(positions, positions[1:], strict=False)):
            raise ValueError(f"keyframe_frames must be strictly increasing, got {self.keyframe_frames!r}")
        return positions


@dataclass(frozen=True)
class LatentWalk(Walk):
    """A chain through K connected keyframe latents (latent_a, latent_b, ...), F frames per segment, open or closed.

    Frame j = interp(k_i, k_{i+1}, e(t)) as noise.chain_between lays it out: (K - 1) F + 1 frames open,
    K F closed, frame i F keyframe i bit for bit.
    """

    node_id: ClassVar[str] = "MeanderLatentWalk"
    title: ClassVar[str] = "Latent Walk"
    aliases: ClassVar[tuple[str, ...]] = ("slerp latents", "latent interpolate", "latent walk", "morph latents")
    description: ClassVar[str] = (
        "Walks through 2 to 4 keyframe latents from any source (VAE Encode, a sampler, a noise node) by slerp, nlerp "
        "or lerp with easing, frames_per_segment frames from each to the next: open, (K-1)*F+1 frames ending on the "
        "last keyframe, or closed, K*F frames back to the first. Frame i*F is keyframe i exactly. Each keyframe is "
        "one latent (batch 1), all of one shape.")
    heads: ClassVar[tuple[Link, ...]] = tuple(
        Link(f"latent_{k}", "LATENT", f"Keyframe {k.upper()}: the latent the walk passes through"
             + (" (optional: leave unconnected to end the chain earlier)." if i >= 2 else "."), i >= 2)
        for i, k in enumerate("abcd"))
    tails: ClassVar[tuple[str, ...]] = ("window",)
    length_input: ClassVar[str] = "frames_per_segment"
    key_prefix: ClassVar[str] = "latent_"
    keyframes: int = 2
    frames_per_segment: int = frames_input(24, "Frames from one keyframe to the next. Open: (K-1)*F+1 frames in all, "
                                           "closed: K*F.")
    method: str = method_widget()
    easing: str = easing_widget()
    closed: bool = closed_chain("keyframe")

    def check(self) -> None:
        schedule.chain_length(self.keyframes, self.frames_per_segment, self.closed)
        _check_method_and_easing(self.method, self.easing)

    @property
    def length(self) -> int:
        return schedule.chain_length(self.keyframes, self.frames_per_segment, self.closed)

    def progress(self, frames: range) -> Tensor:
        return _chain_progress(self.keyframes, self.frames_per_segment, self.closed, self.easing, frames)

    def chain(self, keyframes: Tensor, frames: range) -> Tensor:
        """Frames `frames` of this chain through the (K, *S) `keyframes` (noise.chain_between), float32 on the CPU."""
        keys = keyframes.float().cpu()
        return noise.chain_between(lambda i, _shape: keys[i], len(keys), keys.shape[1:], self.frames_per_segment,
                                   self.method, self.easing, self.closed, frames.start, len(frames))


MAX_REFINE = 50
"""The most fixed-point rounds per inverted step an image walk takes (latent_ops/inversion.invert_euler)."""


@dataclass(frozen=True)
class ImageWalk(LatentWalk):
    """The image walk's layout: a chain through its K keyframe images' inverted noises (latent_ops/inversion)."""

    node_id: ClassVar[str] = "MeanderImageWalk"
    title: ClassVar[str] = "Image Walk Noise"
    aliases: ClassVar[tuple[str, ...]] = ("image interpolation", "unsampler", "inversion", "image morph",
                                          "latent walk")
    description: ClassVar[str] = (
        "The starting noise of a walk between 2 to 4 keyframe images: each is VAE-encoded and inverted to the noise "
        "from which the euler sampler, with this guider and these sigmas, makes it again (the sampler's ODE run "
        "backwards, as an unsampler does); the noises are corrected towards unit Gaussians between the keyframes "
        "(NoiseDiffusion: clipped at 3 RMS and re-normalised; the correction fades to nothing at each keyframe, "
        "optionally mixed with fresh noise) and walked through like a seed chain. Sample with SamplerCustomAdvanced, "
        "the same guider and sigmas, and euler: frame i*F re-creates keyframe i up to the reconstruction figure.")
    heads: ClassVar[tuple[Link, ...]] = (
        Link("guider", "GUIDER", "The guider the video is sampled with (CFGGuider: model, prompts, cfg): connect the "
             "same one to SamplerCustomAdvanced."),
        Link("sigmas", "SIGMAS", "The sampler's sigmas (BasicScheduler, denoise 1.0): connect the same ones to "
             "SamplerCustomAdvanced. More steps invert more exactly."),
        Link("vae", "VAE", "The VAE of the guider's model: encodes the keyframe images."),
        *(Link(f"image_{k}", "IMAGE", f"Keyframe {k.upper()}: the image (all of one size: scale them with "
               "ImageScale) the walk passes through"
               + (" (optional: leave unconnected to end the chain earlier)." if i >= 2 else "."), i >= 2)
          for i, k in enumerate("abcd")))
    key_prefix: ClassVar[str] = "image_"
    frames_per_segment: int = frames_input(24, "Frames from one image to the next. Open: (K-1)*F+1 frames in all, "
                                           "closed: K*F.")
    closed: bool = closed_chain("image")
    correction: float = real(1.0, "How far the frames between keyframes are pulled to unit Gaussians (outliers "
                             "clipped at 3 RMS, re-normalised): the pull fades in and out within each segment, so the "
                             "keyframes stay the inverted noises and re-create their images, and is this strong "
                             "halfway between them (1: fully corrected, smoother frames; 0: the inverted noises' own "
                             "walk).", 0.0, 1.0, 0.05)
    fresh_noise: float = real(0.0, "Share of fresh noise of the seed mixed into every keyframe's noise (variance "
                              "kept): 0.05 to 0.2 loosens the walk from the images; 0 keeps them.", 0.0, 1.0, 0.01)
    seed: int = seed_widget("Seed of the fresh noise (and the NOISE's seed ComfyUI shows).")
    refine: int = integer(2, "Fixed-point rounds per inverted step (one model call each): 0 is the unsampler's plain "
                          "backward step; each round brings the keyframes closer to their images.", 0, MAX_REFINE)


@dataclass(frozen=True)
class PromptWalk(Walk):
    """A walk around one prompt's embedding: `embedding_walker` gives each conditioning entry's frames."""

    category: ClassVar[str] = "latent/meander/prompt"

    def embedding_walker(self, frames: range) -> Callable[[Tensor], Tensor]:
        """The function from an embedding e_0 (and each pooled output) to its frames `frames`: one seeded
        generator for the whole call, so a conditioning's entries walk in directions drawn in turn."""
        raise NotImplementedError

    def generator(self) -> torch.Generator:
        """The CPU generator of the walk's random direction(s)."""
        return torch.Generator(device="cpu").manual_seed(self.seed)


def direction_seed() -> Any:
    return seed_widget("Seed of the walk's random direction(s); not the sampler's seed.")


@dataclass(frozen=True)
class PromptDrift(PromptWalk):
    """A straight drift from one prompt: e_k = e_0 + k step d (embedding.drift_walk)."""

    node_id: ClassVar[str] = "MeanderPromptDrift"
    title: ClassVar[str] = "Prompt Drift"
    aliases: ClassVar[tuple[str, ...]] = ("prompt travel", "latent walk", "drift")
    description: ClassVar[str] = (
        "Drifts a prompt's embedding in a straight line, e_k = e_0 + k * step * d, with d all ones (the owl walk: "
        "150 frames of 0.002) or a seeded random direction of unit RMS. Frame 0 is the prompt's own image; the image "
        "wanders off into style changes and finally noise. The pooled output (SDXL) drifts too. " + SAME_NOISE_NOTE)
    heads: ClassVar[tuple[Link, ...]] = (
        Link("conditioning", "CONDITIONING", "The prompt to start from (a text encoder's output)."),)
    frames: int = frames_input(150, "Frames in the whole walk.")
    step: float = real(0.002, "How far each frame moves along d, per embedding value (0.002: the owl walk; 150 frames "
                       "then move 0.3 per value).", -1.0, 1.0, 0.0001)
    direction: str = choice(embedding.DIRECTIONS, "ones", "ones: every value drifts the same way; random: a seeded "
                            "direction of unit RMS.")
    seed: int = direction_seed()

    def check(self) -> None:
        check_at_least("frames", self.frames, 1, "(frame 0 is the prompt's own image)")
        check_choice("direction", self.direction, embedding.DIRECTIONS)

    def progress(self, frames: range) -> Tensor:
        return _even(frames, max(self.frames - 1, 1))

    def embedding_walker(self, frames: range) -> Callable[[Tensor], Tensor]:
        generator = self.generator()
        return lambda e: embedding.drift_walk(e, self.frames, self.step, self.direction, generator, frames.start,
                                              len(frames))


@dataclass(frozen=True)
class PromptCircle(PromptWalk):
    """A closed circle around one prompt (embedding.circle_walk): frame k at phi_k = 2 pi k / N."""

    node_id: ClassVar[str] = "MeanderPromptCircle"
    title: ClassVar[str] = "Prompt Circle Loop"
    aliases: ClassVar[tuple[str, ...]] = ("prompt travel", "loop", "circle")
    description: ClassVar[str] = (
        "Circles a prompt's embedding, e_k = e_0 + r (cos(phi_k) u + sin(phi_k) v) with phi_k = 2 pi k / N and seeded "
        "orthonormal directions u, v scaled to the embedding's RMS: the image leaves the prompt and comes back, and "
        "the frame after the last would be the first (a seamless loop). The pooled output (SDXL) circles too. "
        + SAME_NOISE_NOTE)
    heads: ClassVar[tuple[Link, ...]] = (
        Link("conditioning", "CONDITIONING", "The prompt to circle (a text encoder's output)."),)
    frames: int = frames_input(48, "Frames in one turn of the loop (no frame repeats at the seam).")
    radius: float = real(0.1, "Size of the circle as a fraction of the embedding's own size (|e_k - e_0| = radius "
                         "|e_0|); 0.05 to 0.2 keeps the prompt recognisable.", 0.0, 10.0, 0.01)
    seed: int = direction_seed()

    def check(self) -> None:
        check_at_least("frames", self.frames, 1, "(frame 0 is the prompt's own image)")

    def progress(self, frames: range) -> Tensor:
        return _even(frames, self.frames)

    def embedding_walker(self, frames: range) -> Callable[[Tensor], Tensor]:
        generator = self.generator()
        return lambda e: embedding.circle_walk(e, self.frames, self.radius, generator, frames.start, len(frames))


WALKS: dict[str, type[Walk]] = {cls.node_id: cls for cls in (
    SeedWalk, SeedChainWalk, SeedVariations, NoiseLoop, FigureEightLoop, TimedSeedWalk, NoisePan,
    PromptTravel, ConditioningTravel, PromptDrift, PromptCircle, LatentWalk, ImageWalk)}
"""Node id -> its walk, in the order the nodes are listed: the one list of walk nodes (nodes/__init__.py
registers one node per entry). A Latent Pan is not here: its length depends on the batch it is given."""

BATCH_LENGTH = {"MeanderLatentPan": "the frame count follows the latents it is given (see it when the graph runs)"}
"""Walk nodes with a window whose length no widget fixes, with what the editor says instead of a plan (the video
travels have no window: their timeline is the video latent's)."""


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
