"""Walk speed on Flux dev and Wan 2.1 at full size (a benchmark that prints figures, not a test).

    python -m benchmarks.family_speed --family flux [--weights default,fp8_e4m3fn] [--batch 4] [--steps 4]
    python -m benchmarks.family_speed --family wan   (Wan 2.1 1.3B; --family wan14b for 14B)

Builds the family's diffusion model at its released size with random weights on the GPU (ComfyUI's own
detection gives the config, tools/make_models.FULL_PROBES; Flux dev 11.9 G parameters, Wan 1.4 G or
14.3 G) and its VAE (Flux's 16-channel AE; Wan 2.1's VAE at width 96), writes them as safetensors in bf16
the way the SDXL benchmark writes its checkpoint, boots ComfyUI in this process and times through its own
executor, loaders (UNETLoader with each --weights dtype: `fp8_e4m3fn` stores the weights in fp8 and
computes in bf16, `fp8_e4m3fn_fast` also multiplies in fp8) and sampler (SamplerCustomAdvanced, euler,
simple):

  (a) plain sampling of a batch of B frames (Flux, 1024x1024) or B clips (Wan, 832x480x33),
  (b) our seed walk of B frames / clips (for Wan: `latent_shape` from the empty video latent, so each
      walk frame is a clip),
  (c) one frame / clip per prompt: --per-prompt prompts of batch 1,
  (d) (b) through Fast Walk Render (each --fast-weights dtype; compiled block by block),

each without and with VAE decode. Flux is guidance-distilled (BasicGuider, FluxGuidance 3.5: one model
call per step); Wan samples with CFG 6 (two). The text encoders (T5-XXL, UMT5-XXL) are left out:
conditioning tensors of their shapes (Flux 256 tokens and pooled 768, Wan 512 tokens; 4096 wide) come
from a source node. Figures: frames (clips) per second, peak GPU memory, and the share of the limit:
the GPU's dense bf16 matrix rate (measured here) over a frame's FLOPs, counted here with
torch.utils.flop_counter on one model call and one decode of the loaded models. It checks that the
walk's frame 0 is plain sampling's and how far the compiled frames are from the plain ones (relative to
the latent's largest value), and derives from the measured memory the batch that fits on 24, 48 and
80 GB cards. Writes the figures as JSON to --json after every case.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.walk_speed import BenchSink, flop_counts, matmul_tflops, peak_host_mb
from scripts import host
from tools import make_models

FAMILIES = {
    "flux": {"model": "flux", "size": (1024, 1024), "length": 1, "cfg": 1.0, "tokens": 256, "pooled": 768},
    "wan": {"model": "wan", "size": (832, 480), "length": 33, "cfg": 6.0, "tokens": 512, "pooled": None},
    "wan14b": {"model": "wan14b", "size": (832, 480), "length": 33, "cfg": 6.0, "tokens": 512, "pooled": None},
}
"""Each benchmarked model: its diffusion model (make_models.FULL_PROBES), frame or clip size, CFG (1: no
negative, one call per step) and the text encoder's output it is conditioned on."""
CARDS_GB = (24, 48, 80)
CONTEXT_GB = 1.0
"""What a card loses before ComfyUI allocates: the CUDA context and its libraries (about 0.5 to 1 GB)."""
COMFY_MIN_GB = 1.2
"""ComfyUI loads a model whole only if this much stays free beside its weights (minimum_inference_memory on
Linux: 0.8 GB plus 0.4 reserved); otherwise it keeps part of the weights in system memory (lowvram)."""


class BenchConditioning:
    """A source node: a conditioning of the text encoder's shape (random, unit variance), by seed."""

    SHAPES: dict = {}

    @classmethod
    def INPUT_TYPES(cls) -> dict:  # noqa: N802  (ComfyUI's V1 node interface)
        return {"required": {"family": ("STRING", {"default": "flux"}), "seed": ("INT", {"default": 0})}}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "make"
    CATEGORY = "_for_testing"

    def make(self, family: str, seed: int) -> tuple[list]:
        spec = FAMILIES[family]
        generator = torch.Generator().manual_seed(seed)
        extra = {"pooled_output": torch.randn(1, spec["pooled"], generator=generator)} if spec["pooled"] else {}
        return ([[torch.randn(1, spec["tokens"], 4096, generator=generator), extra]],)


def graph(family: str, model_file: str, weights: str, batch: int, steps: int, decode: bool, walk: bool,
          fast: bool, seed: int) -> dict:
    """One render: UNETLoader (weight dtype `weights`), the conditioning, the empty latent of `batch` frames
    (clips), RandomNoise(seed) or our seed walk from seed, optionally Fast Walk Render, then
    SamplerCustomAdvanced, and the sink (after VAEDecode when `decode`)."""
    spec = FAMILIES[family]
    width, height = spec["size"]
    g = {"1": {"class_type": "UNETLoader", "inputs": {"unet_name": model_file, "weight_dtype": weights}},
         "2": {"class_type": "MeanderBenchConditioning", "inputs": {"family": family, "seed": 1}},
         "12": {"class_type": "VAELoader", "inputs": {"vae_name": f"meander-bench-{family}-vae.safetensors"}}}
    model, vae = ["1", 0], ["12", 0]
    if fast:
        g["10"] = {"class_type": "MeanderFastRender", "inputs": {"model": model, "mode": "compile", "vae": vae}}
        model, vae = ["10", 0], ["10", 1]
    if spec["length"] > 1:  # Wan: ModelSamplingSD3 shift 8, a video latent, CFG with a negative
        g["11"] = {"class_type": "ModelSamplingSD3", "inputs": {"model": model, "shift": 8.0}}
        model = ["11", 0]
        g["3"] = {"class_type": "MeanderBenchConditioning", "inputs": {"family": family, "seed": 2}}
        g["5"] = {"class_type": "CFGGuider", "inputs": {"model": model, "positive": ["2", 0], "negative": ["3", 0],
                                                        "cfg": spec["cfg"]}}
        empty = {"class_type": "EmptyHunyuanLatentVideo", "inputs": {
            "width": width, "height": height, "length": spec["length"], "batch_size": 1 if walk else batch}}
    else:  # Flux: FluxGuidance 3.5 and BasicGuider
        g["3"] = {"class_type": "FluxGuidance", "inputs": {"conditioning": ["2", 0], "guidance": 3.5}}
        g["5"] = {"class_type": "BasicGuider", "inputs": {"model": model, "conditioning": ["3", 0]}}
        empty = {"class_type": "EmptySD3LatentImage", "inputs": {
            "width": width, "height": height, "batch_size": 1 if walk else batch}}
    g["9"] = empty
    if walk:
        g["4"] = {"class_type": "MeanderSeedWalk", "inputs": {
            "seed_a": seed, "seed_b": seed + 11, "frames": max(batch, 2), "method": "slerp", "easing": "linear",
            "width": width, "height": height, "start_frame": 0, "frame_count": batch, "latent_shape": ["9", 0]}}
        noise, latent = ["4", 0], ["4", 1]
    else:
        g["4"] = {"class_type": "RandomNoise", "inputs": {"noise_seed": seed}}
        noise, latent = ["4", 0], ["9", 0]
    g["6"] = {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}}
    g["7"] = {"class_type": "BasicScheduler", "inputs": {"model": model, "scheduler": "simple", "steps": steps,
                                                         "denoise": 1.0}}
    g["8"] = {"class_type": "SamplerCustomAdvanced", "inputs": {
        "noise": noise, "guider": ["5", 0], "sampler": ["6", 0], "sigmas": ["7", 0], "latent_image": latent}}
    if decode:
        g["20"] = {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": vae}}
        g["99"] = {"class_type": "MeanderBenchSink", "inputs": {"image": ["20", 0]}}
    else:
        g["99"] = {"class_type": "MeanderBenchSink", "inputs": {"latent": ["8", 0]}}
    return g


def build(base: Path, family: str, small: bool) -> tuple[str, float]:
    """Write the diffusion model and VAE into ComfyUI's model folders (full size on the GPU unless `small`,
    the tests' models); (the model's file name, seconds taken)."""
    spec = FAMILIES[family]
    name = f"meander-bench-{family}{'-small' if small else ''}.safetensors"
    start = time.perf_counter()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    make_models.make_diffusion_model("wan" if small and spec["length"] > 1 else spec["model"],
                                     base / "models" / "diffusion_models" / name, full=not small, device=device)
    vae = base / "models" / "vae" / f"meander-bench-{family}-vae.safetensors"
    if spec["length"] > 1:
        make_models.make_wan_vae(vae, dim=make_models.WAN_VAE_DIM if small else make_models.WAN_VAE_FULL_DIM)
    else:
        make_models.make_flux_vae(vae)
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return name, time.perf_counter() - start


def loaded(kind: str):
    """The ModelPatcher ComfyUI has loaded of `kind` ("diffusion": the sampling model, "vae": the VAE)."""
    import comfy.model_base
    import comfy.model_management

    for entry in comfy.model_management.current_loaded_models:
        patcher = entry.model
        if (kind == "diffusion") == isinstance(patcher.model, comfy.model_base.BaseModel):
            return patcher
    raise RuntimeError(f"no {kind} model is loaded")


def count_flops(family: str, latent: torch.Tensor) -> dict:
    """FLOPs of one model call on one frame (clip) and of decoding it, on the models ComfyUI loaded."""
    spec = FAMILIES[family]
    model = loaded("diffusion").model
    device, dtype = next(model.parameters()).device, model.get_dtype()
    x = latent[:1].to(device)
    cond = BenchConditioning().make(family, 1)[0][0]
    extra = {"y": cond[1]["pooled_output"].to(device, dtype),
             "guidance": torch.full((1,), 3.5, device=device)} if spec["pooled"] else {}
    sigma = torch.full((1,), 0.5, device=device)
    with torch.inference_mode():
        call = flop_counts(lambda: model.apply_model(x, sigma, c_crossattn=cond[0].to(device, dtype), **extra))
        vae_model = loaded("vae").model
        decode = flop_counts(lambda: vae_model.decode(x.to(next(vae_model.parameters()).dtype)))["total"]
    return {"model_call_per_frame": call, "decode_per_frame": decode}


def fits(peak_one_gb: float, model_gb: float, per_frame_gb: float) -> dict:
    """The batch that fits whole on each card: one frame (clip) at `peak_one_gb` (weights included), or the
    weights and ComfyUI's minimum beside them if that is more, then `per_frame_gb` for each further frame;
    0 where even that is more than the card (ComfyUI then streams part of the weights from system memory).
    A bigger batch does not fail: ComfyUI splits it into model calls that fit."""
    need = max(peak_one_gb, model_gb + COMFY_MIN_GB)
    out = {}
    for card in CARDS_GB:
        room = card - CONTEXT_GB - need
        out[f"{card}GB"] = 0 if room < 0 else 1 + math.floor(room / per_frame_gb)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=list(FAMILIES), default="flux")
    parser.add_argument("--batch", type=int, default=4, help="frames (Flux) or clips (Wan) per window")
    parser.add_argument("--steps", type=int, default=4, help="sampling steps (every figure is per step x steps)")
    parser.add_argument("--weights", default="default", help="UNETLoader weight dtypes to time, comma-separated")
    parser.add_argument("--fast-weights", default="default",
                        help="weight dtypes to time through Fast Walk Render (empty: none)")
    parser.add_argument("--per-prompt", type=int, default=2, help="prompts of one frame (clip) each for (c)")
    parser.add_argument("--size", help="WIDTHxHEIGHT instead of the family's own")
    parser.add_argument("--length", type=int, help="frames per clip (Wan) instead of 33")
    parser.add_argument("--small", action="store_true", help="the tests' small models (a CPU check of the plumbing)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--tables", type=Path, nargs="+", help="print the README tables of these result files")
    args = parser.parse_args()
    if args.tables:
        tables(args.tables)
        return
    if args.batch < 2:
        parser.error("--batch must be at least 2 (a walk has two ends)")
    spec = FAMILIES[args.family]
    if args.size:
        spec["size"] = tuple(int(v) for v in args.size.split("x"))
    if args.length:
        spec["length"] = args.length

    base = Path(tempfile.mkdtemp(prefix="meander-family-"))
    bed = host.boot(base, cpu=not torch.cuda.is_available(), cache=True)
    import comfy.model_management

    import nodes

    nodes.NODE_CLASS_MAPPINGS["MeanderBenchSink"] = BenchSink
    nodes.NODE_CLASS_MAPPINGS["MeanderBenchConditioning"] = BenchConditioning
    model_file, build_s = build(base, args.family, args.small)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    print(f"{args.family}: model and VAE built in {build_s:.1f} s on {gpu}", flush=True)
    rate = matmul_tflops() * 1e12 if torch.cuda.is_available() else float("nan")
    calls = 2 if spec["cfg"] != 1.0 else 1
    result: dict = {"family": args.family, "spec": spec, "device": gpu, "torch": torch.__version__,
                    "comfyui": host.host_version(), "args": vars(args), "build_s": build_s,
                    "matmul_tflops": rate / 1e12, "rows": [], "checks": {}, "partial": True}

    def save() -> None:
        if args.json:
            args.json.write_text(json.dumps(result, indent=1, default=str))

    seeds = itertools.count(1000)  # a new seed per timed render, so ComfyUI's cache never skips the sampler

    def render(weights: str, batch: int, decode: bool, walk: bool, fast: bool, seed: int) -> float:
        start = time.perf_counter()
        bed.run(graph(args.family, model_file, weights, batch, args.steps, decode, walk, fast, seed))
        return time.perf_counter() - start

    def record(case: str, weights: str, batch: int, decode: bool, runs: list[tuple[int, bool, bool]],
               frames: int) -> dict:
        """Time one pass of `runs` (batch, walk, fast) after ComfyUI has its models loaded (and compiled)."""
        if torch.cuda.is_available():
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        seconds = sum(render(weights, b, decode, walk, fast, next(seeds)) for b, walk, fast in runs)
        row = {"case": case, "weights": weights, "batch": batch, "decode": decode, "frames_per_s": frames / seconds,
               "seconds": seconds, "peak_gpu_gb": torch.cuda.max_memory_allocated() / 2**30
               if torch.cuda.is_available() else 0.0, "peak_host_mb": peak_host_mb()}
        if "limits" in result:
            row["share_of_limit"] = row["frames_per_s"] / result["limits"][str(decode)]
        result["rows"].append(row)
        save()
        print(f"{case:>14} {weights:>16} B={batch:<2} decode={decode!s:<5} {row['frames_per_s']:7.3f} "
              f"{'clips' if spec['length'] > 1 else 'frames'}/s  {100 * row.get('share_of_limit', 0):5.1f}% of limit "
              f"GPU {row['peak_gpu_gb']:6.1f} GB", flush=True)
        return row

    b = args.batch
    for w_index, weights in enumerate(args.weights.split(",")):
        comfy.model_management.unload_all_models()
        comfy.model_management.soft_empty_cache()
        t0 = time.perf_counter()
        render(weights, b, True, False, False, 7)  # loads the model and the VAE
        result["checks"][f"{weights} first_render_s"] = time.perf_counter() - t0
        latent_frame = BenchSink.last
        if w_index == 0:
            bed.run(graph(args.family, model_file, weights, b, args.steps, False, False, False, 7))
            flops = count_flops(args.family, BenchSink.last)
            per_frame = args.steps * calls * flops["model_call_per_frame"]["total"]
            result["flops"] = flops
            result["frame_tflop"] = {"False": per_frame / 1e12, "True": (per_frame + flops["decode_per_frame"]) / 1e12}
            result["limits"] = {d: rate / (tf * 1e12) for d, tf in result["frame_tflop"].items()}
            print(f"model call {flops['model_call_per_frame']['total'] / 1e12:.2f} TFLOP per frame, decode "
                  f"{flops['decode_per_frame'] / 1e12:.2f}; matmul {rate / 1e12:.0f} TFLOP/s; limit "
                  f"{result['limits']['False']:.3f} per s sampling only, {result['limits']['True']:.3f} with decode",
                  flush=True)
        result["checks"][f"{weights} decoded_finite"] = bool(torch.isfinite(latent_frame).all())
        result["checks"][f"{weights} model_gb"] = loaded("diffusion").model_size() / 2**30
        for decode in (False, True):
            record("a_plain", weights, b, decode, [(b, False, False)], b)
            record("b_seed_walk", weights, b, decode, [(b, True, False)], b)
            record("c_per_prompt", weights, 1, decode, [(1, False, False)] * args.per_prompt, args.per_prompt)
        bed.run(graph(args.family, model_file, weights, b, args.steps, False, False, False, 11))
        plain = BenchSink.last
        bed.run(graph(args.family, model_file, weights, b, args.steps, False, True, False, 11))
        walk = BenchSink.last
        result["checks"][f"{weights} walk_frame0_equals_plain"] = bool(torch.equal(walk[0], plain[0]))
        result["checks"][f"{weights} latent_finite"] = bool(torch.isfinite(walk).all())
        if weights in args.fast_weights.split(","):
            fast_cases(result, weights, b, walk, record, render, save)
    result["memory"] = memory_table(result)
    result["ratios"] = ratios(result["rows"])
    result["partial"] = False
    save()
    print(json.dumps({k: result[k] for k in ("checks", "ratios", "memory")}, indent=1))


def fast_cases(result: dict, weights: str, batch: int, walk: torch.Tensor, record, render, save) -> None:
    """(d): the first walk through Fast Walk Render (its compile), its frames against the plain walk's,
    the first decoded one (the decoder's compile), then the timed rows, with dynamo's compile counts."""
    import torch._dynamo.utils as dynamo_utils

    checks = result["checks"]
    dynamo_utils.counters.clear()
    t0 = time.perf_counter()
    render(weights, batch, False, True, True, 11)
    checks[f"{weights} fast_first_walk_s"] = time.perf_counter() - t0
    compiled = BenchSink.last
    checks[f"{weights} fast_vs_plain_rel"] = float((compiled - walk).abs().max() / walk.abs().max())
    t0 = time.perf_counter()
    render(weights, batch, True, True, True, 12)
    checks[f"{weights} fast_first_decoded_walk_s"] = time.perf_counter() - t0
    checks[f"{weights} dynamo_counters"] = {k: dict(v) for k, v in dynamo_utils.counters.items()
                                            if k in ("stats", "recompiles", "graph_break")}
    save()
    for decode in (False, True):
        record("d_fast", weights, batch, decode, [(batch, True, True)], batch)


def ratios(rows: list[dict]) -> dict:
    """Per weight dtype and decode: the walk over plain sampling, over one frame per prompt, and Fast Walk
    Render over plain; each dtype's plain over the first dtype's plain."""
    by = {(r["case"], r["weights"], r["decode"]): r["frames_per_s"] for r in rows}
    first = rows[0]["weights"] if rows else None
    out = {}
    for (case, weights, decode), fps in by.items():
        for other in ("a_plain", "c_per_prompt") if case == "b_seed_walk" else ("a_plain",) if case == "d_fast" else ():
            if (other, weights, decode) in by:
                out[f"{case} / {other} {weights} decode={decode}"] = fps / by[(other, weights, decode)]
        if case == "a_plain" and weights != first and (case, first, decode) in by:
            out[f"a_plain {weights} / {first} decode={decode}"] = fps / by[(case, first, decode)]
    return out


def memory_table(result: dict) -> dict:
    """Per weight dtype: peak GB at one frame and at the batch (plain, no decode), GB per more frame, the
    model's size in memory and the batch that fits on each card (fits)."""
    out = {}
    batch, rows = result["args"]["batch"], result["rows"]
    for weights in dict.fromkeys(r["weights"] for r in rows):
        peak = {r["batch"]: r["peak_gpu_gb"] for r in rows
                if r["weights"] == weights and not r["decode"] and r["case"] in ("a_plain", "c_per_prompt")}
        model_gb = result["checks"].get(f"{weights} model_gb", 0.0)
        if 1 in peak and batch in peak:
            per_frame = (peak[batch] - peak[1]) / (batch - 1)
            out[weights] = {"peak_gb_1": peak[1], f"peak_gb_{batch}": peak[batch], "gb_per_frame": per_frame,
                            "model_gb": model_gb, "fits": fits(peak[1], model_gb, per_frame) if per_frame > 0 else {}}
    return out


def tables(paths: list[Path]) -> None:
    """Print the benchmarks README's tables from result files (their memory sections recomputed and saved)."""
    for path in paths:
        result = json.loads(path.read_text())
        result["memory"] = memory_table(result)
        path.write_text(json.dumps(result, indent=1, default=str))
        unit = "clips" if result["spec"]["length"] > 1 else "frames"
        print(f"\n{result['family']} ({path.name}): {unit}/s (share of the limit)\n")
        print("| case | weights | B | sampling | with decode |\n| --- | --- | --- | --- | --- |")
        rows = {(r["case"], r["weights"], r["decode"]): r for r in result["rows"]}
        for (case, weights, decode), r in rows.items():
            if not decode:
                cells = [f"{x['frames_per_s']:.3f} ({100 * x['share_of_limit']:.0f}%)"
                         for x in (r, rows.get((case, weights, True))) if x]
                print(f"| {case} | {weights} | {r['batch']} | " + " | ".join(cells) + " |")
        print("\n| weights | in memory | peak, 1 | per more | " + " | ".join(f"{c} GB" for c in CARDS_GB)
              + " |\n| --- | --- | --- | --- |" + " --- |" * len(CARDS_GB))
        for weights, m in result["memory"].items():
            print(f"| {weights} | {m['model_gb']:.1f} GB | {m['peak_gb_1']:.1f} GB | {m['gb_per_frame']:.2f} GB | "
                  + " | ".join(str(m["fits"][f"{c}GB"]) for c in CARDS_GB) + " |")


if __name__ == "__main__":
    main()
