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


def _sampler_settings(g: UIGraph, ckpt, pos, neg, x: float) -> tuple:
    """CFG guider, euler and 25 normal steps, shared by every sampler of a graph."""
    guider = g.add("CFGGuider", (x, 120), {"cfg": 7.5}, {"model": (ckpt, 0), "positive": (pos, 0), "negative": (neg, 0)})
    sampler = g.add("KSamplerSelect", (x, 300), {"sampler_name": "euler"})
    sigmas = g.add("BasicScheduler", (x, 400), {"scheduler": "normal", "steps": 25, "denoise": 1.0},
                   {"model": (ckpt, 0)})
    g.group("4. Sampler settings (euler)", [guider, sampler, sigmas])
    return guider, sampler, sigmas


def _render(g: UIGraph, ckpt, settings: tuple, walk, pos: tuple[float, float], title: str) -> tuple:
    """SamplerCustomAdvanced over a walk node's NOISE and LATENT, then VAE decode: (sampled, decoded)."""
    guider, sampler, sigmas = settings
    run = g.add("SamplerCustomAdvanced", pos, links={
        "noise": (walk, 0), "guider": (guider, 0), "sampler": (sampler, 0), "sigmas": (sigmas, 0),
        "latent_image": (walk, 1)}, title=f"Sample: {title}")
    decode = g.add("VAEDecode", (pos[0], pos[1] + 170), links={"samples": (run, 0), "vae": (ckpt, 2)},
                   title=f"Decode: {title}")
    return run, decode


def _save_video(g: UIGraph, images, pos: tuple[float, float], prefix: str, audio=None) -> list:
    links = {"images": (images, 0)}
    if audio is not None:
        links["audio"] = (audio, 0)
    video = g.add("CreateVideo", pos, {"fps": 24.0}, links)
    save = g.add("SaveVideo", (pos[0], pos[1] + 130), {"filename_prefix": prefix, "format": "mp4", "codec": "h264"},
                 {"video": (video, 0)})
    return [video, save]


SEEDS = {"seed_a": 1337, "seed_b": 42}


def walk_metrics(node_info: NodeInfo) -> dict:
    """A slerp and a lerp walk between the same seeds: metrics, trajectory plot, video of the slerp walk."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting")
    slerp = g.add("MeanderSeedWalk", (440, 120), {**SEEDS, "frames": 24, "method": "slerp"}, title="Walk A: slerp")
    lerp = g.add("MeanderSeedWalk", (440, 520), {**SEEDS, "frames": 24, "method": "lerp"}, title="Walk B: lerp")
    g.group("3. Two walks between the same seeds", [slerp, lerp])
    settings = _sampler_settings(g, ckpt, pos, neg, 820)
    run_a, dec_a = _render(g, ckpt, settings, slerp, (1200, 120), "slerp")
    run_b, dec_b = _render(g, ckpt, settings, lerp, (1200, 520), "lerp")
    g.group("5. Render both", [run_a, dec_a, run_b, dec_b])
    metrics = g.add("MeanderWalkMetrics", (1580, 120), links={"images": (dec_a, 0), "compare_images": (dec_b, 0)})
    save_metrics = g.add("SaveImage", (1580, 330), {"filename_prefix": "meander/walk_metrics"},
                         {"images": (metrics, 1)}, title="Chart: steps and std per frame")
    paths = g.add("MeanderTrajectoryPlot", (1960, 120), {"labels": "slerp, lerp"},
                  {"walk_1": (run_a, 0), "walk_2": (run_b, 0)})
    save_paths = g.add("SaveImage", (1960, 330), {"filename_prefix": "meander/walk_paths"},
                       {"images": (paths, 0)}, title="Chart: the walks' paths (PCA)")
    g.group("6. Measure: metrics and paths", [metrics, save_metrics, paths, save_paths])
    video = _save_video(g, dec_a, (1580, 700), "meander/walk_metrics_slerp")
    g.group("7. Video of walk A", video)
    g.note(
        "## Walk metrics and paths\n"
        "Two walks between the same seeds, one by **slerp** and one by **lerp**, are rendered and measured. "
        "**Walk Metrics** charts the distance from each frame to the next (divided by the mean step: a flat line "
        "at 1 is even motion) and the std of each frame, and outputs the figures as JSON (`step_cv` 0 = even). "
        "**Walk Trajectory Plot** draws both walks' sampled latents on their two principal axes.\n\n"
        "**Change:** the checkpoint (1), the prompts (2), the seeds, `frames` and `method` of each walk (3). "
        "Connect latents instead of images to measure in latent space.",
        (440, 920), (360, 300))
    return g.to_json()


def even_retime(node_info: NodeInfo) -> dict:
    """Coarse render -> even re-timing -> final render, with the before/after step chart."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting")
    coarse = g.add("MeanderSeedWalk", (440, 120), {**SEEDS, "frames": 12}, title="Coarse walk (linear easing)")
    g.group("3. A first, coarse walk", [coarse])
    settings = _sampler_settings(g, ckpt, pos, neg, 820)
    run_c, dec_c = _render(g, ckpt, settings, coarse, (1200, 120), "coarse")
    g.group("5. Render the coarse walk", [run_c, dec_c])
    retime_node = g.add("MeanderEvenRetime", (1580, 120), {"strength": 1.0}, {"images": (dec_c, 0)})
    timed = g.add("MeanderTimedSeedWalk", (1580, 300), {**SEEDS, "frames": 48}, {"time_warp": (retime_node, 0)},
                  title="Re-timed walk (same seeds and method)")
    g.group("6. Re-time: even steps in image space", [retime_node, timed])
    run_f, dec_f = _render(g, ckpt, settings, timed, (1960, 120), "re-timed")
    g.group("7. Render the re-timed walk", [run_f, dec_f])
    metrics = g.add("MeanderWalkMetrics", (2340, 120), links={"images": (dec_f, 0), "compare_images": (dec_c, 0)},
                    title="Before (compare) and after (walk)")
    chart = g.add("SaveImage", (2340, 330), {"filename_prefix": "meander/even_retime_chart"},
                  {"images": (metrics, 1)}, title="Chart: steps before and after")
    video = _save_video(g, dec_f, (2340, 700), "meander/even_retime")
    g.group("8. Compare and save", [metrics, chart, *video])
    g.note(
        "## Perceptually even re-timing\n"
        "A walk moves unevenly in image space: long still stretches, then a jump. The coarse walk (3) is "
        "rendered first; **Even Re-timing** measures how far each frame is from the next and outputs frame "
        "times that spread the motion evenly; the **re-timed walk** renders again with them. The chart "
        "shows step / mean step before (compare, the coarse walk) and after (walk): flat at 1 is even.\n\n"
        "**Change:** the seeds and method in **both** walk nodes (keep them equal), the coarse `frames` "
        "(8 to 16 is enough) and the final `frames`. Keep the coarse walk's easing linear.",
        (440, 420), (360, 330))
    return g.to_json()


def audio_walk(node_info: NodeInfo) -> dict:
    """A seed walk paced by audio onsets, the audio muxed into the mp4."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting")
    click = g.add("MeanderClickTrack", (440, 120), {"bpm": 120.0, "seconds": 4.0},
                  title="Audio (replace with LoadAudio for music)")
    pacing = g.add("MeanderAudioPacing", (440, 300), {"fps": 24.0}, {"audio": (click, 0)})
    g.group("3. Audio and pacing", [click, pacing])
    walk = g.add("MeanderTimedSeedWalk", (440, 560), {**SEEDS, "frames": 96},
                 {"time_warp": (pacing, 0), "frames": (pacing, 1)}, title="Walk paced by the audio")
    g.group("4. Walk", [walk])
    settings = _sampler_settings(g, ckpt, pos, neg, 820)
    run, dec = _render(g, ckpt, settings, walk, (1200, 120), "walk")
    video = _save_video(g, dec, (1200, 500), "meander/audio_walk", audio=click)
    g.group("5. Render, mux the audio, save", [run, dec, *video])
    g.note(
        "## Audio-paced walk\n"
        "**Audio Pacing** measures the audio's onsets (or energy) at each video frame; the walk moves "
        "fast on beats and slowly (`floor`) between them. Its `frames` output sets the walk's length to "
        "cover the audio, and **CreateVideo** muxes the same audio into the mp4.\n\n"
        "**Change:** replace Click Track with core **LoadAudio** for your music (LoadAudio needs "
        "`torchaudio` installed), `feature`, `floor` and `decay_frames` (3), the seeds (4). Keep `fps` "
        "equal in Audio Pacing and CreateVideo.",
        (820, 620), (360, 300))
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
    "meander_walk_metrics": Bundled(walk_metrics, (("frames", "3"),), 3),
    "meander_even_retime": Bundled(even_retime, (("frames", "4"),), 4),
    "meander_audio_walk": Bundled(audio_walk, (("seconds", "0.25"),), 6),
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
