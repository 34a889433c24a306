"""The render CLI as a command-line tool: one-line errors with exit codes, no traceback, nothing left behind."""

import os
import signal
import subprocess
import sys
import time

import pytest

from scripts.bed import REPO
from tests.conftest import TEST_CHECKPOINT

SMALL = ["--set", "width=64", "--set", "height=64", "--set", "frames=4", "--batch", "2"]


def cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """python -m scripts.render ARGS in a fresh process on its own base folder, the test model as checkpoint."""
    command = [sys.executable, "-m", "scripts.render", "--base", str(tmp_path / "base"),
               "--checkpoint", str(REPO / ".cache" / TEST_CHECKPOINT), *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ})


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
