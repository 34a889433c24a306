"""Where a walk's GPU time goes, and what each speed lever does to it (a benchmark that prints figures).

    python -m benchmarks.fast_levers [--batch 32] [--size 512] [--json out.json]

Loads a random-weight SD1.5 checkpoint at full size through ComfyUI's own loader, and calls its
diffusion model directly at the batch a walk of B frames samples with CFG (2B: cond and uncond
in one call), so the figures are the UNet's alone, free of the sampler's and executor's costs:

  ceiling    the fp16 matrix rate of this GPU (an 8192^3 product) and its FLOP count per forward
             by op class (torch.utils.flop_counter.FlopCounterMode);
  attention  milliseconds per attention call of each SDPA backend at SD1.5's three head widths, and
             of cuDNN's with the heads zero-padded to a multiple of 64;
  levers     milliseconds per forward and TFLOP/s for: eager as loaded, eager with cuDNN's
             benchmark mode, eager channels-last (weights and input), torch.compile (the Fast Walk
             Render node's default), compile over channels-last weights, compile with inductor's
             freezing (weights as constants), compile with diffusers' inductor options for UNets
             (1x1 convolutions as matrix products, coordinate-descent tuning, no epilogue fusion),
             compiled without inductor's layout optimization (convolutions kept NCHW), compiled with
             1x1 convolutions as matrix products, compiled as Fast Walk Render compiles it (GroupNorm in
             the convolutions' layout, nodes/fast_backend.py);
             each with its kernel time per op class (convolution, layout copies, attention, matrix
             products, norms, element-wise) from torch.profiler, and each class's costliest kernels,
             and its largest difference from the eager fp16 output relative to the output's range,
             beside the fp16 model's own difference from the same model in fp32 (fp16 rounding);
  decode     the VAE decoder on B latents: eager as loaded, channels-last, compiled, compiled as Fast Walk
             Render compiles it; FLOPs and kernel classes.

Needs a CUDA GPU.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.profiler import ProfilerActivity, profile

from benchmarks.walk_speed import flop_counts, matmul_tflops, median_ms
from scripts import host
from tools.make_checkpoint import make_checkpoint

KERNEL_CLASSES = (
    ("layout", re.compile(r"nchwToNhwc|nhwcToNchw|nchw_to_nhwc|nhwc_to_nchw", re.I)),
    ("attention", re.compile(r"flash|fmha|sdpa|attention|attn", re.I)),
    ("norm", re.compile(r"norm|var_mean|RowwiseMoments|FusedParams", re.I)),
    ("elementwise", re.compile(r"^triton_(poi|per|red)_", re.I)),
    ("matmul", re.compile(r"^triton_tem_", re.I)),
    ("convolution", re.compile(r"conv|fprop|dgrad|implicit|winograd|xmma_fprop|cudnn", re.I)),
    ("matmul", re.compile(r"gemm|cutlass|nvjet|matmul|_mm_|Kernel2|cublas|sm90_xmma", re.I)),
)
"""Kernel name -> op class, first match wins (cuDNN's attention kernels say sdpa/attention)."""
TUNED = {"conv_1x1_as_mm": True, "coordinate_descent_tuning": True, "epilogue_fusion": False}
"""Inductor options that diffusers recommends for UNets (the `compile_tuned` lever)."""
NCHW = {"layout_optimization": False}
"""Inductor keeps convolutions in the model's own NCHW layout (by default it makes them channels-last)."""
LEVERS = {
    "eager": {"benchmark": False},
    "eager_benchmark": {},
    "eager_cl": {"channels_last": True},
    "compile": {"compile": {}},
    "compile_cl": {"compile": {}, "channels_last": True},
    "compile_freezing": {"compile": {"freezing": True}, "channels_last": True},
    "compile_tuned": {"compile": TUNED},
    "compile_nchw": {"compile": NCHW},
    "compile_mm": {"compile": {"conv_1x1_as_mm": True}},
    "compile_gn": {"compile": "fast_walk_render"},
}
"""Lever -> how the UNet runs: compile (inductor options, "fast_walk_render" for the node's own, or absent
for eager), channels_last (weights and input), benchmark (cuDNN's benchmark mode, on unless False)."""
SKIPPED_EVENTS = ("aten::", "cuda", "Memcpy", "Memset", "Torch-Compiled", "CompiledFunction")
"""Profiler rows that are not kernels of their own (host-side ops, runtime calls, copies to the host)."""


def kernel_class(name: str) -> str:
    """The op class of a CUDA kernel by its name; 'elementwise' for everything else."""
    return next((cls for cls, pattern in KERNEL_CLASSES if pattern.search(name)), "elementwise")


def kernel_profile(fn: Callable[[], object], top: int = 40) -> dict:
    """Kernel milliseconds of one fn() call by op class, and the `top` costliest kernels as
    (ms, calls, name); the five costliest of each class too."""
    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    classes: dict[str, float] = defaultdict(float)
    kernels = []
    for event in prof.key_averages():
        us = getattr(event, "self_device_time_total", 0) or getattr(event, "self_cuda_time_total", 0)
        if us <= 0 or event.key.startswith(SKIPPED_EVENTS):
            continue
        classes[kernel_class(event.key)] += us / 1000
        kernels.append((us / 1000, event.count, event.key[:120]))
    kernels.sort(reverse=True)
    by_class: dict[str, list] = defaultdict(list)
    for kernel in kernels:
        if len(by_class[kernel_class(kernel[2])]) < 5:
            by_class[kernel_class(kernel[2])].append(kernel)
    return {"ms_by_class": dict(classes), "kernel_ms": sum(classes.values()), "top": kernels[:top],
            "top_by_class": dict(by_class)}


def attention_ms(batch: int) -> dict:
    """Milliseconds per self-attention call of each SDPA backend at SD1.5's three levels (2B x 8 heads)."""
    figures: dict = {"default_order": ",".join(SDPBackend(i).name for i in torch._C._get_sdp_priority_order())}
    for tokens, width in ((4096, 40), (1024, 80), (256, 160)):
        q = torch.randn(2 * batch, 8, tokens, width, device="cuda", dtype=torch.float16)
        flops = 4 * q.shape[0] * 8 * tokens * tokens * width
        row = {}
        for backend in (SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION):
            try:
                with sdpa_kernel([backend]):
                    ms = median_ms(lambda q=q: F.scaled_dot_product_attention(q, q, q), 10)
                row[backend.name] = {"ms": ms, "tflops": flops / ms / 1e9}
            except RuntimeError as error:
                row[backend.name] = f"unavailable: {str(error)[:80]}"
        padded = -(-width // 64) * 64
        if padded != width:
            with sdpa_kernel([SDPBackend.CUDNN_ATTENTION]):
                ms = median_ms(lambda q=q, p=padded - width: padded_attention(q, p), 10)
            row[f"CUDNN_ATTENTION_padded_to_{padded}"] = {"ms": ms, "tflops": flops / ms / 1e9}
        figures[f"{tokens}x{width}"] = row
    return figures


def padded_attention(q: torch.Tensor, pad: int) -> torch.Tensor:
    """Self-attention of q with its head width zero-padded by `pad`: the same softmax(q q^T / sqrt(d)) q.

    Zero columns add nothing to q k^T, the scale stays that of the true width, and the padded
    output columns (zero values) are cut off again.
    """
    wide = F.pad(q, (0, pad))
    return F.scaled_dot_product_attention(wide, wide, wide, scale=q.shape[-1] ** -0.5)[..., : q.shape[-1]]


def rel_diff(out: torch.Tensor, ref: torch.Tensor) -> float:
    """Largest |out - ref| over ref's range (max - min)."""
    ref = ref.float()
    return float((out.float() - ref).abs().max() / (ref.max() - ref.min()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="frames per window (the UNet sees twice this)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--levers", default=",".join(LEVERS), help="comma-separated names of LEVERS")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("fast_levers needs a CUDA GPU")
    figures: dict = {"args": vars(args), "device": torch.cuda.get_device_name(), "torch": torch.__version__}

    def save() -> None:
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1, default=str))

    figures["matmul_tflops"] = matmul_tflops()
    print("fp16 matmul TFLOP/s", round(figures["matmul_tflops"]), flush=True)
    figures["attention_ms"] = attention_ms(args.batch)
    print(json.dumps(figures["attention_ms"]), flush=True)
    save()

    base = Path(tempfile.mkdtemp(prefix="meander-bench-"))
    host.boot(base, cpu=False)
    import comfy.model_management
    import comfy.sd

    path = make_checkpoint(base / "models" / "checkpoints" / "levers.safetensors", full=True)
    model, _, vae, _ = comfy.sd.load_checkpoint_guess_config(str(path), output_vae=True, output_clip=False)
    comfy.model_management.load_models_gpu([model], force_full_load=True)
    unet = model.model.diffusion_model
    dtype = model.model.get_dtype()
    side = args.size // 8
    gen = torch.Generator(device="cuda").manual_seed(0)
    x = torch.randn(2 * args.batch, 4, side, side, device="cuda", generator=gen).to(dtype)
    t = torch.full((2 * args.batch,), 500.0, device="cuda")
    context = torch.randn(2 * args.batch, 77, 768, device="cuda", generator=gen).to(dtype)
    figures["unet_dtype"] = str(dtype)

    torch.set_grad_enabled(False)
    with torch.inference_mode():
        one = (x[:1], t[:1], context[:1])
        figures["unet_flops_per_image"] = flop_counts(lambda: unet(one[0], one[1], context=one[2]))
        print("UNet FLOPs per image", json.dumps({k: v for k, v in figures["unet_flops_per_image"].items()
                                                  if k != "by_op"}), flush=True)
        reference = unet(x, t, context=context).float()
        fp32 = copy.deepcopy(unet).float()
        fp32.dtype = torch.float32
        figures["fp16_rounding_rel_diff"] = rel_diff(reference, fp32(x.float(), t, context=context.float()))
        del fp32
        torch.cuda.empty_cache()
        print("fp16 vs fp32 model", figures["fp16_rounding_rel_diff"], flush=True)
        save()
        flops = figures["unet_flops_per_image"]["total"] * 2 * args.batch
        figures["levers"] = {}
        for lever in args.levers.split(","):
            try:
                figures["levers"][lever] = run_lever(lever, unet, x, t, context, reference, flops, args.repeats)
            except Exception as error:  # a lever that fails is a figure too
                figures["levers"][lever] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
            finally:
                torch.backends.cudnn.benchmark = False
            print(lever, json.dumps({k: v for k, v in figures["levers"][lever].items() if k != "top"}), flush=True)
            save()
        try:
            figures["decode"] = decode_figures(vae, args.batch, side, args.repeats)
        except Exception as error:  # the UNet's figures still come back
            figures["decode"] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
        print("decode", json.dumps({k: v for k, v in figures["decode"].items() if "top" not in k}), flush=True)
    save()


def run_lever(lever: str, unet: torch.nn.Module, x, t, context, reference, flops: float, repeats: int) -> dict:
    """One lever of LEVERS: first-call seconds, ms per forward, TFLOP/s, kernel classes, difference from eager."""
    how = LEVERS[lever]
    torch.backends.cudnn.benchmark = how.get("benchmark", True)
    fmt = torch.channels_last if how.get("channels_last") else torch.contiguous_format
    unet.to(memory_format=fmt)
    xin = x.contiguous(memory_format=fmt)
    if "compile" in how:
        torch._dynamo.reset()
        options = fast_render_options() if how["compile"] == "fast_walk_render" else how["compile"] or None
        fn_model = torch.compile(unet, backend="inductor", dynamic=False, options=options)
    else:
        fn_model = unet

    def call():
        return fn_model(xin, t, context=context)

    start = time.perf_counter()
    out = call()
    torch.cuda.synchronize()
    first_s = time.perf_counter() - start
    ms = median_ms(call, repeats)
    row = {"first_call_s": first_s, "ms_per_forward": ms, "tflops": flops / ms / 1e9,
           "rel_diff_vs_eager": rel_diff(out, reference), **kernel_profile(call)}
    unet.to(memory_format=torch.contiguous_format)
    return row


def fast_render_options() -> dict:
    """The inductor options of the Fast Walk Render node (the pack as ComfyUI loaded it)."""
    return host.pack_module("fast_render").inductor_options()


def decode_figures(vae, batch: int, side: int, repeats: int) -> dict:
    """The VAE decoder on `batch` latents: FLOPs per image, ms eager, channels-last, compiled and compiled as
    Fast Walk Render does it, kernel classes."""
    import comfy.model_management

    comfy.model_management.load_models_gpu([vae.patcher], force_full_load=True)
    decoder = vae.first_stage_model
    z = torch.randn(batch, 4, side, side, device="cuda").to(vae.vae_dtype)
    out = {"dtype": str(vae.vae_dtype), "flops_per_image": flop_counts(lambda: decoder.decode(z[:1]))["total"]}
    torch.backends.cudnn.benchmark = True
    ref = decoder.decode(z)
    for name, fmt in (("eager", torch.contiguous_format), ("channels_last", torch.channels_last)):
        decoder.to(memory_format=fmt)
        zin = z.contiguous(memory_format=fmt)
        ms = median_ms(lambda zin=zin: decoder.decode(zin), max(3, repeats // 2))
        out[name] = {"ms": ms, "tflops": out["flops_per_image"] * batch / ms / 1e9,
                     "rel_diff": rel_diff(decoder.decode(zin), ref),
                     **kernel_profile(lambda zin=zin: decoder.decode(zin))}
    decoder.to(memory_format=torch.contiguous_format)
    for name, options in (("compile", None), ("compile_gn", fast_render_options())):
        torch._dynamo.reset()
        compiled = torch.compile(decoder.decode, backend="inductor", dynamic=False, options=options)
        start = time.perf_counter()
        compiled(z)
        torch.cuda.synchronize()
        first_s = time.perf_counter() - start
        ms = median_ms(lambda compiled=compiled: compiled(z), max(3, repeats // 2))
        out[name] = {"first_call_s": first_s, "ms": ms, "tflops": out["flops_per_image"] * batch / ms / 1e9,
                     "rel_diff": rel_diff(compiled(z), ref), **kernel_profile(lambda compiled=compiled: compiled(z))}
    torch.backends.cudnn.benchmark = False
    return out


if __name__ == "__main__":
    main()
