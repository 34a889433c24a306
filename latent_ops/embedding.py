"""Embedding walks: prompt travel, drift and circular walks (docs/SPEC.md, "Embedding walks").

An embedding is a text encoder's output of shape (1, T, D) (77 x 768 for SD1; T grows in steps
of 77 for long prompts) or a pooled output of shape (1, D'). A walk of N frames returns frames
[start, start + count) as one batch of shape (count, T, D), frame k a pure function of the
walk's parameters and k. Math in float32 (float64 stays float64); results in the input's dtype
and device.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import torch
from torch import Tensor

from . import interpolate, schedule

METHODS = ("slerp", "lerp")
"""Interpolations offered for embeddings (nlerp's rescaling assumes Gaussian noise, not embeddings)."""

PER = ("token", "whole")
"""slerp per token row (each of the T rows is its own vector) or over the whole T x D tensor."""

PADDING = ("repeat", "zeros")
"""How embeddings of different token lengths are brought to one length (see pad_tokens)."""

DIRECTIONS = ("ones", "random")
"""Drift directions: all ones (the owl walk of "Beyond Static Image Generation") or a seeded unit-RMS Gaussian."""

MAX_REPEAT = 16
"""pad = "repeat" pads to lcm(T_i) tokens; beyond this many times the longest it is refused (use zeros)."""

_ROWS_PER_CHUNK = 1 << 22
"""Upper bound on frames x tokens x channels interpolated at once (bounds float64 temporaries)."""


# ---------------------------------------------------------------------------------------------
# keyframe schedules


_MAX_FRAME_DIGITS = 18
"""Frame numbers longer than this (10^18 frames) are refused before int() (whose limit is 4300 digits)."""

_LINE = re.compile(r"""^\s*["']?\s*(-?\d+)\s*["']?\s*:\s*(.*?)\s*,?\s*$""")


def parse_keyframes(text: str) -> list[tuple[int, str]]:
    """Keyframes of a schedule text, sorted by frame: one `frame: prompt` per line.

    Blank lines and lines starting with '#' are skipped. FizzNodes-style lines
    (`"0": "a dog",`) are accepted: quotes around the frame and the prompt and a trailing
    comma are dropped. The prompt is everything after the first ':' (it may contain ':').
    """
    keys: dict[int, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line in ("{", "}"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(
                f"schedule line {number} ({line!r}) is not 'frame: prompt': write one keyframe per line, "
                "e.g. '0: a photograph of a dog'"
            )
        digits = match.group(1).lstrip("-")
        if len(digits) > _MAX_FRAME_DIGITS:
            raise ValueError(f"schedule line {number}: frame {match.group(1)[:12]}... is not a frame number "
                             "(too many digits): number the keyframes from 0, e.g. '0: a dog' and '47: a cat'")
        frame, prompt = int(match.group(1)), match.group(2)
        if len(prompt) >= 2 and prompt[0] == prompt[-1] and prompt[0] in "\"'":
            prompt = prompt[1:-1]
        if frame < 0:
            raise ValueError(f"schedule line {number}: keyframe frames must be >= 0, got {frame}")
        if frame in keys:
            raise ValueError(f"schedule line {number}: frame {frame} has two keyframes: keep one prompt per frame")
        keys[frame] = prompt
    if not keys:
        raise ValueError(
            "schedule has no keyframes: write one 'frame: prompt' per line, e.g. '0: a dog' and '47: a cat'")
    return sorted(keys.items())


def keyframe_times(positions: Sequence[int], frames: int, closed: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """For every frame f = 0..N-1: the keyframes (i, j) it lies between and its time t in [0, 1).

    Keyframe i sits at frame p_i (strictly increasing, 0 <= p_i < N). Between p_i and p_{i+1},
    frame f has i, j = i, i + 1 and t = (f - p_i) / (p_{i+1} - p_i): a segment emits its start
    but not its end. Open walk: frames before p_0 hold keyframe 0 and frames from p_{K-1} on hold
    the last keyframe (i = j, t = 0). Closed walk (loop): after p_{K-1} the walk goes on to
    keyframe 0, which it would reach at frame N + p_0, so frame N would equal frame 0; frames
    before p_0 are the end of that segment. Returns (i, j) as int64 and t as float64, shape (N,).
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if len(positions) == 0:
        raise ValueError("a keyframe walk needs at least one keyframe")
    positions = [int(x) for x in positions]
    if any(b <= a for a, b in zip(positions, positions[1:], strict=False)):
        raise ValueError(f"keyframe frames must be strictly increasing, got {positions}")
    if positions[0] < 0:
        raise ValueError(f"keyframe frames must be >= 0, got {positions[0]}")
    if positions[-1] >= frames:
        raise ValueError(
            f"keyframe at frame {positions[-1]} is past the end of the walk ({frames} frames, 0..{frames - 1}): "
            f"raise frames to at least {positions[-1] + 1}"
        )
    p = torch.tensor(positions, dtype=torch.int64)
    k = p.numel()
    f = torch.arange(frames, dtype=torch.int64)
    seg = torch.searchsorted(p, f, right=True) - 1  # last keyframe at or before f; -1 before p_0
    inner = (seg >= 0) & (seg < k - 1)
    i = seg.clamp(0, k - 1)
    j = torch.where(inner, seg + 1, i)
    pi = p[i].double()
    pj = p[j].double()
    t = torch.where(inner, (f.double() - pi) / (pj - pi).clamp_min(1.0), torch.zeros(frames, dtype=torch.float64))
    if closed:
        wrap = ~inner
        length = float(frames - int(p[-1]) + int(p[0]))
        offset = torch.where(seg == k - 1, f - p[-1], f + frames - p[-1]).double()
        i = torch.where(wrap, torch.full_like(i, k - 1), i)
        j = torch.where(wrap, torch.zeros_like(j), j)
        t = torch.where(wrap, offset / length, t)
    return i, j, t


def chain_positions(keys: int, frames_per_segment: int, closed: bool = False) -> tuple[list[int], int]:
    """Keyframe frames and walk length of a chain of K keyframes with F frames per segment.

    Keyframe i is at frame i F. Open chain: (K - 1) F + 1 frames; closed: K F frames (the last
    segment runs back to keyframe 0). No frame is emitted twice at a joint.
    """
    if keys < 1:
        raise ValueError(f"a chain needs at least one keyframe, got {keys}")
    if frames_per_segment < 1:
        raise ValueError(f"frames_per_segment must be >= 1, got {frames_per_segment}")
    positions = [i * frames_per_segment for i in range(keys)]
    return positions, keys * frames_per_segment if closed else (keys - 1) * frames_per_segment + 1


# ---------------------------------------------------------------------------------------------
# token lengths


def pad_tokens(embeddings: Sequence[Tensor], mode: str = "repeat") -> list[Tensor]:
    """Bring embeddings (B, T_i, D) to one token length; never truncates.

    repeat: to L = lcm(T_i) (refused when L > 16 max(T_i): lengths such as 77 and 100 would
    need 7700 tokens), each tensor repeated L / T_i times along the tokens. This is how
    ComfyUI's sampler batches conditionings of different lengths (comfy/conds.py,
    CONDCrossAttn.concat): cross-attention over [c; c] equals cross-attention over c, so a padded
    keyframe still renders its own prompt's image. zeros: to L = max(T_i) with zero rows appended,
    as core ConditioningAverage pads (the zero rows do change the image of a padded prompt).
    """
    if mode not in PADDING:
        raise ValueError(f"pad must be one of {', '.join(PADDING)}, got {mode!r}")
    lengths = [e.shape[1] for e in embeddings]
    if mode == "repeat":
        target = math.lcm(*lengths)
        if target > MAX_REPEAT * max(lengths):
            raise ValueError(
                f"pad: token lengths {sorted(set(lengths))} repeat to a common length of {target} tokens "
                f"(more than {MAX_REPEAT} x the longest): use pad = zeros, or prompts whose token lengths are "
                "multiples of one another (CLIP's are multiples of 77)")
        return [e if e.shape[1] == target else e.repeat(1, target // e.shape[1], 1) for e in embeddings]
    target = max(lengths)
    out = []
    for e in embeddings:
        if e.shape[1] < target:
            e = torch.cat([e, e.new_zeros(e.shape[0], target - e.shape[1], *e.shape[2:])], dim=1)
        out.append(e)
    return out


# ---------------------------------------------------------------------------------------------
# interpolation


def interpolate_embeddings(a: Tensor, b: Tensor, t: Tensor, method: str = "slerp", per: str = "token") -> Tensor:
    """Frames interp(a, b, t_k) of embeddings a, b of shape (1, T, D) (or (1, D) pooled): (n, T, D).

    per = "token": each token row (the last dimension, D) is its own vector, so slerp runs
    row by row, with its own angle per row: frame_k[r] = slerp(a[r], b[r], t_k). per = "whole":
    the T x D tensor is one vector. lerp is the same either way. Exact at the ends:
    interp(a, b, 0) == a and interp(a, b, 1) == b (see latent_ops.interpolate.slerp).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if per not in PER:
        raise ValueError(f"per must be one of {', '.join(PER)}, got {per!r}")
    if a.shape != b.shape or a.shape[0] != 1:
        raise ValueError(f"a and b must both have shape (1, ...), got {tuple(a.shape)} and {tuple(b.shape)}")
    n = t.shape[0]
    row_shape = a.shape[1:]
    if per == "whole" or method == "lerp" or a.dim() == 2:
        return interpolate.interpolate(a, b, t, method)
    d = a.shape[-1]
    rows = a.numel() // d
    a_rows = a.reshape(1, rows, d)
    b_rows = b.reshape(1, rows, d)
    step = max(1, _ROWS_PER_CHUNK // max(1, a.numel()))
    out = []
    for lo in range(0, n, step):
        tc = t[lo : lo + step]
        m = tc.shape[0]
        ar = a_rows.expand(m, rows, d).reshape(m * rows, d)
        br = b_rows.expand(m, rows, d).reshape(m * rows, d)
        out.append(interpolate.interpolate(ar, br, tc.repeat_interleave(rows), method).reshape(m, *row_shape))
    return torch.cat(out) if out else a.new_zeros(0, *row_shape)


def keyframe_walk(
    keys: Sequence[Tensor],
    positions: Sequence[int],
    frames: int,
    closed: bool = False,
    method: str = "slerp",
    per: str = "token",
    easing: str = "linear",
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of the walk through keyframe embeddings `keys` (each (1, ...)).

    Frame f between keyframes i and j at segment time t (keyframe_times) is
    interp(keys[i], keys[j], e(t)) for easing e, so frame p_i is keys[i] exactly. All keys must
    share one shape (pad them first with pad_tokens). Shape (count, ...), dtype of keys[0].
    """
    idx = schedule.window(frames, start_frame, frame_count)
    return keyframe_walk_at(keys, positions, frames, torch.arange(idx.start, idx.stop), closed, method, per, easing)


def keyframe_walk_at(keys: Sequence[Tensor], positions: Sequence[int], frames: int, at: Tensor, closed: bool = False,
                     method: str = "slerp", per: str = "token", easing: str = "linear") -> Tensor:
    """The frames `at` (int64 indices in 0..N-1) of keyframe_walk's walk of N = `frames` frames."""
    shapes = {tuple(k.shape) for k in keys}
    if len(shapes) != 1:
        raise ValueError(f"keyframe embeddings must share one shape (pad them first), got {sorted(shapes)}")
    i, j, t = keyframe_times(positions, frames, closed)
    i, j, t = i[at], j[at], schedule.ease(t[at], easing)
    first = keys[0]
    out = torch.empty((len(at), *first.shape[1:]), dtype=first.dtype, device=first.device)
    pairs = torch.unique(torch.stack([i, j], dim=1), dim=0)
    for a_index, b_index in pairs.tolist():
        sel = ((i == a_index) & (j == b_index)).nonzero().flatten()
        a = keys[a_index].to(first.device)
        if a_index == b_index:
            out[sel] = a.to(first.dtype).expand(sel.numel(), *a.shape[1:])
            continue
        b = keys[b_index].to(first.device)
        out[sel.to(first.device)] = interpolate_embeddings(a, b, t[sel], method, per).to(first.dtype)
    return out


def timeline_frames(latent_frames: int, frames_per_latent: int, closed: bool = False) -> tuple[Tensor, int]:
    """Where a video's R = T regions sit on its timeline: (the video frame of each region, the walk's length).

    ComfyUI's context windows with split_conds_to_windows give a window over latent frames a..b the
    conditioning entry floor((a + b) / (2 T) * R) of R entries (comfy/context_windows.py,
    get_region_index); with R = T that is entry floor((a + b) / 2), the window's middle latent frame,
    so any two windows whose middles differ get different points of the walk. Latent frame r is video
    frame r c (c = frames_per_latent, the model's time compression: Wan 4, LTX 8). An open walk spans
    the video's N = (T - 1) c + 1 frames; a closed one N = T c, so region T would be region 0 again.
    """
    if latent_frames < 1:
        raise ValueError(f"the video has {latent_frames} latent frames: connect a video latent with frames")
    if frames_per_latent < 1:
        raise ValueError(f"frames_per_latent must be >= 1, got {frames_per_latent}")
    total = latent_frames * frames_per_latent if closed else (latent_frames - 1) * frames_per_latent + 1
    return torch.arange(latent_frames, dtype=torch.int64) * frames_per_latent, total


# ---------------------------------------------------------------------------------------------
# drift and circular walks


def unit_rms_direction(shape: Sequence[int], generator: torch.Generator) -> Tensor:
    """A Gaussian direction of `shape` scaled to RMS exactly 1 (float64 on the CPU)."""
    d = torch.randn(tuple(shape), generator=generator, dtype=torch.float64, device="cpu")
    return d / d.pow(2).mean().sqrt().clamp_min(1e-300)


def drift_walk(
    e0: Tensor,
    frames: int,
    step: float,
    direction: str = "ones",
    generator: torch.Generator | None = None,
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of e_k = e_0 + k step d, k = 0..N-1, for e_0 of shape (1, ...).

    d is all ones (the owl walk: 150 steps of 0.002) or, for "random", a Gaussian direction
    of unit RMS drawn from `generator` (unit_rms_direction). Frame 0 is e_0 exactly.
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if not math.isfinite(step):
        raise ValueError(f"step must be a finite number, got {step}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    idx = schedule.window(frames, start_frame, frame_count)
    if direction == "ones":
        d = torch.ones(tuple(e0.shape[1:]), dtype=torch.float64)
    else:
        if generator is None:
            raise ValueError("a random drift direction needs a seeded generator")
        d = unit_rms_direction(e0.shape[1:], generator)
    k = torch.arange(idx.start, idx.stop, dtype=torch.float64).reshape(-1, *([1] * (e0.dim() - 1)))
    base = e0.double().cpu()
    out = base + (k * step) * d.unsqueeze(0)
    out[k.flatten() == 0] = base  # frame 0 is e_0 bit for bit
    return out.to(dtype=e0.dtype, device=e0.device)


def orthonormal_pair(shape: Sequence[int], generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Two seeded Gaussian directions of `shape`, orthonormal as flat vectors (Gram-Schmidt), float64."""
    u = torch.randn(tuple(shape), generator=generator, dtype=torch.float64, device="cpu")
    v = torch.randn(tuple(shape), generator=generator, dtype=torch.float64, device="cpu")
    u = u / u.norm().clamp_min(1e-300)
    v = v - (v * u).sum() * u
    return u, v / v.norm().clamp_min(1e-300)


def circle_walk(
    e0: Tensor,
    frames: int,
    radius: float,
    generator: torch.Generator,
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of e_k = e_0 + r (cos(phi_k) u + sin(phi_k) v), phi_k = 2 pi k / N.

    u, v: seeded orthonormal directions (orthonormal_pair) scaled to the RMS of e_0, so r is a
    fraction of the embedding's own size (|e_k - e_0| = r |e_0|). A closed walk: frame N would
    equal frame 0, which is e_0 + r u; the walk circles e_0 and never repeats a frame.
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if not math.isfinite(radius) or radius < 0:
        raise ValueError(f"radius must be a finite number >= 0, got {radius}")
    idx = schedule.window(frames, start_frame, frame_count)
    base = e0.double().cpu()
    u, v = orthonormal_pair(e0.shape[1:], generator)
    scale = base.norm()  # |u| = 1, so u |e_0| has the RMS of e_0
    phi = 2.0 * math.pi * torch.arange(idx.start, idx.stop, dtype=torch.float64) / frames
    shape = (-1, *([1] * (e0.dim() - 1)))
    offset = torch.cos(phi).reshape(shape) * u.unsqueeze(0) + torch.sin(phi).reshape(shape) * v.unsqueeze(0)
    return (base + radius * scale * offset).to(dtype=e0.dtype, device=e0.device)
