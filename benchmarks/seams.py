"""The step across window joins against the step inside windows, in a segmented render (prints figures).

    .venv/bin/python -m benchmarks.seams [--frames 24] [--batch 8] [--size 128] [--steps 5]

Renders the bundled seed walk on the random-weight test model in this process's ComfyUI with
the render CLI's code, then decodes the final video and prints the mean frame-to-frame step
(mean absolute difference, 0-255) inside windows and across joins, and their ratio (1.0:
seamless). Run it on two checkouts to compare stitching designs.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from scripts import host, render
from tools.render_demo import DEMO_MODEL
from video_ops import segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="meander-seams-"))
    out = work / "walk.mp4"
    settings = (("frames", str(args.frames)), ("width", str(args.size)), ("height", str(args.size)),
                ("steps", str(args.steps)))
    options = render.RenderOptions(overrides=settings, base=work / "base", batch=args.batch, progress=False,
                                   default_model=DEMO_MODEL)
    render.render(host.REPO / "workflows" / "meander_seed_walk.json", out, options)
    inside, join = segments.seam_steps(out, args.batch)
    print(f"frames={args.frames} batch={args.batch} size={args.size} steps={args.steps}: step inside windows "
          f"{inside:.2f}, across joins {join:.2f}, ratio {join / inside:.2f}")


if __name__ == "__main__":
    main()
