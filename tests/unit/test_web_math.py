"""web/walk_math.js (the editor's previews) computes what latent_ops.schedule computes."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from latent_ops import schedule

WALK_MATH = Path(__file__).resolve().parents[2] / "web" / "walk_math.js"
NODE = shutil.which("node")


def run_js(expression: str):
    script = f"import * as m from '{WALK_MATH.as_uri()}'; console.log(JSON.stringify({expression}));"
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_easing_and_frame_times_match_python():
    t = torch.linspace(0, 1, 21, dtype=torch.float64)
    names = list(schedule.EASINGS)
    js = run_js(f"{json.dumps(names)}.map(e => {json.dumps(t.tolist())}.map(t => m.ease(t, e)))")
    for name, values in zip(names, js):
        assert values == pytest.approx(schedule.ease(t, name).tolist(), abs=1e-12), name
    assert run_js("[m.frameTimes(5), m.frameTimes(4, true)]") == [
        schedule.frame_times(5).tolist(), schedule.frame_times(4, closed=True).tolist()]


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_window_matches_schedule_window():
    for start, count in [(0, 0), (3, 0), (2, 5)]:
        window = schedule.window(10, start, count)
        assert run_js(f"m.emittedWindow(10, {{start_frame: {start}, frame_count: {count}}})") == [
            window.start, window.stop]
