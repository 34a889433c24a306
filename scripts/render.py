"""Render a workflow headless to a video file, in a real ComfyUI in this process.

    .venv/bin/python -m scripts.render [WORKFLOW] [--checkpoint FILE] [--set NAME=VALUE ...] [--out FILE]

WORKFLOW is a UI-format workflow (default: the bundled seed walk). Without --checkpoint a small
random-weight SD1.5 test model is generated and used: its frames are abstract colour fields, not
pictures, but the walk, sampler, decode and encode are all real. --set changes every input of
that name in the graph (e.g. --set frames=24 --set steps=20 --set width=512).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from scripts import bed
from scripts.make_checkpoint import make_checkpoint
from scripts.workflow import load, node_info_of, ui_to_api

DEFAULT_WORKFLOW = bed.REPO / "workflows" / "meander_seed_walk.json"
TEST_CHECKPOINT = "meander-test-sd15.safetensors"
VIDEO_SUFFIXES = (".mp4", ".webm", ".webp", ".gif")
TEST_MODEL_SETTINGS = (("width", "128"), ("height", "128"), ("steps", "5"), ("frames", "24"))
"""Applied (before --set) when rendering on the test model, so the CPU render takes about a minute."""


def parse_override(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"--set takes NAME=VALUE, got {text!r}")
    return name, value


def apply_overrides(prompt: dict, overrides: list[tuple[str, str]]) -> None:
    """Set every widget input called NAME to VALUE, cast to the type of its current value."""
    for name, text in overrides:
        hits = 0
        for node in prompt.values():
            current = node["inputs"].get(name)
            if name not in node["inputs"] or isinstance(current, list):
                continue
            node["inputs"][name] = _cast(text, current, name)
            hits += 1
        if not hits:
            raise ValueError(f"--set {name}=...: no node in the workflow has a widget called {name!r}")


def _cast(text: str, current: Any, name: str) -> Any:
    try:
        if isinstance(current, bool):
            return text.lower() in ("1", "true", "yes", "on")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
    except ValueError:
        raise ValueError(f"--set {name}={text}: {name} takes a {type(current).__name__}") from None
    return text


def video_outputs(outputs: dict) -> list[Path]:
    """Files of video type that the run's output nodes reported, under the output folder."""
    import folder_paths

    out = []
    for ui in outputs.values():
        for item in ui.get("images", []) + ui.get("gifs", []):
            path = Path(folder_paths.get_output_directory()) / item.get("subfolder", "") / item["filename"]
            if path.suffix.lower() in VIDEO_SUFFIXES:
                out.append(path)
    return out


def render(workflow: Path, out: Path, checkpoint: Path | None, overrides: list[tuple[str, str]], base: Path,
           force: bool = False) -> list[Path]:
    """Run the workflow and copy its video(s) to `out` (refusing to overwrite unless force)."""
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists: choose another --out or pass --force to replace it")
    comfy = bed.boot(base)
    import nodes

    prompt = ui_to_api(load(workflow), node_info_of(nodes.NODE_CLASS_MAPPINGS))
    ckpt_dir = base / "models" / "checkpoints"
    if checkpoint is not None:
        checkpoint = checkpoint.resolve()
        if not checkpoint.is_file():
            raise FileNotFoundError(f"--checkpoint {checkpoint}: no such file")
        link = ckpt_dir / checkpoint.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(checkpoint)
        overrides = [("ckpt_name", checkpoint.name), *overrides]
    else:
        print("no --checkpoint: using the random-weight test model (frames are abstract colour fields) at "
              + ", ".join(f"{n}={v}" for n, v in TEST_MODEL_SETTINGS), file=sys.stderr)
        make_checkpoint(ckpt_dir / TEST_CHECKPOINT)
        present = {name for node in prompt.values() for name in node["inputs"]}
        overrides = [("ckpt_name", TEST_CHECKPOINT), *[(n, v) for n, v in TEST_MODEL_SETTINGS if n in present],
                     *overrides]
    apply_overrides(prompt, overrides)
    videos = video_outputs(comfy.run(prompt).outputs)
    if not videos:
        raise RuntimeError(f"{workflow} saved no video")
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for i, video in enumerate(videos):
        target = out if i == 0 else out.with_name(f"{out.stem}_{i}{video.suffix}")
        if target.exists() and not force:
            raise FileExistsError(f"{target} exists: choose another --out or pass --force to replace it")
        shutil.copyfile(video, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Render a ComfyUI workflow headless to a video file.")
    parser.add_argument("workflow", nargs="?", type=Path, default=DEFAULT_WORKFLOW, help="UI-format workflow JSON")
    parser.add_argument("--checkpoint", type=Path, help="an SD1.5 .safetensors checkpoint (default: test model)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], type=parse_override,
                        metavar="NAME=VALUE", help="set every input NAME in the graph (repeatable)")
    parser.add_argument("--out", type=Path, default=Path("renders/walk.mp4"), help="the video file to write")
    parser.add_argument("--base", type=Path, default=bed.REPO / "renders" / "comfy-base",
                        help="ComfyUI base directory (models/, output/, ...)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument("--verbose", action="store_true", help="show ComfyUI's start-up log")
    args = parser.parse_args(argv)
    if not args.verbose:
        logging.basicConfig()
        logging.getLogger().setLevel(logging.ERROR)
    for path in render(args.workflow, args.out, args.checkpoint, args.overrides, args.base.resolve(), args.force):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
