"""Noise for one clip and for KSampler: Clip Loop Noise, and any walk's noise as a noisy latent.

(The noise walks' own nodes are built from their walk classes: nodes/declared.py.)
"""

from __future__ import annotations

import comfy.model_sampling
import comfy.sample
import torch

from ..latent_ops import noise
from .comfy import io, schema
from .common import seed_input
from .validate import check_finite


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
