"""Windows per minute of the Ray backend with 1 and 2 CPU actors, side by side (prints figures, not a test).

    .venv/bin/python -m benchmarks.ray_windows [--frames 17] [--batch 2] [--size 64] [--steps 3] [--json FILE]

Starts a local Ray cluster of 2 CPUs, then for 1 and then 2 CPU actors (scripts/ray_render.start,
on the random-weight test model) renders the bundled seed walk of --frames frames in windows of
--batch through scripts.render (the same path as `render --ray`), and reports windows per minute
of the render (actors already booted: their boot is reported apart), the seconds to boot the
actors, and each actor's resident memory after the render. Each actor asks Ray for one CPU (Ray
then gives its torch one thread, OMP_NUM_THREADS=1), so 2 actors can at best double the rate, and
only where two cores are free.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from scripts import host, ray_render, render
from tools.bed import TEST_CHECKPOINT, test_checkpoint
from video_ops import segments

SEED_WALK = host.REPO / "workflows" / "meander_seed_walk.json"


def measure(actors: int, base: Path, options: render.RenderOptions, work: Path) -> dict:
    """Boot `actors` CPU actors, render the walk on them once; windows per minute of the render, boot s, RSS MB."""
    import ray

    t0 = time.perf_counter()
    engines = ray_render.start(actors, base, cpu=True)
    booted = time.perf_counter() - t0
    out = work / f"walk-{actors}.mp4"
    t1 = time.perf_counter()
    render.render(SEED_WALK, out, options, engines=engines)
    seconds = time.perf_counter() - t1
    windows = len(segments.plan(segments.frame_count(out), options.batch))
    rss = [ray.get(e.actor.rss.remote()) / 2**20 for e in engines]
    for engine in engines:
        ray.kill(engine.actor)
    return {"actors": actors, "windows": windows, "render_s": round(seconds, 2),
            "windows_per_min": round(60 * windows / seconds, 1), "boot_s": round(booted, 1),
            "actor_rss_mb": [round(r) for r in rss]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=17)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    import ray

    work = Path(tempfile.mkdtemp(prefix="meander-ray-bench-"))
    base = host.make_base(work / "base")
    (base / "models" / "checkpoints" / TEST_CHECKPOINT).symlink_to(test_checkpoint())
    options = render.RenderOptions(
        checkpoint=Path(TEST_CHECKPOINT), seeds=(3, 4), base=base, batch=args.batch, progress=False,
        overrides=(("width", str(args.size)), ("height", str(args.size)), ("steps", str(args.steps)),
                   ("frames", str(args.frames))))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        rows = [measure(n, base, options, work) for n in (1, 2)]
    finally:
        ray.shutdown()
    print(f"{'actors':>6} {'windows':>7} {'render s':>8} {'windows/min':>11} {'boot s':>6}  actor RSS MB")
    for r in rows:
        print(f"{r['actors']:>6} {r['windows']:>7} {r['render_s']:>8} {r['windows_per_min']:>11} {r['boot_s']:>6}  "
              f"{r['actor_rss_mb']}")
    print(f"speed-up with 2 actors: {rows[1]['windows_per_min'] / rows[0]['windows_per_min']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"frames": args.frames, "batch": args.batch, "size": args.size,
                                         "steps": args.steps, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
