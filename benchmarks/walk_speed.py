"""Walk rendering speed, side by side in one run (a benchmark that prints figures, not a test).

    python -m benchmarks.walk_speed [--batches 1,8,16,32] [--size 512] [--steps 20] [--fast 8,16]

Builds a random-weight SD1.5 (or, --family sdxl, SDXL base) checkpoint at full size (--small: the
test model), boots ComfyUI in this process on the GPU when there is one, and times through ComfyUI's
own executor:

  (a) bare KSampler on a batch of B empty latents,
  (b) our seed walk of B frames through SamplerCustomAdvanced, and our prompt walk of B frames
      (one conditioning per frame) through KSampler,
  (c) one frame per prompt: B prompts of one frame each,
  (d) (b) with the Fast Walk Render node (torch.compile; the VAE's decoder too), for the batches in --fast,
  (e) with --peer, diffusers' StableDiffusionPipeline on SD1.5's architecture, eager and with its UNet
      compiled (benchmarks/diffusers_peer.py), on the batches of (d),

each without and with VAE decode, as frames/s, with peak GPU memory and the process's peak host
RSS, and as a share of the limit: the GPU's fp16 matrix rate (an 8192^3 product, measured here)
over a frame's FLOPs (steps x 2 (CFG) x the UNet's FLOPs per image, plus the VAE decoder's with
decode; counted here with torch.utils.flop_counter.FlopCounterMode). Euler, CFG 7. It also checks
that (b)'s first frame equals (a)'s and that (d) matches (b) within fp16 tolerance, and times the
pack's own noise generation against the whole walk. Writes the figures as JSON to --json.
--compile-only times only the first compiled walk of the first --fast batch, and the next one (run
it twice, as two processes, to see what the on-disk compile cache saves).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from scripts import host
from tools.make_checkpoint import make_checkpoint
from tools.make_models import make_sdxl_checkpoint

CKPTS = {"sd15": "meander-bench-sd15.safetensors", "sdxl": "meander-bench-sdxl.safetensors"}
"""Benchmark checkpoint by --family: SD1.5 and SDXL base at full size, random weights."""
CKPT = CKPTS["sd15"]
CFG = 7.0


class BenchSink:
    """An output node that only waits for the GPU: lets a graph end without encoding files."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"optional": {"latent": ("LATENT",), "image": ("IMAGE",)}}

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    CATEGORY = "_for_testing"

    @classmethod
    def IS_CHANGED(cls, latent=None, image=None):
        return float("nan")  # always run the sink itself, so `last` is this graph's result

    def run(self, latent=None, image=None):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        samples = latent["samples"] if latent is not None else image
        BenchSink.last = samples.detach().float().cpu()
        return {}


def model_nodes(prompt_text: str = "a lighthouse on a cliff at sunset") -> dict:
    return {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CKPT}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt_text, "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["1", 1]}},
    }


def finish(graph: dict, latent_ref: list, decode: bool, vae_ref: list | None = None) -> dict:
    if decode:
        graph["20"] = {"class_type": "VAEDecode", "inputs": {"samples": latent_ref, "vae": vae_ref or ["1", 2]}}
        graph["99"] = {"class_type": "MeanderBenchSink", "inputs": {"image": ["20", 0]}}
    else:
        graph["99"] = {"class_type": "MeanderBenchSink", "inputs": {"latent": latent_ref}}
    return graph


def ksampler_graph(batch: int, size: int, steps: int, seed: int, decode: bool) -> dict:
    g = model_nodes()
    g["4"] = {"class_type": "EmptyLatentImage", "inputs": {"width": size, "height": size, "batch_size": batch}}
    g["5"] = {"class_type": "KSampler", "inputs": {
        "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["4", 0], "seed": seed,
        "steps": steps, "cfg": CFG, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0}}
    return finish(g, ["5", 0], decode)


def walk_graph(batch: int, size: int, steps: int, decode: bool, fast_mode: str | None = None, seed: int = 11) -> dict:
    g = model_nodes()
    model, vae = ["1", 0], ["1", 2]
    if fast_mode:
        g["10"] = {"class_type": "MeanderFastRender", "inputs": {"model": ["1", 0], "mode": fast_mode, "vae": vae}}
        model, vae = ["10", 0], ["10", 1]
    g["4"] = {"class_type": "MeanderSeedWalk", "inputs": {
        "seed_a": seed, "seed_b": seed + 11, "frames": max(batch, 2), "method": "slerp", "easing": "linear",
        "width": size, "height": size, "start_frame": 0, "frame_count": batch}}
    g["5"] = {"class_type": "CFGGuider", "inputs": {"model": model, "positive": ["2", 0], "negative": ["3", 0],
                                                    "cfg": CFG}}
    g["6"] = {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}}
    g["7"] = {"class_type": "BasicScheduler", "inputs": {"model": model, "scheduler": "normal", "steps": steps,
                                                         "denoise": 1.0}}
    g["8"] = {"class_type": "SamplerCustomAdvanced", "inputs": {
        "noise": ["4", 0], "guider": ["5", 0], "sampler": ["6", 0], "sigmas": ["7", 0], "latent_image": ["4", 1]}}
    return finish(g, ["8", 0], decode, vae)


def prompt_walk_graph(batch: int, size: int, steps: int, decode: bool, seed: int = 11) -> dict:
    """A prompt travel of `batch` frames (one conditioning per frame) through one KSampler run."""
    g = model_nodes()
    g["4"] = {"class_type": "MeanderPromptTravel", "inputs": {
        "clip": ["1", 1], "schedule": f"0: a lighthouse at dawn\n{max(batch, 2) - 1}: a lighthouse in a storm",
        "frames": max(batch, 2), "loop": False, "method": "slerp", "per": "token", "easing": "linear",
        "pad": "repeat", "width": size, "height": size, "start_frame": 0, "frame_count": batch}}
    g["5"] = {"class_type": "KSampler", "inputs": {
        "model": ["1", 0], "positive": ["4", 0], "negative": ["3", 0], "latent_image": ["4", 1], "seed": seed,
        "steps": steps, "cfg": CFG, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0}}
    return finish(g, ["5", 0], decode)


def peak_host_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(comfy: host.Bed, graphs: Callable[[int], list[dict]], repeats: int) -> tuple[float, float]:
    """(seconds per pass over graphs(i), peak GPU MB), after one untimed warm-up pass.

    Each pass i takes new seeds, so ComfyUI's cache reruns the sampler but not the loaders.
    """
    for g in graphs(0):
        comfy.run(g)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for i in range(1, repeats + 1):
        for g in graphs(i):
            comfy.run(g)
    seconds = (time.perf_counter() - start) / repeats
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0
    return seconds, gpu_mb


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median milliseconds of fn() by CUDA events, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def matmul_tflops(n: int = 8192, repeats: int = 20) -> float:
    """The GPU's dense fp16 matrix rate in TFLOP/s: 2 n^3 per product over its median time."""
    a, b = (torch.randn(n, n, device="cuda", dtype=torch.float16) for _ in range(2))
    return 2 * n**3 / median_ms(lambda: a @ b, repeats) / 1e9


MATMUL_OPS = ("mm", "addmm", "bmm", "baddbmm")


def flop_counts(fn: Callable[[], object]) -> dict:
    """FLOPs of one fn() call by op class (convolution, attention, matmul, other), in all, and by op.

    Attention runs through the flash/efficient/math backends here, whose FLOPs the counter knows.
    """
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]):
        with FlopCounterMode(display=False) as counter:
            fn()
    by_op = {str(op).removeprefix("aten."): float(n) for op, n in counter.get_flop_counts().get("Global", {}).items()}
    out: dict = defaultdict(float)
    for op, n in by_op.items():
        out["convolution" if "convolution" in op else "attention" if "attention" in op
            else "matmul" if op in MATMUL_OPS else "other"] += n
    return {**out, "total": float(counter.get_total_flops()), "by_op": by_op}


def model_flops(size: int) -> dict:
    """FLOPs per image of the benchmark checkpoint's UNet (one forward) and VAE decoder, at size x size.

    Loads a second copy through ComfyUI's own loader, counts one image, and unloads it.
    """
    import comfy.model_management
    import comfy.sd
    import folder_paths

    model, _, vae, _ = comfy.sd.load_checkpoint_guess_config(
        folder_paths.get_full_path_or_raise("checkpoints", CKPT), output_vae=True, output_clip=False)
    comfy.model_management.load_models_gpu([model, vae.patcher], force_full_load=True)
    device, dtype = comfy.model_management.get_torch_device(), model.model.get_dtype()
    unet_config = model.model.model_config.unet_config
    x = torch.randn(1, 4, size // 8, size // 8, device=device)
    context = torch.randn(1, 77, unet_config["context_dim"], device=device, dtype=dtype)
    extra = {"y": torch.randn(1, unet_config["adm_in_channels"], device=device, dtype=dtype)} \
        if unet_config.get("adm_in_channels") else {}
    net, decoder, vae_dtype = model.model.diffusion_model, vae.first_stage_model, vae.vae_dtype
    t = torch.full((1,), 500.0, device=device)
    with torch.inference_mode():
        unet = flop_counts(lambda: net(x.to(dtype), t, context=context, **extra))
        decode = flop_counts(lambda: decoder.decode(x.to(vae_dtype)))["total"]
    comfy.model_management.unload_all_models()
    comfy.model_management.soft_empty_cache()
    return {"unet_per_image": unet, "decode_per_image": decode}


def decoder_rounding(latent: torch.Tensor, backend: str = "inductor") -> dict:
    """Largest pixel difference (0..1) from the same decoder in fp32, of the plain decoder (the VAE's own
    dtype) and of Fast Walk Render's compiled one, on one latent batch: how far compiling moves the frames
    against how far the VAE's dtype already does. Loads a second copy of the VAE and unloads it."""
    import comfy.model_management
    import comfy.sd
    import folder_paths

    fast_render = host.pack_module("fast_render")
    _, _, vae, _ = comfy.sd.load_checkpoint_guess_config(
        folder_paths.get_full_path_or_raise("checkpoints", CKPT), output_vae=True, output_clip=False)
    plain = vae.decode(latent)
    fast = fast_render.compiled_decoder_vae(vae, backend).decode(latent)
    exact = copy.copy(vae)
    exact.first_stage_model = copy.deepcopy(vae.first_stage_model).float()
    exact.vae_dtype = torch.float32
    reference = exact.decode(latent)
    comfy.model_management.unload_all_models()
    comfy.model_management.soft_empty_cache()
    return {"vae_dtype": str(vae.vae_dtype), "plain_vs_fp32_max_abs": float((plain - reference).abs().max()),
            "compiled_vs_fp32_max_abs": float((fast - reference).abs().max()),
            "compiled_vs_plain_max_abs": float((fast - plain).abs().max())}


def own_ops_seconds(batch: int, size: int) -> float:
    """Time of the pack's own work in a walk of `batch` frames: seed noise and slerp."""
    from latent_ops import noise

    start = time.perf_counter()
    noise.seed_walk(11, 22, (4, size // 8, size // 8), max(batch, 2), "slerp", "linear", 0, batch)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,8,16,32")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--fast", default="8,16", help="batches for the compiled mode (each compiles once)")
    parser.add_argument("--fast-mode", default="compile", help="Fast Walk Render modes to time, comma-separated")
    parser.add_argument("--per-prompt", type=int, default=8,
                        help="frames for (c), one prompt each; 0 leaves out (c) and the prompt walk")
    parser.add_argument("--small", action="store_true", help="the small test model instead of full SD1.5")
    parser.add_argument("--family", choices=list(CKPTS), default="sd15", help="the model: SD1.5 or SDXL base")
    parser.add_argument("--peer", nargs="?", const="eager,compile", default="",
                        help="also time diffusers' StableDiffusionPipeline (SD1.5): eager, compiled, or both (default)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--compile-only", action="store_true", help="time only the first compiled walk")
    parser.add_argument("--base", type=Path, help="ComfyUI base folder to keep between runs (default: a new one)")
    args = parser.parse_args()

    base = args.base or Path(tempfile.mkdtemp(prefix="meander-bench-"))
    comfy = host.boot(base, cpu=not torch.cuda.is_available(), cache=True)
    import nodes

    nodes.NODE_CLASS_MAPPINGS["MeanderBenchSink"] = BenchSink
    global CKPT
    CKPT = CKPTS[args.family]
    t0 = time.perf_counter()
    if args.family == "sdxl":
        make_sdxl_checkpoint(base / "models" / "checkpoints" / CKPT, full=not args.small)
    else:
        make_checkpoint(base / "models" / "checkpoints" / CKPT, full=not args.small)
    print(f"checkpoint built in {time.perf_counter() - t0:.1f} s; device "
          f"{torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}", flush=True)

    batches = [int(b) for b in args.batches.split(",")]
    fast = [int(b) for b in args.fast.split(",") if b]
    if args.compile_only:
        compile_only(comfy, fast[0], args)
        return
    flops = model_flops(args.size)
    peak = matmul_tflops() * 1e12 if torch.cuda.is_available() else float("nan")
    frame_flops = {False: args.steps * 2 * flops["unet_per_image"]["total"]}
    frame_flops[True] = frame_flops[False] + flops["decode_per_image"]
    limits = {decode: peak / f for decode, f in frame_flops.items()}
    print(f"UNet {flops['unet_per_image']['total'] / 1e12:.3f} TFLOP per image per forward, decode "
          f"{flops['decode_per_image'] / 1e12:.2f} TFLOP per image; fp16 matmul {peak / 1e12:.0f} TFLOP/s; limit "
          f"{limits[False]:.2f} frames/s sampling only, {limits[True]:.2f} with decode", flush=True)
    rows, checks = [], {}

    def save(partial: bool) -> None:
        """Write the figures so far (after every case, so a run that is stopped keeps them and their ratios)."""
        if args.json:
            args.json.write_text(json.dumps({
                "rows": rows, "checks": checks, "ratios": ratios_of(rows), "flops": flops,
                "matmul_tflops": peak / 1e12, "limit_frames_per_s": limits, "partial": partial,
                "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
                "torch": torch.__version__, "args": vars(args)}, indent=1, default=str))

    def record(name: str, batch: int, decode: bool, graphs: Callable[[int], list[dict]], frames: int) -> dict:
        seconds, gpu_mb = timed(comfy, graphs, args.repeats)
        row = {"case": name, "batch": batch, "decode": decode, "frames_per_s": frames / seconds,
               "share_of_limit": frames / seconds / limits[decode],
               "ms_per_frame": 1000 * seconds / frames, "peak_gpu_mb": gpu_mb, "peak_host_mb": peak_host_mb()}
        rows.append(row)
        save(partial=True)
        print(f"{name:>36} B={batch:<3} decode={decode!s:<5} {row['frames_per_s']:8.2f} frames/s "
              f"{100 * row['share_of_limit']:5.1f}% of limit "
              f"{row['ms_per_frame']:8.1f} ms/frame  GPU {gpu_mb:8.0f} MB  host {row['peak_host_mb']:7.0f} MB",
              flush=True)
        return row

    for batch in batches:
        for decode in (False, True):
            record("a_ksampler", batch, decode,
                   lambda i, b=batch, d=decode: [ksampler_graph(b, args.size, args.steps, 11 + i, d)], batch)
            record("b_seed_walk", batch, decode,
                   lambda i, b=batch, d=decode: [walk_graph(b, args.size, args.steps, d, seed=11 + i)], batch)
            if args.per_prompt:
                record("b_prompt_walk", batch, decode,
                       lambda i, b=batch, d=decode: [prompt_walk_graph(b, args.size, args.steps, d, seed=11 + i)],
                       batch)
        comfy.run(ksampler_graph(batch, args.size, args.steps, 11, False))
        plain = BenchSink.last
        comfy.run(walk_graph(batch, args.size, args.steps, False))
        walk = BenchSink.last
        checks[f"walk_frame0_vs_ksampler_B{batch}_max_abs_diff"] = float((walk[0] - plain[0]).abs().max())
        walk_seconds = next(r for r in rows if r["case"] == "b_seed_walk" and r["batch"] == batch
                            and not r["decode"])["ms_per_frame"] * batch / 1000
        checks[f"own_ops_share_B{batch}"] = own_ops_seconds(batch, args.size) / walk_seconds
    for decode in (False, True) if args.per_prompt else ():
        record("c_per_prompt", 1, decode, lambda i, d=decode: [
            ksampler_graph(1, args.size, args.steps, 1000 * i + k, d) for k in range(args.per_prompt)],
            args.per_prompt)
    for mode in args.fast_mode.split(","):
        for batch in fast:
            comfy.run(walk_graph(batch, args.size, args.steps, False))
            reference = BenchSink.last
            t0 = time.perf_counter()
            comfy.run(walk_graph(batch, args.size, args.steps, False, mode))
            checks[f"fast {mode} compile_seconds_B{batch}"] = time.perf_counter() - t0
            compiled = BenchSink.last
            checks[f"fast {mode} vs_plain_B{batch}_rel_diff"] = float(
                (compiled - reference).abs().max() / reference.abs().max())
            comfy.run(walk_graph(batch, args.size, args.steps, True))
            reference = BenchSink.last
            t0 = time.perf_counter()
            comfy.run(walk_graph(batch, args.size, args.steps, True, mode))
            checks[f"fast {mode} first_decoded_walk_seconds_B{batch}"] = time.perf_counter() - t0
            checks[f"fast {mode} decoded_vs_plain_B{batch}_max_abs_diff"] = float(
                (BenchSink.last - reference).abs().max())
            if mode == args.fast_mode.split(",")[0] and torch.cuda.is_available():
                comfy.run(walk_graph(batch, args.size, args.steps, False))
                checks[f"decoder_rounding_B{batch}"] = decoder_rounding(BenchSink.last)
            for decode in (False, True):
                record(f"d_fast {mode}", batch, decode,
                       lambda i, b=batch, d=decode, m=mode: [walk_graph(b, args.size, args.steps, d, m, seed=11 + i)],
                       batch)

    if args.peer:
        peer_rows(args, fast or batches[-1:], limits, rows, checks, save)
    print(json.dumps(checks, indent=1))
    print(json.dumps(ratios_of(rows), indent=1))
    save(partial=False)


AGAINST = {"b_": ("a_ksampler", "c_per_prompt"), "d_": ("a_ksampler", "e_diffusers compile")}
"""Case prefix -> the cases its ratios are taken against: walks against plain KSampler and one frame per
prompt, Fast Walk Render against plain KSampler and the compiled peer."""


def ratios_of(rows: list[dict]) -> dict:
    """Each case's best frames/s over its batches, as ratios: walks (b) over plain KSampler (a) and over
    one frame per prompt (c), Fast Walk Render (d) over (a) and over the compiled peer, and each case's
    decode cost (1 - with decode / without); only those whose rows exist."""
    best: dict = {}
    for r in rows:
        key = (r["case"], r["decode"])
        best[key] = max(best.get(key, 0.0), r["frames_per_s"])
    ratios = {}
    for (case, decode), fps in best.items():
        for other in AGAINST.get(case[:2], ()):
            if (other, decode) in best:
                ratios[f"{case} / {other} decode={decode}"] = fps / best[(other, decode)]
        if decode and (case, False) in best:
            ratios[f"{case} decode_cost"] = 1 - fps / best[(case, False)]
    return ratios


def peer_rows(args: argparse.Namespace, batches: list[int], limits: dict, rows: list, checks: dict,
              save: Callable[[bool], None]) -> None:
    """(e) diffusers' StableDiffusionPipeline (benchmarks/diffusers_peer.py), eager and compiled, on the
    batches of (d), after ComfyUI's models are unloaded; rows as record() makes them, saved after each."""
    import comfy.model_management

    from benchmarks import diffusers_peer

    comfy.model_management.unload_all_models()
    comfy.model_management.soft_empty_cache()
    pipe = diffusers_peer.pipeline()
    for how in args.peer.split(","):
        if how == "compile":
            diffusers_peer.compile_unet(pipe)
            t0 = time.perf_counter()
            diffusers_peer.render(pipe, batches[0], args.size, args.steps, CFG, False)
            checks[f"peer compile_seconds_B{batches[0]}"] = time.perf_counter() - t0
        for batch in batches:
            for decode in (False, True):
                torch.cuda.reset_peak_memory_stats()
                fps = diffusers_peer.frames_per_s(pipe, batch, args.size, args.steps, CFG, decode, args.repeats)
                row = {"case": f"e_diffusers {how}", "batch": batch, "decode": decode, "frames_per_s": fps,
                       "share_of_limit": fps / limits[decode], "ms_per_frame": 1000 / fps,
                       "peak_gpu_mb": torch.cuda.max_memory_allocated() / 2**20, "peak_host_mb": peak_host_mb()}
                rows.append(row)
                save(True)
                print(f"{row['case']:>36} B={batch:<3} decode={decode!s:<5} {fps:8.2f} frames/s "
                      f"{100 * row['share_of_limit']:5.1f}% of limit", flush=True)
    del pipe
    torch.cuda.empty_cache()


def compile_only(comfy: host.Bed, batch: int, args: argparse.Namespace) -> None:
    """Seconds of the first walk through Fast Walk Render (compile included) and of the next one."""
    mode = args.fast_mode.split(",")[0]
    times = []
    for seed in (11, 12):
        start = time.perf_counter()
        comfy.run(walk_graph(batch, args.size, args.steps, False, mode, seed=seed))
        times.append(time.perf_counter() - start)
    figures = {"first_walk_s": times[0], "second_walk_s": times[1], "compile_s": times[0] - times[1],
               "cache_dir": os.environ.get("TORCHINDUCTOR_CACHE_DIR"), "batch": batch, "mode": mode}
    print(json.dumps(figures), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
