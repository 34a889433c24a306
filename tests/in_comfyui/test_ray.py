"""The Ray backend on a local Ray cluster (2 CPUs, 2 CPU actors, the test model): frame for frame the
single-process render, a killed actor costs only its window, and a second run resumes.

The actors share the 2 CPUs, so this module starts two at a time: `render --ray` starts its own
and drops them when it returns; the module's pair (`actors`) serves the other tests, and the
last test kills one of them.
"""

import importlib
import importlib.metadata
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from scripts import host, ray_render, render, segmented
from tests.in_comfyui.graphs import TEST_CHECKPOINT
from video_ops import segments
from video_ops.segments import Window

SEED_WALK = host.REPO / "workflows" / "meander_seed_walk.json"
SMALL = (("width", "64"), ("height", "64"), ("steps", "3"), ("frames", "5"))
WINDOWS = [Window(0, 2), Window(2, 4), Window(4, 5)]


@pytest.fixture(scope="module")
def options(comfy):
    """A 5-frame 64x64 seed walk on the test model, in windows of 2 frames, on the session's base."""
    checkpoint = comfy.base / "models" / "checkpoints" / TEST_CHECKPOINT
    return render.RenderOptions(checkpoint=checkpoint, seeds=(3, 4), overrides=SMALL, base=comfy.base, batch=2,
                                keep_parts=True, progress=False)


@pytest.fixture(scope="module")
def reference(options, tmp_path_factory):
    """The frames of the single-process render (this process's ComfyUI) with torch on one thread, as Ray's
    one-CPU actors sample: the README's claim is byte-identical frames at the same device and thread count."""
    import torch

    out = tmp_path_factory.mktemp("single") / "one.mp4"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        render.render(SEED_WALK, out, options)
    finally:
        torch.set_num_threads(threads)
    return frames(out)


def pinned_ray() -> str:
    """The Ray version requirements-ray.txt pins (its `ray==X` line)."""
    lines = ray_render.REQUIREMENTS.read_text().splitlines()
    return next(line.split("==", 1)[1].strip() for line in lines if line.startswith("ray=="))


def installed_ray() -> str | None:
    try:
        return importlib.metadata.version("ray")
    except importlib.metadata.PackageNotFoundError:
        return None


@pytest.fixture(scope="module")
def ray_module():
    """Ray, installed the way the docs say (`pip install -r requirements-ray.txt` into this Python) where it
    is missing or not the pinned version; a failed install fails the tests that need Ray, never skips them."""
    if installed_ray() != pinned_ray():
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                               str(ray_render.REQUIREMENTS)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"pip install -r {ray_render.REQUIREMENTS.name} failed (exit {done.returncode}):\n"
                        + (done.stdout + done.stderr)[-3000:], pytrace=False)
        importlib.invalidate_caches()
    assert installed_ray() == pinned_ray()
    return importlib.import_module("ray")


@pytest.fixture(scope="module")
def cluster(ray_module):
    ray = ray_module
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


class Recording(ray_render.ActorEngine):
    """An actor engine that records the windows it rendered."""

    def __init__(self, engine):
        super().__init__(engine.actor, engine.name)
        self.windows = []

    def render(self, prompt, writer_id, dest):
        super().render(prompt, writer_id, dest)
        self.windows.append(window_of(prompt))


class KilledMidWindow(Recording):
    """Kills its actor (ray.kill) as soon as the actor has taken its first window."""

    def render(self, prompt, writer_id, dest):
        ref = self.actor.render.remote(prompt, writer_id, str(dest))
        self.killed = window_of(prompt)
        import ray

        ray.kill(self.actor)
        self.wait(ref)


@pytest.fixture(scope="module")
def actors(cluster, comfy):
    """Two CPU actors booted on the session's base; the last test kills one."""
    engines = ray_render.start(2, comfy.base, cpu=True)
    yield engines
    for engine in engines:
        cluster.kill(engine.actor)


def window_of(prompt) -> Window:
    walk = prompt[segmented.walk_nodes(prompt)[0]]["inputs"]
    return Window(walk["start_frame"], walk["start_frame"] + walk["frame_count"])


def frames(path) -> list[np.ndarray]:
    return list(segments.read_frames(path))


def same_video(path, reference) -> bool:
    got = frames(path)
    return len(got) == len(reference) and all(np.array_equal(a, b) for a, b in zip(got, reference, strict=True))


def test_ray_without_ray_installed_answers_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(SystemExit) as stop:
        render.main(["--ray", "auto", "--ray-cpus", "2", "--checkpoint", "model.safetensors",
                     "--out", str(tmp_path / "walk.mp4")])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["render: error: --ray needs Ray, which is not installed: " + ray_render.EXTRA]


def test_ray_render_equals_the_single_process_render(cluster, options, reference, tmp_path):
    out = tmp_path / "ray.mp4"
    assert render.render(SEED_WALK, out, replace(options, ray="auto", ray_cpus=2)) == [out]
    assert same_video(out, reference) and len(reference) == 5 and reference[0].shape == (64, 64, 3)
    assert not np.array_equal(reference[0], reference[4]), "the walk must move"
    manifest = json.loads((render.parts_dir(out) / "manifest.json").read_text())
    assert manifest["segments"] == [[0, 2], [2, 4], [4, 5]] and manifest["total"] == 5
    assert sorted(p.name for p in (options.base / "ray").iterdir()) == ["actor-0", "actor-1"]


def test_a_second_ray_run_resumes(actors, options, reference, tmp_path):
    a, b = (Recording(e) for e in actors)
    out = tmp_path / "resume.mp4"
    render.render(SEED_WALK, out, options, engines=[a, b])
    assert sorted(a.windows + b.windows) == WINDOWS and a.windows and b.windows, "both actors take windows"
    out.unlink()
    (render.parts_dir(out) / segments.segment_name(Window(2, 4))).unlink()
    a.windows, b.windows = [], []
    render.render(SEED_WALK, out, options, engines=[a, b])
    assert a.windows + b.windows == [Window(2, 4)], "only the missing window is rendered again"
    assert same_video(out, reference)
    out.unlink()
    a.windows, b.windows = [], []
    render.render(SEED_WALK, out, options, engines=[a, b])
    assert a.windows + b.windows == [] and same_video(out, reference), "a finished render renders nothing new"


def test_an_actor_killed_mid_render_costs_only_its_window(actors, options, reference, tmp_path):
    """Runs last: it kills one of the module's actors."""
    victim, survivor = KilledMidWindow(actors[0]), Recording(actors[1])
    out = tmp_path / "killed.mp4"
    assert render.render(SEED_WALK, out, options, engines=[victim, survivor]) == [out]
    assert victim.windows == [] and victim.killed in WINDOWS
    assert sorted(survivor.windows) == WINDOWS, "each window rendered once by the survivor, the killed one too"
    assert same_video(out, reference)
    assert sorted(p.name for p in render.parts_dir(out).iterdir()) == [
        ".lock", "frames_000000_000002.mp4", "frames_000002_000004.mp4", "frames_000004_000005.mp4",
        "manifest.json"]


class Fake:
    """An engine that writes its window's name as the segment, or is lost on its `lost_at`-th window."""

    def __init__(self, name, lost_at=None):
        self.name, self.lost_at, self.windows = name, lost_at, []

    def render(self, prompt, writer_id, dest):
        if self.lost_at is not None and len(self.windows) == self.lost_at:
            raise segmented.EngineLost("worker gone")
        self.windows.append(window_of(prompt))
        dest.write_text(str(self.windows[-1]))


def fake_walk() -> dict:
    return {"1": {"class_type": "MeanderSeedWalk", "inputs": {"start_frame": 0, "frame_count": 0}},
            "2": {"class_type": segmented.WRITER, "inputs": {}}}


def test_a_lost_engine_hands_its_window_to_another_and_the_last_loss_stops_the_render(tmp_path):
    parts = segmented.Parts.open(tmp_path / "a.parts", "f" * 16, 5, 12.0)
    lost, other = Fake("lost", lost_at=1), Fake("other")
    segmented.run_windows(fake_walk(), "2", WINDOWS, 5, [lost, other], parts)
    assert len(lost.windows) == 1 and sorted(lost.windows + other.windows) == WINDOWS, "each window rendered once"
    assert sorted(parts.done()) == WINDOWS and all(p.read_text() == str(w) for w, p in parts.done().items())
    alone = segmented.Parts.open(tmp_path / "b.parts", "f" * 16, 5, 12.0)
    with pytest.raises(RuntimeError, match=r"every engine was lost with 2 window\(s\) left .*lost: worker gone"):
        segmented.run_windows(fake_walk(), "2", WINDOWS, 5, [Fake("lost", lost_at=1)], alone)
    assert sorted(alone.done()) == [Window(0, 2)], "the segment rendered before the loss stays"
