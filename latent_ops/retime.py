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
    """W: [0, 1] -> [0, 1] through knots (u_i, t_i), float64 on the CPU, linear or monotone cubic between.

    A knot u may repeat (a vertical step: the walk jumps over a stretch the coarse render saw
    as still); W(0) = 0 and W(1) = 1 exactly.
    """

    u: Tensor
    t: Tensor
    cubic: bool = False

    def __post_init__(self) -> None:
        u, t = self.u, self.t
        if u.dim() != 1 or u.shape != t.shape or u.numel() < 2:
            raise ValueError("a time warp needs two 1D knot tensors of equal length >= 2, "
                             f"got {tuple(u.shape)} and {tuple(t.shape)}")
        if not (bool(torch.isfinite(u).all()) and bool(torch.isfinite(t).all())):
            raise ValueError("a time warp's knots must be finite")
        if float(u[0]) != 0.0 or float(u[-1]) != 1.0 or float(t[0]) != 0.0 or float(t[-1]) != 1.0:
            raise ValueError("a time warp must run from (0, 0) to (1, 1)")
        if bool((u.diff() < 0).any()) or bool((t.diff() < 0).any()):
            raise ValueError("a time warp's knots must be non-decreasing")

    def __call__(self, x: Tensor) -> Tensor:
        """W(x) for positions x in [0, 1] (clamped), float64.

        Linear between knots, or with cubic=True the monotone cubic Hermite (PCHIP, Fritsch-Carlson
        slopes: weighted harmonic mean of the neighbouring secants, 0 at a local extremum, the one
        secant at an end or beside a repeated knot), which passes through every knot, never
        decreases and follows a smooth curve sampled by the knots far more closely.
        """
        x = x.to(torch.float64).clamp(0.0, 1.0)
        u, t = self.u, self.t
        last = u.numel() - 2
        i = (torch.searchsorted(u, x, right=True) - 1).clamp(0, last)
        h = u.diff()
        ok = h > 0
        safe_h = torch.where(ok, h, torch.ones_like(h))
        frac = torch.where(ok[i], (x - u[i]) / safe_h[i], torch.ones_like(x)).clamp(0.0, 1.0)
        if self.cubic:
            m = self._slopes(h, ok, (t.diff() / safe_h))
            s2, s3 = frac * frac, frac * frac * frac
            out = ((2 * s3 - 3 * s2 + 1) * t[i] + (s3 - 2 * s2 + frac) * safe_h[i] * m[i]
                   + (-2 * s3 + 3 * s2) * t[i + 1] + (s3 - s2) * safe_h[i] * m[i + 1])
            out = torch.minimum(torch.maximum(out, t[i]), t[i + 1])
        else:
            out = t[i] + frac * (t[i + 1] - t[i])
        out = torch.where(x <= 0.0, torch.zeros_like(out), out)
        return torch.where(x >= 1.0, torch.ones_like(out), out)

    @staticmethod
    def _slopes(h: Tensor, ok: Tensor, delta: Tensor) -> Tensor:
        """PCHIP slopes at the knots from segment widths h, their validity and secants delta."""
        zero = torch.zeros(1, dtype=delta.dtype)
        d = torch.where(ok, delta, torch.zeros_like(delta))
        left_d, right_d = torch.cat([zero, d]), torch.cat([d, zero])
        left_ok = torch.cat([torch.zeros(1, dtype=torch.bool), ok])
        right_ok = torch.cat([ok, torch.zeros(1, dtype=torch.bool)])
        left_h, right_h = torch.cat([zero, h]), torch.cat([h, zero])
        w1, w2 = 2 * right_h + left_h, right_h + 2 * left_h
        both = left_ok & right_ok & (left_d > 0) & (right_d > 0)
        harmonic = (w1 + w2) / (w1 / torch.where(both, left_d, torch.ones_like(d[:1]).expand_as(left_d))
                                + w2 / torch.where(both, right_d, torch.ones_like(d[:1]).expand_as(right_d)))
        one_sided = torch.where(left_ok & ~right_ok, left_d, torch.where(right_ok & ~left_ok, right_d, zero))
        return torch.where(both, harmonic, one_sided)

    def blend(self, strength: float) -> TimeWarp:
        """W_s(u) = (1 - s) u + s W(u): strength 0 is the identity (linear timing), 1 is W itself."""
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"strength must be in 0..1, got {strength}")
        return TimeWarp(self.u, (1.0 - strength) * self.u + strength * self.t, self.cubic)

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
    tau_k = k / (M - 1)) measured distances d_k between frames k and k + 1. The distance travelled
    up to tau_k is s_k = d_0 + .. + d_{k-1} (s_0 = 0, total S). The even warp is the inverse of
    s / S: knots (u_k, t_k) = (s_k / S, tau_k), so frame j of N lands where the travelled distance
    is j S / (N - 1); between knots it is read as a monotone cubic (PCHIP), which follows a smooth
    walk's arc length far better than straight pieces (constant speed in each coarse step) do. A walk that did not move
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
    return TimeWarp(u, tau, cubic=True)


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
