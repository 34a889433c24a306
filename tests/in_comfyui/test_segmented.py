"""Segmented rendering in the real ComfyUI: the segment writer node, and the CLI's resumable render."""

import numpy as np
import pytest

from scripts import client, render, segmented
from scripts.host import REPO, GraphError
from scripts.workflow import load, ui_to_api
from tests.in_comfyui import graphs
from tests.in_comfyui.test_workflows import TEST_SETTINGS, small_prompt
from tools import build_workflows
from video_ops import segments
from video_ops.segments import Window

SEED_WALK = REPO / "workflows" / "meander_seed_walk.json"


def small_walk(node_info, frames: int = 6) -> dict:
    """The bundled seed walk in API form: test model, 64x64, 3 steps, `frames` frames."""
    prompt = ui_to_api(load(SEED_WALK), node_info)
    render.apply_overrides(prompt, [*TEST_SETTINGS, ("frames", str(frames))])
    return prompt


class Counting:
    """An engine that records the windows it renders, and fails on the `fail_at`-th one."""

    def __init__(self, engine, fail_at: int | None = None):
        self.engine, self.fail_at, self.windows = engine, fail_at, []
        self.name = "counting"

    def render(self, prompt, writer_id, dest):
        walk = prompt[segmented.walk_nodes(prompt)[0]]["inputs"]
        if self.fail_at is not None and len(self.windows) == self.fail_at:
            raise RuntimeError("simulated crash")
        self.windows.append(Window(walk["start_frame"], walk["start_frame"] + walk["frame_count"]))
        self.engine.render(prompt, writer_id, dest)


def _frames(path):
    return list(segments.read_frames(path))


def luma_error(video, frames) -> float:
    """Largest mean |Y - Y'| (0-255) of a video's frames against `frames`, in order. The luma only:
    the video's 4:2:0 chroma cannot hold the test model's pixel-sized colour noise."""
    weights = np.array([0.299, 0.587, 0.114])
    return max(float(np.abs((a.astype(float) - b.astype(float)) @ weights).mean())
               for a, b in zip(_frames(video), frames, strict=True))


def encodes(video, frames) -> bool:
    """The video is `frames` in order, encoded once (crf 18): each frame is far nearer its own source
    than its neighbour's (the test model's 64x64 frames are noise-like: crf 18 leaves ~4 levels)."""
    return luma_error(video, frames) < min(6.0, 0.7 * luma_error(video, frames[1:] + frames[:1]))


def writer_graph(start: int, count: int, frames: int, folder: str, stitch: bool = True) -> dict:
    """The seed walk's window [start, start + count) of `frames`, decoded, into MeanderVideoSegment."""
    walk = {"class_type": "MeanderSeedWalk", "inputs": {
        "seed_a": 1, "seed_b": 2, "frames": frames, "method": "slerp", "easing": "linear",
        "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": start, "frame_count": count}}
    prompt = graphs.custom_sampler(walk, ["4", 0], ["4", 1])
    del prompt["9"]
    prompt["10"] = {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}}
    prompt["11"] = {"class_type": "MeanderVideoSegment", "inputs": {
        "images": ["10", 0], "fps": 12.0, "folder": folder, "start_frame": start, "frames": frames,
        "stitch_when_complete": stitch}}
    return prompt


def test_writer_saves_segments_and_stitches_when_the_walk_is_complete(comfy):
    first = comfy.run(writer_graph(0, 3, 5, "tests/writer")).files("11")[0]
    seg = comfy.output_dir / first["subfolder"] / first["filename"]
    assert first["filename"] == "frames_000000_000003.mp4" and len(_frames(seg)) == 3
    mtime = seg.stat().st_mtime_ns
    again = comfy.run(writer_graph(0, 3, 5, "tests/writer")).files("11")[0]
    assert again == first and seg.stat().st_mtime_ns == mtime, "a finished segment was written twice"
    last = comfy.run(writer_graph(3, 2, 5, "tests/writer")).files("11")[0]
    final = comfy.output_dir / last["subfolder"] / last["filename"]
    assert final == seg.parent.with_suffix(".mp4") and segments.frame_count(final) == 5
    parts = _frames(seg) + _frames(seg.parent / "frames_000003_000005.mp4")
    assert encodes(final, parts)
    changed = writer_graph(0, 3, 5, "tests/writer")
    changed["4"]["inputs"]["seed_b"] = 3
    assert comfy.run(changed).files("11")[0] == {**first, "subfolder": first["subfolder"].replace(
        seg.parent.name, segments.fingerprint(changed, ignore=("stitch_when_complete",))[:12])}, \
        "another walk's window must go to its own subfolder"


def test_writer_refuses_a_window_past_the_walk_and_folders_outside_output(comfy):
    bad = writer_graph(0, 3, 5, "tests/writer")
    bad["11"]["inputs"]["frames"] = 2
    with pytest.raises(GraphError, match=r"start_frame \+ the number of images = 3 is past the walk's 2 frames"):
        comfy.run(bad)
    with pytest.raises(GraphError, match="folder must stay inside ComfyUI's output directory"):
        comfy.run(writer_graph(0, 2, 5, "../escape"))


def test_prepare_turns_the_video_output_into_the_segment_writer(node_info):
    prepared, writer = segmented.prepare(small_walk(node_info))
    kinds = sorted(n["class_type"] for n in prepared.values())
    assert "CreateVideo" not in kinds and "SaveVideo" not in kinds and kinds.count(segmented.WRITER) == 1
    assert prepared[writer]["inputs"]["fps"] == 24.0
    assert segmented.total_frames(prepared) == 6 == segmented.total_frames(prepared, 6)
    with pytest.raises(ValueError, match=r"^--total-frames 9: the walk has 6 frames: leave --total-frames out$"):
        segmented.total_frames(prepared, 9)
    window = segmented.window_prompt(prepared, writer, Window(2, 5), 6, "x")
    walk = window[segmented.walk_nodes(window)[0]]["inputs"]
    assert (walk["start_frame"], walk["frame_count"]) == (2, 3)
    assert window[writer]["inputs"] | {"images": None} == {
        "images": None, "fps": 24.0, "folder": "x", "start_frame": 2, "frames": 6, "stitch_when_complete": False}
    with pytest.raises(ValueError, match="no walk node"):
        segmented.prepare(graphs.ksampler(1))


@pytest.mark.parametrize("name", ["meander_seed_chain_walk", "meander_noise_pan", "meander_prompt_chain",
                                  "meander_noise_loop"])
def test_the_walk_length_is_known_without_a_frames_widget(name, node_info):
    """Chains and pans have no `frames` input: their length, computed from their inputs, is the
    number of frames the real render of the same workflow writes (test_workflows checks that)."""
    prompt = small_prompt(REPO / "workflows" / f"{name}.json", node_info)
    assert segmented.total_frames(prompt) == build_workflows.BUNDLED[name].test_frames


def test_a_latent_pan_needs_its_length_given(node_info):
    prompt = small_prompt(REPO / "workflows" / "meander_panorama_pan.json", node_info)
    with pytest.raises(ValueError, match=r"MeanderLatentPan \d+: unknown\): pass --total-frames N"):
        segmented.total_frames(prompt)
    assert segmented.total_frames(prompt, 9) == 9


def test_cli_overrides_prompts_and_seeds_by_role(node_info):
    prompt = small_walk(node_info)
    render.set_texts(prompt, "positive", ["a red fox"])
    render.set_seeds(prompt, [5, 6])
    walk = prompt[segmented.walk_nodes(prompt)[0]]["inputs"]
    assert (walk["seed_a"], walk["seed_b"]) == (5, 6)
    texts = {n["inputs"]["text"] for n in prompt.values() if n["class_type"] == "CLIPTextEncode"}
    assert "a red fox" in texts and len(texts) == 2
    with pytest.raises(ValueError, match=r"2 seed inputs \(MeanderSeedWalk.seed_a, MeanderSeedWalk.seed_b\)"):
        render.set_seeds(prompt, [1])


def test_cli_reads_seeds_as_the_seed_list_widgets_do(monkeypatch, capsys):
    """--seeds goes through noise.parse_seeds (commas, semicolons or whitespace); a bad entry is a usage error."""
    given = []
    monkeypatch.setattr(render, "render", lambda workflow, out, options: given.append(options) or [])
    render.main(["--seeds", "1337; 42 7", "--verbose"])
    assert given[0].seeds == (1337, 42, 7)
    with pytest.raises(SystemExit) as exited:
        render.main(["--seeds", "1337, x"])
    assert exited.value.code == 2 and "--seeds: entry 2 ('x') is not a whole number" in capsys.readouterr().err


def test_segmented_render_is_one_sampler_call_per_batch_and_resumes(comfy, node_info, tmp_path, monkeypatch):
    """6 frames at batch 2: 3 graphs, each one sampler call over 2 frames; a crash after the first
    segment keeps it, and the re-run renders only the 2 missing windows; the stitched video is the
    same as an uninterrupted render's, frame for frame."""
    import comfy.samplers as samplers

    calls = []
    original = samplers.CFGGuider.sample

    def counted(self, noise, latent_image, *args, **kwargs):
        calls.append(noise.shape[0])
        return original(self, noise, latent_image, *args, **kwargs)

    monkeypatch.setattr(samplers.CFGGuider, "sample", counted)
    local = client.LocalEngine(comfy)
    whole = tmp_path / "whole.mp4"
    engine = Counting(local)
    render.render_segments(small_walk(node_info), whole, [engine],
                           render.RenderOptions(batch=2, keep_parts=True, progress=False))
    assert engine.windows == [Window(0, 2), Window(2, 4), Window(4, 6)]
    assert calls == [2, 2, 2]
    assert segments.frame_count(whole) == 6
    parts = render.parts_dir(whole)
    joined = [f for w in engine.windows for f in _frames(parts / segments.segment_name(w))]
    assert encodes(whole, joined)

    out = tmp_path / "resumed.mp4"
    crashing = Counting(local, fail_at=1)
    by_two = render.RenderOptions(batch=2, progress=False)
    with pytest.raises(RuntimeError, match="frames 2-3: simulated crash"):
        render.render_segments(small_walk(node_info), out, [crashing], by_two)
    assert not out.exists() and sorted(segments.finished(render.parts_dir(out))) == [Window(0, 2)]
    resumed = Counting(local)
    render.render_segments(small_walk(node_info), out, [resumed], by_two)
    assert resumed.windows == [Window(2, 4), Window(4, 6)]
    assert all(np.array_equal(a, b) for a, b in zip(_frames(out), _frames(whole), strict=True))
    assert not render.parts_dir(out).exists()


def test_segmented_render_refuses_to_mix_walks_or_overwrite(comfy, node_info, tmp_path):
    out = tmp_path / "walk.mp4"
    crashing = Counting(client.LocalEngine(comfy), fail_at=1)
    by_three = render.RenderOptions(batch=3, progress=False)
    with pytest.raises(RuntimeError, match="simulated crash"):
        render.render_segments(small_walk(node_info), out, [crashing], by_three)
    other = small_walk(node_info)
    render.set_seeds(other, [7, 8])
    with pytest.raises(FileExistsError, match="holds segments of a different walk"):
        render.render_segments(other, out, [crashing], by_three)
    out.write_bytes(b"mine")
    checkpoint = comfy.base / "models" / "checkpoints" / graphs.TEST_CHECKPOINT
    with pytest.raises(FileExistsError, match="pass --force"):
        render.render(SEED_WALK, out, render.RenderOptions(base=comfy.base, checkpoint=checkpoint))
    assert out.read_bytes() == b"mine"
    with pytest.raises(ValueError, match="writes an mp4"):
        render.render_segments(small_walk(node_info), tmp_path / "walk.webp", [crashing],
                               render.RenderOptions(progress=False))
