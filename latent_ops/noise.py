"""Seed noise and noise walks (docs/SPEC.md, "Noise of a seed", "Circular noise loop").

Every walk returns frames [start, start + count) of the whole walk (count 0: to the end) as
float32 on the CPU, each frame a pure function of the parameters and its index, so any window
equals the same slice of the whole walk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from . import interpolate, schedule
from .inputs import SEED_MAX

_MAX_SEED_DIGITS = 40
"""Entries longer than this are refused before int() (whose limit is 4300 digits); SEED_MAX has 20."""

_SEED_SEPARATORS = re.compile(r"[\s,;]+")


def seed_noise(seed: int, shape: Sequence[int]) -> Tensor:
    """float32 N(0, I) noise of one latent of `shape`, drawn on the CPU from `seed`.

    Bit-identical to ComfyUI's `comfy.sample.prepare_noise` for a batch of one: torch.randn
    with a CPU generator seeded by `seed` (the stream of torch.manual_seed(seed)).
    """
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(f"seed must be in 0..{SEED_MAX}, got {seed}")
    generator = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randn(tuple(shape), generator=generator, dtype=torch.float32, device="cpu")


def parse_seeds(text: str, name: str = "seeds", minimum: int = 2) -> list[int]:
    """The seeds of a list like "1337, 42, 7" (commas, semicolons or whitespace between them).

    Each entry is a whole number in 0..2^64 - 1; at least `minimum` are needed (2 for a walk).
    """
    entries = [e for e in _SEED_SEPARATORS.split(text.strip()) if e]
    if len(entries) < minimum:
        raise ValueError(
            f"{name} must list at least {minimum} seed{'s' if minimum > 1 else ''} separated by commas "
            f"(e.g. '1337, 42, 7'), got {text!r}")
    seeds = []
    for position, entry in enumerate(entries, start=1):
        if not entry.isdecimal() or len(entry) > _MAX_SEED_DIGITS:
            if entry.isdecimal():
                raise ValueError(f"{name}: entry {position} ({entry[:24]}...) has {len(entry)} digits, above the "
                                 f"largest seed {SEED_MAX}")
            raise ValueError(
                f"{name}: entry {position} ({entry[:24]!r}) is not a whole number; write seeds like '1337, 42, 7'")
        seed = int(entry)
        if seed > SEED_MAX:
            raise ValueError(f"{name}: entry {position} ({entry}) is above the largest seed {SEED_MAX}")
        seeds.append(seed)
    return seeds


def chain_between(
    keyframe: Callable[[int, Sequence[int]], Tensor],
    keys: int,
    frame_shape: Sequence[int],
    frames_per_segment: int,
    method: str = "slerp",
    easing: str = "linear",
    closed: bool = False,
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of a chain walk through K keyframe noises, keyframe(i, shape).

    Frame j lies in segment i = j // F at time t = (j mod F) / F (schedule.chain_times):
    z_j = interp(k_i, k_{i+1}, e(t)) with the method and the easing e applied per segment; closed
    chains go from the last keyframe back to the first. Open: (K - 1) F + 1 frames, closed: K F;
    frame i F is keyframe i bit for bit. Only the keyframes the window touches are made. Shape
    (count, *frame_shape), float32 on the CPU.
    """
    total = schedule.chain_length(keys, frames_per_segment, closed)
    idx = schedule.window(total, start_frame, frame_count)
    segment, t = schedule.chain_times(keys, frames_per_segment, closed, idx)
    t = schedule.ease(t, easing)
    ends = torch.stack([segment, (segment + 1) % keys])
    needed, inverse = torch.unique(ends, return_inverse=True)
    keyframes = torch.stack([keyframe(i, frame_shape) for i in needed.tolist()])
    return interpolate.interpolate(keyframes[inverse[0]], keyframes[inverse[1]], t, method)


def chain_walk(
    seeds: Sequence[int],
    frame_shape: Sequence[int],
    frames_per_segment: int,
    method: str = "slerp",
    easing: str = "linear",
    closed: bool = False,
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of the chain walk through the noises of `seeds` (chain_between):
    frame i F is seed i's noise bit for bit."""
    return chain_between(lambda i, shape: seed_noise(seeds[i], shape), len(seeds), frame_shape, frames_per_segment,
                         method, easing, closed, start_frame, frame_count)


def variation_noise(seed: int, variation_seed: int, strength: float, frame_shape: Sequence[int]) -> Tensor:
    """slerp(noise(seed), noise(variation_seed), strength): a variation of seed's image.

    As AUTOMATIC1111's variation seed: strength 0 is seed's noise bit for bit, 1 the variation
    seed's; in between the noise keeps its variance (slerp), so the image changes by degrees.
    """
    base = seed_noise(seed, frame_shape).unsqueeze(0)
    other = seed_noise(variation_seed, frame_shape).unsqueeze(0)
    t = torch.tensor([strength], dtype=torch.float64)
    return interpolate.interpolate(base, other, t, "slerp")[0]


def seed_walk(
    seed_a: int,
    seed_b: int,
    frame_shape: Sequence[int],
    frames: int,
    method: str = "slerp",
    easing: str = "linear",
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of the open walk from seed_a's noise to seed_b's.

    Frame k = interp(noise(seed_a), noise(seed_b), e(k / (N - 1))) for the chosen method and
    easing e: the open chain of the two seeds with F = N - 1. Frame 0 is seed_a's noise and
    frame N - 1 seed_b's, bit for bit. Shape (count, *frame_shape), float32 on the CPU.
    """
    if frames < 2:
        raise ValueError(f"frames must be >= 2 for a walk from one seed to another, got {frames}")
    return chain_walk([seed_a, seed_b], frame_shape, frames - 1, method, easing, False, start_frame, frame_count)


def timed_walk(seed_a: int, seed_b: int, frame_shape: Sequence[int], times: Tensor, method: str = "slerp") -> Tensor:
    """The walk from seed_a's noise to seed_b's at the given walk times: frame k = interp(a, b, t_k).

    What seed_walk does with eased frame times, for any times (a time warp's, say): t = 0 is
    seed_a's noise and t = 1 seed_b's, bit for bit. Shape (len(times), *frame_shape).
    """
    a = seed_noise(seed_a, frame_shape).unsqueeze(0)
    b = seed_noise(seed_b, frame_shape).unsqueeze(0)
    return interpolate.interpolate(a, b, times, method)


def _orthogonal(v: Tensor, basis: Sequence[Tensor], norm: Tensor, what: str) -> Tensor:
    """v minus its projections on the orthogonal `basis` vectors, rescaled to `norm` (float64, flat)."""
    for u in basis:
        v = v - (v @ u) / (u @ u) * u
    length = v.norm()
    if length <= 1e-6 * norm:
        raise ValueError(f"{what} gives (nearly) the same noise as another seed of the loop: choose a different seed")
    return v * (norm / length)


def check_circular_loop(seed_x: int, seed_y: int, frames: int, radius: float, centre_seed: int) -> None:
    """Raise ValueError naming the input when the loop's parameters cannot make a loop."""
    if frames < 2:
        raise ValueError(f"frames must be >= 2 for a loop, got {frames}")
    if not 0.0 <= radius <= 1.0 or math.isnan(radius):
        raise ValueError(f"radius must be in 0..1 (1 = a loop through seed_x's image), got {radius}")
    if seed_x == seed_y:
        raise ValueError(f"seed_y must differ from seed_x (both are {seed_x}): the loop needs two directions")
    if radius < 1.0 and centre_seed in (seed_x, seed_y):
        raise ValueError(f"centre_seed must differ from seed_x and seed_y (got {centre_seed}) when radius < 1")


def circular_loop(
    seed_x: int,
    seed_y: int,
    frame_shape: Sequence[int],
    frames: int,
    radius: float = 1.0,
    centre_seed: int = 0,
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of the seamless circular noise loop of N frames.

    phi_k = 2 pi k / N (k = 0..N-1, the frame after the last would be frame 0).
    radius 1: n_k = cos(phi_k) x + sin(phi_k) y', with x = noise(seed_x) and y' = noise(seed_y)
    made orthogonal to x and rescaled to |x| (Gram-Schmidt). Frame 0 is seed_x's noise bit for
    bit, and every frame has exactly the norm (sample variance) of x.
    radius r < 1: n_k = sqrt(1 - r^2) c + r (cos(phi_k) x' + sin(phi_k) y'), with
    c = noise(centre_seed) and x', y' orthogonalised against c (and each other) and rescaled to
    |c|: a circle around c's image, every frame with exactly the norm of c (r = 0 is c itself).
    Consecutive frames, the last and the first included, are all 2 r R sin(pi / N) apart (R = |x|
    at radius 1, |c| below).
    Computed in float64, returned as float32 on the CPU.
    """
    check_circular_loop(seed_x, seed_y, frames, radius, centre_seed)
    idx = schedule.window(frames, start_frame, frame_count)

    def flat(seed: int) -> Tensor:
        return seed_noise(seed, frame_shape).reshape(-1).double()

    x, y = flat(seed_x), flat(seed_y)
    if radius == 1.0:
        centre, u = None, x
        norm = x.norm()
    else:
        centre = flat(centre_seed)
        norm = centre.norm()
        u = _orthogonal(x, [centre], norm, "seed_x")
    v = _orthogonal(y, [u] if centre is None else [centre, u], norm, "seed_y")
    phi = 2.0 * math.pi * torch.arange(idx.start, idx.stop, dtype=torch.float64) / frames
    cos, sin = torch.cos(phi)[:, None], torch.sin(phi)[:, None]
    out = cos * u + sin * v
    if centre is not None:
        out = math.sqrt(1.0 - radius * radius) * centre + radius * out
    return out.to(torch.float32).reshape(len(idx), *frame_shape)


def check_figure_eight(seed_x: int, seed_y: int, seed_z: int, frames: int) -> None:
    """Raise ValueError naming the input when the figure eight's parameters cannot make one."""
    if frames < 4:
        raise ValueError(f"frames must be >= 4 for a figure eight (its crossing, two lobes and the way back), got "
                         f"{frames}")
    if seed_y == seed_x:
        raise ValueError(f"seed_y must differ from seed_x (both are {seed_x}): the lobes need a second direction")
    if seed_z in (seed_x, seed_y):
        raise ValueError(f"seed_z must differ from seed_x and seed_y (got {seed_z}): the lobes' width needs a third "
                         "direction")


def figure_eight(
    seed_x: int,
    seed_y: int,
    seed_z: int,
    frame_shape: Sequence[int],
    frames: int,
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of the seamless figure-eight noise loop of N frames.

    phi_k = 2 pi k / N and n_k = cos^2(phi_k) x + sin(phi_k) y' + cos(phi_k) sin(phi_k) z', with
    x = noise(seed_x) and y', z' the noises of seed_y and seed_z made orthogonal to x and to each
    other and rescaled to |x| (Gram-Schmidt): Viviani's curve on the sphere of radius |x|, since
    cos^4 + sin^2 + cos^2 sin^2 = 1, so every frame has exactly the norm (sample variance) of x.
    It crosses itself at x (phi = 0 and pi: frame 0 is seed_x's noise bit for bit) and its lobes turn
    at y' (phi = pi / 2) and -y' (phi = 3 pi / 2); the frame after the last would be frame 0.
    Computed in float64, returned as float32 on the CPU.
    """
    check_figure_eight(seed_x, seed_y, seed_z, frames)
    idx = schedule.window(frames, start_frame, frame_count)

    def flat(seed: int) -> Tensor:
        return seed_noise(seed, frame_shape).reshape(-1).double()

    x = flat(seed_x)
    y = _orthogonal(flat(seed_y), [x], x.norm(), "seed_y")
    z = _orthogonal(flat(seed_z), [x, y], x.norm(), "seed_z")
    phi = 2.0 * math.pi * torch.arange(idx.start, idx.stop, dtype=torch.float64)[:, None] / frames
    cos, sin = torch.cos(phi), torch.sin(phi)
    out = cos * cos * x + sin * y + cos * sin * z
    return out.to(torch.float32).reshape(len(idx), *frame_shape)


def clip_loop(seed_x: int, seed_y: int, clip_shape: Sequence[int], radius: float = 1.0, centre_seed: int = 0) -> Tensor:
    """One video clip's starting noise whose T latent frames lie on the circular loop (C x T x H x W).

    clip_shape is (C, T, *S). Latent frame t is circular_loop's frame t of T over one frame's
    shape (C, *S): n_t = cos(2 pi t / T) x + sin(2 pi t / T) y' at radius 1, so the clip's noise
    runs once around the circle and the frame after the last would be frame 0 again. Every
    latent frame has the norm of x (of the centre below radius 1), as in circular_loop.
    """
    if len(clip_shape) < 3:
        raise ValueError(f"a clip's shape is C x T x H x W, got {tuple(clip_shape)}")
    channels, frames, *spatial = clip_shape
    loop = circular_loop(seed_x, seed_y, (channels, *spatial), frames, radius, centre_seed)
    return loop.movedim(0, 1).contiguous()
