"""Step noise that walks with the frames (docs/SPEC.md, "Samplers and noise during sampling").

Ancestral and SDE samplers add fresh noise at every step. Through the Walk Sampler, frame j's
step noise at every step is

    s_j = sum_i w_ji n_i,

where n_i is the step noise a plain run with keyframe seed i draws at that step (its batch-1
stream: ComfyUI's default noise sampler or Brownian tree seeded with that seed) and w_j are the
frame's weights over the keyframe seeds (a StepMix, which each walk gives for a window: see
latent_ops/walks.py). The streams of different seeds are independent, so with sum_i w_ji^2 = 1
every frame's step noise is again unit-variance noise; a row with a single weight 1 (a keyframe)
is that seed's stream bit for bit, and a frame's weights depend only on its index, so any window
gets exactly the step noise of the same frames of the whole walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from . import interpolate


@dataclass(frozen=True)
class StepMix:
    """Frame j's step noise = sum_i weights[j, i] * (step noise of seeds[i]).

    `seeds` are the distinct keyframe seeds the window's frames use; `weights` is
    (frames, len(seeds)) float64 and each row's squares sum to one (to float rounding).
    """

    seeds: tuple[int, ...]
    weights: Tensor


def seed_keyframes(seeds: Sequence[int]) -> tuple[tuple[int, ...], Tensor]:
    """The distinct seeds (in order of first use) and each keyframe's coordinates over their streams.

    Keyframe i is seed i's own noise, the unit vector of its seed: (K, D) float64 one-hot, D the
    number of distinct seeds (a seed listed twice is one stream).
    """
    distinct = tuple(dict.fromkeys(seeds))
    column = torch.tensor([distinct.index(seed) for seed in seeds], dtype=torch.int64)
    return distinct, torch.nn.functional.one_hot(column, len(distinct)).double()


def pair_mix(seeds: Sequence[int], keyframes: Tensor, first: Tensor, second: Tensor, t: Tensor,
             method: str) -> StepMix:
    """Frame j walks from keyframe first[j] to second[j] at eased time t[j], as its starting noise does.

    `keyframes` (K, D) are the keyframes' coordinates over the streams of `seeds` (D of them).
    The streams are independent unit-variance noise, orthogonal and of equal norm to
    O(1 / sqrt(values)), so they are treated as an orthonormal basis: the frame's coordinates are
    the walk's own interpolation interp(k_first, k_second, t) of the keyframes' coordinates (for two
    seeds' own noise, slerp gives (cos(pi t / 2), sin(pi t / 2)), lerp and nlerp (1 - t, t)), then
    divided by their L2 norm so their squares sum to one (unit_rows: lerp's middle frames would
    otherwise lose variance). A keyframe (t = 0 or 1 on a seed's own noise) is one 1 and zeros.
    Only the seeds the window's frames use are kept.
    """
    a, b = keyframes[first], keyframes[second]
    coordinates = interpolate.interpolate(a, b, t.double(), method)
    used = ((a != 0) | (b != 0)).any(dim=0)
    kept = tuple(seed for seed, keep in zip(seeds, used.tolist(), strict=True) if keep)
    return StepMix(kept, unit_rows(coordinates[:, used]))


def unit_rows(weights: Tensor) -> Tensor:
    """Each row w / |w| (L2), so its squares sum to one; a row of zeros is refused (it mixes no stream)."""
    norm = weights.norm(dim=1, keepdim=True)
    if bool((norm == 0).any()):
        raise ValueError("a frame's step-noise weights are all zero: it would get no step noise")
    return weights / norm


def combine(weights: Tensor, streams: Tensor) -> Tensor:
    """s_j = sum_i weights[j, i] streams[i] for weights (N, K) and streams (K, *S): (N, *S).

    Summed keyframe by keyframe with element-wise products (a matrix product may round through
    TF32 on a GPU), in float32 (float64 stays float64); a row with a single 1 and zeros elsewhere
    gives that stream bit for bit. Returns the streams' dtype and device.
    """
    work = torch.float64 if streams.dtype == torch.float64 else torch.float32
    w = weights.to(device=streams.device, dtype=work)
    shape = (weights.shape[0], *([1] * (streams.dim() - 1)))
    out = w[:, 0].reshape(shape) * streams[0].to(work)
    for i in range(1, streams.shape[0]):
        out = out + w[:, i].reshape(shape) * streams[i].to(work)
    return out.to(streams.dtype)
