"""`make render`: the headless render (scripts/render.py) with the random-weight demo model as its default.

    .venv/bin/python -m tools.render_demo [the render's arguments]

Without --checkpoint the render samples with the small random-weight SD1.5 test model (built into the
base's models/checkpoints the first time, about 466 MB) at 128x128, 5 steps and 24 frames where the
workflow has those inputs and --set does not name them, so the CPU render takes about a minute: its
frames are abstract colour fields, not pictures, but the walk, sampler, decode and encode are all real.
With --checkpoint it is the render itself.
"""

from __future__ import annotations

from scripts import render
from tools.bed import TEST_CHECKPOINT
from tools.make_checkpoint import make_checkpoint

DEMO_MODEL = render.DefaultModel(
    name=TEST_CHECKPOINT,
    make=make_checkpoint,
    settings=(("width", "128"), ("height", "128"), ("steps", "5"), ("frames", "24")),
    note="the random-weight test model (frames are abstract colour fields)",
)


def main(argv: list[str] | None = None) -> None:
    """The render's command line, the demo model its default checkpoint."""
    render.main(argv, default_model=DEMO_MODEL)


if __name__ == "__main__":
    main()
