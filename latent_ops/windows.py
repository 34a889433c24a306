"""Latent translation windows: pans and wipes across a strip of latents (docs/SPEC.md, "Latent translation windows").

K latents z_0 .. z_{K-1}, each of shape (*P, H, W) (P is C, or C x T for video latents), are
concatenated along W (axis "width") or H (axis "height") into one strip of length L_s = K S,
S being the latents' size along that axis. A pan's frame at offset o is the window
`strip[..., o : o + S]` along the axis (operator T of "Exploring the latent space"); a wipe's frame
at offset o = i S + t keeps the first S - t rows/columns of z_i and takes the last t of z_{i+1}
in place, without shifting.

Offsets. An open pan travels L = (K - 1) S and has N = ceil(L / stride) + 1 frames with
o_k = L e(k / (N - 1)), so frame 0 is z_0 and frame N - 1 is z_{K-1}. A loop travels L = K S
around the strip joined end to start (indices mod K S) and has N = ceil(L / stride) frames with
o_k = L e(k / N): the frame after the last would be frame 0 again. e is the easing. Ping-pong
(open only) appends frames N - 2 .. 1.

Fractional offsets (o = n + f, 0 < f < 1) are resampled along the axis by `subpixel`:
- "round": o is rounded to a whole latent pixel; every frame is an exact slice of the strip.
  A whole latent pixel is 8 image pixels, so slow pans judder.
- "lerp": each output row/column is (1 - f) x_n + f x_{n+1}. Smooth for sampled latents, but
  for i.i.d. unit Gaussian noise the variance drops to (1 - f)^2 + f^2 (0.5 at f = 0.5): the
  frames pulse between sharp and blurred.
- "nlerp": lerp / sqrt((1 - f)^2 + f^2): unit variance again for i.i.d. Gaussian noise, but
  neighbouring rows/columns along the axis become correlated, with correlation
  f (1 - f) / ((1 - f)^2 + f^2) (0.5 at f = 0.5): the noise is no longer white along the axis,
  which a diffusion model reads as softer, lower-frequency structure.
A wipe resamples only its boundary row/column the same way (the blend of z_i and z_{i+1}).

All functions are vectorised over frames, compute in float32 (float64 stays float64) and return
the latents' dtype and device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from . import schedule

LATENT_DOWNSCALE = 8
LATENT_CHANNELS = 4
"""Channels of the empty latent a walk node makes, as core EmptyLatentImage: the sampler widens them
to the model's (16 for SD3 / Flux) before it asks the walk for noise."""
"""Image pixels per latent pixel along each axis (the SD-family VAEs): a W-pixel-wide image is W / 8 wide."""
AXES = {"width": -1, "height": -2}
SUBPIXEL = ("round", "lerp", "nlerp")
MOTIONS = ("pan", "wipe")
_SNAP = 1e-6
"""Offsets this close to a whole latent pixel count as whole (easing rounding noise)."""


def _work_dtype(x: Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _axis(axis: str) -> int:
    try:
        return AXES[axis]
    except KeyError:
        raise ValueError(f"axis must be one of {', '.join(AXES)}, got {axis!r}") from None


def stack_latents(parts: Sequence[Tensor], names: Sequence[str] | None = None) -> Tensor:
    """Concatenate batches of latents (each (B_i, *S)) into one (K, *S) batch, K = sum B_i.

    Every part must have the same shape after the batch (channels, frames, height, width):
    latents are never resized, a mismatch is a ValueError naming both inputs.
    """
    if not parts:
        raise ValueError("no latents given: connect at least one latent batch")
    names = list(names) if names is not None else [f"latents {i}" for i in range(len(parts))]
    first = parts[0]
    for name, part in zip(names[1:], parts[1:], strict=True):
        if part.shape[1:] != first.shape[1:]:
            raise ValueError(
                f"{name} has latents of shape {tuple(part.shape[1:])} but {names[0]} has {tuple(first.shape[1:])} "
                "(channels x height x width): a strip joins latents of the same model and size only; "
                "make them the same size (e.g. generate both at the same width and height), they are never resized"
            )
    return torch.cat([p.to(device=first.device, dtype=first.dtype) for p in parts], dim=0)


def make_strip(latents: Tensor, axis: str = "width") -> Tensor:
    """The strip z_0 | z_1 | ... | z_{K-1} of a (K, *P, H, W) batch, concatenated along the axis.

    Shape (*P, H, K W) for axis "width", (*P, K H, W) for "height".
    """
    dim = _axis(axis)
    if latents.dim() < 3:
        raise ValueError(f"latents must be (K, channels, ..., height, width), got shape {tuple(latents.shape)}")
    return torch.cat(list(latents.unbind(0)), dim=dim)


def pan_length(count: int, size: int, stride: float, loop: bool = False, ping_pong: bool = False) -> int:
    """Frames N of a pan over `count` latents of `size` latent pixels along the axis.

    Open: ceil((K - 1) S / stride) + 1 (= (K - 1) S / stride + 1 when stride divides the travel).
    Loop: ceil(K S / stride). Ping-pong (open only): 2 N - 2.
    """
    if not stride > 0 or not math.isfinite(stride):
        raise ValueError(f"stride must be > 0 latent pixels per frame, got {stride}")
    if size < 1:
        raise ValueError(f"the latents must be at least 1 latent pixel along the axis, got {size}")
    if loop:
        if count < 1:
            raise ValueError(f"a looping pan needs at least 1 latent, got {count}")
        if ping_pong:
            raise ValueError("ping_pong needs an open pan: turn loop off (a loop already comes back to its start)")
        return max(1, math.ceil(count * size / stride - _SNAP))
    if count < 2:
        raise ValueError(
            f"an open pan needs at least 2 latents to travel across, got {count}: "
            "add latents (a batch, or the second input) or turn loop on"
        )
    n = math.ceil((count - 1) * size / stride - _SNAP) + 1
    return 2 * n - 2 if ping_pong else n


def pan_offsets(
    count: int,
    size: int,
    stride: float,
    loop: bool = False,
    ping_pong: bool = False,
    easing: str = "linear",
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Offsets o_k (float64, latent pixels along the strip) of frames [start, start + count).

    Open: o_k = (K - 1) S e(k / (N - 1)); loop: o_k = K S e(k / N); ping-pong maps frame
    N - 1 + j to frame N - 1 - j. Offsets within 1e-6 of a whole number are snapped to it.
    """
    total = pan_length(count, size, stride, loop, ping_pong)
    idx = schedule.window(total, start_frame, frame_count)
    k = torch.arange(idx.start, idx.stop, dtype=torch.float64)
    if loop:
        n = total
        t = k / n
        travel = count * size
    else:
        n = math.ceil((count - 1) * size / stride - _SNAP) + 1
        k = torch.where(k > n - 1, 2 * (n - 1) - k, k)
        t = k / max(n - 1, 1)
        travel = (count - 1) * size
    offsets = schedule.ease(t, easing) * travel
    whole = torch.round(offsets)
    return torch.where((offsets - whole).abs() < _SNAP, whole, offsets)


def _resample_weights(offsets: Tensor, subpixel: str) -> tuple[Tensor, Tensor]:
    """(n, f): whole part and fraction of each offset after the subpixel rule."""
    if subpixel not in SUBPIXEL:
        raise ValueError(f"subpixel must be one of {', '.join(SUBPIXEL)}, got {subpixel!r}")
    if subpixel == "round":
        return torch.round(offsets).long(), torch.zeros_like(offsets)
    n = torch.floor(offsets)
    return n.long(), offsets - n


def _blend(a: Tensor, b: Tensor, f: Tensor, subpixel: str) -> Tensor:
    """(1 - f) a + f b, divided by sqrt((1 - f)^2 + f^2) for nlerp. f broadcasts against a."""
    out = (1.0 - f) * a + f * b
    if subpixel == "nlerp":
        out = out / torch.sqrt((1.0 - f) ** 2 + f**2)
    return out


def pan_windows(latents: Tensor, offsets: Tensor, axis: str = "width", loop: bool = False,
                subpixel: str = "round") -> Tensor:
    """Frame k = strip[..., o_k : o_k + S] along the axis, for a (K, *P, H, W) batch of latents.

    Whole offsets give exact slices; fractional ones are resampled by `subpixel` (module doc).
    With loop, strip indices wrap mod K S. Returns (len(offsets), *P, H, W).
    """
    dim = _axis(axis)
    out_dtype = latents.dtype
    strip = make_strip(latents, axis).to(_work_dtype(latents)).movedim(dim, -1)
    length = strip.shape[-1]
    size = latents.shape[dim]
    whole, frac = _resample_weights(offsets.to(torch.float64), subpixel)
    j = torch.arange(size)
    first = whole[:, None] + j[None, :]
    second = first + 1
    if loop:
        first, second = first % length, second % length
    else:
        if int(whole.min()) < 0 or int(first.max()) > length - 1:
            raise ValueError(f"offsets must lie in 0..{length - size} for an open pan, got {offsets.tolist()}")
        second = second.clamp(max=length - 1)
    device = strip.device
    a = strip[..., first.to(device)]  # (*P', N, S)
    frames = a
    if subpixel != "round":
        b = strip[..., second.to(device)]
        f = frac.to(device=device, dtype=strip.dtype)[:, None]
        frames = _blend(a, b, f, subpixel)
    frames = frames.movedim(-2, 0).movedim(-1, dim)
    return frames.to(out_dtype)


def wipe_windows(latents: Tensor, offsets: Tensor, axis: str = "width", loop: bool = False,
                 subpixel: str = "round") -> Tensor:
    """Frame at o = i S + t: z_i in rows/columns [0, S - t), z_{i+1} in [S - t, S), in place.

    z_{i+1} is z_0 again past the last latent when loop is on. A fractional t blends the one
    boundary row/column: mask m_j = clamp(S - t - j, 0, 1) and frame = m z_i + (1 - m) z_{i+1}
    (divided by sqrt(m^2 + (1 - m)^2) for nlerp). Returns (len(offsets), *P, H, W).
    """
    dim = _axis(axis)
    out_dtype = latents.dtype
    count = latents.shape[0]
    size = latents.shape[dim]
    z = latents.to(_work_dtype(latents))
    off = offsets.to(torch.float64)
    if subpixel not in SUBPIXEL:
        raise ValueError(f"subpixel must be one of {', '.join(SUBPIXEL)}, got {subpixel!r}")
    if subpixel == "round":
        off = torch.round(off)
    seg = torch.floor(off / size).long()
    t = off - seg * size
    if loop:
        seg = seg % count
        nxt = (seg + 1) % count
    else:
        last = count - 1
        at_end = seg >= last
        seg = torch.where(at_end, torch.full_like(seg, max(last - 1, 0)), seg)
        t = torch.where(at_end, off - seg * size, t)
        nxt = (seg + 1).clamp(max=last)
    j = torch.arange(size, dtype=torch.float64)
    mask = (size - t[:, None] - j[None, :]).clamp(0.0, 1.0)  # (N, S): 1 keeps z_i
    shape = [len(off)] + [1] * (z.dim() - 1)
    shape[dim] = size
    device = z.device
    m = mask.to(device=device, dtype=z.dtype).reshape(shape)
    a = z[seg.to(device)]
    b = z[nxt.to(device)]
    frames = m * a + (1.0 - m) * b
    if subpixel == "nlerp":
        frames = frames / torch.sqrt(m**2 + (1.0 - m) ** 2)
    return frames.to(out_dtype)


def translate(
    latents: Tensor,
    stride: float = 1.0,
    axis: str = "width",
    motion: str = "pan",
    loop: bool = False,
    ping_pong: bool = False,
    easing: str = "linear",
    subpixel: str = "round",
    start_frame: int = 0,
    frame_count: int = 0,
) -> Tensor:
    """Frames [start, start + count) of a pan or wipe across the (K, *P, H, W) latents.

    Open pan: frame 0 == z_0, frame N - 1 == z_{K-1}, N = ceil((K - 1) S / stride) + 1.
    See the module doc for offsets, loops and subpixel resampling.
    """
    if motion not in MOTIONS:
        raise ValueError(f"motion must be one of {', '.join(MOTIONS)}, got {motion!r}")
    if latents.dim() < 3:
        raise ValueError(f"latents must be (K, channels, ..., height, width), got shape {tuple(latents.shape)}")
    size = latents.shape[_axis(axis)]
    offsets = pan_offsets(latents.shape[0], size, stride, loop, ping_pong, easing, start_frame, frame_count)
    fn = pan_windows if motion == "pan" else wipe_windows
    return fn(latents, offsets, axis, loop, subpixel)
