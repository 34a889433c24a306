"""lerp, nlerp and slerp of latents, vectorised over frames (docs/SPEC.md, "Interpolation").

Every function takes `a` and `b` of shape (N, *S) (or broadcastable to it, e.g. (1, *S)) and
times `t` of shape (N,), and returns frame k = interp(a_k, b_k, t_k) of shape (N, *S). Each
frame is treated as one flat vector over S. The math runs in float32 (float64 stays float64)
and the result has the dtype and device of `a`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

SLERP_PARALLEL_THRESHOLD = 0.9995
"""|cos theta| above which slerp falls back to lerp (DOT_THRESHOLD of stablediffusionwalk.py)."""


def _work_dtype(x: Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _prepare(a: Tensor, b: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Broadcast a and b to (N, *S) in the working dtype and shape t as (N, 1, ..., 1)."""
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"a and b must have the same frame shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if t.dim() != 1:
        raise ValueError(f"t must be a 1D tensor of frame times, got shape {tuple(t.shape)}")
    n = t.shape[0]
    for name, x in (("a", a), ("b", b)):
        if x.dim() < 1 or x.shape[0] not in (1, n):
            raise ValueError(f"{name} must hold 1 or {n} frames (one per time t), got shape {tuple(x.shape)}")
    dtype = _work_dtype(a)
    a = a.to(dtype).expand(n, *a.shape[1:])
    b = b.to(device=a.device, dtype=dtype).expand(n, *b.shape[1:])
    t = t.to(device=a.device, dtype=dtype).reshape(n, *([1] * (a.dim() - 1)))
    return a, b, t


def lerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """(1 - t) a + t b. For independent a, b ~ N(0, I) the variance is (1 - t)^2 + t^2."""
    out_dtype = a.dtype
    a, b, t = _prepare(a, b, t)
    return ((1.0 - t) * a + t * b).to(out_dtype)


def nlerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """lerp(a, b, t) rescaled per frame to the interpolated norm (1 - t)|a| + t|b|.

    frame = lerp * ((1 - t)|a| + t|b|) / |lerp|, norms over the whole frame. For independent
    Gaussian endpoints |lerp| ~ sqrt((1 - t)^2 + t^2) |a|, so this is the textbook
    lerp / sqrt((1 - t)^2 + t^2) and keeps unit variance; unlike that formula it also keeps equal
    endpoints still (a == b gives a at every t) and never inflates correlated ones. Where
    |lerp| = 0 (b a negative multiple of a) the frame is lerp itself, zero, never NaN.
    nlerp(a, b, 0) == a and nlerp(a, b, 1) == b up to float rounding.
    """
    out_dtype = a.dtype
    a, b, t = _prepare(a, b, t)
    n = a.shape[0]
    mixed = (1.0 - t) * a + t * b
    norm = mixed.reshape(n, -1).double().norm(dim=1)
    target = (1.0 - t.reshape(n).double()) * a.reshape(n, -1).double().norm(dim=1) \
        + t.reshape(n).double() * b.reshape(n, -1).double().norm(dim=1)
    scale = torch.where(norm > 0, target / norm.clamp_min(1e-300), torch.ones_like(norm))
    return (mixed * scale.to(a.dtype).reshape(n, *([1] * (a.dim() - 1)))).to(out_dtype)


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """sin((1 - t) theta) / sin(theta) a + sin(t theta) / sin(theta) b, per frame.

    theta = arccos(clamp(<a/|a|, b/|b|>, -1, 1)) with the dot product in float64. Where
    |cos theta| > 0.9995 (parallel or opposite endpoints) the frame is lerp(a, b, t), with the
    weights (1 - t, t) in that order. Zero-norm endpoints count as orthogonal (theta = pi / 2),
    so no input gives NaN. slerp(a, b, 0) == a and slerp(a, b, 1) == b exactly.
    """
    out_dtype = a.dtype
    a, b, t = _prepare(a, b, t)
    n = a.shape[0]
    af = a.reshape(n, -1).double()
    bf = b.reshape(n, -1).double()
    norms = af.norm(dim=1) * bf.norm(dim=1)
    cos = torch.where(norms > 0, (af * bf).sum(dim=1) / norms.clamp_min(1e-300), torch.zeros_like(norms))
    cos = cos.clamp(-1.0, 1.0)
    theta = torch.arccos(cos)
    sin_theta = torch.sin(theta)
    parallel = cos.abs() > SLERP_PARALLEL_THRESHOLD
    td = t.reshape(n).double()
    safe_sin = torch.where(parallel, torch.ones_like(sin_theta), sin_theta)
    wa = torch.where(parallel, 1.0 - td, torch.sin((1.0 - td) * theta) / safe_sin)
    wb = torch.where(parallel, td, torch.sin(td * theta) / safe_sin)
    shape = (n, *([1] * (a.dim() - 1)))
    wa = wa.to(a.dtype).reshape(shape)
    wb = wb.to(a.dtype).reshape(shape)
    return (wa * a + wb * b).to(out_dtype)


METHODS: dict[str, Callable[[Tensor, Tensor, Tensor], Tensor]] = {
    "slerp": slerp,
    "nlerp": nlerp,
    "lerp": lerp,
}


def interpolate(a: Tensor, b: Tensor, t: Tensor, method: str) -> Tensor:
    """Dispatch to lerp, nlerp or slerp by name."""
    try:
        fn = METHODS[method]
    except KeyError:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}") from None
    return fn(a, b, t)
