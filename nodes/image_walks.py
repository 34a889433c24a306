"""Walks between given keyframes: Latent Walk (any LATENTs) and Image Walk Noise (images inverted to their noise)."""

from __future__ import annotations

import logging

import comfy.samplers
import comfy.utils
import torch
from torch import Tensor

from ..latent_ops import inversion, walks
from .comfy import host_node, io
from .common import FrameLatent, WalkNoise
from .declared import walk_schema
from .validate import check_finite, check_noise_walk_memory


def connected(walk: type[walks.LatentWalk], values: dict) -> list[tuple[str, object]]:
    """(name, value) of the walk's connected keyframe inputs, in order; c without d is fine, d without c is not."""
    named = [(h.name, values.get(h.name)) for h in walk.heads if h.name.startswith(walk.key_prefix)]
    last = max(i for i, (_, v) in enumerate(named) if v is not None)
    gaps = [name for name, v in named[:last] if v is None]
    if gaps:
        raise ValueError(f"{gaps[0]} is unconnected but {named[last][0]} is connected: connect the keyframes in "
                         "order (a, b, c, d)")
    return named[:last + 1]


def stack_keyframes(named: list[tuple[str, Tensor]], kind: str, fix: str) -> Tensor:
    """The keyframe tensors (each of batch 1, one shape) stacked into (K, *S); ValueError naming the input."""
    first_name, first = named[0]
    for name, x in named:
        if x.is_nested or x.dim() < 4:
            raise ValueError(f"{name} has shape {tuple(x.shape)}: connect a plain {kind}")
        if x.shape[0] != 1:
            raise ValueError(f"{name} has a batch of {x.shape[0]}: each keyframe is one {kind}; pick one with "
                             f"{'LatentFromBatch' if kind == 'latent' else 'ImageFromBatch'}")
        if x.shape != first.shape:
            raise ValueError(f"{name} has shape {tuple(x.shape)} but {first_name} {tuple(first.shape)}: {fix}")
        check_finite(name, x, f"connect a {kind} whose values are finite")
    return torch.cat([x for _, x in named])


class MeanderLatentWalk(io.ComfyNode):
    """A walk through 2 to 4 LATENT keyframes from any source, F frames per segment."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return walk_schema(walks.LatentWalk, [io.Latent.Output(
            display_name="frames", tooltip="The window's frames, one batch item each.")])

    @classmethod
    def execute(cls, start_frame: int, frame_count: int, **inputs) -> io.NodeOutput:
        named = connected(walks.LatentWalk, inputs)
        latents = stack_keyframes([(n, v["samples"]) for n, v in named], "latent",
                                  "encode or sample every keyframe at the same width and height (and model)")
        walk = walks.LatentWalk.from_inputs(inputs)
        window = walk.window(start_frame, frame_count)
        first = named[0][1]
        check_noise_walk_memory(len(window), FrameLatent.of(0, 0, first),
                                walk.length_input if frame_count == 0 else "frame_count")
        frames = walk.chain(latents, window)
        out = {k: v for k, v in first.items() if k not in ("samples", "noise_mask", "batch_index")}
        out["samples"] = frames.to(device=latents.device, dtype=latents.dtype)
        return io.NodeOutput(out)


def check_sigmas(sigmas: Tensor) -> None:
    """A full-denoise schedule: at least one step, falling, ending at 0 (where the keyframes are images)."""
    if sigmas.dim() != 1 or sigmas.shape[0] < 2:
        raise ValueError(f"sigmas has shape {tuple(sigmas.shape)}: connect a scheduler's sigmas with at least one "
                         "step (BasicScheduler)")
    check_finite("sigmas", sigmas, "connect a scheduler's sigmas (BasicScheduler)")
    if float(sigmas[-1]) != 0.0:
        raise ValueError(f"sigmas ends at {float(sigmas[-1]):.4g}, not 0: the keyframes are found at sigma 0, so use "
                         "a full-denoise schedule (BasicScheduler with denoise 1.0, the one the sampler uses)")


def invert(guider, latents: Tensor, sigmas: Tensor, refine: int, seed: int, pbar) -> Tensor:
    """Each latent's starting noise n (K, *S), float32 on the CPU: SamplerCustomAdvanced's euler from n lands on it.

    The guider runs a sampler over the flipped sigmas (0 first), so it hands the sampler the
    latent as the model sees it (process_latent_in, noise_scaling at sigma 0 adds nothing) and the
    model's denoiser with the guider's conditioning and cfg; inversion.invert_euler climbs back to
    x_T. The sampler starts from x_T = noise_scaling(sigma_max, n, empty latent): affine in n, so n
    = (x_T - b) / a with a and b read from the model's own noise_scaling.
    """
    found = []
    forward = sigmas

    def inverter(model, x, flipped, extra_args=None, callback=None, disable=None):
        s_in = x.new_ones([x.shape[0]])
        x_t = inversion.invert_euler(lambda z, s: model(z, s * s_in, **(extra_args or {})), x, flipped.flip(0),
                                     refine, lambda: pbar.update(1))
        model_sampling = model.inner_model.inner_model.model_sampling
        top = forward[:1].to(x_t.device)
        full = sampler.max_denoise(model.inner_model, forward)
        zero = torch.zeros_like(x_t)
        b = model_sampling.noise_scaling(top, zero, zero, full)
        a = model_sampling.noise_scaling(top, torch.ones_like(x_t), zero, full) - b
        if not bool((a.abs() > 0).all()):
            raise ValueError("guider: this model does not start sampling from noise, so its images have no "
                             "starting noise to find")
        found.append(((x_t - b) / a).float().cpu())
        return x_t

    sampler = comfy.samplers.KSAMPLER(inverter)
    guider.sample(torch.zeros_like(latents), latents, sampler, sigmas.flip(0), disable_pbar=True, seed=seed)
    return found[0]


def sample_back(guider, noises: Tensor, sigmas: Tensor, seed: int, pbar) -> Tensor:
    """What SamplerCustomAdvanced with euler makes of each noise on an empty latent (K, *S), float32 on the CPU."""
    empty = torch.zeros_like(noises)
    out = guider.sample(noises, empty, comfy.samplers.sampler_object("euler"), sigmas,
                        callback=lambda *_: pbar.update(1), disable_pbar=True, seed=seed)
    return out.float().cpu()


def reconstruction_text(errors: list[float], names: list[str]) -> str:
    """One line per keyframe: its relative reconstruction error."""
    return "\n".join(f"{name}: {e:.4f}" for name, e in zip(names, errors, strict=True))


class MeanderImageWalk(io.ComfyNode):
    """The starting noise of a walk between 2 to 4 images: each inverted to its euler noise, corrected, walked."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return walk_schema(walks.ImageWalk, [
            io.Noise.Output(display_name="noise", tooltip="The walk's noise, frame k for batch item k: connect to "
                            "SamplerCustomAdvanced (with the same guider and sigmas, and euler)."),
            io.Latent.Output(display_name="latent", tooltip="An empty latent batch with one item per emitted frame: "
                             "the sampler's latent_image."),
            io.String.Output(display_name="reconstruction",
                             tooltip="Per keyframe, |sampled back - input latent| / |input latent|: how far euler from "
                             "its corrected noise lands from the image's latent (0 = exactly)."),
        ])

    @classmethod
    def execute(cls, guider, sigmas: Tensor, vae, start_frame: int, frame_count: int, **inputs) -> io.NodeOutput:
        named = connected(walks.ImageWalk, inputs)
        images = stack_keyframes(named, "image", "scale the images to one size (ImageScale) before the walk")
        plan = walks.ImageWalk.from_inputs(inputs)
        correction, fresh_noise, seed, refine = plan.correction, plan.fresh_noise, plan.seed, plan.refine
        window = plan.window(start_frame, frame_count)
        inversion.check_correction(correction, fresh_noise)  # before the model runs
        check_sigmas(sigmas)
        encode = host_node("VAEEncode")()
        latents = torch.cat([encode.encode(vae, images[i:i + 1])[0]["samples"] for i in range(len(named))])
        channels = guider.model_patcher.get_model_object("latent_format").latent_channels
        if latents.shape[1] != channels:
            raise ValueError(f"vae: its latents have {latents.shape[1]} channels but the guider's model takes "
                             f"{channels}: connect the VAE of the guider's model")
        frame = FrameLatent.of(0, 0, {"samples": latents[:1]})
        check_noise_walk_memory(len(window), frame, plan.length_input if frame_count == 0 else "frame_count")
        steps = sigmas.shape[0] - 1
        pbar = comfy.utils.ProgressBar(steps * (refine + 2))
        raw = invert(guider, latents, sigmas, refine, seed, pbar)
        keyframes = inversion.correct_noise(raw, 0.0, fresh_noise, seed)
        check_finite("the inverted noise", keyframes, "the model's predictions are not finite: try fewer refine "
                     "rounds or another cfg")  # finite keyframes make a finite correction
        corrected = inversion.correct_noise(raw, correction, fresh_noise, seed) if correction > 0 else None
        errors = inversion.relative_error(sample_back(guider, keyframes, sigmas, seed, pbar), latents)
        figure = reconstruction_text(errors, [n for n, _ in named])
        logging.info("Meander image walk: reconstruction error per keyframe (|sampled back - input| / |input|): %s",
                     figure.replace("\n", ", "))
        walk = inversion.KeyframeNoiseWalk(plan, keyframes, seed, corrected)
        return io.NodeOutput(WalkNoise(walk, window), frame.empty(len(window)), figure)
