"""Segments of a long walk's video: one mp4 per frame window, written atomically, stitched in order.

A walk of N frames renders as windows `[start, stop)` (the walk nodes' `start_frame` /
`frame_count`). Each window is encoded alone to `frames_{start:06d}_{stop:06d}.mp4` (h264,
yuv420p, as ComfyUI's SaveVideo) under a temporary name and renamed into place, so a file with
a segment's name is always a finished segment: an interrupted run leaves at most a `.tmp` file,
and a re-run skips the segments whose files exist. `stitch` joins the segments in frame order by
copying their packets (no decode, no re-encode) into one mp4; only if their encoder parameters
differ does it re-encode, one frame at a time. Memory is bounded by one frame, whatever N is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
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


def write_segment(frames: Iterable[np.ndarray], path: Path, fps: float) -> int:
    """Encode uint8 RGB frames (H x W x 3 each) to an h264 mp4 at `path`, atomically; the frame count.

    Written under a temporary name and renamed, so `path` exists only when complete. Refuses to
    replace an existing file (FileExistsError): a finished segment is never written twice.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"segment {path} is already rendered: delete it to render it again")
    tmp = _tmp(path)
    count = 0
    try:
        with av.open(str(tmp), mode="w", format="mp4") as out:
            stream = None
            for frame in frames:
                if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                    raise ValueError(f"frames must be H x W x 3 uint8, got {frame.shape} {frame.dtype}")
                if stream is None:
                    h, w = frame.shape[:2]
                    if h % 2 or w % 2:
                        raise ValueError(f"h264 yuv420p needs an even width and height, got {w}x{h}")
                    stream = out.add_stream("h264", rate=_rate(fps))
                    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
                elif frame.shape[:2] != (stream.height, stream.width):
                    raise ValueError(f"every frame must be {stream.width}x{stream.height}, got {frame.shape[1]}x"
                                     f"{frame.shape[0]}")
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24").reformat(format="yuv420p")
                out.mux(stream.encode(vf))
                count += 1
            if stream is None:
                raise ValueError("a segment needs at least one frame, got none")
            out.mux(stream.encode(None))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def read_frames(path: Path) -> Iterator[np.ndarray]:
    """The decoded frames of a video file, uint8 RGB H x W x 3, one at a time."""
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            yield frame.to_ndarray(format="rgb24")


def frame_count(path: Path) -> int:
    """Frames in a video file, counted by demuxing (no decode)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for p in container.demux(stream) if p.size)


def stitch(segments: Sequence[Path], out: Path, force: bool = False, mode: str = "auto") -> str:
    """Join segment files, in the given order, into one mp4 at `out`, atomically; how it joined them.

    "remux": every segment's h264 packets are copied unchanged with their timestamps shifted by
    the frames before them (possible when the segments share encoder parameters, as segments of
    one walk do). "re-encode": otherwise (or with mode="re-encode"), decode and encode one frame
    at a time. Refuses to replace an existing `out` unless `force`.
    """
    if mode not in ("auto", "re-encode"):
        raise ValueError(f"mode must be 'auto' or 're-encode', got {mode!r}")
    out = Path(out)
    if not segments:
        raise ValueError("nothing to stitch: no segments")
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists: choose another output or pass --force to replace it")
    extradata = set()
    for seg in segments:
        with av.open(str(seg)) as c:
            extradata.add(bytes(c.streams.video[0].codec_context.extradata or b""))
    tmp = _tmp(out)
    try:
        if len(extradata) == 1 and mode == "auto":
            _remux(segments, tmp)
            how = "remux"
        else:
            _reencode(segments, tmp)
            how = "re-encode"
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return how


def _remux(segments: Sequence[Path], tmp: Path) -> None:
    with av.open(str(tmp), mode="w", format="mp4") as output:
        out_stream = None
        offset = 0  # in the output stream's time base
        for seg in segments:
            with av.open(str(seg)) as container:
                stream = container.streams.video[0]
                if out_stream is None:
                    out_stream = output.add_stream_from_template(stream)
                    rate = stream.average_rate
                n = 0
                for packet in container.demux(stream):
                    if packet.dts is None:
                        continue
                    packet.pts = _shift(packet.pts, offset, stream.time_base, out_stream.time_base)
                    packet.dts = _shift(packet.dts, offset, stream.time_base, out_stream.time_base)
                    packet.stream = out_stream
                    output.mux(packet)
                    n += 1
                offset += round(Fraction(n) / rate / (out_stream.time_base or stream.time_base))


def _shift(ts: int | None, offset: int, src: Fraction, dst: Fraction | None) -> int | None:
    if ts is None:
        return None
    if dst is None or dst == src:
        return ts + offset
    return round(ts * src / dst) + offset


def _reencode(segments: Sequence[Path], tmp: Path) -> None:
    with av.open(str(segments[0])) as c:
        rate = c.streams.video[0].average_rate
    with av.open(str(tmp), mode="w", format="mp4") as output:
        stream = None
        for seg in segments:
            for frame in read_frames(seg):
                if stream is None:
                    stream = output.add_stream("h264", rate=rate)
                    stream.height, stream.width = frame.shape[:2]
                    stream.pix_fmt = "yuv420p"
                vf = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")
                output.mux(stream.encode(vf))
        output.mux(stream.encode(None))


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
