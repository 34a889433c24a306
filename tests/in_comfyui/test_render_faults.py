"""What happens to a long render when things go wrong, through the real CLI and ComfyUI (CPU, test model).

Each fault has one defined outcome: nothing finished is lost, no damaged file is trusted by a later
run, the user reads one line, and the same command finishes the video, with the very frames of an
undisturbed render.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.host import REPO
from tests.in_comfyui.test_cli_manners import one_line
from tests.in_comfyui.test_workflows import decoded_frames
from tools.bed import TEST_CHECKPOINT

WALK = ["--set", "width=64", "--set", "height=64", "--set", "steps=2", "--set", "frames=8", "--batch", "2"]
"""Four windows of two frames: a render of about 20 s on two CPU cores."""


def command(tmp_path: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scripts.render", "--base", str(tmp_path / "base"),
            "--checkpoint", str(REPO / ".cache" / TEST_CHECKPOINT), *WALK, "--out", str(out), *extra]


def run(tmp_path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(tmp_path, out, *extra), cwd=REPO, capture_output=True, text=True, timeout=600)


def start(tmp_path: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(command(tmp_path, out), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def wait_for(condition, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 300
    while not condition():
        assert proc.poll() is None and time.monotonic() < deadline, f"the render ended before {what}"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, comfy) -> list:
    """The frames of an undisturbed render of WALK."""
    tmp_path = tmp_path_factory.mktemp("reference")
    done = run(tmp_path, tmp_path / "walk.mp4")
    assert done.returncode == 0, done.stderr[-2000:]
    return decoded_frames(tmp_path / "walk.mp4")


def same_frames(video: Path, reference: list) -> bool:
    import numpy as np

    got = decoded_frames(video)
    return len(got) == len(reference) and all(np.array_equal(a, b) for a, b in zip(got, reference, strict=True))


def only_the_video(tmp_path: Path, out: Path) -> None:
    """After a finished render: the video beside no parts folder and no temporary file."""
    assert sorted(p.name for p in out.parent.iterdir() if p.name != "base") == [out.name]


def test_kill_9_mid_render_then_the_same_command_finishes_the_same_video(tmp_path, reference):
    """SIGKILL once the first segment is saved, with the next window sampling and the last one's encode
    perhaps in flight: the finished segment stays, and the same command renders only the rest."""
    out = tmp_path / "walk.mp4"
    parts = tmp_path / "walk.mp4.parts"
    proc = start(tmp_path, out)
    wait_for(lambda: list(parts.glob("frames_*.mp4")), proc, "its first segment")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    kept = sorted(p.name for p in parts.glob("frames_*.mp4"))
    again = run(tmp_path, out)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"resuming: {len(kept)} segment(s) already rendered in {parts}" in again.stderr
    assert same_frames(out, reference)
    only_the_video(tmp_path, out)


def test_what_a_kill_9_during_a_write_or_the_stitch_leaves_is_cleared_and_never_trusted(tmp_path, reference):
    """A kill during a segment's write leaves its temporary files (the writer's .tmp, a move's .incoming),
    a kill during the stitch a temporary video beside the output and every segment: the same command
    removes them and stitches the segments it has."""
    out = tmp_path / "walk.mp4"
    parts = tmp_path / "walk.mp4.parts"
    done = run(tmp_path, out, "--keep-parts")
    assert done.returncode == 0, done.stderr[-2000:]
    out.unlink()
    (parts / ".frames_000006_000008.mp4.4242.tmp").write_bytes(b"half a segment")
    (parts / ".frames_000006_000008.mp4.incoming").write_bytes(b"half a move")
    (tmp_path / ".walk.mp4.4242.tmp").write_bytes(b"half a video")
    again = run(tmp_path, out)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming" not in again.stderr and "renders again" not in again.stderr  # nothing to render
    assert same_frames(out, reference)
    only_the_video(tmp_path, out)


def test_a_truncated_or_changed_segment_is_found_and_rendered_again(tmp_path, reference):
    out = tmp_path / "walk.mp4"
    parts = tmp_path / "walk.mp4.parts"
    done = run(tmp_path, out, "--keep-parts")
    assert done.returncode == 0, done.stderr[-2000:]
    out.unlink()
    truncated, changed = parts / "frames_000002_000004.mp4", parts / "frames_000004_000006.mp4"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the same size, one byte changed
    changed.write_bytes(bytes(data))
    again = run(tmp_path, out)
    assert again.returncode == 0, again.stderr[-2000:]
    for name in (truncated.name, changed.name):
        assert f"segment {name} is not what was rendered (truncated or changed since): it renders again" \
            in again.stderr
    assert "resuming: 2 segment(s) already rendered" in again.stderr
    assert same_frames(out, reference)


def test_a_second_render_of_the_same_output_is_refused_while_the_first_runs(tmp_path, comfy):
    """The first render holds its parts folder (a walk of 64 frames, long enough to outlast the second's
    boot); the second says so in one line and changes nothing; the first finishes."""
    out = tmp_path / "walk.mp4"
    parts = tmp_path / "walk.mp4.parts"
    first = subprocess.Popen(command(tmp_path, out, "--set", "frames=64"), cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (parts / "manifest.json").exists(), first, "it held its parts folder")
    second = run(tmp_path, out, "--set", "frames=64")
    assert first.poll() is None, "the first render ended before the second one asked"
    assert second.returncode == 2
    assert one_line(second.stderr) == (f"render: error: another render is writing into {parts} now: wait for it "
                                       "to end, or choose another --out")
    _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-2000:]
    assert len(decoded_frames(out)) == 64
    only_the_video(tmp_path, out)


@pytest.fixture
def small_disk(tmp_path):
    """A 200 KiB tmpfs (root only; the test is skipped where the machine allows no mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"this machine allows no tmpfs mount: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=False)


def test_a_full_disk_stops_with_one_line_and_the_same_command_resumes_once_there_is_room(
        tmp_path, reference, small_disk):
    out = small_disk / "walk.mp4"
    parts = small_disk / "walk.mp4.parts"
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (200 * 1024 - 40 * 1024))  # room for the manifest and a segment or two
    full = run(tmp_path, out)
    assert full.returncode == 1
    assert "No space left on device" in one_line(full.stderr)
    kept = segments_of(parts)
    filler.unlink()
    again = run(tmp_path, out)
    assert again.returncode == 0, again.stderr[-2000:]
    if kept:
        assert f"resuming: {len(kept)} segment(s) already rendered" in again.stderr
    assert same_frames(out, reference)


def segments_of(parts: Path) -> list[str]:
    return sorted(p.name for p in parts.glob("frames_*.mp4")) if parts.is_dir() else []
