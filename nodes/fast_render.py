"""The fast walk render mode: compile the diffusion model once for a walk's fixed batch shape."""

from __future__ import annotations

import importlib.util
import logging

import comfy.model_management
import torch
from comfy.patcher_extension import WrappersMP

from .comfy import io, schema, set_torch_compile_wrapper

MODES = {
    "compile": "default",
    "compile + CUDA graphs": "reduce-overhead",
    "off": None,
}
"""Widget choice -> torch.compile mode (inductor backend, static shapes)."""
CUDNN_KEY = "meander.cudnn_benchmark"


def cudnn_benchmark_call(executor, *args, **kwargs):
    """One model call with cuDNN's benchmark mode on, the process's own setting restored after.

    The walk's batches all have one shape, so cuDNN may time its convolution kernels once and keep
    the fastest; only the compiled model's calls change, never the rest of ComfyUI.
    """
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        return executor(*args, **kwargs)
    finally:
        torch.backends.cudnn.benchmark = previous


def compile_unavailable(device: torch.device) -> str | None:
    """Why torch.compile cannot speed up sampling on `device`, or None when it can."""
    if device.type != "cuda":
        return f"the model runs on {device.type}, and compiling only pays off on an NVIDIA GPU"
    if torch.cuda.get_device_capability(device) < (7, 0):
        return "this GPU is older than Volta (compute capability 7.0), which Triton needs"
    if importlib.util.find_spec("triton") is None:
        return "Triton is not installed"
    return None


class MeanderFastRender(io.ComfyNode):
    """Compiles the model's diffusion network (torch.compile, inductor) for repeated fixed-shape batches."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderFastRender",
            search_aliases=["latent walk", "compile", "fast render"],
            display_name="Fast Walk Render (Meander)",
            category="latent/meander",
            description="Compiles the diffusion model once with torch.compile so every batch of a walk (one "
            "fixed shape) runs faster on an NVIDIA GPU. The first batch pays the compile (about a minute); keep "
            "the batch size fixed or each new size compiles again. Where compiling is unavailable (CPU, GPUs "
            "before Volta, no Triton) the model passes through unchanged and the log says why.",
            inputs=[
                io.Model.Input("model", tooltip="The model to sample the walk with."),
                io.Combo.Input("mode", options=list(MODES), default="compile",
                               tooltip="compile: inductor kernels (about a minute to compile on an H100). "
                               "compile + CUDA graphs: also replays each step as one graph (for small batches; "
                               "more GPU memory). off: the model unchanged."),
            ],
            outputs=[io.Model.Output(display_name="model",
                                     tooltip="The model, compiled at its first sampling step when available.")],
        )

    @classmethod
    def execute(cls, model, mode: str) -> io.NodeOutput:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if MODES[mode] is None:
            return io.NodeOutput(model)
        reason = compile_unavailable(comfy.model_management.get_torch_device())
        if reason:
            logging.warning("Fast Walk Render (Meander): not compiling, %s; rendering with the plain model.", reason)
            return io.NodeOutput(model)
        patched = model.clone()
        set_torch_compile_wrapper(model=patched, backend="inductor", mode=MODES[mode], dynamic=False)
        patched.add_wrapper_with_key(WrappersMP.APPLY_MODEL, CUDNN_KEY, cudnn_benchmark_call)
        return io.NodeOutput(patched)
