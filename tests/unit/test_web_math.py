"""web/walk_math.js (the editor's previews) computes what latent_ops.schedule computes."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from latent_ops import embedding, schedule, windows
from video_ops import segments

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
    for name, values in zip(names, js, strict=True):
        assert values == pytest.approx(schedule.ease(t, name).tolist(), abs=1e-12), name
    assert run_js("[m.frameTimes(5), m.frameTimes(4, true)]") == [
        schedule.frame_times(5).tolist(), schedule.frame_times(4, closed=True).tolist()]


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_window_matches_schedule_window():
    for start, count in [(0, 0), (3, 0), (2, 5)]:
        window = schedule.window(10, start, count)
        assert run_js(f"m.emittedWindow(10, {{start_frame: {start}, frame_count: {count}}})") == [
            window.start, window.stop]


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_frame_counts_match_latent_ops():
    """Chains, pans and prompt schedules: the editor's counts are latent_ops' counts."""
    chains = [(3, 4, False), (3, 4, True), (5, 1, False)]
    pans = [(2, 64, 1.0, False, False), (3, 8, 2.0, False, True), (2, 8, 3.0, False, False), (3, 8, 2.5, True, False)]
    js = run_js(f"[{json.dumps(chains)}.map(c => m.chainLength(...c)), {json.dumps(pans)}.map(p => m.panLength(...p))]")
    assert js[0] == [schedule.chain_length(*c) for c in chains]
    assert js[1] == [windows.pan_length(*p) for p in pans]
    text = '# a walk\n0: a dog\n"48": "a cat",\n20: a fox: red\n'
    assert run_js(f"m.keyframePositions({json.dumps(text)})") == [k for k, _ in embedding.parse_keyframes(text)]


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_keyframe_progress_follows_the_chain_times():
    """Progress (i + e(t)) / segments of each frame equals latent_ops' chain segment and time."""
    for closed in (False, True):
        total = schedule.chain_length(3, 4, closed)
        seg, t = schedule.chain_times(3, 4, closed, range(total))
        expected = ((seg.double() + schedule.ease(t, "smoothstep")) / (3 if closed else 2)).tolist()
        js = run_js(f"m.keyframeProgress([0, 4, 8], {total}, {json.dumps(closed)}, 'smoothstep')")
        assert js == pytest.approx(expected, abs=1e-12), closed


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JS preview math is not checked")
def test_js_window_plan_is_the_segmented_renderers():
    cases = [(10, 4), (48, 24), (7, 7), (1, 5), (100, 1)]
    js = run_js(f"{json.dumps(cases)}.map(([n, b]) => m.windowPlan(n, b))")
    assert js == [[[w.start, w.stop] for w in segments.plan(n, b)] for n, b in cases]
    assert run_js("[m.windowPlan(0, 4), m.windowPlan(5, 0)]") == [[], []]
