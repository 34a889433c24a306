"""GroupNorm computed per channel first, so its output keeps the input's memory layout
(docs/SPEC.md, "Fast Walk Render (compiled sampling)").

Fast Walk Render compiles it in place of torch's GroupNorm (nodes/fast_backend.py): torch's
decomposition makes its input contiguous (NCHW) and reduces over (channels of a group) x
(positions), which inside a channels-last graph reads and writes across the layout.
"""

from __future__ import annotations

import torch


def group_norm_in_layout(x: torch.Tensor, groups: int, weight: torch.Tensor | None = None,
                         bias: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """torch.nn.functional.group_norm, reduced per channel first so the output keeps x's memory layout.

    With m_c and v_c the mean and (biased) variance of channel c over the positions (every channel
    has the same count), a group g of channels has

        mean_g = avg_{c in g} m_c,    var_g = avg_{c in g} v_c + avg_{c in g} (m_c - mean_g)^2

    (the law of total variance), and out = x * s_c + t_c with s_c = w_c / sqrt(var_g + eps) and
    t_c = b_c - mean_g * s_c. Both reductions run over the positions of one channel and the output
    is one multiply-add per element, so a channels-last x is read and written channels-last.
    Statistics in float32 (float64 for float64 input), as torch's own; the output has x's dtype.
    """
    batch, channels = x.shape[:2]
    per_group = channels // groups
    acc = x.to(torch.promote_types(x.dtype, torch.float32))
    var_c, mean_c = torch.var_mean(acc.reshape(batch, channels, -1), dim=-1, correction=0)
    mean_c = mean_c.view(batch, groups, per_group)
    mean = mean_c.mean(-1, keepdim=True)
    spread = (mean_c - mean).square().mean(-1, keepdim=True)
    var = var_c.view(batch, groups, per_group).mean(-1, keepdim=True) + spread
    scale = torch.rsqrt(var + eps).expand(batch, groups, per_group).reshape(batch, channels)
    if weight is not None:
        scale = scale * weight.to(acc.dtype)
    shift = -mean.expand(batch, groups, per_group).reshape(batch, channels) * scale
    if bias is not None:
        shift = shift + bias.to(acc.dtype)
    shape = (batch, channels) + (1,) * (x.ndim - 2)
    return (acc * scale.view(shape) + shift.view(shape)).to(x.dtype)
