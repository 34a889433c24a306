"""The Walk Sampler: ComfyUI's ancestral and SDE samplers with step noise that walks with the frames."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence

import comfy.k_diffusion.sampling as k_sampling
import comfy.samplers
import torch
from torch import Tensor

from ..latent_ops import step_noise
from .comfy import io, schema
from .common import WalkNoise

BROWNIAN_SAMPLERS = frozenset({"dpmpp_sde", "dpmpp_2m_sde", "dpmpp_2m_sde_heun", "dpmpp_3m_sde"})
"""The samplers whose k-diffusion function draws its step noise from a Brownian tree on the CPU, seeded with
the sampler's seed; their `_gpu` twins keep the tree on the latent's device. Every other sampler offered
draws from k-diffusion's default noise sampler (one torch generator seeded with the seed)."""

DEFAULT_SAMPLER = "euler_ancestral"


def walk_sampler_names() -> list[str]:
    """The host's KSAMPLER_NAMES that add noise at every step: those whose k-diffusion function takes
    `eta` (default above 0), `s_noise` and a `noise_sampler` (dpm_fast and dpm_adaptive default to eta 0)."""
    names = []
    for name in comfy.samplers.KSAMPLER_NAMES:
        params = inspect.signature(getattr(k_sampling, f"sample_{name}", lambda: None)).parameters
        if {"eta", "s_noise", "noise_sampler"} <= params.keys() and params["eta"].default > 0:
            names.append(name)
    return names


def keyframe_streams(sampler_name: str, x: Tensor, sigmas: Tensor, seeds: Sequence[int]) -> list[Callable]:
    """The host's own noise sampler of each seed for one item of `x`: what a plain batch-1 run draws.

    k-diffusion's `default_noise_sampler(x, seed)` (0.33.0 adds 1 to the seed on the CPU: calling
    it keeps that), or for the Brownian-tree SDE samplers `BrownianTreeNoiseSampler(x, sigma_min,
    sigma_max, seed, cpu)` over the sigmas' range, as those samplers build it.
    """
    one = x[:1]
    base = sampler_name.removesuffix("_gpu")
    if base not in BROWNIAN_SAMPLERS:
        return [k_sampling.default_noise_sampler(one, seed=seed) for seed in seeds]
    sigma_min, sigma_max = sigmas[sigmas > 0].min(), sigmas.max()
    return [k_sampling.BrownianTreeNoiseSampler(one, sigma_min, sigma_max, seed=seed, cpu=base == sampler_name)
            for seed in seeds]


class WalkNoiseSampler:
    """A k-diffusion noise sampler whose batch item j is frame j's walk between the keyframe seeds' streams.

    Called with (sigma, sigma_next) like any noise sampler, it draws one step from each keyframe
    seed's stream and returns step_noise.combine(weights, steps). For the default sampler the
    streams are independent N(0, I) draws. For the SDE samplers each stream is a Brownian tree's
    normalised increment (W(t1) - W(t0)) / sqrt|t1 - t0|; independent Brownian motions W_i mixed
    with weights whose squares sum to one, sum_i w_i W_i, are again a Brownian motion (Gaussian
    with independent increments of variance sum_i w_i^2 |t1 - t0| = |t1 - t0|), so every frame is
    sampled with a true Brownian motion, and a keyframe (one weight 1) with its seed's own tree.
    The streams are built at the first call, so a sampler that takes no step builds none.
    """

    def __init__(self, sampler_name: str, mix: step_noise.StepMix, x: Tensor, sigmas: Tensor):
        if x.shape[0] != mix.weights.shape[0]:
            raise ValueError(f"the sampler's latent has a batch of {x.shape[0]} but the walk's noise emits "
                             f"{mix.weights.shape[0]} frames: connect the same walk node's noise to the Walk Sampler "
                             "and to SamplerCustomAdvanced, and its latent to latent_image")
        self._sampler_name, self._mix, self._x, self._sigmas = sampler_name, mix, x, sigmas
        self._streams: list[Callable] | None = None

    def __call__(self, sigma: Tensor, sigma_next: Tensor) -> Tensor:
        if self._streams is None:
            self._streams = keyframe_streams(self._sampler_name, self._x, self._sigmas, self._mix.seeds)
        steps = torch.cat([stream(sigma, sigma_next) for stream in self._streams])
        return step_noise.combine(self._mix.weights, steps)


def walk_ksampler(sampler_name: str, mix: step_noise.StepMix, eta: float, s_noise: float) -> comfy.samplers.KSAMPLER:
    """The host's KSAMPLER of `sampler_name` (comfy.samplers.ksampler with eta and s_noise), its sampler
    function given a WalkNoiseSampler for the batch it samples."""
    host = comfy.samplers.ksampler(sampler_name, {"eta": eta, "s_noise": s_noise})

    def sample(model, x, sigmas, extra_args=None, callback=None, disable=None, **options):
        noise_sampler = WalkNoiseSampler(sampler_name, mix, x, sigmas)
        return host.sampler_function(model, x, sigmas, extra_args=extra_args, callback=callback, disable=disable,
                                     noise_sampler=noise_sampler, **options)

    sample.__name__ = f"walk_{sampler_name}"
    return comfy.samplers.KSAMPLER(sample, host.extra_options, host.inpaint_options)


def _check_scale(name: str, value: float, meaning: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0 ({meaning}), got {value}")


class MeanderWalkSampler(io.ComfyNode):
    """An ancestral or SDE sampler whose step noise walks with the frames of a walk's noise."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        names = walk_sampler_names()
        return schema(
            node_id="MeanderWalkSampler",
            search_aliases=["ancestral", "sde", "euler_ancestral", "dpmpp_2m_sde", "step noise", "smooth walk"],
            display_name="Walk Sampler (Meander)",
            category="latent/meander/sampling",
            description="An ancestral or SDE sampler for SamplerCustomAdvanced whose fresh noise at every step walks "
            "with the frames: frame k's step noise is the same walk (times, easing, chain or loop) between the "
            "keyframe seeds' step noise as its starting noise is between their noises. Connect the walk node's "
            "noise here and to SamplerCustomAdvanced. Keyframes are exactly KSampler's images for their seeds "
            "with this sampler, and a window's frames get exactly the step noise of the whole walk.",
            inputs=[
                io.Noise.Input("noise", tooltip="The NOISE of a Meander seed walk, seed chain, seed variations, "
                               "noise loop or timed seed walk: the same output that goes to SamplerCustomAdvanced."),
                io.Combo.Input("sampler_name", options=names,
                               default=DEFAULT_SAMPLER if DEFAULT_SAMPLER in names else names[0],
                               tooltip="ComfyUI's ancestral and SDE samplers (the _gpu SDE samplers keep their "
                               "Brownian tree on the GPU, as in KSampler)."),
                io.Float.Input("eta", default=1.0, min=0.0, max=100.0, step=0.01, round=False,
                               tooltip="Share of each step taken as fresh noise: 0 is the deterministic sampler, "
                               "1 the sampler's usual amount."),
                io.Float.Input("s_noise", default=1.0, min=0.0, max=100.0, step=0.01, round=False,
                               tooltip="Scale of the fresh noise (1 = unit variance)."),
            ],
            outputs=[io.Sampler.Output(display_name="sampler",
                                       tooltip="Connect to SamplerCustomAdvanced's sampler.")],
        )

    @classmethod
    def execute(cls, noise: object, sampler_name: str, eta: float, s_noise: float) -> io.NodeOutput:
        if not isinstance(noise, WalkNoise):
            raise ValueError("noise must come from a Meander walk node (Seed Walk, Seed Chain Walk, Seed Variations, "
                             "Circular Noise Loop, Timed Seed Walk), not from another noise node: connect the walk "
                             "node's noise output here and to SamplerCustomAdvanced")
        names = walk_sampler_names()
        if sampler_name not in names:
            raise ValueError(f"sampler_name must be one of {', '.join(names)}, got {sampler_name!r}")
        _check_scale("eta", eta, "0 adds no fresh noise")
        _check_scale("s_noise", s_noise, "1 is the sampler's usual noise")
        try:
            mix = noise.walk.step_mix(noise.frames)
        except ValueError as e:
            raise ValueError(f"noise: {e}") from None
        return io.NodeOutput(walk_ksampler(sampler_name, mix, eta, s_noise))
