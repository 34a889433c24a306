"""A long walk rendered in windows is one seamless video: the step across a window join is the step
inside a window (lossless segments, one encoder for the whole video; video_ops/segments.py)."""

from pathlib import Path

import numpy as np

from scripts import render
from scripts.host import REPO
from tests.in_comfyui.graphs import TEST_CHECKPOINT
from video_ops import segments

SEED_WALK = REPO / "workflows" / "meander_seed_walk.json"
BATCH = 6


def test_the_step_across_joins_is_the_step_inside_windows(comfy, tmp_path):
    """5 windows of 6 frames (30 frames): the mean step across the 4 joins is within 1.15x of the mean
    step inside windows, on the decoded frames of the final file."""
    out = tmp_path / "walk.mp4"
    settings = (("frames", "30"), ("width", "64"), ("height", "64"), ("steps", "3"))
    options = render.RenderOptions(checkpoint=comfy.base / "models" / "checkpoints" / TEST_CHECKPOINT,
                                   overrides=settings, base=comfy.base, batch=BATCH, progress=False)
    render.render(SEED_WALK, out, options)
    assert segments.frame_count(out) == 30
    inside, join = segments.seam_steps(out, BATCH)
    assert inside > 0.5, "the walk must move"
    assert join <= 1.15 * inside, (inside, join)


def test_seam_steps_counts_the_joins(tmp_path: Path):
    """A video whose frames jump only at the joins: every join step is large, every inside step 0."""
    frames = [np.full((16, 16, 3), 40 * (k // 3), np.uint8) for k in range(9)]
    path = tmp_path / "steps.mp4"
    segments.write_segment(frames, path, 24)
    inside, join = segments.seam_steps(path, 3)
    assert inside < 1.0 and 38 < join < 42
