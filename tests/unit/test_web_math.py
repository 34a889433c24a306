"""web/walk_math.js: the editor's label and the window plan of the queue button (video_ops.segments.plan)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from video_ops import segments

WALK_MATH = Path(__file__).resolve().parents[2] / "web" / "walk_math.js"
NODE = shutil.which("node")


def run_js(expression: str):
    script = f"import * as m from '{WALK_MATH.as_uri()}'; console.log(JSON.stringify({expression}));"
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_label_counts_the_window_at_the_fps():
    assert run_js("[m.walkLabel(48, [0, 48], 24), m.walkLabel(48, [8, 20], 12)]") == [
        "48 frames · 2.00 s at 24 fps", "frames 8-19 of 48 · 1.00 s at 12 fps"]


def test_walk_math_holds_no_walk_formula():
    """Lengths, windows and frame times come from latent_ops.walks through the server, never from JS."""
    text = WALK_MATH.read_text()
    assert "export const WALKS" not in text and "ease(" not in text and "chainLength" not in text


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_window_plan_is_the_segmented_renderers():
    cases = [(10, 4), (48, 24), (7, 7), (1, 5), (100, 1)]
    js = run_js(f"{json.dumps(cases)}.map(([n, b]) => m.windowPlan(n, b))")
    assert js == [[[w.start, w.stop] for w in segments.plan(n, b)] for n, b in cases]
    assert run_js("[m.windowPlan(0, 4), m.windowPlan(5, 0)]") == [[], []]
