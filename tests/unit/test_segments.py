"""video_ops.segments: windows of a long walk, atomic lossless segment files, one encode of them all."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from video_ops import segments
from video_ops.segments import Window

FPS = 24.0


def _frames(n: int, seed: int = 0, size: int = 32) -> list[np.ndarray]:
    """Smooth colour ramps that move frame to frame (h264 keeps them close, not equal)."""
    y, x = np.mgrid[0:size, 0:size]
    out = []
    for k in range(n):
        r = (x * 6 + k * 9 + seed * 50) % 256
        g = (y * 5 + k * 4) % 256
        b = ((x + y) * 3 + seed * 20) % 256
        out.append(np.stack([r, g, b], axis=-1).astype(np.uint8))
    return out


@st.composite
def _done_windows(draw):
    total = draw(st.integers(1, 60))
    cuts = sorted(set(draw(st.lists(st.integers(0, total), max_size=8))))
    pairs = [Window(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if b > a]
    return total, pairs


@settings(max_examples=200, deadline=None)
@given(_done_windows(), st.integers(1, 17))
def test_plan_fills_exactly_the_missing_frames(done_case, batch):
    """plan(total, B, done) + done tile [0, total) once, in order; every planned window has <= B frames."""
    total, done = done_case
    planned = segments.plan(total, batch, done)
    assert planned == sorted(planned)
    assert all(1 <= w.count <= batch for w in planned)
    assert segments.tiles(total, planned + done)


def test_plan_cuts_a_fresh_walk_into_batches():
    assert segments.plan(10, 4) == [Window(0, 4), Window(4, 8), Window(8, 10)]
    assert segments.plan(10, 4, [Window(4, 8)]) == [Window(0, 4), Window(8, 10)]
    assert segments.plan(10, 4, [Window(0, 10)]) == []


def test_plan_refuses_overlapping_or_stray_segments_and_bad_sizes():
    with pytest.raises(ValueError, match="overlap or pass the walk's end"):
        segments.plan(10, 4, [Window(0, 4), Window(2, 6)])
    with pytest.raises(ValueError, match="overlap or pass the walk's end"):
        segments.plan(10, 4, [Window(8, 12)])
    with pytest.raises(ValueError, match="batch must be >= 1"):
        segments.plan(10, 0)
    with pytest.raises(ValueError, match="the walk must have >= 1 frame"):
        segments.plan(0, 4)


def test_segment_names_round_trip_and_other_files_are_ignored(tmp_path):
    w = Window(24, 48)
    assert segments.segment_name(w) == "frames_000024_000048.mp4"
    assert segments.parse_segment_name(segments.segment_name(w)) == w
    for name in ("frames_000024_000048.mp4", ".frames_000048_000050.mp4.123.tmp", "manifest.json",
                 "frames_000010_000010.mp4"):
        (tmp_path / name).write_bytes(b"x")
    assert segments.finished(tmp_path) == {w: tmp_path / "frames_000024_000048.mp4"}


def test_fingerprint_ignores_the_window_but_not_the_walk():
    walk = {"4": {"class_type": "MeanderSeedWalk", "inputs": {"seed_a": 1, "start_frame": 0, "frame_count": 8}}}
    other_window = {"4": {"class_type": "MeanderSeedWalk", "inputs": {"seed_a": 1, "start_frame": 8, "frame_count": 2}}}
    other_seed = {"4": {"class_type": "MeanderSeedWalk", "inputs": {"seed_a": 2, "start_frame": 0, "frame_count": 8}}}
    assert segments.fingerprint(walk) == segments.fingerprint(other_window)
    assert segments.fingerprint(walk) != segments.fingerprint(other_seed)
    assert segments.fingerprint(walk, ignore=("seed_a",)) == segments.fingerprint(other_seed, ignore=("seed_a",))


def _write(tmp_path, frames, total_batch):
    paths = []
    for w in segments.plan(len(frames), total_batch):
        path = tmp_path / segments.segment_name(w)
        assert segments.write_segment(frames[w.start:w.stop], path, FPS) == w.count
        paths.append(path)
    return paths


def test_segments_are_lossless_up_to_colour_rounding(tmp_path):
    """A segment decodes to its frames within the RGB <-> 4:4:4 YCbCr rounding (1-2 levels), so the
    one encode of the stitch is the only lossy step."""
    frames = _frames(5)
    (path,) = _write(tmp_path, frames, 5)
    decoded = list(segments.read_frames(path))
    assert len(decoded) == 5
    assert max(np.abs(a.astype(int) - b.astype(int)).max() for a, b in zip(decoded, frames, strict=True)) <= 3


def test_stitch_encodes_every_frame_in_order_with_one_encoder(tmp_path):
    """The stitched video holds the segments' frames in order, at the fps, with one key frame (no
    key frame at the window joins)."""
    frames = _frames(19)
    paths = _write(tmp_path, frames, 5)
    out = tmp_path / "walk.mp4"
    assert segments.stitch(paths, out) == 19
    stitched = list(segments.read_frames(out))
    assert len(stitched) == 19 == segments.frame_count(out)
    errors = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(stitched, frames, strict=True)]
    assert max(errors) < 12
    assert errors[7] < np.abs(stitched[7].astype(int) - frames[8].astype(int)).mean()
    import av

    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert stream.average_rate == 24 and float(stream.duration * stream.time_base) == pytest.approx(19 / 24)
        keys = [p.is_keyframe for p in c.demux(stream) if p.size]
    assert keys[0] and sum(keys) == 1


def test_stitch_times_every_frame_by_its_place_not_its_segment(tmp_path):
    """Noise-like frames (x264 reorders them with B frames) from segments decoded in their own time base:
    the stitch still gives frame k the time k / fps, every frame once (the muxer refused them before)."""
    rng = np.random.default_rng(0)
    frames = [(rng.random((64, 64, 3)) * 255).astype(np.uint8) for _ in range(48)]
    paths = _write(tmp_path, frames, 16)
    out = tmp_path / "walk.mp4"
    assert segments.stitch(paths, out) == 48 == segments.frame_count(out)
    import av

    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        times = sorted(float(f.pts * f.time_base) for f in c.decode(stream))
    assert times == pytest.approx([k / 24 for k in range(48)])


def test_stitch_takes_the_encoding_asked_for(tmp_path):
    paths = _write(tmp_path, _frames(7, seed=1), 3)
    fine, coarse = tmp_path / "fine.mp4", tmp_path / "coarse.mp4"
    segments.stitch(paths, fine, encoding=segments.Encoding(crf=0, preset="ultrafast", pix_fmt="yuv444p", keyint=2))
    segments.stitch(paths, coarse, encoding=segments.Encoding(crf=45))
    parts = [f for p in paths for f in segments.read_frames(p)]

    def error(path):
        return max(np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(segments.read_frames(path), parts,
                                                                                  strict=True))

    assert error(fine) < 1.0 < error(coarse)
    import av

    with av.open(str(fine)) as c:
        assert sum(p.is_keyframe for p in c.demux(c.streams.video[0]) if p.size) == 4  # frames 0, 2, 4, 6
    with pytest.raises(ValueError, match=r"^crf must be in 0\.\.51"):
        segments.stitch(paths, tmp_path / "bad.mp4", encoding=segments.Encoding(crf=60))


def test_nothing_finished_is_ever_overwritten(tmp_path):
    paths = _write(tmp_path, _frames(4), 2)
    before = paths[0].read_bytes()
    with pytest.raises(FileExistsError, match="already rendered: delete it"):
        segments.write_segment(_frames(2, seed=3), paths[0], FPS)
    assert paths[0].read_bytes() == before
    out = tmp_path / "walk.mp4"
    out.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="pass --force"):
        segments.stitch(paths, out)
    assert out.read_bytes() == b"mine"
    assert segments.stitch(paths, out, force=True) == 4 and segments.frame_count(out) == 4


def test_an_interrupted_segment_leaves_no_segment_file(tmp_path):
    """A write that fails half-way (here: a bad frame) leaves neither the segment nor its temp file."""
    path = tmp_path / segments.segment_name(Window(0, 3))
    bad = _frames(2) + [np.zeros((16, 16, 3), np.uint8)]
    with pytest.raises(ValueError, match="every frame must be 32x32, got 16x16"):
        segments.write_segment(bad, path, FPS)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="even width and height, got 31x32"):
        segments.write_segment([np.zeros((32, 31, 3), np.uint8)], path, FPS)
    with pytest.raises(ValueError, match="at least one frame"):
        segments.write_segment([], path, FPS)
    assert list(tmp_path.iterdir()) == []


def test_json_is_replaced_atomically(tmp_path):
    path = tmp_path / "manifest.json"
    segments.write_json_atomic(path, {"a": 1})
    segments.write_json_atomic(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
