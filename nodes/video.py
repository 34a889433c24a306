"""Video output of long walks: each run writes one window's frames as a segment file; the last stitches."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import comfy.model_management
import folder_paths
import torch

from ..latent_ops.inputs import MAX_FRAMES
from ..video_ops import segments
from .comfy import io, schema, ui

SEGMENT_FOLDER_DEFAULT = "meander/long_walk"
_WRITER = segments.SegmentWriter()
_background = False


@contextlib.contextmanager
def background_writes() -> Iterator[segments.SegmentWriter]:
    """Within: a segment whose walk the caller stitches itself (stitch_when_complete off) is encoded on
    the process's segment writer, beside what runs next, and the caller takes each write's Future from it.

    The headless render (scripts/client.LocalEngine) runs each window's graph inside it, so window k is
    encoded while window k + 1 samples. Elsewhere (the editor) every write finishes inside its run,
    so the preview shows a complete file.
    """
    global _background
    _background = True
    try:
        yield _WRITER
    finally:
        _background = False


def _frames_uint8(images, interruptible: bool = True):
    """IMAGE (N x H x W x 3 floats in [0, 1]) to uint8 RGB arrays, round(255 x), one frame at a time.

    `interruptible` stops at ComfyUI's interrupt between frames (a write inside a run); a background
    write of a window already sampled always finishes."""
    for image in images:
        if interruptible:
            comfy.model_management.throw_exception_if_processing_interrupted()
        yield (image * 255).round().clamp(0, 255).to(dtype=torch.uint8).cpu().numpy()


def _output_folder(folder: str) -> Path:
    """`folder` under ComfyUI's output directory; refuses paths that leave it."""
    if not folder.strip():
        raise ValueError("folder must name a folder under ComfyUI's output directory, got an empty string")
    root = Path(folder_paths.get_output_directory()).resolve()
    path = (root / folder.strip()).resolve()
    if path != root and root not in path.parents:
        raise ValueError(f"folder must stay inside ComfyUI's output directory, got {folder!r}")
    return path


class MeanderVideoSegment(io.ComfyNode):
    """Writes a window of a walk's frames as one mp4 segment; stitches the video when all are there."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderVideoSegment",
            search_aliases=["latent walk", "save video", "segment"],
            display_name="Save Walk Video Segment (Meander)",
            category="latent/meander/video",
            description="Renders long walks in pieces with bounded memory: each run saves the decoded frames of "
            "one start_frame window as its own lossless mp4 segment (written atomically, never written twice), "
            "in a subfolder named after the walk's settings. When the segments cover all the walk's frames it "
            "encodes them with one encoder (no pulse at the joins) into one video next to that subfolder. Click "
            "its \"queue every window\" button to queue the whole walk, queue it once per window by hand, or let "
            "`python -m scripts.render` queue every window (and resume an interrupted render).",
            inputs=[
                io.Image.Input("images", tooltip="The window's decoded frames (from VAE Decode), in frame order."),
                io.Float.Input("fps", default=24.0, min=1.0, max=120.0, step=1.0,
                               tooltip="Frames per second of the video."),
                io.String.Input("folder", default=SEGMENT_FOLDER_DEFAULT,
                                tooltip="Folder under ComfyUI's output directory for the segments and the "
                                "stitched video."),
                io.Int.Input("start_frame", default=0, min=0, max=MAX_FRAMES - 1,
                             tooltip="Frame index of the first image: set it to the walk node's start_frame."),
                io.Int.Input("frames", default=48, min=1, max=MAX_FRAMES,
                             tooltip="Frames in the whole walk: the video is stitched when segments cover "
                             "frames 0 to this minus 1."),
                io.Boolean.Input("stitch_when_complete", default=True,
                                 tooltip="Stitch the segments into one video once all the walk's frames are "
                                 "saved. The headless renderer turns this off and stitches itself."),
            ],
            outputs=[],
            hidden=[io.Hidden.prompt],
            is_output_node=True,
        )

    @classmethod
    def execute(cls, images, fps: float, folder: str, start_frame: int, frames: int,
                stitch_when_complete: bool) -> io.NodeOutput:
        count = int(images.shape[0])
        if start_frame + count > frames:
            raise ValueError(
                f"start_frame + the number of images = {start_frame + count} is past the walk's {frames} frames: "
                "set frames to the walk node's frames and start_frame to its start_frame")
        root = _output_folder(folder)
        prompt = cls.hidden.prompt or {}
        walk_id = segments.fingerprint(prompt, ignore=("stitch_when_complete",))[:12]
        parts = root / walk_id
        parts.mkdir(parents=True, exist_ok=True)
        window = segments.Window(start_frame, start_frame + count)
        path = parts / segments.segment_name(window)
        if path.exists():
            logging.info("Meander: %s is already rendered for these settings; kept as it is", path)
        elif _background and not stitch_when_complete:
            _WRITER.submit(_frames_uint8(images, interruptible=False), path, fps)
        else:
            segments.write_segment(_frames_uint8(images), path, fps)
        shown = path
        if stitch_when_complete:
            done = segments.finished(parts)
            final = root / f"{walk_id}.mp4"
            if segments.tiles(frames, done) and not final.exists():
                segments.stitch([done[w] for w in sorted(done)], final)
            if final.exists():
                shown = final
        out_dir = Path(folder_paths.get_output_directory()).resolve()
        subfolder = str(shown.parent.relative_to(out_dir))
        return io.NodeOutput(ui=ui.PreviewVideo([ui.SavedResult(shown.name, subfolder, io.FolderType.output)]))
