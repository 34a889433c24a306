"""Peak host RAM of a segmented render against the walk's length (not a test: prints figures).

    .venv/bin/python -m benchmarks.walk_memory [--lengths 16,64] [--size 256] [--steps 1] [--batch 8]

Each render runs in a fresh process (the bundled seed walk on the random-weight test model, in
this process's ComfyUI) that reports its own peak resident set (ru_maxrss). The last line
renders the longest walk as ONE segment (batch = length), what a plain CreateVideo graph does,
for contrast.

Measured on a shared 2-core CPU machine (256x256, 1 step, batch 8):
    frames=16 batch=8   peak RSS 3744 MB
    frames=64 batch=8   peak RSS 3804 MB
    frames=64 batch=64  peak RSS 10297 MB   (the whole walk as one batch)
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(frames: int, size: int, steps: int, batch: int) -> None:
    from scripts import render
    from tools import render_demo

    work = Path(tempfile.mkdtemp(prefix="meander-bench-"))
    render_demo.main([str(render.DEFAULT_WORKFLOW), "--out", str(work / "walk.mp4"), "--base", str(work / "base"),
                 "--frames", str(frames), "--batch", str(batch), "--set", f"width={size}", "--set", f"height={size}",
                 "--set", f"steps={steps}"])
    print(f"PEAK_RSS_MB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="16,64")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--child", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    lengths = [int(n) for n in args.lengths.split(",")]
    runs = [(n, args.batch) for n in lengths] + [(lengths[-1], lengths[-1])]
    print(f"{args.size}x{args.size}, {args.steps} step(s), test model")
    for frames, batch in runs:
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "benchmarks.walk_memory", "--child", str(frames), str(args.size),
                              str(args.steps), str(batch)], capture_output=True, text=True, check=True).stdout
        peak = next(line.split()[1] for line in out.splitlines() if line.startswith("PEAK_RSS_MB"))
        print(f"frames={frames:5d} batch={batch:4d}  peak RSS {peak:>6} MB  ({time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
