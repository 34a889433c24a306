"""The fast walk render mode: compile the diffusion model and the VAE decoder once for a walk's fixed batch shape."""

from __future__ import annotations

import copy
import functools
import importlib.util
import logging
import os
from collections import Counter
from pathlib import Path

import comfy.model_management
import folder_paths
import torch
from comfy.patcher_extension import WrappersMP
from torch._inductor.runtime.cache_dir_utils import default_cache_dir

from .comfy import io, schema, set_torch_compile_wrapper
from .fast_backend import inductor_options

MODES = {
    "compile": False,
    "compile + CUDA graphs": True,
    "off": None,
}
"""Widget choice -> whether inductor replays each call as a CUDA graph (None: no compile)."""
CUDNN_KEY = "meander.cudnn_benchmark"
BLOCK_LISTS = ("double_blocks", "single_blocks", "joint_blocks", "transformer_blocks", "blocks")
"""A transformer diffusion model's lists of repeated blocks (Flux and HunyuanVideo: double and single; SD3:
joint; LTX-Video: transformer; Wan: blocks)."""
CACHE_ENV = "TORCHINDUCTOR_CACHE_DIR"
"""Where inductor keeps its on-disk caches (FX graphs, AOTAutograd graphs, Triton kernels, autotuning)."""


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


def persistent_compile_cache() -> Path:
    """The folder inductor caches compiled graphs and kernels in, made to outlive the process.

    Unless the user chose one (TORCHINDUCTOR_CACHE_DIR), it is `meander/torch_compile` in ComfyUI's
    user folder, which ComfyUI never clears (its temp folder is emptied at every start, and torch's
    default lies in /tmp). Inductor writes that default into the variable the first time it looks
    (ComfyUI's start already does), so the variable is the user's choice only when it differs. Inductor
    reads it at each compile, so a later process with the same model, batch shape and torch version
    loads the compiled kernels instead of building them.
    """
    chosen = os.environ.get(CACHE_ENV)
    if chosen and os.path.abspath(chosen) != os.path.abspath(default_cache_dir()):
        return Path(chosen)
    path = Path(folder_paths.get_user_directory()) / "meander" / "torch_compile"
    path.mkdir(parents=True, exist_ok=True)
    os.environ[CACHE_ENV] = str(path)
    return path


def compile_unavailable(device: torch.device) -> str | None:
    """Why torch.compile cannot speed up sampling on `device`, or None when it can."""
    if device.type != "cuda":
        return f"the model runs on {device.type}, and compiling only pays off on an NVIDIA GPU"
    if torch.cuda.get_device_capability(device) < (7, 0):
        return "this GPU is older than Volta (compute capability 7.0), which Triton needs"
    if importlib.util.find_spec("triton") is None:
        return "Triton is not installed"
    return None


def compile_keys(diffusion_model: torch.nn.Module) -> list[str]:
    """What Fast Walk Render compiles, as keys of ComfyUI's model: every block of a transformer's block
    lists (BLOCK_LISTS) on its own, or the whole diffusion model when it has none (a UNet: SD1.5, SDXL).

    Compiling block by block ("regional compilation") traces one block and reuses its kernels for every
    block of the same kind, since torch.compile's code cache serves all instances of a module class:
    Flux dev's 19 + 38 blocks compile as two, Wan's 30 or 40 as one, instead of one graph of the whole
    network whose compile grows with its depth. The few layers around the blocks stay as they are.
    """
    keys = [f"diffusion_model.{name}.{i}" for name in BLOCK_LISTS
            if isinstance(blocks := getattr(diffusion_model, name, None), torch.nn.ModuleList)
            for i in range(len(blocks))]
    return keys or ["diffusion_model"]


def compiled_decoder_vae(vae, backend: str = "inductor"):
    """A copy of `vae` whose decoder network runs through torch.compile (static shapes, cuDNN benchmark mode,
    inductor_options: GroupNorm in the convolutions' layout).

    ComfyUI's VAE.decode calls `first_stage_model.decode(latent)` on chunks of the batch, so the copy's
    network is a shallow copy of the original's with only that method replaced: weights, submodules
    and the model patcher (ComfyUI's memory management) are the original's, encode is untouched, and
    the VAE given in is left as it was. Image VAEs only (latents of 4 dimensions); a video or audio VAE
    is returned unchanged, since its decoders keep state across calls.
    """
    if getattr(vae, "latent_dim", 2) != 2:
        logging.info("Fast Walk Render (Meander): not compiling the decoder of a %s-D VAE.", vae.latent_dim)
        return vae
    network = copy.copy(vae.first_stage_model)
    options = {"options": inductor_options()} if backend == "inductor" else {}
    decode = torch.compile(vae.first_stage_model.decode, backend=backend, dynamic=False, **options)
    network.decode = functools.partial(cudnn_benchmark_call, decode)
    fast = copy.copy(vae)
    fast.first_stage_model = network
    return fast


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
            "fixed shape) runs faster on an NVIDIA GPU (on an H100 about 1.4x plain sampling for SD1.5, 1.3x for "
            "Flux dev, 1.5x with its fp8_e4m3fn_fast weights, 1.1x for Wan 2.1; GroupNorm is computed in the "
            "convolutions' memory layout). The first batch pays the compile (one to one and a half minutes for "
            "a UNet; 15 to 30 s for Flux and Wan, whose blocks are compiled one by one, one compile per kind of "
            "block); the compiled kernels are kept in ComfyUI's user folder under meander/torch_compile, so a "
            "later run on the same machine compiles in about 20 s. Keep the batch size fixed or each new size "
            "compiles again. Where "
            "compiling is unavailable (CPU, GPUs before Volta, no Triton) the model passes through unchanged and the "
            "log says why. Connect the VAE too and its decoder is compiled as well (about 1.8x faster decoding on an "
            "H100, 20 to 40 s more compile).",
            inputs=[
                io.Model.Input("model", tooltip="The model to sample the walk with."),
                io.Combo.Input("mode", options=list(MODES), default="compile",
                               tooltip="compile: inductor kernels, GroupNorm in the convolutions' layout (about "
                               "1.5 minutes to compile on a fresh H100, about 20 s once cached on the machine). "
                               "compile + CUDA graphs: also replays each step as one graph (for small batches; "
                               "more GPU memory). off: the model unchanged."),
                io.Vae.Input("vae", optional=True,
                             tooltip="Optional: the VAE that decodes the walk. Its decoder is compiled too (for "
                             "the walk's fixed batch); take the VAE output to VAE Decode."),
            ],
            outputs=[io.Model.Output(display_name="model",
                                     tooltip="The model, compiled at its first sampling step when available."),
                     io.Vae.Output(display_name="vae",
                                   tooltip="The VAE with its decoder compiled at its first decode (nothing when no "
                                   "VAE is connected).")],
        )

    @classmethod
    def execute(cls, model, mode: str, vae=None) -> io.NodeOutput:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if MODES[mode] is None:
            return io.NodeOutput(model, vae)
        reason = compile_unavailable(comfy.model_management.get_torch_device())
        if reason:
            logging.warning("Fast Walk Render (Meander): not compiling, %s; rendering with the plain model.", reason)
            return io.NodeOutput(model, vae)
        logging.info("Fast Walk Render (Meander): compile cache in %s", persistent_compile_cache())
        patched = model.clone()
        network = model.get_model_object("diffusion_model")
        keys = compile_keys(network)
        if keys != ["diffusion_model"]:
            kinds = Counter(key.split(".")[1] for key in keys)
            logging.info("Fast Walk Render (Meander): compiling %s block by block (%s), one compile per kind of "
                         "block.", type(network).__name__, ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
        set_torch_compile_wrapper(model=patched, backend="inductor", options=inductor_options(MODES[mode]),
                                  dynamic=False, keys=keys)
        patched.add_wrapper_with_key(WrappersMP.APPLY_MODEL, CUDNN_KEY, cudnn_benchmark_call)
        return io.NodeOutput(patched, None if vae is None else compiled_decoder_vae(vae))
