"""What Fast Walk Render changes in torch.compile: GroupNorm computed in its input's memory layout.

Pure torch (no ComfyUI import), so it is tested on the CPU with inductor's C++ backend. The norm
itself is latent_ops/group_norm.py (docs/SPEC.md, "Fast Walk Render (compiled sampling)").

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

from ..latent_ops import group_norm

OP = "meander::group_norm"


def register_op() -> None:
    """Define meander::group_norm once per process, as latent_ops.group_norm.group_norm_in_layout
    (CompositeImplicitAutograd: inductor traces through it to the reductions and the multiply-add)."""
    if hasattr(torch.ops.meander, "group_norm"):
        return
    torch.library.define(OP, "(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps) -> Tensor")
    torch.library.impl(OP, "CompositeImplicitAutograd")(group_norm.group_norm_in_layout)


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
        """The hash of this file and of the norm's: a changed pass or norm never reuses graphs that inductor
        cached for the old one."""
        return get_hash_for_files((__file__, group_norm.__file__))


def inductor_options(cuda_graphs: bool = False) -> dict:
    """torch.compile options (inductor config for this compile only) of Fast Walk Render."""
    return {"pre_grad_custom_pass": GroupNormInLayout(), "triton.cudagraphs": cuda_graphs}
