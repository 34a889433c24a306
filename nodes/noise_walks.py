"""Noise walks: the sampler's starting noise moves between seeds' noises, or loops around them."""

from __future__ import annotations

import comfy.model_sampling
import comfy.sample
import torch

from ..latent_ops import noise, walks
from ..latent_ops.walks import MAX_FRAMES
from .comfy import io, schema
from .common import (
    WALK_SAMPLER_NOTE,
    FrameLatent,
    easing_input,
    latent_shape_input,
    noise_method_input,
    noise_walk_output,
    noise_walk_outputs,
    seed_input,
    size_inputs,
    window_inputs,
)
from .validate import check_finite


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
            "the one with seed B. " + WALK_SAMPLER_NOTE,
            inputs=[
                seed_input("seed_a", "Seed of the first frame: the same seed gives the same image as KSampler."),
                seed_input("seed_b", "Seed of the last frame."),
                io.Int.Input("frames", default=48, min=2, max=MAX_FRAMES,
                             tooltip="Frames in the whole walk, both seeds' frames included."),
                noise_method_input(),
                easing_input(),
                *size_inputs(),
                latent_shape_input(),
                *window_inputs(),
            ],
            outputs=noise_walk_outputs(),
        )

    @classmethod
    def execute(cls, seed_a: int, seed_b: int, frames: int, method: str, easing: str, width: int, height: int,
                start_frame: int, frame_count: int, latent_shape: dict | None = None) -> io.NodeOutput:
        walk = walks.SeedWalk(seed_a, seed_b, frames, method, easing)
        return noise_walk_output(walk, start_frame, frame_count, FrameLatent.of(width, height, latent_shape))


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
            "exactly the image KSampler makes with seed i; no frame repeats at a joint. " + WALK_SAMPLER_NOTE,
            inputs=[
                io.String.Input("seeds", default="1337, 42, 7",
                                tooltip="The keyframe seeds in order, separated by commas (at least 2), e.g. "
                                "'1337, 42, 7'. Each keyframe is the image KSampler makes with that seed."),
                io.Int.Input("frames_per_segment", default=48, min=1, max=MAX_FRAMES,
                             tooltip="Frames from one seed to the next (the next seed's frame starts the next "
                             "segment). At 24 fps, 48 frames is 2 s per seed."),
                noise_method_input(),
                easing_input(),
                io.Boolean.Input("closed", default=False, label_on="loop back to the first seed",
                                 label_off="open: end on the last seed",
                                 tooltip="Closed: a last segment from the last seed back to the first (K*F frames, "
                                 "loops seamlessly). Open: ends on the last seed ((K-1)*F+1 frames)."),
                *size_inputs(),
                latent_shape_input(),
                *window_inputs(),
            ],
            outputs=noise_walk_outputs(),
        )

    @classmethod
    def execute(cls, seeds: str, frames_per_segment: int, method: str, easing: str, closed: bool, width: int,
                height: int, start_frame: int, frame_count: int, latent_shape: dict | None = None) -> io.NodeOutput:
        walk = walks.SeedChainWalk(seeds, frames_per_segment, method, easing, closed)
        return noise_walk_output(walk, start_frame, frame_count, FrameLatent.of(width, height, latent_shape))


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
            "centre_seed's image instead. " + WALK_SAMPLER_NOTE,
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
                latent_shape_input(),
                *window_inputs(),
            ],
            outputs=noise_walk_outputs(),
        )

    @classmethod
    def execute(cls, seed_x: int, seed_y: int, frames: int, radius: float, centre_seed: int, width: int,
                height: int, start_frame: int, frame_count: int, latent_shape: dict | None = None) -> io.NodeOutput:
        walk = walks.NoiseLoop(seed_x, seed_y, frames, radius, centre_seed)
        return noise_walk_output(walk, start_frame, frame_count, FrameLatent.of(width, height, latent_shape))


class MeanderSeedVariations(io.ComfyNode):
    """Frames around one seed's image: a walk through its variations of one strength."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderSeedVariations",
            search_aliases=["variation seed", "latent walk", "seed travel", "bump seed", "slerp"],
            display_name="Seed Variations Walk Noise (Meander)",
            category="latent/meander",
            description="The starting noise of a walk that stays near one seed's image: each variation seed v "
            "gives the noise slerp(noise(seed), noise(v), strength) (the variation seed of AUTOMATIC1111 and "
            "seed_travel's bump seed), and the walk goes from one variation to the next, frames_per_variation "
            "frames apart. Strength 0.1 to 0.3 keeps the picture and moves its details; frame i*F is exactly "
            "variation i. " + WALK_SAMPLER_NOTE,
            inputs=[
                seed_input("seed", "The seed whose image the walk stays near.", default=1337),
                io.String.Input("variation_seeds", default="1, 2, 3, 4",
                                tooltip="The variation seeds in order, separated by commas (at least 2): each "
                                "gives one variation of the seed's image."),
                io.Float.Input("strength", default=0.2, min=0.0, max=1.0, step=0.01,
                               tooltip="How far each variation is from the seed's image: 0 is the seed's own "
                               "image, 1 the variation seed's; 0.1 to 0.3 keeps the composition."),
                io.Int.Input("frames_per_variation", default=24, min=1, max=MAX_FRAMES,
                             tooltip="Frames from one variation to the next. At 24 fps, 24 frames is 1 s each."),
                easing_input(),
                io.Boolean.Input("closed", default=True, label_on="loop back to the first variation",
                                 label_off="open: end on the last variation",
                                 tooltip="Closed: K*F frames that loop seamlessly. Open: (K-1)*F+1 frames ending "
                                 "on the last variation."),
                *size_inputs(),
                latent_shape_input(),
                *window_inputs(),
            ],
            outputs=noise_walk_outputs(),
        )

    @classmethod
    def execute(cls, seed: int, variation_seeds: str, strength: float, frames_per_variation: int, easing: str,
                closed: bool, width: int, height: int, start_frame: int, frame_count: int,
                latent_shape: dict | None = None) -> io.NodeOutput:
        walk = walks.SeedVariations(seed, variation_seeds, strength, frames_per_variation, easing, closed)
        return noise_walk_output(walk, start_frame, frame_count, FrameLatent.of(width, height, latent_shape))


class ClipLoopNoise:
    """A NOISE for one video clip whose T latent frames run once around a circle (noise.clip_loop)."""

    def __init__(self, seed_x: int, seed_y: int, radius: float, centre_seed: int):
        noise.check_circular_loop(seed_x, seed_y, 2, radius, centre_seed)
        self.seed = seed_x
        self._loop = (seed_x, seed_y, radius, centre_seed)

    def generate_noise(self, input_latent: dict) -> torch.Tensor:
        """The clip's looping noise for `input_latent`, a video latent of batch 1 (1 x C x T x H x W)."""
        latent = input_latent["samples"]
        if latent.is_nested or latent.dim() != 5:
            raise ValueError(f"latent_image has shape {tuple(latent.shape)}: Clip Loop Noise is for video models "
                             "(B x C x T x H x W): connect the video model's empty latent (e.g. "
                             "EmptyHunyuanLatentVideo); for image models use Circular Noise Loop")
        if latent.shape[0] != 1:
            raise ValueError(f"latent_image has a batch of {latent.shape[0]}: Clip Loop Noise makes one looping "
                             "clip; set the empty video latent's batch_size to 1")
        if latent.shape[2] < 2:
            raise ValueError("latent_image has 1 latent frame: a loop needs a clip of at least 2 latent frames "
                             "(a length of 5 or more video frames in EmptyHunyuanLatentVideo)")
        clip = noise.clip_loop(*self._loop[:2], tuple(latent.shape[1:]), *self._loop[2:])
        return clip.unsqueeze(0).to(dtype=latent.dtype)


class MeanderClipLoop(io.ComfyNode):
    """One video clip whose starting noise loops over its own frames."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderClipLoop",
            search_aliases=["loop", "video loop", "seamless loop", "circular walk", "wan"],
            display_name="Clip Loop Noise (Meander)",
            category="latent/meander",
            description="For video models: the starting noise of ONE clip whose T latent frames lie on a circle, "
            "n_t = cos(2 pi t / T) x + sin(2 pi t / T) y (x, y two seeds' noises of one latent frame), so the "
            "clip's noise returns to its first frame after its last. Connect to SamplerCustomAdvanced with the "
            "video model's empty latent (batch 1) as latent_image. The noise loops exactly; whether the decoded "
            "clip loops depends on the model (a causal video VAE treats the first latent frame apart).",
            inputs=[
                seed_input("seed_x", "Seed of the clip's first latent frame at radius 1.", default=1337),
                seed_input("seed_y", "Seed of the second direction of the circle (must differ from seed_x).",
                           default=42),
                io.Float.Input("radius", default=1.0, min=0.0, max=1.0, step=0.01,
                               tooltip="1: a great circle through seed_x's noise (the most motion). Below 1: a "
                               "circle of this radius around centre_seed's noise (calmer). Every latent frame "
                               "keeps unit variance."),
                seed_input("centre_seed", "Seed the loop circles around when radius < 1 (must differ from seed_x "
                           "and seed_y); unused at radius 1.", default=7),
            ],
            outputs=[io.Noise.Output(display_name="noise",
                                     tooltip="The clip's looping noise: connect to SamplerCustomAdvanced.")],
        )

    @classmethod
    def execute(cls, seed_x: int, seed_y: int, radius: float, centre_seed: int) -> io.NodeOutput:
        return io.NodeOutput(ClipLoopNoise(seed_x, seed_y, radius, centre_seed))


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
