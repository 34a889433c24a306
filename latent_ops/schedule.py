"""Frame times and easing of walks (docs/SPEC.md, "Frame times and easing")."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


def _linear(t: Tensor) -> Tensor:
    """e(t) = t."""
    return t


def _smoothstep(t: Tensor) -> Tensor:
    """e(t) = 3 t^2 - 2 t^3: zero slope at both ends."""
    return t * t * (3.0 - 2.0 * t)


def _cosine(t: Tensor) -> Tensor:
    """e(t) = (1 - cos(pi t)) / 2: cosine ease-in-out."""
    return (1.0 - torch.cos(math.pi * t)) / 2.0


def _ease_in(t: Tensor) -> Tensor:
    """e(t) = t^2: starts slow, ends fast."""
    return t * t


def _ease_out(t: Tensor) -> Tensor:
    """e(t) = 1 - (1 - t)^2: starts fast, ends slow."""
    return 1.0 - (1.0 - t) ** 2


EASINGS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": _linear,
    "smoothstep": _smoothstep,
    "cosine": _cosine,
    "ease_in": _ease_in,
    "ease_out": _ease_out,
}


def ease(t: Tensor, easing: str) -> Tensor:
    """Apply the named easing e with e(0) = 0 and e(1) = 1 exactly, clamped to [0, 1]."""
    try:
        fn = EASINGS[easing]
    except KeyError:
        raise ValueError(f"easing must be one of {', '.join(EASINGS)}, got {easing!r}") from None
    return fn(t).clamp(0.0, 1.0)


def frame_times(frames: int, closed: bool = False) -> Tensor:
    """Times t_k of the frames k = 0..N-1 of one segment, float64.

    Open walk: t_k = k / (N - 1), both endpoints are frames (N = 1 gives t_0 = 0).
    Closed walk (loop): t_k = k / N, so the frame after the last would equal the first.
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    k = torch.arange(frames, dtype=torch.float64)
    if closed:
        return k / frames
    return k / max(frames - 1, 1)


def window(total: int, start_frame: int, frame_count: int) -> range:
    """Frame indices [start, start + count) of a walk of `total` frames; count 0 means to the end."""
    if total < 1:
        raise ValueError(f"the walk has no frames (total {total}): give it at least 1 frame")
    if start_frame < 0 or start_frame >= total:
        raise ValueError(f"start_frame must be in 0..{total - 1} for a walk of {total} frames, got {start_frame}")
    if frame_count < 0:
        raise ValueError(f"frame_count must be >= 0 (0 = to the end of the walk), got {frame_count}")
    stop = total if frame_count == 0 else start_frame + frame_count
    if stop > total:
        raise ValueError(
            f"start_frame + frame_count = {stop} is past the end of the walk ({total} frames): "
            f"lower frame_count to at most {total - start_frame} or set it to 0 for the rest"
        )
    return range(start_frame, stop)


def chain_length(keyframes: int, frames_per_segment: int, closed: bool = False) -> int:
    """Frames of a chain of K keyframes with F frames per segment: (K - 1) F + 1 open, K F closed."""
    if keyframes < 2:
        raise ValueError(f"a chain needs at least 2 keyframes, got {keyframes}")
    if frames_per_segment < 1:
        raise ValueError(f"frames_per_segment must be >= 1, got {frames_per_segment}")
    return keyframes * frames_per_segment if closed else (keyframes - 1) * frames_per_segment + 1


def chain_times(keyframes: int, frames_per_segment: int, closed: bool, frames: range) -> tuple[Tensor, Tensor]:
    """Segment index i_j (int64) and time t_j in [0, 1] (float64) of each chain frame j in `frames`.

    Segment i runs from keyframe i to keyframe i + 1 (K - 1 back to 0 when closed) and emits
    its frames at t = m / F, m = 0..F-1: its start but not its end, so no frame repeats at a
    joint. i_j = j // F, t_j = (j mod F) / F; the last frame of an open chain, j = (K - 1) F,
    is the end of the last segment: (K - 2, 1.0).
    """
    total = chain_length(keyframes, frames_per_segment, closed)
    if frames.start < 0 or frames.stop > total:
        raise ValueError(f"frames {frames.start}..{frames.stop - 1} are outside the chain's {total} frames")
    j = torch.arange(frames.start, frames.stop, dtype=torch.int64)
    segment = torch.div(j, frames_per_segment, rounding_mode="floor")
    t = (j - segment * frames_per_segment).to(torch.float64) / frames_per_segment
    if not closed:
        last = j == total - 1
        segment = torch.where(last, torch.full_like(segment, keyframes - 2), segment)
        t = torch.where(last, torch.ones_like(t), t)
    return segment, t


def ping_pong_order(frames: int) -> list[int]:
    """Frame order of a ping-pong ("rubber band") of N frames: 0..N-1 then N-2..1 (2N - 2 frames).

    The return leg leaves out both ends, so the looped video shows no frame twice in a row.
    N = 1 gives [0]; N = 2 gives [0, 1].
    """
    if frames < 1:
        raise ValueError(f"a ping-pong needs at least 1 frame, got {frames}")
    return list(range(frames)) + list(range(frames - 2, 0, -1))


def ping_pong(frames: Tensor) -> Tensor:
    """The batch `frames` (N, ...) in ping-pong order (2N - 2, ...): a new tensor, same dtype and device."""
    order = torch.tensor(ping_pong_order(frames.shape[0]), dtype=torch.int64, device=frames.device)
    return frames.index_select(0, order)
