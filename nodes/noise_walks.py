"""Noise walks: the sampler's starting noise moves between seeds' noises, or loops around them."""

from __future__ import annotations

import comfy.model_sampling
import comfy.sample
import torch

from ..latent_ops import interpolate, noise, schedule
from .comfy import io, schema
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
from .validate import check_choice, check_finite, check_noise_walk_memory


def seed_input(name: str, tooltip: str, default: int = 0) -> io.Int.Input:
    return io.Int.Input(name, default=default, min=0, max=noise.SEED_MAX, control_after_generate=False,
                        tooltip=tooltip)


def check_method_and_easing(method: str, easing: str | None = None) -> None:
    """Check the combos now: the walk's frames are made later, inside the sampler."""
    check_choice("method", method, interpolate.METHODS)
    if easing is not None:
        check_choice("easing", easing, schedule.EASINGS)


def _walk_output(seed: int, total: int, start_frame: int, frame_count: int, frames, width: int,
                 height: int, length_input: str = "frames") -> io.NodeOutput:
    """The NOISE of the window [start, start + count) of a walk of `total` frames, and its empty LATENT.

    Refuses a window whose frames would not fit in memory (naming `length_input`, the input that
    sets the walk's length, when the window is the whole walk).
    """
    idx = schedule.window(total, start_frame, frame_count)
    check_noise_walk_memory(len(idx), width, height, length_input if frame_count == 0 else "frame_count")
    return io.NodeOutput(WalkNoise(seed, len(idx), frames), empty_latent(len(idx), width, height))


class MeanderSeedWalk(io.ComfyNode):
    """N noise frames from seed A's noise to seed B's."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderSeedWalk",
            search_aliases=["slerp", "latent walk", "seed travel", "morph", "interpolate seeds"],
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
        if frames < 2:
            raise ValueError(f"frames must be >= 2 for a walk from one seed to another, got {frames}")
        check_method_and_easing(method, easing)

        def walk(frame_shape: tuple[int, ...]):
            return noise.seed_walk(seed_a, seed_b, frame_shape, frames, method, easing, start_frame, frame_count)

        return _walk_output(seed_a, frames, start_frame, frame_count, walk, width, height)


class MeanderSeedChainWalk(io.ComfyNode):
    """A walk through the noises of a list of seeds, open or closed into a loop."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderSeedChainWalk",
            search_aliases=["slerp", "latent walk", "seed travel", "morph", "seed chain"],
            display_name="Seed Chain Walk Noise (Meander)",
            category="latent/meander",
            description="The starting noise of a walk through a list of seeds' noises, frames_per_segment frames "
            "from each seed to the next (slerp, nlerp or lerp, eased per segment). Open: (K-1)*F+1 frames ending "
            "on the last seed; closed: K*F frames returning to the first seed, a seamless loop. Frame i*F is "
            "exactly the image KSampler makes with seed i; no frame repeats at a joint. " + STEP_NOISE_NOTE,
            inputs=[
                io.String.Input("seeds", default="1337, 42, 7",
                                tooltip="The keyframe seeds in order, separated by commas (at least 2), e.g. "
                                "'1337, 42, 7'. Each keyframe is the image KSampler makes with that seed."),
                io.Int.Input("frames_per_segment", default=48, min=1, max=MAX_FRAMES,
                             tooltip="Frames from one seed to the next (the next seed's frame starts the next "
                             "segment). At 24 fps, 48 frames is 2 s per seed."),
                method_input(),
                easing_input(),
                io.Boolean.Input("closed", default=False, label_on="loop back to the first seed",
                                 label_off="open: end on the last seed",
                                 tooltip="Closed: a last segment from the last seed back to the first (K*F frames, "
                                 "loops seamlessly). Open: ends on the last seed ((K-1)*F+1 frames)."),
                *size_inputs(),
                *window_inputs(),
            ],
            outputs=walk_outputs(),
        )

    @classmethod
    def execute(cls, seeds: str, frames_per_segment: int, method: str, easing: str, closed: bool, width: int,
                height: int, start_frame: int, frame_count: int) -> io.NodeOutput:
        keyframes = noise.parse_seeds(seeds)
        total = schedule.chain_length(len(keyframes), frames_per_segment, closed)
        check_method_and_easing(method, easing)

        def walk(frame_shape: tuple[int, ...]):
            return noise.chain_walk(keyframes, frame_shape, frames_per_segment, method, easing, closed,
                                    start_frame, frame_count)

        return _walk_output(keyframes[0], total, start_frame, frame_count, walk, width, height, "frames_per_segment")


class MeanderNoiseLoop(io.ComfyNode):
    """A seamless loop of noise frames on a circle: cos(phi) x + sin(phi) y."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderNoiseLoop",
            search_aliases=["loop", "latent walk", "seamless loop", "circular walk"],
            display_name="Circular Noise Loop (Meander)",
            category="latent/meander",
            description="The starting noise of a seamless loop of N frames: cos(phi) x + sin(phi) y with "
            "phi = 2 pi k / N, x and y two seeds' noises (y made orthogonal to x), so every frame has exactly "
            "the noise's variance and the frame after the last is the first. Radius below 1 circles around "
            "centre_seed's image instead. " + STEP_NOISE_NOTE,
            inputs=[
                seed_input("seed_x", "Seed of frame 0 at radius 1: the loop starts and ends on the image KSampler "
                           "makes with this seed.", default=1337),
                seed_input("seed_y", "Seed of the second direction of the circle (must differ from seed_x).",
                           default=42),
                io.Int.Input("frames", default=48, min=2, max=MAX_FRAMES,
                             tooltip="Frames in one turn of the loop; the frame after the last would be frame 0, "
                             "so the looping video has no repeated frame."),
                io.Float.Input("radius", default=1.0, min=0.0, max=1.0, step=0.01,
                               tooltip="1: a great circle through seed_x's image (the most change). Below 1: a "
                               "circle of this radius around centre_seed's image (0.3 stays close to it, 0 is "
                               "a still). Every frame keeps unit variance."),
                seed_input("centre_seed", "Seed of the image the loop circles around when radius < 1 (must "
                           "differ from seed_x and seed_y); unused at radius 1.", default=7),
                *size_inputs(),
                *window_inputs(),
            ],
            outputs=walk_outputs(),
        )

    @classmethod
    def execute(cls, seed_x: int, seed_y: int, frames: int, radius: float, centre_seed: int, width: int,
                height: int, start_frame: int, frame_count: int) -> io.NodeOutput:
        # Check the parameters now, so a bad seed or radius stops the run at this node.
        noise.check_circular_loop(seed_x, seed_y, frames, radius, centre_seed)

        def walk(frame_shape: tuple[int, ...]):
            return noise.circular_loop(seed_x, seed_y, frame_shape, frames, radius, centre_seed, start_frame,
                                       frame_count)

        return _walk_output(seed_x, frames, start_frame, frame_count, walk, width, height)


KSAMPLER_SETTINGS = (
    "KSamplerAdvanced with add_noise = disable, start_at_step = 0, return_with_leftover_noise = disable and a "
    "deterministic sampler (euler, dpmpp_2m, ddim...)"
)


class MeanderNoisyLatent(io.ComfyNode):
    """A walk's NOISE turned into a noisy LATENT for KSamplerAdvanced (add_noise disabled)."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderNoisyLatent",
            search_aliases=["latent walk", "noisy latent", "ksampler advanced"],
            display_name="Walk Noise to KSampler Latent (Meander)",
            category="latent/meander",
            description="For users of the plain KSampler nodes: turns any walk's noise and latent into the "
            "already-noised latent batch that " + KSAMPLER_SETTINGS + " samples into the same frames as "
            "SamplerCustomAdvanced with the walk's noise. The noise is scaled by the model's first sigma "
            "(sqrt(1 + sigma_max^2)) and by the latent format, as ComfyUI does. SD1.x, SD2.x and SDXL-type "
            "models (eps / v-prediction); plain KSampler cannot use it, as it always adds its own seed's noise.",
            inputs=[
                io.Model.Input("model", tooltip="The model the KSamplerAdvanced samples with: its first sigma and "
                               "latent format set the scale."),
                io.Noise.Input("noise", tooltip="A walk's noise output (or any NOISE, e.g. RandomNoise)."),
                io.Latent.Input("latent", tooltip="The walk's latent output: one item per frame."),
            ],
            outputs=[io.Latent.Output(
                display_name="noisy_latent",
                tooltip="Connect to latent_image of " + KSAMPLER_SETTINGS + ". The seed and the scheduler's "
                "first step do not matter then; denoise is always full.")],
        )

    @classmethod
    def execute(cls, model, noise, latent: dict) -> io.NodeOutput:
        model_sampling = model.get_model_object("model_sampling")
        if type(model_sampling).noise_scaling is not comfy.model_sampling.EPS.noise_scaling:
            kind = "flow matching (SD3, Flux...)" if isinstance(model_sampling, comfy.model_sampling.CONST) else \
                type(model_sampling).__name__
            raise ValueError(
                f"model: the noisy latent works for eps / v-prediction models (SD1.x, SD2.x, SDXL); this model "
                f"samples by {kind}, which cannot start from a noisy latent in KSamplerAdvanced: connect the "
                "walk's noise to SamplerCustomAdvanced instead")
        check_finite("latent", latent["samples"], "connect the walk node's latent output (or an empty latent)")
        latent_format = model.get_model_object("latent_format")
        samples = comfy.sample.fix_empty_latent_channels(model, latent["samples"])
        frames = noise.generate_noise({**latent, "samples": samples}).to(torch.float32)
        sigma = model_sampling.sigma_max.detach().to("cpu", torch.float32)
        # What KSAMPLER.sample starts from at full denoise: noise * sqrt(1 + sigma^2) + latent (its
        # max_denoise case), on the model side of process_latent_in; KSamplerAdvanced with add_noise
        # disabled starts from process_latent_in(latent_image) instead, so hand it process_out of that.
        start = frames * torch.sqrt(1.0 + sigma**2.0)
        if torch.count_nonzero(samples) > 0:
            start = start + latent_format.process_in(samples.to("cpu", torch.float32))
        out = dict(latent)
        out["samples"] = latent_format.process_out(start).to(dtype=samples.dtype)
        # A noise_mask would make the sampler blend this noise back in as if it were an image.
        out.pop("noise_mask", None)
        return io.NodeOutput(out)
