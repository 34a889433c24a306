"""Segmented rendering of a walk: one graph per window of B frames, resumable, stitched in order.

A workflow is segmentable when it has walk nodes (any node with `start_frame` and `frame_count`
inputs: every Meander walk) and a video output. `prepare` turns its video output
(CreateVideo -> SaveVideo, or SaveAnimatedWEBP) into a MeanderVideoSegment writer; `window_prompt`
sets every walk's window and the writer's `start_frame`. Each window's graph samples its B
frames in one sampler call (the walk's noise and conditioning batches are B items) and writes
one segment file, so memory is bounded by B frames, never by the walk's length.

The render's state lives in a parts folder beside the output: one file per finished segment
(renamed into place when complete) and `manifest.json` (rewritten atomically after each
segment) holding the walk's fingerprint. A re-run of the same command renders only the missing
windows; a different walk in the same parts folder is refused.
"""

from __future__ import annotations

import copy
import fcntl
import json
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any, Protocol

from video_ops import segments
from video_ops.segments import Window

WRITER = "MeanderVideoSegment"
VIDEO_SAVERS = {"SaveVideo"}
MANIFEST = "manifest.json"
WAIT_S = 0.1
"""How often an idle engine looks again for a window another engine gave back."""
DEFAULT_BATCH = 8
"""Frames per segment (one sampler call each) when --batch is not given. The GPU benchmark is
its own issue; 8 keeps a 512x512 SD1.5 segment's decoded frames under 30 MB of host RAM."""


class Engine(Protocol):
    """Runs one API-format graph and puts the file its writer node saved at `dest`.

    An engine that is gone for good (a Ray actor that died) raises `EngineLost`: its window goes
    to another engine.
    """

    name: str

    def render(self, prompt: dict, writer_id: str, dest: Path) -> None: ...


class EngineLost(RuntimeError):
    """The engine can render nothing more (its worker died): its window is handed to another engine."""


def walk_nodes(prompt: dict) -> list[str]:
    """Ids of the nodes that take a frame window (start_frame and frame_count inputs)."""
    return sorted((nid for nid, node in prompt.items()
                   if all(k in node["inputs"] for k in segments.WINDOW_INPUTS)), key=node_order)


def node_order(nid: str) -> tuple:
    """Sort key of API node ids: numeric ids by value, then any others by name."""
    return (0, int(nid), "") if nid.isdigit() else (1, 0, nid)


def _consumers(prompt: dict, nid: str) -> list[str]:
    return [other for other, node in prompt.items()
            if any(isinstance(v, list) and len(v) == 2 and v[0] == nid for v in node["inputs"].values())]


def prepare(prompt: dict, output: str | None = None) -> tuple[dict, str]:
    """A copy of the graph whose one video output is a MeanderVideoSegment writer; the writer's id.

    CreateVideo (its images and fps) feeding only SaveVideo nodes, or SaveAnimatedWEBP, become
    writers; a graph that already has the writer keeps it. Segmented renders write one mp4, so one
    writer stays: the one at node id `output`, or, when every video output shows the same images
    (an animated WEBP and an mp4 of one decode), the first of them.
    """
    prompt = copy.deepcopy(prompt)
    if not walk_nodes(prompt):
        raise ValueError("the workflow has no walk node (none has start_frame and frame_count inputs): "
                         "it cannot render in segments")
    for nid in [n for n, node in prompt.items() if node["class_type"] == "CreateVideo"]:
        node = prompt[nid]
        users = _consumers(prompt, nid)
        if any(prompt[u]["class_type"] not in VIDEO_SAVERS for u in users):
            raise ValueError(f"CreateVideo node {nid} feeds nodes other than SaveVideo: cannot render in segments")
        for u in users:
            del prompt[u]
        prompt[nid] = _writer(node["inputs"]["images"], node["inputs"]["fps"])
    for nid in [n for n, node in prompt.items() if node["class_type"] == "SaveAnimatedWEBP"]:
        prompt[nid] = _writer(prompt[nid]["inputs"]["images"], prompt[nid]["inputs"]["fps"])
    writers = sorted((n for n, node in prompt.items() if node["class_type"] == WRITER), key=node_order)
    if not writers:
        raise ValueError(f"a segmented render needs a video output (CreateVideo + SaveVideo, SaveAnimatedWEBP or "
                         f"{WRITER}): the workflow has none")
    if output is not None:
        if output not in writers:
            raise ValueError(f"--output {output}: not a video output of the workflow (its video outputs: "
                             f"{', '.join(writers)})")
        keep = output
    elif len({str(prompt[n]["inputs"]["images"]) for n in writers}) == 1:
        keep = writers[0]
    else:
        raise ValueError(f"the workflow has {len(writers)} video outputs of different frames (nodes "
                         f"{', '.join(writers)}): choose one with --output ID")
    for nid in writers:
        if nid != keep:
            del prompt[nid]
    return prompt, keep


def _writer(images: Any, fps: Any) -> dict:
    return {"class_type": WRITER, "inputs": {"images": images, "fps": fps, "folder": "meander/segments",
                                             "start_frame": 0, "frames": 1, "stitch_when_complete": False}}


def walk_length(node: dict) -> int | None:
    """The whole walk's frame count from one walk node's own inputs, as its walk object computes it
    (latent_ops.walks), or None where they do not fix it: an input fed by a link, or a Latent Pan,
    whose length depends on its input batch. Parameters that make no walk raise the node's ValueError.
    """
    from latent_ops import walks  # torch: imported when a render needs it, not for --help

    return walks.length_of(node["class_type"], node["inputs"])


def _lengths(prompt: dict) -> dict[str, int | None]:
    return {nid: walk_length(prompt[nid]) for nid in walk_nodes(prompt)}


def graph_length(prompt: dict) -> int | None:
    """The length every walk node agrees on (walk_length), or None where the graph does not fix it."""
    values = set(_lengths(prompt).values())
    return values.pop() if len(values) == 1 and None not in values else None


def total_frames(prompt: dict, override: int | None = None) -> int:
    """The walk's length: the length every walk node agrees on (graph_length), else `override`.

    An `override` the graph contradicts (its walk nodes agree on another length) is an error.
    """
    length = graph_length(prompt)
    if override is not None:
        if length is not None and override != length:
            raise ValueError(f"--total-frames {override}: the walk has {length} frames: leave --total-frames out")
        return override
    if length is None:
        found = ", ".join(f"{prompt[nid]['class_type']} {nid}: {n if n is not None else 'unknown'}"
                          for nid, n in _lengths(prompt).items())
        raise ValueError(f"cannot tell the walk's length from its walk nodes ({found}): pass --total-frames N")
    return length


def window_prompt(prompt: dict, writer_id: str, window: Window, total: int, folder: str) -> dict:
    """The graph that renders `window`: every walk's start_frame / frame_count and the writer's inputs."""
    out = copy.deepcopy(prompt)
    for nid in walk_nodes(out):
        out[nid]["inputs"]["start_frame"] = window.start
        out[nid]["inputs"]["frame_count"] = window.count
    out[writer_id]["inputs"].update(start_frame=window.start, frames=total, folder=folder,
                                    stitch_when_complete=False)
    return out


@dataclass
class Parts:
    """The parts folder of one render: finished segment files, the manifest, and the render's lock.

    The manifest records each finished segment's size and sha256, so a resumed render checks every
    segment before it trusts it. While a render holds the folder (an flock on `.lock`, released when
    its process ends, however it ends), another render of the same output is refused.
    """

    path: Path
    fingerprint: str
    total: int
    fps: float
    records: dict[str, dict] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    """What `open` found wrong with finished segments and removed, one sentence each (to tell the user)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    _lock_file: Any = None

    @classmethod
    def open(cls, path: Path, fingerprint: str, total: int, fps: float, discard_other: bool = False) -> Parts:
        """Open or create the folder and hold it. A folder another render holds is refused
        (FileExistsError), and so is one holding another walk's segments unless `discard_other` (--force),
        which empties it; a manifest of a render that finished no segment holds nothing to keep.
        Temporary files of a render that was killed are removed, and every finished segment is checked
        against the manifest (size and sha256; one it does not list, by its frame count): one that does
        not match is removed, to render again, and said in `dropped`."""
        path.mkdir(parents=True, exist_ok=True)
        lock_file = _hold(path / LOCK)
        try:
            manifest = path / MANIFEST
            old = json.loads(manifest.read_text()) if manifest.exists() else {}
            same = old.get("fingerprint") == fingerprint and old.get("total") == total
            if segments.finished(path) and old and not same:
                if not discard_other:
                    raise FileExistsError(
                        f"{path} holds segments of a different walk (other settings or length): pass --force to "
                        "discard them, or choose another --out")
                for other in segments.finished(path).values():
                    other.unlink()
            for stale in path.glob(".*"):
                if stale.name != LOCK and stale.suffix in (".incoming", ".download", ".tmp"):
                    stale.unlink(missing_ok=True)
            parts = cls(path, fingerprint, total, fps, _lock_file=lock_file)
            parts._check(old.get("records", {}) if same else {})
            parts._save()
            return parts
        except BaseException:
            lock_file.close()
            raise

    def close(self) -> None:
        """Let another render have the folder."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def done(self) -> dict[Window, Path]:
        return segments.finished(self.path)

    def add(self, window: Window, file: Path) -> None:
        """Move a rendered segment file into place and record it; never replaces a finished one."""
        with self.lock:
            target = self.path / segments.segment_name(window)
            if target.exists():
                raise FileExistsError(f"segment {target} is already rendered")
            tmp = self.path / f".{target.name}.incoming"
            shutil.move(str(file), tmp)
            self.records[target.name] = segments.file_record(tmp)
            tmp.rename(target)
            self._save()

    def _check(self, records: dict[str, dict]) -> None:
        """Keep the finished segments that are what was rendered (see open); remove the others."""
        for window, path in sorted(self.done().items()):
            expected = records.get(path.name)
            if expected is not None and segments.file_record(path) == expected:
                self.records[path.name] = expected
                continue
            if expected is None and segments.frame_count_or_none(path) == window.count:
                self.records[path.name] = segments.file_record(path)
                continue
            path.unlink()
            self.dropped.append(f"segment {path.name} is not what was rendered (truncated or changed since): it "
                                "renders again")

    def _save(self) -> None:
        done = sorted(self.done())
        segments.write_json_atomic(self.path / MANIFEST, {
            "fingerprint": self.fingerprint, "total": self.total, "fps": self.fps,
            "segments": [[w.start, w.stop] for w in done],
            "records": {name: self.records[name] for name in sorted(self.records)
                        if (self.path / name).is_file()}})


LOCK = ".lock"


def _hold(path: Path):
    """Open `path` and take an exclusive flock on it (FileExistsError if another process holds it)."""
    handle = open(path, "a")  # noqa: SIM115  (held until Parts.close or the process ends)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise FileExistsError(f"another render is writing into {path.parent} now: wait for it to end, or choose "
                          "another --out") from None
    return handle


def run_windows(prompt: dict, writer_id: str, windows: Sequence[Window], total: int, engines: Sequence[Engine],
                parts: Parts, on_segment: Callable[[Window, str], None] = lambda w, name: None,
                stop: threading.Event | None = None) -> None:
    """Hand windows out to the engines, one at a time per engine, until all are rendered.

    Each engine runs in its own thread and takes the next window when it finishes one. An engine
    with a `start` method (the in-process one) is pipelined: `start` returns once the window is
    sampled, and the step it returns (the segment's encode, the move into the parts folder) runs on
    the engine's finisher thread while the engine samples its next window. An engine that raises
    `EngineLost` drops out and its window goes back in the queue for the others (only that window is
    rendered again); any other failure stops the hand-out (segments already rendered stay recorded)
    and is raised after the others finish their current window. Once `stop` is set (Ctrl-C) no
    engine takes another window; the windows already sampled are still recorded, then
    KeyboardInterrupt is raised.
    """
    todo: Queue[Window] = Queue()
    for w in windows:
        todo.put(w)
    errors: list[BaseException] = []
    lost: list[EngineLost] = []
    left = [len(windows)]  # windows not yet recorded in `parts`; an idle engine waits while others may fail
    lock = threading.Lock()
    folder = f"meander_parts/{parts.fingerprint[:12]}-{uuid.uuid4().hex[:8]}"
    stop = stop or threading.Event()

    def record(engine: Engine, window: Window, incoming: Path, finish: Callable[[], None] | None) -> None:
        try:
            if finish is not None:
                finish()
            parts.add(window, incoming)
        except Exception as e:  # re-raised in the caller's thread
            errors.append(RuntimeError(f"{engine.name}: frames {window.start}-{window.stop - 1}: {e}"))
            incoming.unlink(missing_ok=True)
            return
        with lock:
            left[0] -= 1
        on_segment(window, engine.name)

    def work(engine: Engine) -> None:
        start = getattr(engine, "start", None)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="meander-finish") as finisher:
            while not errors:
                if stop.is_set():
                    return
                try:
                    window = todo.get(timeout=WAIT_S)
                except Empty:
                    if left[0] == 0:
                        return
                    continue
                incoming = parts.path / f".{segments.segment_name(window)}.{uuid.uuid4().hex[:8]}.download"
                graph = window_prompt(prompt, writer_id, window, total, folder)
                try:
                    if start is not None:
                        finisher.submit(record, engine, window, incoming, start(graph, writer_id, incoming))
                    else:
                        engine.render(graph, writer_id, incoming)
                        record(engine, window, incoming, None)
                except EngineLost as e:
                    incoming.unlink(missing_ok=True)
                    lost.append(EngineLost(f"{engine.name}: {e}"))
                    todo.put(window)
                    return
                except Exception as e:  # re-raised in the caller's thread
                    errors.append(RuntimeError(f"{engine.name}: frames {window.start}-{window.stop - 1}: {e}"))
                    incoming.unlink(missing_ok=True)
                    return

    if len(engines) == 1:  # in this thread: Ctrl-C stops it at once
        work(engines[0])
    else:
        threads = [threading.Thread(target=work, args=(e,), daemon=True) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    if stop.is_set() and left[0]:
        raise KeyboardInterrupt
    if left[0]:
        raise RuntimeError(f"every engine was lost with {left[0]} window(s) left to render (last: {lost[-1]}): "
                           "run the same command again to render the rest")
