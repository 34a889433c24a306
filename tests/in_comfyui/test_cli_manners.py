"""The render CLI as a command-line tool: one-line errors with exit codes, no traceback, nothing left behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from scripts.host import REPO, host_version
from tools.bed import TEST_CHECKPOINT

SMALL = ["--set", "width=64", "--set", "height=64", "--set", "frames=4", "--batch", "2"]


def cli(tmp_path, *args: str, checkpoint: Path = REPO / ".cache" / TEST_CHECKPOINT) -> subprocess.CompletedProcess:
    """python -m scripts.render ARGS in a fresh process on its own base folder, the test model as checkpoint,
    in tmp_path as its working folder (nothing lands in the checkout's renders/)."""
    command = [sys.executable, "-m", "scripts.render", "--base", str(tmp_path / "base"),
               "--checkpoint", str(checkpoint), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("render:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-2000:]
    return lines[0]


def test_bad_usage_is_one_line_and_exit_code_2(tmp_path, comfy):
    done = cli(tmp_path, "--batch", "many")
    assert done.returncode == 2
    assert one_line(done.stderr) == "render: error: argument --batch: invalid int value: 'many' (see --help)"
    done = cli(tmp_path, *SMALL, "--set", "framez=3", "--out", str(tmp_path / "walk.mp4"))
    assert done.returncode == 2
    assert one_line(done.stderr) == ("render: error: --set framez=...: no node in the workflow has a widget called "
                                     "'framez'")


def test_a_failed_render_is_one_sentence_exit_1_and_leaves_no_parts_folder(tmp_path, comfy):
    """steps 0 fails ComfyUI's validation at the first window: one sentence naming the node and input."""
    out = tmp_path / "walk.mp4"
    done = cli(tmp_path, *SMALL, "--set", "steps=0", "--out", str(out))
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line.startswith("render: error: in-process: frames 0-1: the graph is invalid: node ")
    assert line.endswith("(BasicScheduler), input steps: Value 0 smaller than min of 1")
    assert not out.exists() and not (tmp_path / "walk.mp4.parts").exists()
    again = cli(tmp_path, *SMALL, "--set", "steps=1", "--out", str(out))  # not refused as "a different walk"
    assert again.returncode == 0, again.stderr[-2000:]
    assert out.exists() and not (tmp_path / "walk.mp4.parts").exists()


def test_debug_shows_the_traceback(tmp_path, comfy):
    done = cli(tmp_path, "--debug", *SMALL, "--set", "framez=3", "--out", str(tmp_path / "walk.mp4"))
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_files_are_checked_before_comfyui_boots(tmp_path, comfy):
    """A missing workflow or a different checkpoint of the same name: one line, before the boot banner."""
    done = cli(tmp_path, "missing.json")
    assert done.returncode == 2 and one_line(done.stderr) == "render: error: workflow missing.json: no such file"
    assert " samples on " not in done.stderr
    other = tmp_path / "other" / TEST_CHECKPOINT
    other.parent.mkdir()
    other.write_bytes(b"not the base's model")
    (tmp_path / "base" / "models" / "checkpoints").mkdir(parents=True)
    (tmp_path / "base" / "models" / "checkpoints" / TEST_CHECKPOINT).symlink_to(REPO / ".cache" / TEST_CHECKPOINT)
    done = cli(tmp_path, *SMALL, checkpoint=other)
    assert done.returncode == 2 and " samples on " not in done.stderr
    assert one_line(done.stderr).endswith("is a different file of the same name: rename one of them, or pass --base "
                                          "with another ComfyUI base folder")


def test_a_render_with_the_defaults_leaves_only_its_video(tmp_path, comfy):
    """No --out: the video lands in renders/ of the working folder, named after the host; the checkpoint
    given where it lies in the base's models folder stays as it was; no parts or empty folders are left."""
    models = tmp_path / "base" / "models" / "checkpoints"
    models.mkdir(parents=True)
    (models / TEST_CHECKPOINT).symlink_to(REPO / ".cache" / TEST_CHECKPOINT)
    done = cli(tmp_path, *SMALL, checkpoint=models / TEST_CHECKPOINT)
    assert done.returncode == 0, done.stderr[-2000:]
    video = tmp_path / "renders" / f"walk-comfyui-{host_version()}.mp4"
    assert done.stdout == f"wrote {video.relative_to(tmp_path)}\n" and video.is_file()
    assert [p.name for p in (tmp_path / "renders").iterdir()] == [video.name]
    assert (models / TEST_CHECKPOINT).resolve() == (REPO / ".cache" / TEST_CHECKPOINT).resolve()
    assert [p for p in (tmp_path / "base" / "output").rglob("*")] == []
    expected = "samples on cuda" if torch.cuda.is_available() else "samples on cpu (torch sees no GPU)"
    assert expected in done.stderr


def test_a_walk_length_the_graph_cannot_have_fails_at_the_first_window(tmp_path, comfy):
    """--total-frames longer than the pan's walk: the last window renders first and fails, one line naming
    the walk's length; nothing is kept (no parts folder refused later as "a different walk")."""
    out = tmp_path / "pan.mp4"
    done = cli(tmp_path, str(REPO / "workflows" / "meander_panorama_pan.json"), "--set", "width=64",
               "--set", "height=64", "--set", "steps=1", "--total-frames", "129", "--batch", "4", "--out", str(out))
    assert done.returncode == 2
    assert one_line(done.stderr) == "render: error: --total-frames 129: the walk has 17 frames: pass --total-frames 17"
    assert "ERROR" not in done.stderr and not out.exists() and not (tmp_path / "pan.mp4.parts").exists()


@pytest.mark.parametrize("args, message", [
    (["--crf", "70"], "render: error: crf must be in 0..51 (lower is better; 18 looks lossless), got 70"),
    (["--out", "walk.webm"], "render: error: --out walk.webm: a segmented render writes an mp4: name the output *.mp4"),
])
def test_encoding_options_are_checked_before_rendering(tmp_path, comfy, args, message):
    done = cli(tmp_path, *SMALL, *args)
    assert done.returncode == 2 and one_line(done.stderr) == message


def test_ctrl_c_says_how_many_windows_are_done_and_that_the_command_resumes(tmp_path, comfy):
    """SIGINT once the first of 3 windows is saved: one line, exit code 130; the same command resumes."""
    out = tmp_path / "walk.mp4"
    args = [*SMALL, "--set", "frames=6", "--out", str(out)]
    command = [sys.executable, "-m", "scripts.render", "--base", str(tmp_path / "base"),
               "--checkpoint", str(REPO / ".cache" / TEST_CHECKPOINT), *args]
    proc = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    parts = tmp_path / "walk.mp4.parts"
    deadline = time.monotonic() + 300
    while not list(parts.glob("frames_*.mp4")):
        assert proc.poll() is None and time.monotonic() < deadline, "no segment was saved"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130
    line = one_line(stderr)
    assert line.startswith("render: interrupted: ") and line.endswith(
        f"of 3 windows are rendered in {parts}; run the same command again to render the rest")
    again = cli(tmp_path, *args)
    assert again.returncode == 0 and out.exists(), again.stderr[-2000:]
