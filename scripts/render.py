"""Render a workflow headless to a video file: in this process, or spread over ComfyUI servers.

    .venv/bin/python -m scripts.render [WORKFLOW] [--checkpoint FILE] [--set NAME=VALUE ...] [--out FILE]
        [--prompt TEXT] [--negative TEXT] [--seeds A,B] [--frames N] [--fps F]
        [--batch B] [--servers http://host1:8188,http://host2:8188] [--ray auto|ADDRESS [--ray-cpus N]]
        [--output ID] [--force] [--keep-parts]

WORKFLOW is a UI-format workflow (default: the bundled seed walk); --checkpoint is the model it
samples with (`make render` runs tools/render_demo.py, which gives this CLI a random-weight demo
model instead). --set changes every input of that name in the graph (e.g. --set frames=24 --set
steps=20 --set width=512).

A workflow with a walk node (start_frame / frame_count inputs) renders in segments of --batch
frames, each one graph with one sampler call over its B frames, written as its own lossless mp4
into OUT.parts/ while the next window samples, and encoded into OUT with one encoder at the end:
memory does not grow with the walk's length, and an interrupted render resumes where it stopped
when run again. In this process it samples on the GPU whenever ComfyUI would (--cpu forces the
CPU). With --servers the windows are handed out to those ComfyUI servers, one at a time each;
with --ray to actors of a Ray cluster, one ComfyUI per GPU (scripts/ray_render.py), a window
whose actor dies going to another actor.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from scripts import client, host, segmented
from scripts.workflow import load, node_info_of, ui_to_api
from video_ops import segments

DEFAULT_WORKFLOW = host.REPO / "workflows" / "meander_seed_walk.json"
DEFAULT_BASE = host.REPO / "renders" / "comfy-base"
"""The in-process ComfyUI's base folder (models/, output/, user/ with the compile cache), shared by both hosts."""
VIDEO_SUFFIXES = (".mp4", ".webm", ".webp", ".gif")


@dataclass(frozen=True)
class DefaultModel:
    """The model a caller of the CLI gives a render without --checkpoint (`make render`: the demo model of
    tools/render_demo.py); the CLI on its own has none and asks for --checkpoint.

    `make(path)` writes the checkpoint to `path` in the base's models/checkpoints, under `name`, once
    ComfyUI is booted (it may build it from ComfyUI's own classes); `settings` are applied, before
    --set, to the inputs of those names the graph has; `note` says on stderr what the frames will be.
    """

    name: str
    make: Callable[[Path], Path]
    settings: tuple[tuple[str, str], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class RenderOptions:
    """How `render` runs a workflow: what it changes in the graph, where it runs, how it writes the video.

    The graph: `checkpoint` (a file in process; with servers, a file name in their
    models/checkpoints), `prompts` / `negatives` (one text for every encoder of that role, or one
    each), `seeds` (every seed input, in order), then `overrides` (--set NAME=VALUE pairs).
    Where: `base` is the in-process ComfyUI's base directory, which samples on the GPU unless `cpu`
    (or no GPU is found); `servers` render instead of it, or
    the actors of the Ray cluster at `ray` (auto or an address: one per GPU, `ray_cpus` CPU ones if > 0).
    A walk renders in segments of `batch` frames; `total` is its length where the graph cannot
    tell it, `output` the video output (node id) where the graph has several. `force` replaces
    the output (and another walk's OUT.parts/), `keep_parts` keeps OUT.parts/ after stitching,
    `progress` shows a progress bar, `encoding` is how the video is encoded (quality, preset,
    pixel format, key-frame interval). `default_model` is sampled with where `checkpoint` is None
    in this process or on Ray (with servers, the workflow's own checkpoint name stands).
    """

    checkpoint: Path | None = None
    cpu: bool = False
    prompts: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()
    seeds: tuple[int, ...] | None = None
    overrides: tuple[tuple[str, str], ...] = ()
    base: Path = DEFAULT_BASE
    servers: tuple[str, ...] = ()
    ray: str | None = None
    ray_cpus: int = 0
    batch: int = segmented.DEFAULT_BATCH
    total: int | None = None
    output: str | None = None
    force: bool = False
    keep_parts: bool = False
    progress: bool = True
    encoding: segments.Encoding = segments.Encoding()
    default_model: DefaultModel | None = None


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
        kind = "a whole number" if isinstance(current, int) else "a number"
        raise ValueError(f"--set {name}={text}: {name} takes {kind}") from None
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


def _prepare_prompt(prompt: dict, options: RenderOptions, overrides: list[tuple[str, str]]) -> None:
    """Apply the options' prompts and seeds, then `overrides` (the checkpoint's and --set ones), to an API graph."""
    if options.prompts:
        set_texts(prompt, "positive", list(options.prompts))
    if options.negatives:
        set_texts(prompt, "negative", list(options.negatives))
    if options.seeds is not None:
        set_seeds(prompt, list(options.seeds))
    apply_overrides(prompt, overrides)


def _links_of(prompt: dict, role: str) -> list[str]:
    """Ids of the text-encoder nodes linked into an input called `role` (positive / negative), in id order."""
    ids = {v[0] for node in prompt.values() for k, v in node["inputs"].items()
           if k == role and isinstance(v, list) and "text" in prompt.get(v[0], {}).get("inputs", {})}
    return sorted(ids, key=segmented.node_order)


def set_texts(prompt: dict, role: str, texts: list[str]) -> None:
    """Set the text of the prompt encoders feeding `role` inputs: one text for all, or one per encoder."""
    ids = _links_of(prompt, role)
    if not ids:
        raise ValueError(f"--{'prompt' if role == 'positive' else 'negative'}: no text encoder feeds a {role} input")
    if len(texts) not in (1, len(ids)):
        raise ValueError(f"the workflow has {len(ids)} {role} prompts (nodes {', '.join(ids)}): give 1 or {len(ids)}")
    for i, nid in enumerate(ids):
        prompt[nid]["inputs"]["text"] = texts[i if len(texts) > 1 else 0]


SEED_INPUTS = ("seed", "noise_seed")


def seed_inputs(prompt: dict) -> list[tuple[str, str]]:
    """(node id, input) of every seed widget (seed, noise_seed, seed_*), in node then input order."""
    return [(nid, name) for nid in sorted(prompt, key=segmented.node_order)
            for name, value in prompt[nid]["inputs"].items()
            if (name in SEED_INPUTS or name.startswith("seed_")) and isinstance(value, int)]


def set_seeds(prompt: dict, seeds: list[int]) -> None:
    targets = seed_inputs(prompt)
    if len(seeds) != len(targets):
        names = ", ".join(f"{prompt[n]['class_type']}.{k}" for n, k in targets)
        raise ValueError(f"--seeds: the workflow has {len(targets)} seed inputs ({names}): give {len(targets)} values")
    for (nid, name), seed in zip(targets, seeds, strict=True):
        prompt[nid]["inputs"][name] = seed


def render(workflow: Path, out: Path, options: RenderOptions, *, engines: list | None = None) -> list[Path]:
    """Run the workflow and write its video to `out` (refusing to overwrite unless options.force).

    A workflow with a walk node renders in segments of `options.batch` frames (resumable, see the
    module docstring), on this process's ComfyUI, on `options.servers` or on the actors of the Ray
    cluster `options.ray`; any other workflow renders in one run. `engines` replaces the engines
    made from the servers / this process (tests; with `options.ray`, Ray actors already started).
    Files and options are checked before ComfyUI boots.
    """
    out = Path(out)
    local = not (options.servers or engines or options.ray)
    ui = check_before_boot(workflow, out, options, local)
    overrides = list(options.overrides)
    if options.ray and not engines:
        from scripts import ray_render  # Ray is imported only here: optional (requirements-ray.txt)

        engines = ray_render.engines(options.ray, options.base, options.ray_cpus)
    elif (options.servers or engines) and options.checkpoint is not None:
        overrides = [("ckpt_name", Path(options.checkpoint).name), *overrides]
    if not local:
        engines = list(engines or [client.ServerEngine(url) for url in options.servers])
        info = engines[0].object_info()
        node_info = info.__getitem__
        comfy = None
    else:
        comfy = boot(options)
        node_info = node_info_of(host.node_classes())
        engines = [client.LocalEngine(comfy)]
    prompt = ui_to_api(ui, node_info)
    if comfy is not None or options.ray:  # the actors' models/ is the base's
        overrides = _local_checkpoint(prompt, options, overrides)
    _prepare_prompt(prompt, options, overrides)
    if not segmented.walk_nodes(prompt):
        if comfy is None:
            raise ValueError(f"{workflow} has no walk node: render it without --servers")
        return _render_whole(comfy, prompt, workflow, out, options.force)
    return render_segments(prompt, out, engines, options, comfy)


def check_before_boot(workflow: Path, out: Path, options: RenderOptions, local: bool = True) -> dict:
    """Check what needs no ComfyUI (files, the output, the options) so that a wrong command fails in a
    moment, not after the boot; the workflow as read (UI format). `local`: rendering in this process,
    where --checkpoint is a file here (else a name on the servers)."""
    if options.ray and options.servers:
        raise ValueError("--ray and --servers: choose one")
    options.encoding.check()
    if out.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"--out {out}: name a video file ({', '.join(VIDEO_SUFFIXES)})")
    if options.batch < 1:
        raise ValueError(f"--batch must be >= 1 frame per segment, got {options.batch}")
    if options.total is not None and options.total < 1:
        raise ValueError(f"--total-frames must be >= 1, got {options.total}")
    if options.checkpoint is not None and local:
        checkpoint_name(options.checkpoint, options.base)
    if options.checkpoint is None and options.default_model is None and (local or options.ray):
        raise ValueError("no --checkpoint: name the .safetensors checkpoint to sample with")
    workflow = Path(workflow)
    if not workflow.is_file():
        raise FileNotFoundError(f"workflow {workflow}: no such file")
    try:
        ui = load(workflow)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"workflow {workflow}: not a JSON file ({error})") from None
    if not isinstance(ui, dict) or not isinstance(ui.get("nodes"), list):
        raise ValueError(f"workflow {workflow}: not a UI-format workflow (no nodes list): save it from the editor "
                         "with Workflow > Save")
    if out.exists() and not options.force:
        raise FileExistsError(f"{out} exists: choose another --out or pass --force to replace it")
    return ui


def boot(options: RenderOptions) -> host.Bed:
    """Boot ComfyUI in this process as a plain server starts: on the GPU when torch sees one, unless --cpu.

    Its output cache is on, as in the server: the loaders, the prompts' encodes and Fast Walk Render's
    compiled model run once per render, not once per window. Says on stderr where it samples.
    """
    gpu = not options.cpu and host.accelerator_available()
    comfy = host.boot(options.base, cpu=not gpu, cache=True)
    comfy.show_progress_bars(not options.progress)  # one bar: the render's, not the sampler's
    why = "" if gpu else " (--cpu)" if options.cpu else " (torch sees no GPU)"
    print(f"ComfyUI {host.host_version()} samples on {comfy.device()}{why}", file=sys.stderr)
    return comfy


def checkpoint_name(checkpoint: Path, base: Path) -> str:
    """The name ComfyUI's loader selects --checkpoint by, in the base's models/checkpoints.

    A file already in that folder (or below it) is used where it is; any other file is linked in
    under its own name, unless a different file of that name is there (an error naming both).
    Nothing in the folder is ever deleted or replaced.
    """
    given = Path(checkpoint).expanduser()
    path = given.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"--checkpoint {checkpoint}: no such file")
    folder = (base / "models" / "checkpoints").resolve()
    inside = given.absolute().parent.resolve() / given.name  # a link in the folder keeps its own name
    if folder in inside.parents:
        return inside.relative_to(folder).as_posix()
    there = folder / path.name
    if (there.exists() or there.is_symlink()) and not (there.exists() and there.resolve() == path):
        raise FileExistsError(f"--checkpoint {path}: {there} is a different file of the same name: rename one "
                              "of them, or pass --base with another ComfyUI base folder")
    return path.name


def _local_checkpoint(prompt: dict, options: RenderOptions, overrides: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Select --checkpoint (linked into the base's models where it is not there) or make the caller's
    default model there; the overrides that select it (and the default model's settings)."""
    ckpt_dir = options.base / "models" / "checkpoints"
    if options.checkpoint is not None:
        name = checkpoint_name(options.checkpoint, options.base)
        link = ckpt_dir / name
        if not link.exists():
            link.symlink_to(Path(options.checkpoint).expanduser().resolve())
        return [("ckpt_name", name), *overrides]
    model = options.default_model
    present = {name for node in prompt.values() for name in node["inputs"]}
    given = {name for name, _ in overrides}
    applied = [(n, v) for n, v in model.settings if n in present and n not in given]
    print(f"no --checkpoint: {model.note or model.name}" + "".join(f", {n}={v}" for n, v in applied),
          file=sys.stderr)
    model.make(ckpt_dir / model.name)
    return [("ckpt_name", model.name), *applied, *overrides]


def _render_whole(comfy, prompt: dict, workflow: Path, out: Path, force: bool) -> list[Path]:
    """One run of the whole graph; its video(s) copied to `out` (and out_1, ... for more)."""
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


def parts_dir(out: Path) -> Path:
    """Where a render to `out` keeps its finished segments and manifest: OUT.parts/ beside it."""
    return out.with_name(out.name + ".parts")


class Interrupted(Exception):
    """Ctrl-C during a segmented render: how many windows are safely in the parts folder."""

    def __init__(self, done: int, windows: int, parts: Path) -> None:
        if done:
            text = (f"interrupted: {done} of {windows} windows are rendered in {parts}; run the same command again "
                    "to render the rest")
        else:
            text = "interrupted before any window was finished: nothing was kept"
        super().__init__(text)


@contextlib.contextmanager
def stop_on_ctrl_c(comfy: host.Bed | None) -> Iterator[threading.Event]:
    """While rendering windows: the first Ctrl-C sets the Event (no window starts after it) and asks the
    in-process ComfyUI to stop the window it samples (at the sampler's next step); windows already
    sampled are still saved. A second Ctrl-C stops at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nCtrl-C: stopping; the windows already sampled are saved (Ctrl-C again to stop at once)",
              file=sys.stderr)
        if comfy is not None:
            comfy.interrupt()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


WALK_LENGTH = re.compile(r"walk of (\d+) frames|end of the walk \((\d+) frames\)")
"""How a walk node's window error states the walk's length (latent_ops/schedule.window)."""


def render_segments(prompt: dict, out: Path, engines: list, options: RenderOptions,
                    comfy: host.Bed | None = None) -> list[Path]:
    """Render an API graph with walk nodes window by window on `engines`, resuming from OUT.parts/; stitch.

    Of `options` it reads batch, total, output, force, keep_parts and progress (the graph is ready).
    Where only --total-frames gives the length, the last window renders first, so a length the walk
    does not have fails at once.
    """
    if out.suffix.lower() != ".mp4":
        raise ValueError(f"--out {out}: a segmented render writes an mp4: name the output *.mp4")
    prepared, writer = segmented.prepare(prompt, options.output)
    total = segmented.total_frames(prepared, options.total)
    trusted = segmented.graph_length(prepared) is None
    fps = prepared[writer]["inputs"]["fps"]
    if not isinstance(fps, (int, float)):
        raise ValueError("the video's fps comes from a link: set it as a number (--fps)")
    fingerprint = segments.fingerprint(prepared, ignore=("folder", "stitch_when_complete"))
    parts_path = parts_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = segmented.Parts.open(parts_path, fingerprint, total, fps, discard_other=options.force)
    try:
        for stale in out.parent.glob(f".{out.name}.*.tmp"):  # a stitch that was killed (we hold the output now)
            stale.unlink(missing_ok=True)
        _render_windows(prepared, writer, total, trusted, engines, parts, options, out, comfy)
        done = parts.done()
        if not segments.tiles(total, done):
            raise RuntimeError(f"{parts_path} does not hold every frame 0..{total - 1} after the render")
        segments.stitch([done[w] for w in sorted(done)], out, force=options.force, encoding=options.encoding)
    finally:
        if not parts.done():  # nothing rendered: leave no parts folder behind
            shutil.rmtree(parts_path, ignore_errors=True)
        parts.close()
    if not options.keep_parts:
        shutil.rmtree(parts_path)
    return [out]


def _render_windows(prepared: dict, writer: str, total: int, trusted: bool, engines: list, parts: segmented.Parts,
                    options: RenderOptions, out: Path, comfy: host.Bed | None) -> None:
    """Render the windows the parts folder lacks, with one progress bar; Ctrl-C as Interrupted."""
    done = parts.done()
    windows = segments.plan(total, options.batch, done)
    if trusted and len(windows) > 1:
        windows = [windows[-1], *windows[:-1]]
    bar = tqdm(total=total, initial=sum(w.count for w in done), unit="frame", disable=not options.progress,
               desc=out.name, file=sys.stderr)
    for sentence in parts.dropped:
        bar.write(sentence, file=sys.stderr)
    if done and windows:
        bar.write(f"resuming: {len(done)} segment(s) already rendered in {parts.path}", file=sys.stderr)
    try:
        with stop_on_ctrl_c(comfy) as stop:
            segmented.run_windows(prepared, writer, windows, total, engines, parts,
                                  on_segment=lambda w, name: bar.update(w.count), stop=stop)
    except KeyboardInterrupt:
        raise Interrupted(len(parts.done()), len(segments.plan(total, options.batch)), parts.path) from None
    except RuntimeError as error:
        length = WALK_LENGTH.search(str(error)) if trusted else None
        if length:
            frames = length.group(1) or length.group(2)
            raise ValueError(f"--total-frames {total}: the walk has {frames} frames: pass --total-frames {frames}") \
                from None
        raise
    finally:
        bar.close()


def _seed_list(text: str) -> tuple[int, ...]:
    """--seeds read by the pack's seed-list parser (commas, semicolons or whitespace), its errors as argparse's."""
    from latent_ops import noise

    try:
        return tuple(noise.parse_seeds(text, "--seeds", minimum=1))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _Parser(argparse.ArgumentParser):
    """argparse answering bad usage with one line and exit code 2 (not the usage text)."""

    def error(self, message: str) -> None:
        print(f"render: error: {message} (see --help)", file=sys.stderr)
        sys.exit(USAGE)


def main(argv: list[str] | None = None, default_model: DefaultModel | None = None) -> None:
    """The command line: render what `argv` asks for; `default_model` is what a render without
    --checkpoint samples with (none: --checkpoint is needed, but with --servers)."""
    parser = _Parser(description="Render a ComfyUI workflow headless to a video file.")
    parser.add_argument("workflow", nargs="?", type=Path, default=DEFAULT_WORKFLOW, help="UI-format workflow JSON")
    parser.add_argument("--checkpoint", type=Path,
                        help="the .safetensors checkpoint to sample with" + (f" (default: {default_model.name})"
                        if default_model else "") + "; with --servers, its file name in the servers' "
                        "models/checkpoints (default: the workflow's own)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], type=parse_override,
                        metavar="NAME=VALUE", help="set every input NAME in the graph (repeatable)")
    parser.add_argument("--prompt", action="append", default=[], metavar="TEXT",
                        help="the positive prompt (repeat once per positive prompt node of a prompt walk)")
    parser.add_argument("--negative", action="append", default=[], metavar="TEXT", help="the negative prompt")
    parser.add_argument("--seeds", type=_seed_list, metavar="A,B,...", help="the graph's seed inputs, in order")
    parser.add_argument("--frames", help="frames in the walk (same as --set frames=N)")
    parser.add_argument("--fps", help="frames per second of the video (same as --set fps=F)")
    parser.add_argument("--out", type=Path,
                        help="the video file to write (default: renders/walk-comfyui-VERSION.mp4, one per ComfyUI "
                        "version)")
    parser.add_argument("--batch", type=int, default=segmented.DEFAULT_BATCH,
                        help=f"frames per segment: one sampler call each (default {segmented.DEFAULT_BATCH})")
    parser.add_argument("--total-frames", type=int,
                        help="the walk's length, where it cannot be computed (a Latent Pan, a linked frames input)")
    parser.add_argument("--servers", type=lambda s: tuple(u for u in s.split(",") if u),
                        default=(), metavar="URL,URL", help="render on these ComfyUI servers instead of in-process")
    parser.add_argument("--ray", metavar="auto|ADDRESS",
                        help="render on a Ray cluster, one ComfyUI actor per GPU: auto (RAY_ADDRESS, the cluster "
                        "`ray start` runs here, else a local one) or its address; needs Ray: "
                        "pip install -r requirements-ray.txt")
    parser.add_argument("--ray-cpus", type=int, default=0, metavar="N",
                        help="with --ray: N actors of one CPU each instead of one per GPU (tests, no GPU)")
    parser.add_argument("--output", metavar="ID",
                        help="the video output (node id) to render, where the workflow's outputs show different frames")
    defaults = segments.Encoding()
    parser.add_argument("--crf", type=int, default=defaults.crf,
                        help=f"video quality, 0 (lossless) to 51; lower is better (default {defaults.crf})")
    parser.add_argument("--preset", choices=segments.PRESETS, default=defaults.preset,
                        help=f"x264 speed against file size (default {defaults.preset})")
    parser.add_argument("--pix-fmt", choices=segments.PIX_FMTS, default=defaults.pix_fmt,
                        help=f"pixel format: yuv420p plays everywhere, yuv444p keeps full colour (default "
                        f"{defaults.pix_fmt})")
    parser.add_argument("--keyint", type=int, help="a key frame at least every N frames (default: x264's, 250)")
    parser.add_argument("--keep-parts", action="store_true", help="keep OUT.parts/ (the segments) after stitching")
    parser.add_argument("--base", type=Path, default=DEFAULT_BASE,
                        help="ComfyUI base directory (models/, output/, ...)")
    parser.add_argument("--force", action="store_true", help="replace --out (and another walk's OUT.parts/)")
    parser.add_argument("--cpu", action="store_true",
                        help="sample on the CPU even where there is a GPU (as ComfyUI's --cpu)")
    parser.add_argument("--verbose", action="store_true", help="show ComfyUI's log")
    parser.add_argument("--debug", action="store_true", help="on an error, show the Python traceback too")
    args = parser.parse_args(argv)
    try:
        _run(args, default_model)
    except Exception as error:  # the CLI's one place that turns an error into one line
        if args.debug:
            raise
        print(f"render: error: {_sentence(error)}", file=sys.stderr)
        sys.exit(USAGE if isinstance(error, BAD_USAGE) else FAILED)
    except KeyboardInterrupt:
        print("render: interrupted before any window was rendered", file=sys.stderr)
        sys.exit(INTERRUPTED)


USAGE, FAILED, INTERRUPTED = 2, 1, 130
"""Exit codes: bad usage (a wrong option or input), a render that failed, Ctrl-C."""
BAD_USAGE = (ValueError, FileExistsError, FileNotFoundError, KeyError)
"""What the command line or the graph's settings got wrong: the fix is in the command."""


def default_out() -> Path:
    """renders/walk-comfyui-VERSION.mp4 under the working folder: one per ComfyUI host, so a render on
    one host never meets the other's."""
    return Path("renders") / f"walk-comfyui-{host.host_version()}.mp4"


def _sentence(error: BaseException) -> str:
    """An error as the one line the CLI prints: its message, on one line."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text.strip("'\"") if isinstance(error, KeyError) else text


def _run(args: argparse.Namespace, default_model: DefaultModel | None) -> None:
    """Render what the parsed command line asks for and say what it wrote."""
    logging.basicConfig()
    # ComfyUI logs a failing node's traceback as an error; the CLI says it in one line (--debug: both)
    logging.getLogger().setLevel(logging.INFO if args.verbose else logging.ERROR if args.debug else logging.CRITICAL)
    named = [(n, v) for n, v in (("frames", args.frames), ("fps", args.fps)) if v is not None]
    options = RenderOptions(
        checkpoint=args.checkpoint, cpu=args.cpu, prompts=tuple(args.prompt), negatives=tuple(args.negative),
        seeds=args.seeds,
        overrides=(*named, *args.overrides), base=args.base.resolve(), servers=args.servers, ray=args.ray,
        ray_cpus=args.ray_cpus, batch=args.batch,
        total=args.total_frames, output=args.output, force=args.force, keep_parts=args.keep_parts,
        encoding=segments.Encoding(args.crf, args.preset, args.pix_fmt, args.keyint), default_model=default_model)
    try:
        written = render(args.workflow, args.out or default_out(), options)
    except Interrupted as stop:
        print(f"render: {stop}", file=sys.stderr)
        sys.exit(INTERRUPTED)
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
