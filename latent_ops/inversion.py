"""Keyframe images to walk noise: the euler sampler run backwards, the noise correction, the walk between them.

docs/SPEC.md, "Image walks (inversion)". The sampler's euler step from sigma s down to s' is
x' = x - r (x - D(x, s)) with r = 1 - s' / s and D the model's denoised prediction, so sampling
ends on x_0 = D(x_1, sigma_1) at sigma = 0. `invert_euler` runs those steps backwards from a
keyframe's latent x_0 to the starting point x_T that euler turns back into it; `correct_noise`
makes the noise read from x_T a proper unit Gaussian again (NoiseDiffusion, ICLR 2024);
`KeyframeNoiseWalk` walks between the corrected noises like a seed chain. No ComfyUI here: the
denoiser is any callable D(x, sigma).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from . import noise, schedule
from .checks import check_at_least, check_fraction
from .walks import ImageWalk, NoiseWalk

Denoiser = Callable[[Tensor, Tensor], Tensor]
"""D(x, sigma): the model's denoised prediction of x at noise level sigma (a 0-dim tensor)."""

CLIP_BOUND = 3.0
"""Where correct_noise clips, in units of the noise's RMS: N(0, 1) has 0.27% of its values beyond 3."""

def invert_euler(denoise: Denoiser, x0: Tensor, sigmas: Tensor, refine: int = 2,
                 on_step: Callable[[], None] | None = None) -> Tensor:
    """The x_T from which euler over `sigmas` (descending, as the sampler takes them) lands on x0.

    Step i is run backwards from s' = sigmas[i + 1] to s = sigmas[i]: it solves
    G(x) = x - x' - r (x - D(x, s)) = 0, r = 1 - s' / s (the euler step x' = x - r (x - D(x, s))),
    by Newton steps x <- x - G(x) / ((1 - r) + r c) with the denoiser's Jacobian taken as c I.
    The first step takes c = 1 at x = x': x = x' + r (x' - D(x', s)), the unsampler's and DDIM
    inversion's step, which never evaluates the model at sigma 0. Each of `refine` rounds then
    reads c from the last two evaluations (the secant <dD, dx> / <dx, dx>, kept in [0, 1], where a
    denoiser's Jacobian lies for Gaussian data) and steps again, so the step becomes the exact
    inverse of euler's. One model call per step and round; `on_step()` after each.
    """
    check_at_least("refine", refine, 0)
    x = x0
    for i in reversed(range(len(sigmas) - 1)):
        s, s_next = sigmas[i], sigmas[i + 1]
        if not s > s_next:
            raise ValueError(f"sigmas must fall step by step, got {float(s)} then {float(s_next)} at step {i}: "
                             "connect a scheduler's sigmas (BasicScheduler)")
        r = 1.0 - s_next / s
        target, c = x, 1.0
        previous = None
        for _ in range(refine + 1):
            d = denoise(x, s)
            if on_step is not None:
                on_step()
            if previous is not None:
                dx, dd = (x - previous[0]).double(), (d - previous[1]).double()
                c = float(((dd * dx).sum() / (dx * dx).sum().clamp_min(1e-30)).clamp(0.0, 1.0))
            previous = (x, d)
            g = x - target - r * (x - d)
            x = x - g / max(float((1.0 - r) + r * c), 1e-2)
    return x


def rms(z: Tensor) -> Tensor:
    """sqrt(mean(z^2)) of each item of z (K, *S), shape (K, 1, ..., 1), in float64."""
    flat = z.reshape(z.shape[0], -1).double()
    return flat.pow(2).mean(dim=1).sqrt().reshape(z.shape[0], *([1] * (z.dim() - 1)))


def check_correction(strength: float, fresh: float) -> None:
    """Raise ValueError naming `correction` or `fresh_noise` when either is outside 0..1."""
    check_fraction("correction", strength, "0 = the inverted noise as it is, 1 = clipped and at unit variance")
    check_fraction("fresh_noise", fresh, "0 = none, 1 = only the fresh noise of the seed")


def correct_noise(z: Tensor, strength: float, fresh: float = 0.0, seed: int = 0) -> Tensor:
    """Inverted noises z (K, *S) corrected towards unit Gaussians, per keyframe (NoiseDiffusion, ICLR 2024).

    u = z / rms(z), clipped to [-CLIP_BOUND, CLIP_BOUND] and re-normalised, n = c / rms(c) (unit
    RMS: the shell N(0, I) noise lies on); corrected = (1 - strength) z + strength n; then
    sqrt(1 - fresh) corrected + sqrt(fresh) e, with e the fresh N(0, I) noise of `seed`
    (noise.seed_noise of the whole (K, *S)), keeps unit variance. strength 0 and fresh 0 give z
    itself, bit for bit. float32 on z's device.
    """
    check_correction(strength, fresh)
    out = z.float()
    if strength > 0:
        clipped = (z.double() / rms(z).clamp_min(1e-12)).clamp(-CLIP_BOUND, CLIP_BOUND)
        unit = clipped / rms(clipped).clamp_min(1e-12)
        out = ((1.0 - strength) * z.double() + strength * unit).float()
    if fresh > 0:
        e = noise.seed_noise(seed, tuple(z.shape)).to(z.device)
        out = (1.0 - fresh) ** 0.5 * out + fresh ** 0.5 * e
    return out


def relative_error(sampled: Tensor, target: Tensor) -> list[float]:
    """|sampled_k - target_k| / |target_k| per item (norms over each whole latent): the reconstruction figure."""
    diff = (sampled.double() - target.double()).reshape(target.shape[0], -1).norm(dim=1)
    size = target.double().reshape(target.shape[0], -1).norm(dim=1).clamp_min(1e-12)
    return (diff / size).tolist()


@dataclass(frozen=True, eq=False)
class KeyframeNoiseWalk(NoiseWalk):
    """The image walk's noise: a chain through K keyframe noises (K, *S), as `plan` (an ImageWalk) lays it out.

    Frame j, in segment i at time tau = (j mod F) / F, is a_j + sin(pi tau) (b_j - a_j): a the chain
    through the `keyframes` (the inverted noises), b the same chain through the `corrected` ones
    (noise.chain_between, like a seed chain; b = a where none are given). The correction fades in
    and out within each segment: frame i F is keyframe noise i bit for bit, which re-creates its
    image, and the frame halfway between two keyframes is wholly the corrected walk's. Any window
    equals the same slice of the whole walk.
    """

    node_id: ClassVar[str] = "MeanderImageWalk"
    length_input: ClassVar[str] = "frames_per_segment"
    plan: ImageWalk
    keyframes: Tensor
    seed: int = 0
    corrected: Tensor | None = None

    def check(self) -> None:
        self.plan.check()

    @property
    def length(self) -> int:
        return self.plan.length

    @property
    def first_seed(self) -> int:
        return self.seed

    def progress(self, frames: range) -> Tensor:
        return self.plan.progress(frames)

    def noise_frames(self, frame_shape: Sequence[int], frames: range) -> Tensor:
        if tuple(frame_shape) != tuple(self.keyframes.shape[1:]):
            raise ValueError(f"latent_image has items of shape {tuple(frame_shape)} but the images' noise is "
                             f"{tuple(self.keyframes.shape[1:])}: connect the image walk's latent output to the "
                             "sampler's latent_image, and sample with the guider whose model the images were "
                             "inverted with")
        inverted = self.plan.chain(self.keyframes, frames)
        if self.corrected is None:
            return inverted
        _, tau = schedule.chain_times(len(self.keyframes), self.plan.frames_per_segment, self.plan.closed, frames)
        fade = torch.sin(math.pi * tau).float().reshape(-1, *([1] * len(frame_shape)))
        return inverted + fade * (self.plan.chain(self.corrected, frames) - inverted)
