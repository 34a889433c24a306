"""Walks between given keyframes: Latent Walk (any LATENTs) and Image Walk Noise (images inverted to their noise)."""

from __future__ import annotations

import logging

import comfy.samplers
import comfy.utils
import torch
from torch import Tensor

from ..latent_ops import inversion, noise, walks
from ..latent_ops.walks import MAX_FRAMES
from .comfy import host_node, io, schema
from .common import FrameLatent, WalkNoise, easing_input, noise_method_input, seed_input, window_inputs
from .validate import check_finite, check_noise_walk_memory

KEY_NAMES = ("a", "b", "c", "d")
"""Keyframe inputs: a and b required, c and d optional."""


def keyframe_inputs(make, prefix: str, what: str) -> list:
    """The keyframe inputs prefix_a .. prefix_d of a walk node, the last two optional."""
    return [make(f"{prefix}{k}", optional=i >= 2,
                 tooltip=f"Keyframe {k.upper()}: the {what} the walk passes through"
                 + (" (optional: leave unconnected to end the chain earlier)." if i >= 2 else "."))
            for i, k in enumerate(KEY_NAMES)]


def chain_inputs(what: str) -> list:
    """frames_per_segment, method, easing and closed of a keyframe chain."""
    return [
        io.Int.Input("frames_per_segment", default=24, min=1, max=MAX_FRAMES,
                     tooltip=f"Frames from one {what} to the next. Open: (K-1)*F+1 frames in all, closed: K*F."),
        noise_method_input(),
        easing_input(),
        io.Boolean.Input("closed", default=False, label_on=f"loop back to the first {what}",
                         label_off=f"open: end on the last {what}",
                         tooltip=f"Closed: a last segment back to the first {what} (K*F frames, loops seamlessly). "
                         f"Open: ends on the last {what} ((K-1)*F+1 frames)."),
    ]


def connected(prefix: str, values: dict) -> list[tuple[str, object]]:
    """(name, value) of the connected keyframe inputs, in order; c without d is fine, d without c is not."""
    named = [(f"{prefix}{k}", values.get(f"{prefix}{k}")) for k in KEY_NAMES]
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
        return schema(
            node_id="MeanderLatentWalk",
            search_aliases=["slerp latents", "latent interpolate", "latent walk", "morph latents"],
            display_name="Latent Walk (Meander)",
            category="latent/meander",
            description="Walks through 2 to 4 keyframe latents from any source (VAE Encode, a sampler, a noise "
            "node) by slerp, nlerp or lerp with easing, frames_per_segment frames from each to the next: open, "
            "(K-1)*F+1 frames ending on the last keyframe, or closed, K*F frames back to the first. Frame i*F is "
            "keyframe i exactly. Each keyframe is one latent (batch 1), all of one shape.",
            inputs=[*keyframe_inputs(io.Latent.Input, "latent_", "latent"), *chain_inputs("keyframe"),
                    *window_inputs()],
            outputs=[io.Latent.Output(display_name="frames", tooltip="The window's frames, one batch item each.")],
        )

    @classmethod
    def execute(cls, frames_per_segment: int, method: str, easing: str, closed: bool, start_frame: int,
                frame_count: int, **keys) -> io.NodeOutput:
        named = connected("latent_", keys)
        latents = stack_keyframes([(n, v["samples"]) for n, v in named], "latent",
                                  "encode or sample every keyframe at the same width and height (and model)")
        walk = walks.LatentWalk(len(named), frames_per_segment, method, easing, closed)
        window = walk.window(start_frame, frame_count)
        first = named[0][1]
        check_noise_walk_memory(len(window), FrameLatent.of(0, 0, first),
                                walk.length_input if frame_count == 0 else "frame_count")
        frames = noise.chain_between(lambda i, _shape: latents[i].float().cpu(), len(named), latents.shape[1:],
                                     frames_per_segment, method, easing, closed, window.start, len(window))
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
        return schema(
            node_id="MeanderImageWalk",
            search_aliases=["image interpolation", "unsampler", "inversion", "image morph", "latent walk"],
            display_name="Image Walk Noise (Meander)",
            category="latent/meander",
            description="The starting noise of a walk between 2 to 4 keyframe images: each is VAE-encoded and "
            "inverted to the noise from which the euler sampler, with this guider and these sigmas, makes it again "
            "(the sampler's ODE run backwards, as an unsampler does); the noises are corrected towards unit "
            "Gaussians between the keyframes (NoiseDiffusion: clipped at 3 RMS and re-normalised; the correction "
            "fades to nothing at each keyframe, optionally mixed with fresh noise) and walked through like a seed "
            "chain. Sample with SamplerCustomAdvanced, the same guider and sigmas, and euler: frame i*F re-creates "
            "keyframe i up to the reconstruction figure.",
            inputs=[
                io.Guider.Input("guider", tooltip="The guider the video is sampled with (CFGGuider: model, prompts, "
                                "cfg): connect the same one to SamplerCustomAdvanced."),
                io.Sigmas.Input("sigmas", tooltip="The sampler's sigmas (BasicScheduler, denoise 1.0): connect the "
                                "same ones to SamplerCustomAdvanced. More steps invert more exactly."),
                io.Vae.Input("vae", tooltip="The VAE of the guider's model: encodes the keyframe images."),
                *keyframe_inputs(io.Image.Input, "image_", "image (all of one size: scale them with ImageScale)"),
                *chain_inputs("image"),
                io.Float.Input("correction", default=1.0, min=0.0, max=1.0, step=0.05,
                               tooltip="How far the frames between keyframes are pulled to unit Gaussians (outliers "
                               "clipped at 3 RMS, re-normalised): the pull fades in and out within each segment, "
                               "so the keyframes stay the inverted noises and re-create their images, and is this "
                               "strong halfway between them (1: fully corrected, smoother frames; 0: the inverted "
                               "noises' own walk)."),
                io.Float.Input("fresh_noise", default=0.0, min=0.0, max=1.0, step=0.01,
                               tooltip="Share of fresh noise of the seed mixed into every keyframe's noise (variance "
                               "kept): 0.05 to 0.2 loosens the walk from the images; 0 keeps them."),
                seed_input("seed", "Seed of the fresh noise (and the NOISE's seed ComfyUI shows)."),
                io.Int.Input("refine", default=2, min=0, max=inversion.MAX_REFINE,
                             tooltip="Fixed-point rounds per inverted step (one model call each): 0 is the "
                             "unsampler's plain backward step; each round brings the keyframes closer to their "
                             "images."),
                *window_inputs(),
            ],
            outputs=[
                io.Noise.Output(display_name="noise", tooltip="The walk's noise, frame k for batch item k: connect to "
                                "SamplerCustomAdvanced (with the same guider and sigmas, and euler)."),
                io.Latent.Output(display_name="latent", tooltip="An empty latent batch with one item per emitted "
                                 "frame: the sampler's latent_image."),
                io.String.Output(display_name="reconstruction",
                                 tooltip="Per keyframe, |sampled back - input latent| / |input latent|: how far euler "
                                 "from its corrected noise lands from the image's latent (0 = exactly)."),
            ],
        )

    @classmethod
    def execute(cls, guider, sigmas: Tensor, vae, frames_per_segment: int, method: str, easing: str, closed: bool,
                correction: float, fresh_noise: float, seed: int, refine: int, start_frame: int, frame_count: int,
                **keys) -> io.NodeOutput:
        named = connected("image_", keys)
        images = stack_keyframes(named, "image", "scale the images to one size (ImageScale) before the walk")
        plan = walks.ImageWalk(len(named), frames_per_segment, method, easing, closed)
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
