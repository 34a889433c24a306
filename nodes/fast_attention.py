"""Attention for the compiled model: one opaque op around PyTorch's SDPA, cuDNN's kernel first.

Inside torch.compile, inductor lowers scaled_dot_product_attention itself and picks the layout of
q, k and v, which made cuDNN's attention kernel 20% slower than in the eager model on an H200
(benchmarks/fast_levers.py). Behind a custom op inductor sees only (batch, tokens, heads x width)
tensors in and out, and the kernel gets the same strided views the eager model gives it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

BACKENDS = [SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
"""SDPA backends in the order tried: cuDNN's is the fastest at SD's head widths (40, 80, 160) on Hopper."""


@torch.library.custom_op("meander::attention", mutates_args=())
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int) -> torch.Tensor:
    """softmax(q_h k_h^T / sqrt(d)) v_h for each of `heads` heads, with q, k, v as (batch, tokens, heads * d).

    Returns (batch, q tokens, heads * d_v), the heads side by side as ComfyUI's attention returns them.
    """
    b = q.shape[0]
    q, k, v = (t.view(b, -1, heads, t.shape[-1] // heads).transpose(1, 2) for t in (q, k, v))
    with sdpa_kernel(BACKENDS, set_priority=True):
        out = F.scaled_dot_product_attention(q, k, v)
    return out.transpose(1, 2).reshape(b, -1, v.shape[1] * v.shape[-1])


@attention.register_fake
def _(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int) -> torch.Tensor:
    return q.new_empty(q.shape[0], q.shape[1], v.shape[2])


def attention_override(func, q, k, v, heads, mask=None, skip_reshape=False, skip_output_reshape=False, **kwargs):
    """ComfyUI's `optimized_attention_override`: unmasked (batch, tokens, channels) attention on CUDA goes
    through `attention`; everything else (masks, pre-split heads, the CPU) to the host's own function."""
    if mask is None and not skip_reshape and not skip_output_reshape and q.is_cuda and q.dim() == 3:
        return attention(q, k, v, heads)
    return func(q, k, v, heads, mask=mask, skip_reshape=skip_reshape, skip_output_reshape=skip_output_reshape,
                **kwargs)
