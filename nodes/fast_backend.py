"""What Fast Walk Render changes in torch.compile: GroupNorm computed in its input's memory layout.

Pure torch (no ComfyUI import), so it is tested on the CPU with inductor's C++ backend. The math is
docs/SPEC.md's "Fast Walk Render" section.

Inductor lays a UNet's convolutions out channels-last, but the GroupNorm decomposition torch ships
first makes its input contiguous (NCHW) and reduces over (channels of a group) x (positions): a
transposed read and a transposed write around every norm, which made GroupNorm + SiLU a fifth of
a compiled SD1.5 forward. Here a pre-grad pass (inductor's `pre_grad_custom_pass`, which its
caches key by `uuid()`) swaps every `group_norm` call of the traced graph for `meander::group_norm`,
whose decomposition reduces per channel and keeps the layout.
"""

from __future__ import annotations

import inspect

import torch
from torch._inductor.custom_graph_pass import CustomGraphPass, get_hash_for_files

OP = "meander::group_norm"


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


def register_op() -> None:
    """Define meander::group_norm once per process, as group_norm_in_layout (CompositeImplicitAutograd:
    inductor traces through it to the reductions and the multiply-add)."""
    if hasattr(torch.ops.meander, "group_norm"):
        return
    torch.library.define(OP, "(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps) -> Tensor")
    torch.library.impl(OP, "CompositeImplicitAutograd")(group_norm_in_layout)


def _torch_group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """The signature of torch.group_norm (its arguments as a traced graph may give them)."""


GROUP_NORM_ARGS = inspect.signature(_torch_group_norm)
GROUP_NORMS = (torch.group_norm, torch.nn.functional.group_norm)


class GroupNormInLayout(CustomGraphPass):
    """Pre-grad pass: every group_norm call of the graph becomes meander::group_norm."""

    def __call__(self, graph: torch.fx.Graph) -> None:
        register_op()
        op = torch.ops.meander.group_norm.default
        for node in [n for target in GROUP_NORMS for n in graph.find_nodes(op="call_function", target=target)]:
            args = GROUP_NORM_ARGS.bind(*node.args, **node.kwargs)
            args.apply_defaults()
            a = args.arguments
            node.target, node.kwargs = op, {}
            node.args = (a["input"], a["num_groups"], a["weight"], a["bias"], float(a["eps"]))

    def uuid(self) -> bytes:
        """This file's hash: a changed pass never reuses graphs that inductor cached for the old one."""
        return get_hash_for_files((__file__,))


def inductor_options(cuda_graphs: bool = False) -> dict:
    """torch.compile options (inductor config for this compile only) of Fast Walk Render."""
    return {"pre_grad_custom_pass": GroupNormInLayout(), "triton.cudagraphs": cuda_graphs}
