"""The headless render end to end against the sampler alone, side by side in one run (prints figures).

    python -m benchmarks.render_speed [--frames 384] [--batch 32] [--steps 20] [--size 512] [--small]
        [--modes plain,compiled] [--json FILE]

Builds walk_speed's random-weight SD1.5 checkpoint at full size (--small: the test model), then:

  1. the render CLI as a user runs it, each in its own process (`python -m scripts.render`): the
     bundled long walk (plain) and fast seed walk (Fast Walk Render), --frames N --batch B
     --set steps=S --set cfg=7, the checkpoint given where it lies in the base's models folder,
     segments kept. From the segment files' times: the first window's seconds from the process's
     start (boot and, compiled, the compile included) and the steady state, the frames of windows
     2..n over the time from the first window's segment to the last one's; and the whole wall time;
  2. the final encode of the plain render's segments alone: decoding only, then segments.stitch with
     the CLI's default encoding (x264 medium) and with the veryfast preset;
  3. the sampler alone in this process, as walk_speed times it: the seed walk of B frames decoded
     into a sink, plain and through Fast Walk Render (its compile cache shared with the CLI's run);

and the ratios: each mode's steady state over its sampler-only frames/s with decode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks import walk_speed
from scripts import host
from tools.make_checkpoint import make_checkpoint
from video_ops import segments

WORKFLOWS = {"plain": "meander_long_walk.json", "compiled": "meander_fast_seed_walk.json"}
"""Mode -> the bundled workflow the CLI renders: the long walk, and the fast seed walk (Fast Walk Render)."""
SAMPLER_MODES = {"plain": None, "compiled": "compile"}
"""Mode -> Fast Walk Render's mode in the sampler-only graph (None: no Fast Walk Render node)."""


def cli_run(mode: str, base: Path, out: Path, args: argparse.Namespace) -> dict:
    """Render one bundled workflow with the CLI in its own process; its figures from the segment files' times."""
    command = [sys.executable, "-m", "scripts.render", str(host.REPO / "workflows" / WORKFLOWS[mode]),
               "--checkpoint", str(base / "models" / "checkpoints" / walk_speed.CKPT), "--base", str(base),
               "--frames", str(args.frames), "--batch", str(args.batch), "--set", f"steps={args.steps}",
               "--set", f"cfg={walk_speed.CFG:g}", "--set", f"width={args.size}", "--set", f"height={args.size}",
               "--out", str(out), "--keep-parts"]
    start = time.time()
    env = {**os.environ, "TORCH_LOGS": "recompiles"}  # dynamo says each recompile on stderr
    done = subprocess.run(command, cwd=host.REPO, capture_output=True, text=True, env=env)
    wall = time.time() - start
    if done.returncode:
        raise RuntimeError(f"render {mode} failed: {done.stderr[-3000:]}")
    finished = segments.finished(out.with_name(out.name + ".parts"))
    ends = sorted((path.stat().st_mtime, window.count) for window, path in finished.items())
    steady_frames = sum(count for _, count in ends[1:])
    row = {"case": f"cli {mode}", "workflow": WORKFLOWS[mode], "frames": args.frames, "batch": args.batch,
           "wall_s": wall, "first_window_s": ends[0][0] - start,
           "steady_frames_per_s": steady_frames / (ends[-1][0] - ends[0][0]) if len(ends) > 1 else None,
           "whole_frames_per_s": args.frames / wall,
           "recompiles": sum("Recompiling function" in line for line in done.stderr.splitlines()),
           "banner": [line for line in done.stderr.splitlines() if " samples on " in line],
           "command": " ".join(command)}
    print(f"{row['case']:>14}: first window {row['first_window_s']:6.1f} s, steady "
          f"{row['steady_frames_per_s'] or float('nan'):6.2f} frames/s, {args.frames} frames in {wall:6.1f} s, "
          f"{row['recompiles']} recompiles; {row['banner']}", flush=True)
    return row


def stitch_rows(parts: Path, out: Path) -> list[dict]:
    """Frames/s of the final encode alone over a render's kept segments: decoding them only (to the
    encoder's YUV), then the stitch with the CLI's default encoding and with x264's veryfast preset."""
    finished = segments.finished(parts)
    paths = [finished[w] for w in sorted(finished)]
    rows = []
    start = time.perf_counter()
    count = sum(1 for path in paths for frame in segments.decoded(path) if frame.reformat(format="yuv420p"))
    rows.append({"case": "decode only", "frames": count, "seconds": time.perf_counter() - start})
    for preset in ("medium", "veryfast"):
        start = time.perf_counter()
        count = segments.stitch(paths, out, force=True, encoding=segments.Encoding(preset=preset))
        rows.append({"case": f"stitch {preset}", "frames": count, "seconds": time.perf_counter() - start,
                     "bytes": out.stat().st_size})
    for row in rows:
        row.update(frames_per_s=row["frames"] / row["seconds"], cpu_cores=os.cpu_count())
        print(f"{row['case']:>14}: {row['frames']} frames in {row['seconds']:.1f} s, {row['frames_per_s']:.0f} "
              f"frames/s ({os.cpu_count()} CPU cores)", flush=True)
    return rows


def sampler_row(comfy: host.Bed, mode: str, args: argparse.Namespace) -> dict:
    """walk_speed's seed walk of B frames decoded into a sink (no files), as frames/s after a warm-up."""
    fast = SAMPLER_MODES[mode]
    seconds, gpu_mb = walk_speed.timed(
        comfy, lambda i: [walk_speed.walk_graph(args.batch, args.size, args.steps, True, fast, seed=11 + i)],
        args.repeats)
    row = {"case": f"sampler {mode}", "batch": args.batch, "frames_per_s": args.batch / seconds,
           "peak_gpu_mb": gpu_mb}
    print(f"{row['case']:>14}: {row['frames_per_s']:6.2f} frames/s with decode", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=384)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--modes", default="plain,compiled")
    parser.add_argument("--small", action="store_true", help="the small test model instead of full SD1.5")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--base", type=Path, help="ComfyUI base folder (default: a new one)")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]

    base = (args.base or Path(tempfile.mkdtemp(prefix="meander-render-bench-"))).resolve()
    comfy = host.boot(base, cpu=not host.accelerator_available(), cache=True)
    import nodes

    nodes.NODE_CLASS_MAPPINGS["MeanderBenchSink"] = walk_speed.BenchSink
    t0 = time.perf_counter()
    make_checkpoint(base / "models" / "checkpoints" / walk_speed.CKPT, full=not args.small)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    print(f"checkpoint built in {time.perf_counter() - t0:.1f} s; device {device}", flush=True)

    renders = Path(tempfile.mkdtemp(prefix="meander-render-out-"))
    rows: list[dict] = []

    def add(row: dict) -> None:
        """Keep a row and write the figures so far (a run stopped by a time limit keeps them)."""
        rows.append(row)
        by_case = {r["case"]: r for r in rows}
        ratios = {f"cli {m} steady / sampler {m}": by_case[f"cli {m}"]["steady_frames_per_s"]
                  / by_case[f"sampler {m}"]["frames_per_s"]
                  for m in modes if f"cli {m}" in by_case and f"sampler {m}" in by_case}
        if args.json:
            args.json.write_text(json.dumps({
                "rows": rows, "ratios": ratios, "device": device, "torch": torch.__version__,
                "comfyui": host.host_version(), "args": vars(args)}, indent=1, default=str))
        if len(ratios) == len(modes):
            print(json.dumps(ratios, indent=1), flush=True)

    for mode in modes:
        add(cli_run(mode, base, renders / f"{mode}.mp4", args))
    for row in stitch_rows(renders / f"{modes[0]}.mp4.parts", renders / "stitch.mp4"):
        add(row)
    for mode in modes:
        add(sampler_row(comfy, mode, args))


if __name__ == "__main__":
    main()
