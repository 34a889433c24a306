"""Segments of a long walk's video: one lossless file per frame window, written atomically, and one
streaming encode of them all into the video.

A walk of N frames renders as windows `[start, stop)` (the walk nodes' `start_frame` /
`frame_count`). Each window is encoded alone to `frames_{start:06d}_{stop:06d}.mp4`, losslessly
(h264 at qp 0, 4:4:4: the decoded frames are the rendered ones up to the RGB <-> YCbCr rounding),
under a temporary name and renamed into place, so a file with a segment's name is always a
finished segment: an interrupted run leaves at most a `.tmp` file, and a re-run skips the
segments whose files exist. `stitch` decodes the segments in frame order and encodes them, one
frame at a time, with one encoder (`Encoding`: quality, preset, pixel format, key-frame
interval), so a window join is coded like any other frame: no key frame, no quality jump, no
pulse at the joins. Memory is bounded by one frame (and the encoder's look-ahead), whatever N is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Any

import av
import numpy as np

SEGMENT_RE = re.compile(r"^frames_(\d{6,})_(\d{6,})\.mp4$")
WINDOW_INPUTS = ("start_frame", "frame_count")
"""Inputs that pick a window of a walk: they change which frames render, never what a frame is."""


@dataclass(frozen=True, order=True)
class Window:
    """Frames [start, stop) of a walk."""

    start: int
    stop: int

    @property
    def count(self) -> int:
        return self.stop - self.start


def segment_name(window: Window) -> str:
    """File name of a window's segment: frames_000024_000048.mp4 for frames 24..47."""
    return f"frames_{window.start:06d}_{window.stop:06d}.mp4"


def parse_segment_name(name: str) -> Window | None:
    """The window a segment file name stands for, or None for any other file."""
    m = SEGMENT_RE.match(name)
    if not m:
        return None
    window = Window(int(m.group(1)), int(m.group(2)))
    return window if window.stop > window.start else None


def plan(total: int, batch: int, done: Iterable[Window] = ()) -> list[Window]:
    """Windows of at most `batch` frames covering [0, total) minus the `done` windows, in order.

    Each gap between finished windows is cut into consecutive windows of `batch` frames (the
    last one shorter), so a re-run renders exactly the missing frames, whatever batch the
    finished ones used.
    """
    if total < 1:
        raise ValueError(f"the walk must have >= 1 frame, got {total}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1 frame per segment, got {batch}")
    covered = sorted(done)
    out: list[Window] = []
    pos = 0
    for w in [*covered, Window(total, total)]:
        if w.start < pos or w.stop > total:
            raise ValueError(f"finished segments overlap or pass the walk's end ({total} frames) at {w}: "
                             "delete the stray segment files")
        for start in range(pos, w.start, batch):
            out.append(Window(start, min(start + batch, w.start)))
        pos = w.stop
    return out


def tiles(total: int, windows: Iterable[Window]) -> bool:
    """True when the windows, in order, cover [0, total) exactly once."""
    pos = 0
    for w in sorted(windows):
        if w.start != pos:
            return False
        pos = w.stop
    return pos == total


def fingerprint(prompt: dict[str, Any], ignore: Sequence[str] = ()) -> str:
    """sha256 of an API-format graph without its window inputs (and the `ignore` inputs).

    Two graphs with one fingerprint render the same walk, so their segments belong together.
    """
    skip = set(WINDOW_INPUTS) | set(ignore)
    canon = {
        nid: {"class_type": node["class_type"],
              "inputs": {k: v for k, v in sorted(node["inputs"].items()) if k not in skip}}
        for nid, node in sorted(prompt.items())
    }
    return hashlib.sha256(json.dumps(canon, sort_keys=True, default=str).encode()).hexdigest()


def _rate(fps: float) -> Fraction:
    """The stream rate ComfyUI's SaveVideo uses: fps to the nearest thousandth."""
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    return Fraction(round(fps * 1000), 1000)


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@dataclass(frozen=True)
class Encoding:
    """How `stitch` encodes the video: libx264 at constant quality `crf` (0 lossless .. 51, 18 looks
    lossless), `preset` (speed against size), `pix_fmt` (yuv420p plays everywhere; yuv444p keeps
    full colour), and a key frame at least every `keyint` frames (None: x264's default, 250)."""

    crf: int = 18
    preset: str = "medium"
    pix_fmt: str = "yuv420p"
    keyint: int | None = None

    def check(self) -> None:
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in 0..51 (lower is better; 18 looks lossless), got {self.crf}")
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        if self.pix_fmt not in PIX_FMTS:
            raise ValueError(f"pix_fmt must be one of {', '.join(PIX_FMTS)}, got {self.pix_fmt!r}")
        if self.keyint is not None and self.keyint < 1:
            raise ValueError(f"keyint must be >= 1 frame, got {self.keyint}")

    def options(self) -> dict[str, str]:
        """libx264's options for this encoding."""
        out = {"crf": str(self.crf), "preset": self.preset}
        if self.keyint is not None:
            out["g"] = str(self.keyint)
        return out


PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
PIX_FMTS = ("yuv420p", "yuv444p")
LOSSLESS = {"qp": "0", "preset": "ultrafast"}
"""libx264's options of a segment: lossless, fast (segments are intermediate, only stitch reads them)."""
SEGMENT_PIX_FMT = "yuv444p"
DECODE_WORKERS = max(1, min(4, (os.cpu_count() or 1) // 2))
"""Segments the stitch decodes at once: up to 4, leaving half the cores to the encoder."""


def _video_frames(frames: Iterable[np.ndarray]) -> Iterator[av.VideoFrame]:
    """uint8 RGB arrays (H x W x 3, all one size, even sides) as rgb24 VideoFrames, checked one by one."""
    size = None
    for frame in frames:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frames must be H x W x 3 uint8, got {frame.shape} {frame.dtype}")
        if size is None:
            size = frame.shape[:2]
            if size[0] % 2 or size[1] % 2:
                raise ValueError(f"h264 needs an even width and height, got {size[1]}x{size[0]}")
        elif frame.shape[:2] != size:
            raise ValueError(f"every frame must be {size[1]}x{size[0]}, got {frame.shape[1]}x{frame.shape[0]}")
        yield av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")


def _encode(frames: Iterable[av.VideoFrame], path: Path, rate: Fraction, options: dict[str, str], pix_fmt: str) -> int:
    """Encode video frames (all one size) to an h264 mp4 at `path` in `pix_fmt`; the frame count."""
    count = 0
    with av.open(str(path), mode="w", format="mp4") as out:
        stream = None
        for frame in frames:
            if stream is None:
                stream = out.add_stream("h264", rate=rate, options=options)
                stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, pix_fmt
            frame = frame.reformat(format=pix_fmt)
            # frame k at k / rate, and no frame type forced: a decoded segment's first frame is an I frame,
            # which the encoder would otherwise keep (a key frame, a quality pulse, at every window join)
            frame.pts, frame.time_base = count, 1 / rate
            frame.pict_type = av.video.frame.PictureType.NONE
            out.mux(stream.encode(frame))
            count += 1
        if stream is None:
            raise ValueError("a video needs at least one frame, got none")
        out.mux(stream.encode(None))
    return count


def _segment_frames(path: Path, pix_fmt: str) -> list[av.VideoFrame]:
    """A segment's decoded frames, converted to `pix_fmt`."""
    return [frame.reformat(format=pix_fmt) for frame in decoded(path)]


def _decoded_in_order(paths: Sequence[Path], pix_fmt: str, workers: int) -> Iterator[av.VideoFrame]:
    """Every segment's frames in `pix_fmt`, in segment order, decoded `workers` segments at a time on threads
    of their own (decoding a lossless segment, not encoding, bounds the stitch on one thread); at most
    workers + 1 segments' frames wait in memory."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="meander-decode") as pool:
        remaining = iter(paths)
        pending = deque(pool.submit(_segment_frames, path, pix_fmt) for path in islice(remaining, workers + 1))
        try:
            while pending:
                frames = pending.popleft().result()
                for path in islice(remaining, 1):
                    pending.append(pool.submit(_segment_frames, path, pix_fmt))
                yield from frames
        finally:
            for future in pending:
                future.cancel()


def write_segment(frames: Iterable[np.ndarray], path: Path, fps: float) -> int:
    """Encode uint8 RGB frames (H x W x 3 each) losslessly to `path`, atomically; the frame count.

    Written under a temporary name and renamed, so `path` exists only when complete. Refuses to
    replace an existing file (FileExistsError): a finished segment is never written twice.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"segment {path} is already rendered: delete it to render it again")
    tmp = _tmp(path)
    try:
        count = _encode(_video_frames(frames), tmp, _rate(fps), LOSSLESS, SEGMENT_PIX_FMT)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


class SegmentWriter:
    """Encodes segments (`write_segment`) on one background thread, so that a render samples window
    k + 1 while window k is encoded.

    `submit` returns at once unless `depth` encodes already wait, then it blocks until one is done:
    host memory holds at most depth + 1 windows of frames. `take(path)` hands the Future of a
    submitted write to whoever moves the file on; the file exists, complete, once it resolves.
    """

    def __init__(self, depth: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="meander-segment")
        self._slots = threading.BoundedSemaphore(depth + 1)
        self._pending: dict[Path, Future] = {}
        self._lock = threading.Lock()

    def submit(self, frames: Iterable[np.ndarray], path: Path, fps: float) -> Future:
        """Encode `frames` (consumed on the writer's thread) to `path` as write_segment does."""
        self._slots.acquire()
        future = self._pool.submit(write_segment, frames, path, fps)
        future.add_done_callback(lambda _: self._slots.release())
        with self._lock:
            self._pending[Path(path)] = future
        return future

    def take(self, path: Path) -> Future | None:
        """The write of `path` submitted and not yet taken (None: none, the file was written in place)."""
        with self._lock:
            return self._pending.pop(Path(path), None)


def decoded(path: Path) -> Iterator[av.VideoFrame]:
    """The decoded frames of a video file, as the codec gives them, one at a time (the codec's threads on)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        yield from container.decode(stream)


def read_frames(path: Path) -> Iterator[np.ndarray]:
    """The decoded frames of a video file, uint8 RGB H x W x 3, one at a time."""
    for frame in decoded(path):
        yield frame.to_ndarray(format="rgb24")


def file_record(path: Path) -> dict:
    """A finished file's size and sha256: what a later run checks before it trusts the file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return {"bytes": Path(path).stat().st_size, "sha256": digest.hexdigest()}


def frame_count_or_none(path: Path) -> int | None:
    """Frames in a video file (frame_count), or None where it cannot be read as one."""
    try:
        return frame_count(path)
    except (av.error.FFmpegError, IndexError):
        return None


def frame_count(path: Path) -> int:
    """Frames in a video file, counted by demuxing (no decode)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for p in container.demux(stream) if p.size)


def stitch(segments: Sequence[Path], out: Path, force: bool = False, encoding: Encoding = Encoding()) -> int:
    """Decode the segments in the given order and encode them into one mp4 at `out` with one encoder,
    atomically; the frame count. Refuses to replace an existing `out` unless `force`."""
    encoding.check()
    out = Path(out)
    if not segments:
        raise ValueError("nothing to stitch: no segments")
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists: choose another output or pass --force to replace it")
    with av.open(str(segments[0])) as c:
        rate = c.streams.video[0].average_rate
    tmp = _tmp(out)
    try:
        frames = _decoded_in_order(segments, encoding.pix_fmt, DECODE_WORKERS)
        count = _encode(frames, tmp, rate, encoding.options(), encoding.pix_fmt)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to `path` through a temporary file and a rename: readers see old or new, never half."""
    path = Path(path)
    tmp = _tmp(path)
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def finished(folder: Path) -> dict[Window, Path]:
    """The finished segments in a folder, by window (temporary and other files are ignored)."""
    out = {}
    if Path(folder).is_dir():
        for path in Path(folder).iterdir():
            window = parse_segment_name(path.name)
            if window is not None and path.is_file():
                out[window] = path
    return out


def seam_steps(path: Path, batch: int) -> tuple[float, float]:
    """(mean step inside windows, mean step across window joins) of a video rendered `batch` frames a window.

    A step is the mean absolute difference (0-255) of two consecutive decoded frames; the step
    from frame k B - 1 to frame k B crosses a join. A seamless render has the two about equal.
    """
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    inside: list[float] = []
    joins: list[float] = []
    previous = None
    for k, frame in enumerate(read_frames(path)):
        frame = frame.astype(np.int16)
        if previous is not None:
            (joins if k % batch == 0 else inside).append(float(np.abs(frame - previous).mean()))
        previous = frame
    if not inside or not joins:
        raise ValueError(f"{path} has no step inside a window or no join at batch {batch}")
    return float(np.mean(inside)), float(np.mean(joins))
