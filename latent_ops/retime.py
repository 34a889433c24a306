"""Time warps: walks whose frame times are given, not fixed to k / (N - 1).

A time warp W maps the frame position u = k / (N - 1) of an open walk of N frames to the walk's
time t = W(u) in [0, 1] (what an easing does, but measured or derived rather than chosen). It
is piecewise linear through knots (u_i, t_i) with u_0 = t_0 = 0 and u_K = t_K = 1, both
non-decreasing, so any frame count can sample it and frame k stays a pure function of k.

- even_warp: from a coarse render's frame-to-frame distances, the warp that makes the
  image-space distance between frames even (arc-length re-parametrisation).
- paced_warp: from a per-frame speed (e.g. audio energy), the warp whose steps follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class TimeWarp:
    """Piecewise-linear W: [0, 1] -> [0, 1] through knots (u_i, t_i), float64 on the CPU.

    A knot u may repeat (a vertical step: the walk jumps over a stretch the coarse render saw
    as still); W(0) = 0 and W(1) = 1 exactly.
    """

    u: Tensor
    t: Tensor

    def __post_init__(self) -> None:
        u, t = self.u, self.t
        if u.dim() != 1 or u.shape != t.shape or u.numel() < 2:
            raise ValueError(f"a time warp needs two 1D knot tensors of equal length >= 2, got {tuple(u.shape)} and {tuple(t.shape)}")
        if not (bool(torch.isfinite(u).all()) and bool(torch.isfinite(t).all())):
            raise ValueError("a time warp's knots must be finite")
        if float(u[0]) != 0.0 or float(u[-1]) != 1.0 or float(t[0]) != 0.0 or float(t[-1]) != 1.0:
            raise ValueError("a time warp must run from (0, 0) to (1, 1)")
        if bool((u.diff() < 0).any()) or bool((t.diff() < 0).any()):
            raise ValueError("a time warp's knots must be non-decreasing")

    def __call__(self, x: Tensor) -> Tensor:
        """W(x) for positions x in [0, 1] (clamped), float64; linear between knots."""
        x = x.to(torch.float64).clamp(0.0, 1.0)
        last = self.u.numel() - 2
        i = (torch.searchsorted(self.u, x, right=True) - 1).clamp(0, last)
        u0, u1, t0, t1 = self.u[i], self.u[i + 1], self.t[i], self.t[i + 1]
        span = u1 - u0
        frac = torch.where(span > 0, (x - u0) / torch.where(span > 0, span, torch.ones_like(span)), torch.ones_like(x))
        out = t0 + frac.clamp(0.0, 1.0) * (t1 - t0)
        out = torch.where(x <= 0.0, torch.zeros_like(out), out)
        return torch.where(x >= 1.0, torch.ones_like(out), out)

    def blend(self, strength: float) -> TimeWarp:
        """W_s(u) = (1 - s) u + s W(u): strength 0 is the identity (linear timing), 1 is W itself."""
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"strength must be in 0..1, got {strength}")
        return TimeWarp(self.u, (1.0 - strength) * self.u + strength * self.t)

    def frame_times(self, frames: int, start_frame: int = 0, frame_count: int = 0) -> Tensor:
        """t_k = W(k / (N - 1)) of frames [start, start + count) of an open walk of N frames, float64."""
        from . import schedule

        if frames < 2:
            raise ValueError(f"frames must be >= 2 for an open walk, got {frames}")
        idx = schedule.window(frames, start_frame, frame_count)
        return self(schedule.frame_times(frames)[idx.start : idx.stop])


def identity() -> TimeWarp:
    """W(u) = u: linear timing."""
    return TimeWarp(torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64))


def even_warp(distances: Tensor, coarse_times: Tensor | None = None) -> TimeWarp:
    """The warp that makes frame-to-frame distances even, from a coarse render's distances.

    A coarse open walk of M frames at walk times tau_0 = 0 .. tau_{M-1} = 1 (linear by default:
    tau_k = k / (M - 1)) measured distances d_k between frames k and k + 1. Assuming constant
    speed inside each coarse step, the distance travelled up to tau_k is s_k = d_0 + .. + d_{k-1}
    (s_0 = 0, total S). The even warp is the inverse of s / S: knots (u_k, t_k) = (s_k / S, tau_k),
    so frame j of N lands where the travelled distance is j S / (N - 1). A walk that did not move
    (S = 0) keeps linear timing.
    """
    d = distances.detach().to(device="cpu", dtype=torch.float64).reshape(-1)
    if d.numel() < 1:
        raise ValueError("even re-timing needs a coarse render of at least 2 frames")
    if not bool(torch.isfinite(d).all()) or bool((d < 0).any()):
        raise ValueError("the coarse render's distances must be finite and >= 0")
    if coarse_times is None:
        tau = torch.arange(d.numel() + 1, dtype=torch.float64) / d.numel()
    else:
        tau = coarse_times.detach().to(device="cpu", dtype=torch.float64).reshape(-1)
        if tau.numel() != d.numel() + 1:
            raise ValueError(f"coarse_times must have one more entry than distances, got {tau.numel()} and {d.numel()}")
    s = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(d, 0)])
    total = float(s[-1])
    if total == 0.0:
        return identity()
    u = s / total
    u[-1] = 1.0
    tau = tau.clone()
    tau[0], tau[-1] = 0.0, 1.0
    return TimeWarp(u, tau)


def paced_warp(speed: Tensor) -> TimeWarp:
    """The warp whose step into frame k is proportional to speed_k (k = 1..N-1; speed_0 is unused).

    t_0 = 0, t_k = (v_1 + .. + v_k) / (v_1 + .. + v_{N-1}), knots (k / (N - 1), t_k): a walk of the
    same N frames sampled with it moves v_k / sum(v) of the way between frames k - 1 and k. All
    speeds zero gives linear timing. Speeds must be finite and >= 0.
    """
    v = speed.detach().to(device="cpu", dtype=torch.float64).reshape(-1)
    if v.numel() < 2:
        raise ValueError(f"a paced walk needs at least 2 frames, got {v.numel()}")
    if not bool(torch.isfinite(v).all()) or bool((v < 0).any()):
        raise ValueError("speeds must be finite and >= 0")
    steps = v[1:]
    total = float(steps.sum())
    n = v.numel()
    u = torch.arange(n, dtype=torch.float64) / (n - 1)
    if total == 0.0:
        return TimeWarp(u, u.clone())
    t = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(steps, 0) / total])
    t[-1] = 1.0
    return TimeWarp(u, t.clamp(0.0, 1.0))
