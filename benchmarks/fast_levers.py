"""What else could speed up the compiled walk render: each lever side by side in one run (prints figures).

    python -m benchmarks.fast_levers [--batch 32] [--size 512] [--steps 20] [--json out.json]

The Fast Walk Render node reaches about 1.3x plain ComfyUI on an H100; this checks the levers
beyond a default torch.compile, each as frames/s of the seed walk and as a ratio to (a), a bare
KSampler on the same batch, measured in this one process:

  attention  milliseconds per scaled-dot-product attention call for each PyTorch backend, at the
             shape of SD1.5's largest self-attention (2B x 8 heads x 4096 tokens x 40), and the
             backend order PyTorch itself tries (cuDNN first means the plain path already has it);
  eager      the seed walk on the plain model (fp16, as ComfyUI loads SD1.5);
  compile    the Fast Walk Render node (inductor, default mode; inductor picks channels-last
             layouts for the convolutions itself);
  tuned      torch.compile with inductor options that diffusers recommends for UNets
             (1x1 convolutions as matrix products, coordinate-descent kernel tuning, no epilogue
             fusion);
  bf16       the plain walk with the UNet cast to bfloat16 (last: it changes the loaded model).

Each compiled or cast case also reports its largest difference from the eager walk, relative to
the latent's range. Needs a CUDA GPU.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from benchmarks import walk_speed as ws
from scripts import bed
from scripts.make_checkpoint import make_checkpoint

TUNED = {"conv_1x1_as_mm": True, "coordinate_descent_tuning": True, "epilogue_fusion": False}
"""Inductor options for the `tuned` case (torch.compile takes options or a mode, not both)."""


def attention_ms(batch: int, repeats: int = 10) -> dict[str, float | str]:
    """Milliseconds per attention call of each SDPA backend, on SD1.5's level-1 self-attention shape."""
    q = torch.randn(2 * batch, 4096, 320, device="cuda", dtype=torch.float16).view(2 * batch, -1, 8, 40).transpose(1, 2)
    figures: dict[str, float | str] = {
        "default_order": ",".join(SDPBackend(i).name for i in torch._C._get_sdp_priority_order())}
    for backend in (SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION):
        try:
            with sdpa_kernel([backend]):
                F.scaled_dot_product_attention(q, q, q)
                torch.cuda.synchronize()
                start = time.perf_counter()
                for _ in range(repeats):
                    F.scaled_dot_product_attention(q, q, q)
                torch.cuda.synchronize()
            figures[backend.name] = 1000 * (time.perf_counter() - start) / repeats
        except RuntimeError as error:
            figures[backend.name] = f"unavailable: {str(error)[:80]}"
    return figures


class BenchLever:
    """A benchmark-only node: applies one lever (`tuned` or `bf16`) to the model."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL",), "lever": (["tuned", "bf16"],)}}

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "run"
    CATEGORY = "_for_testing"

    def run(self, model, lever: str):
        from comfy_api.torch_helpers import set_torch_compile_wrapper

        patched = model.clone()
        if lever == "tuned":
            set_torch_compile_wrapper(model=patched, backend="inductor", options=TUNED, dynamic=False)
        else:
            unet = patched.model.diffusion_model
            unet.to(torch.bfloat16)
            unet.dtype = torch.bfloat16  # UNetModel casts its input to this
        return (patched,)


def lever_graph(batch: int, size: int, steps: int, lever: str, seed: int) -> dict:
    """The seed walk graph of walk_speed, its model through the Fast Walk Render node or a BenchLever."""
    if lever in ("eager", "compile"):
        return ws.walk_graph(batch, size, steps, False, "compile" if lever == "compile" else None, seed)
    graph = ws.walk_graph(batch, size, steps, False, None, seed)
    graph["10"] = {"class_type": "MeanderBenchLever", "inputs": {"model": ["1", 0], "lever": lever}}
    for node in ("5", "7"):
        graph[node]["inputs"]["model"] = ["10", 0]
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("fast_levers needs a CUDA GPU")
    batch, size, steps = args.batch, args.size, args.steps

    figures: dict = {"attention_ms": attention_ms(batch)}
    print(json.dumps(figures["attention_ms"]), flush=True)
    base = Path(tempfile.mkdtemp(prefix="meander-bench-"))
    comfy = bed.boot(base, cpu=False, cache=True)
    import nodes

    nodes.NODE_CLASS_MAPPINGS["MeanderBenchSink"] = ws.BenchSink
    nodes.NODE_CLASS_MAPPINGS["MeanderBenchLever"] = BenchLever
    make_checkpoint(base / "models" / "checkpoints" / ws.CKPT, full=True)

    seconds, _ = ws.timed(comfy, lambda i: [ws.ksampler_graph(batch, size, steps, 11 + i, False)], args.repeats)
    rows = {"a_ksampler": {"frames_per_s": batch / seconds}}
    comfy.run(lever_graph(batch, size, steps, "eager", 11))
    reference = ws.BenchSink.last
    for lever in ("eager", "compile", "tuned", "bf16"):
        start = time.perf_counter()
        comfy.run(lever_graph(batch, size, steps, lever, 11))
        first = time.perf_counter() - start
        rel_diff = float((ws.BenchSink.last - reference).abs().max() / reference.abs().max())
        seconds, gpu_mb = ws.timed(comfy, lambda i, lv=lever: [lever_graph(batch, size, steps, lv, 11 + i)],
                                   args.repeats)
        rows[lever] = {"frames_per_s": batch / seconds, "first_run_s": first, "rel_diff_vs_eager": rel_diff,
                       "peak_gpu_mb": gpu_mb}
        print(lever, json.dumps(rows[lever]), flush=True)
    figures["rows"] = rows
    figures["over_a"] = {name: row["frames_per_s"] / rows["a_ksampler"]["frames_per_s"] for name, row in rows.items()}
    print(json.dumps(figures["over_a"], indent=1))
    if args.json:
        args.json.write_text(json.dumps({**figures, "args": vars(args)}, indent=1, default=str))


if __name__ == "__main__":
    main()
