"""The same window rendered in-process and on a one-actor Ray cluster, segment for segment (prints figures).

    python -m benchmarks.ray_vs_local [--frames 16] [--batch 8] [--steps 10] [--size 256] [--small]
        [--runs local,ray,local] [--ray-cpus 0] [--json FILE] [--logs DIR]

Builds walk_speed's random-weight SD1.5 checkpoint (full size; --small: the test model), then runs
the render CLI (`python -m scripts.render`, each run its own process) on the bundled long walk,
--frames F --batch B --set steps=S --set cfg=7 --set width/height=SIZE, segments kept, once per
entry of --runs: `local` in-process (ComfyUI picks the GPU), `ray` with `--ray auto` (a new local
Ray cluster, one actor per GPU: on a one-GPU machine, one actor; --ray-cpus N: N one-CPU actors
instead, for machines without a GPU). A second `local` is the in-process render again, which tells
whether a difference is Ray's or the device's own run-to-run noise.

Each run after the first is compared with the first, segment by segment (the lossless mp4s in
OUT.parts/): the files byte for byte, the decoded frames value for value (max |diff| over uint8
RGB and the fraction of values that differ), and the stitched OUT files byte for byte. Timings: each
run's wall seconds (process start, ComfyUI boot, with Ray the cluster and the actor's boot) and the
seconds from the start to its first and last segment. A run that fails or outlasts --timeout is
reported (stderr's end, and with Ray the cluster's log ends under --logs) and the others go on.

On the GPU machine (the `device` tool), Ray 2.60.0 and ComfyUI's missing wheels (benchmarks/carry.sh's)
travel unpacked in one xz tarball, .rayc/site.tar.xz (49 MB: Ray without ray/jars, its dashboard
build, rllib and llm, its three binaries `strip --strip-unneeded`; plus jsonschema, referencing,
jsonschema-specifications and rpds-py), beside .gpu/ComfyUI; carry [".rayc", ".gpu/ComfyUI"]:

    python3 -c "import tarfile;tarfile.open('.rayc/site.tar.xz').extractall('/tmp/site')"
    export PYTHONPATH=/tmp/site COMFYUI_DIR=$PWD/.gpu/ComfyUI
    python3 -m benchmarks.ray_vs_local --frames 16 --batch 8 --steps 10 --size 512 --timeout 100 \\
        --deadline 110 --json $OUT/ray_vs_local.json
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from benchmarks import walk_speed
from scripts import host
from tools.make_checkpoint import make_checkpoint
from video_ops import segments

WORKFLOW = host.REPO / "workflows" / "meander_long_walk.json"


def command(args: argparse.Namespace, base: Path, out: Path, ray: bool) -> list[str]:
    """The render CLI's command line for one run."""
    line = [sys.executable, "-m", "scripts.render", str(args.workflow),
            "--checkpoint", str(base / "models" / "checkpoints" / walk_speed.CKPT), "--base", str(base),
            "--frames", str(args.frames), "--batch", str(args.batch), "--set", f"steps={args.steps}",
            "--set", f"cfg={walk_speed.CFG:g}", "--set", f"width={args.size}", "--set", f"height={args.size}",
            "--out", str(out), "--keep-parts"]
    if ray:
        line += ["--ray", "auto"] + (["--ray-cpus", str(args.ray_cpus)] if args.ray_cpus else [])
    return line


def ray_logs(dest: Path | None) -> None:
    """Copy the ends of the newest local Ray session's logs (a failed Ray run's evidence) into `dest`."""
    logs = Path(tempfile.gettempdir()) / "ray" / "session_latest" / "logs"
    if dest is None or not logs.is_dir():
        return
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / "ray_logs_tail.txt", "a") as sink:
        for path in sorted(p for p in logs.rglob("*") if p.is_file() and p.stat().st_size):
            text = path.read_bytes()[-4000:].decode(errors="replace")
            sink.write(f"\n===== {path.relative_to(logs)} ({path.stat().st_size} bytes) =====\n{text}\n")


def run(name: str, args: argparse.Namespace, base: Path, work: Path) -> dict:
    """One render CLI run in its own process; its wall time and segment times, or why it failed."""
    ray = name.startswith("ray")
    out = work / f"{name}.mp4"
    line = command(args, base, out, ray)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONUNBUFFERED": "1"}
    start = time.time()
    row: dict = {"run": name, "command": " ".join(line)}
    try:
        done = subprocess.run(line, cwd=host.REPO, capture_output=True, text=True, env=env, timeout=args.timeout)
        row["returncode"], stderr = done.returncode, done.stderr
    except subprocess.TimeoutExpired as e:
        row["returncode"] = "timeout"
        stderr = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    row["wall_s"] = round(time.time() - start, 2)
    lines = [ln for ln in stderr.replace("\r", "\n").splitlines() if ln.strip()]
    row["stderr_tail"] = lines[-25:]
    row["banner"] = [ln for ln in lines if " samples on " in ln or "ray" in ln.lower()][:10]
    finished = segments.finished(out.with_name(out.name + ".parts"))
    ends = sorted(path.stat().st_mtime for path in finished.values())
    row["segments"] = len(finished)
    if ends:
        row["first_segment_s"] = round(ends[0] - start, 2)
        row["last_segment_s"] = round(ends[-1] - start, 2)
    row["ok"] = row["returncode"] == 0 and out.is_file()
    if ray and not row["ok"]:
        ray_logs(args.logs)
    status = "ok" if row["ok"] else f"FAILED {row['returncode']}"
    print(f"{name:>8}: {status}, {row['segments']} segments, wall {row['wall_s']:.1f} s, "
          f"first segment {row.get('first_segment_s')} s, last {row.get('last_segment_s')} s"
          + ("" if row["ok"] else "\n    " + "\n    ".join(row["stderr_tail"])), flush=True)
    return row


@contextlib.contextmanager
def head(args: argparse.Namespace) -> Iterator[None]:
    """A local Ray head started with `ray start --head --num-gpus=1` (which `--ray auto` joins), stopped after."""
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    started = subprocess.run([*ray_cli, "start", "--head", "--num-gpus=1", "--disable-usage-stats",
                              "--include-dashboard=false"], capture_output=True, text=True, env=env, timeout=120)
    print(f"ray start --head --num-gpus=1: exit {started.returncode}; {started.stderr[-1500:]}", flush=True)
    try:
        yield
    finally:
        subprocess.run([*ray_cli, "stop", "--force"], capture_output=True, env=env, timeout=120)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compare(reference: Path, other: Path) -> dict:
    """Segment by segment: identical files, identical frames, max |diff| and the fraction of differing values."""
    ref, got = segments.finished(reference), segments.finished(other)
    rows, biggest, differing, values = [], 0, 0, 0
    for window in sorted(set(ref) | set(got)):
        row = {"window": [window.start, window.stop]}
        if window not in ref or window not in got:
            row["missing_in"] = "reference" if window not in ref else "other"
            rows.append(row)
            continue
        a, b = list(segments.read_frames(ref[window])), list(segments.read_frames(got[window]))
        row["file_identical"] = filecmp.cmp(ref[window], got[window], shallow=False)
        row["frames"] = [len(a), len(b)]
        if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b, strict=True)):
            row["frames_identical"] = False
            row["shape_mismatch"] = True
            rows.append(row)
            continue
        x, y = np.stack(a).astype(np.int16), np.stack(b).astype(np.int16)
        diff = np.abs(x - y)
        row["frames_identical"] = bool(not diff.any())
        row["max_abs_diff"] = int(diff.max())
        row["differing_fraction"] = float((diff > 0).mean())
        row["mean_abs_diff"] = float(diff.mean())
        row["per_frame_max_abs_diff"] = [int(d.max()) for d in diff]
        biggest = max(biggest, row["max_abs_diff"])
        differing, values = differing + int((diff > 0).sum()), values + diff.size
        rows.append(row)
    complete = bool(rows) and all("missing_in" not in r and not r.get("shape_mismatch") for r in rows)
    return {"segments": rows, "complete": complete,
            "all_files_identical": complete and all(r["file_identical"] for r in rows),
            "all_frames_identical": complete and all(r["frames_identical"] for r in rows),
            "max_abs_diff": biggest, "differing_fraction": differing / values if values else None}


def device_info() -> dict:
    """The GPU (or none), torch and Ray versions, as this process sees them (nothing is allocated on the GPU)."""
    import torch

    info = {"torch": torch.__version__, "cuda": torch.version.cuda, "python": sys.version.split()[0],
            "cpu_cores": os.cpu_count(), "comfyui": host.host_version(),
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
                                                  "CUBLAS_WORKSPACE_CONFIG") if os.environ.get(k)}}
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
        info["gpus"] = [ln.strip() for ln in smi.stdout.splitlines() if ln.strip()]
    except (OSError, subprocess.TimeoutExpired):
        info["gpus"] = []
    try:
        import ray

        info["ray"] = ray.__version__
    except ImportError as e:
        info["ray"] = f"not importable: {e}"
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflow", type=Path, default=WORKFLOW)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--runs", default="local,ray,local", help="in order; the first is the reference")
    parser.add_argument("--ray-cpus", type=int, default=0, help="N one-CPU actors instead of one per GPU")
    parser.add_argument("--small", action="store_true", help="the small test model instead of full SD1.5")
    parser.add_argument("--timeout", type=float, default=240, help="seconds a run may take")
    parser.add_argument("--deadline", type=float, default=0, help="skip runs that start after this many seconds")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--logs", type=Path, help="where a failed Ray run's log ends go")
    parser.add_argument("--base", type=Path, help="ComfyUI base folder (default: a new one)")
    parser.add_argument("--keep", action="store_true", help="keep the base and the renders (default: removed)")
    args = parser.parse_args()
    began = time.perf_counter()

    base = host.make_base((args.base or Path(tempfile.mkdtemp(prefix="meander-rayvs-base-"))).resolve())
    work = Path(tempfile.mkdtemp(prefix="meander-rayvs-out-"))
    host.import_comfy_path()
    from comfy.cli_args import args as comfy_args

    comfy_args.cpu = True  # this process only builds the checkpoint: no CUDA context beside the renders'
    t0 = time.perf_counter()
    make_checkpoint(base / "models" / "checkpoints" / walk_speed.CKPT, full=not args.small)
    info = device_info()
    print(f"checkpoint built in {time.perf_counter() - t0:.1f} s; {json.dumps(info)}", flush=True)
    result: dict = {"device": info, "args": vars(args), "checkpoint_s": round(time.perf_counter() - t0, 1),
                    "runs": [], "comparisons": {}}

    def save() -> None:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=1, default=str) + "\n")

    names: list[str] = []
    for kind in [r for r in args.runs.split(",") if r]:
        names.append(kind if kind not in names else f"{kind}-{sum(n.split('-')[0] == kind for n in names) + 1}")
    try:
        for name in names:
            if args.deadline and time.perf_counter() - began > args.deadline:
                result["runs"].append({"run": name, "skipped": "past --deadline"})
                print(f"{name:>8}: skipped (past --deadline)", flush=True)
                continue
            row = run(name, args, base, work)
            result["runs"].append(row)
            if name.startswith("ray") and not row["ok"] and any("has no GPU" in ln for ln in row["stderr_tail"]):
                # Ray's own GPU detection (NVML) found none: again on a head started with the GPU given
                name = f"{name}-head"
                with head(args):
                    row = run(name, args, base, work)
                result["runs"].append(row)
            if name != names[0] and row["segments"] and result["runs"][0].get("segments"):
                reference = work / f"{names[0]}.mp4"
                cmp = compare(reference.with_name(reference.name + ".parts"), work / f"{name}.mp4.parts")
                out = work / f"{name}.mp4"
                cmp["stitched_identical"] = (reference.is_file() and out.is_file()
                                             and sha256(reference) == sha256(out))
                result["comparisons"][f"{name} vs {names[0]}"] = cmp
                print(f"{name} vs {names[0]}: files identical {cmp['all_files_identical']}, frames identical "
                      f"{cmp['all_frames_identical']}, max |diff| {cmp['max_abs_diff']}, differing "
                      f"{cmp['differing_fraction']}, stitched identical {cmp['stitched_identical']}; per segment "
                      + "; ".join(f"{s['window']}: {s.get('max_abs_diff', s.get('missing_in'))} "
                                  f"({s.get('differing_fraction')})" for s in cmp["segments"]), flush=True)
            save()
    finally:
        result["total_s"] = round(time.perf_counter() - began, 1)
        save()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            if not args.base:
                shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
