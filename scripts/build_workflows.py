"""Writes the bundled UI-format workflows in workflows/ from their definitions below.

Run `.venv/bin/python -m scripts.build_workflows` after changing a node's inputs; the tests fail
while a committed workflow differs from what this builds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scripts import bed
from scripts.workflow import NodeInfo, UIGraph, dump, node_info_of

WORKFLOWS = bed.REPO / "workflows"
USER_CHECKPOINT = "v1-5-pruned-emaonly.safetensors"
NEGATIVE = "blurry, low quality, watermark, text"


def _model_and_prompts(g: UIGraph, prompt: str) -> tuple:
    """Checkpoint loader and positive / negative text encoders, in their groups."""
    ckpt = g.add("CheckpointLoaderSimple", (40, 120), {"ckpt_name": USER_CHECKPOINT})
    g.group("1. Model", [ckpt])
    pos = g.add("CLIPTextEncode", (40, 400), {"text": prompt}, {"clip": (ckpt, 1)}, title="Prompt")
    neg = g.add("CLIPTextEncode", (40, 680), {"text": NEGATIVE}, {"clip": (ckpt, 1)}, title="Negative prompt")
    g.group("2. Prompts", [pos, neg])
    return ckpt, pos, neg


def _sample_and_save(g: UIGraph, ckpt, pos, neg, noise_src, latent_src, prefix: str, x: float) -> None:
    """Custom sampler over the walk's NOISE and LATENT, VAE decode, mp4 through core video nodes."""
    guider = g.add("CFGGuider", (x, 120), {"cfg": 7.5}, {"model": (ckpt, 0), "positive": (pos, 0), "negative": (neg, 0)})
    sampler = g.add("KSamplerSelect", (x, 300), {"sampler_name": "euler"})
    sigmas = g.add("BasicScheduler", (x, 400), {"scheduler": "normal", "steps": 25, "denoise": 1.0},
                   {"model": (ckpt, 0)})
    run = g.add("SamplerCustomAdvanced", (x, 570), links={
        "noise": noise_src, "guider": (guider, 0), "sampler": (sampler, 0), "sigmas": (sigmas, 0),
        "latent_image": latent_src})
    g.group("4. Sample (euler)", [guider, sampler, sigmas, run])
    decode = g.add("VAEDecode", (x + 380, 120), links={"samples": (run, 0), "vae": (ckpt, 2)})
    video = g.add("CreateVideo", (x + 380, 230), {"fps": 24.0}, {"images": (decode, 0)})
    save = g.add("SaveVideo", (x + 380, 360), {"filename_prefix": prefix, "format": "mp4", "codec": "h264"},
                 {"video": (video, 0)})
    g.group("5. Decode and save the video", [decode, video, save])


def seed_walk(node_info: NodeInfo) -> dict:
    """A walk between two seeds' noise at a fixed prompt, rendered to an mp4."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting")
    walk = g.add("MeanderSeedWalk", (440, 120), {"seed_a": 1337, "seed_b": 42, "frames": 48},
                 title="Seed walk: the frames' noise")
    g.group("3. Walk", [walk])
    _sample_and_save(g, ckpt, pos, neg, (walk, 0), (walk, 1), "meander/seed_walk", 820)
    g.note(
        "## Seed walk\n"
        "The starting noise walks from **seed_a**'s to **seed_b**'s along a great circle (slerp), so "
        "every frame is a sharp image and frame 0 / the last frame are exactly what KSampler makes "
        "with those seeds.\n\n"
        "**Change:** the checkpoint (1), the prompts (2), `seed_a`, `seed_b`, `frames` and the size "
        "(3), `fps` (5). 48 frames at 24 fps is a 2 s clip.\n\n"
        "Keep a deterministic sampler (euler, dpmpp_2m, ddim...): ancestral and SDE samplers add new "
        "noise each step and the frames jump.",
        (440, 620), (340, 300))
    return g.to_json()


def long_walk(node_info: NodeInfo) -> dict:
    """A 2400-frame (100 s) seed walk rendered window by window into mp4 segments, stitched at the end."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting")
    walk = g.add("MeanderSeedWalk", (440, 120), {"seed_a": 1337, "seed_b": 42, "frames": 2400, "start_frame": 0,
                                                 "frame_count": 24},
                 title="Seed walk: one window of frames")
    g.group("3. Walk (one window per run)", [walk])
    guider = g.add("CFGGuider", (820, 120), {"cfg": 7.5}, {"model": (ckpt, 0), "positive": (pos, 0),
                                                          "negative": (neg, 0)})
    sampler = g.add("KSamplerSelect", (820, 300), {"sampler_name": "euler"})
    sigmas = g.add("BasicScheduler", (820, 400), {"scheduler": "normal", "steps": 25, "denoise": 1.0},
                   {"model": (ckpt, 0)})
    run = g.add("SamplerCustomAdvanced", (820, 570), links={
        "noise": (walk, 0), "guider": (guider, 0), "sampler": (sampler, 0), "sigmas": (sigmas, 0),
        "latent_image": (walk, 1)})
    g.group("4. Sample (euler)", [guider, sampler, sigmas, run])
    decode = g.add("VAEDecode", (1200, 120), links={"samples": (run, 0), "vae": (ckpt, 2)})
    save = g.add("MeanderVideoSegment", (1200, 230), {"fps": 24.0, "folder": "meander/long_walk", "start_frame": 0,
                                                       "frames": 2400, "stitch_when_complete": True},
                 {"images": (decode, 0)}, title="Save this window as a segment")
    g.group("5. Decode and save the segment", [decode, save])
    g.note(
        "## Long walk, in segments\n"
        "A 2400-frame walk (100 s at 24 fps) would need ~7 GB of RAM as one image batch. Each run "
        "renders only the window `start_frame` .. `start_frame + frame_count - 1` (one sampler call "
        "over its frames) and saves it as its own mp4 segment; when the segments cover the whole "
        "walk, the last run stitches them into one video (no re-encoding) in `output/meander/long_walk/`.\n\n"
        "**By hand:** after each run add `frame_count` to `start_frame` on **both** the walk (3) and "
        "the segment saver (5). A segment already saved is kept, never written twice.\n\n"
        "**Headless, all windows, resumable, on one or many servers:**\n"
        "`python -m scripts.render workflows/meander_long_walk.json --checkpoint MODEL --batch 24 "
        "--out renders/long.mp4 [--servers http://host1:8188,http://host2:8188]`\n\n"
        "Keep `frames` equal on the walk and the saver. Keep a deterministic sampler (euler, dpmpp_2m, ddim...).",
        (440, 620), (340, 420))
    return g.to_json()


@dataclass(frozen=True)
class Bundled:
    """A bundled workflow: its builder, and how the tests render it small and fast.

    `test_overrides` are --set NAME=VALUE pairs applied on top of the test model, 64x64 and 3
    steps; `test_frames` is the number of frames the test render must then write.
    """

    build: Callable[[NodeInfo], dict]
    test_overrides: tuple[tuple[str, str], ...]
    test_frames: int


BUNDLED: dict[str, Bundled] = {
    "meander_seed_walk": Bundled(seed_walk, (("frames", "6"),), 6),
    "meander_long_walk": Bundled(long_walk, (("frames", "6"), ("frame_count", "3")), 3),
}


def build_all(node_info: NodeInfo) -> dict[str, str]:
    """file name -> JSON text of every bundled workflow."""
    return {f"{name}.json": dump(b.build(node_info)) for name, b in BUNDLED.items()}


def main() -> None:
    comfy = bed.boot(Path(tempfile.mkdtemp(prefix="meander-build-")))
    import nodes

    for name, text in build_all(node_info_of(nodes.NODE_CLASS_MAPPINGS)).items():
        (WORKFLOWS / name).write_text(text)
        print(f"wrote {WORKFLOWS / name}")
    del comfy


if __name__ == "__main__":
    main()
