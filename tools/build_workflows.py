"""Writes the bundled UI-format workflows in workflows/ from their definitions below, with their thumbnails.

Run `make workflows` after changing a node's inputs; the tests fail while a committed workflow
differs from what this builds. Each NAME.json gets NAME.jpg, the picture ComfyUI's template
browser shows for it: the Thumbnail of its BUNDLED entry, drawn by tools/thumbnails.py. One
BUNDLED entry per workflow holds all of it. The workflows are built on the oldest ComfyUI the
pack supports (BUILT_ON): a newer frontend reads an older workflow's widgets in order and fills
the widgets its host added, while an older frontend cannot read a newer host's dynamic widgets.
The few that need a newer host (`newer_host`) are built on the newest one, with its widgets.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from latent_ops import embedding, noise, walks
from scripts import host
from scripts.workflow import NodeInfo, UIGraph, dump, node_info_of
from tools.thumbnails import (
    COLOURS,
    LATENT,
    Paths,
    Thumbnail,
    Walk,
    paced_by_beats,
    pan_strip,
    prompt_keys,
    seed_walk_frames,
    window_colours,
)
from tools.thumbnails import render as render_thumbnail

WORKFLOWS = host.REPO / "workflows"
BUILT_ON = "0.3.75"
"""The ComfyUI version the committed workflows are built on (pyproject's requires-comfyui floor)."""
THUMBNAIL_QUALITY = 88
USER_CHECKPOINT = "v1-5-pruned-emaonly.safetensors"
SDXL_CHECKPOINT = "sd_xl_base_1.0.safetensors"
FLUX_MODEL = "flux1-dev.safetensors"
WAN_MODEL = "wan2.1_t2v_1.3B_fp16.safetensors"
TEST_MODELS = {"sdxl": "meander-test-sdxl.safetensors", "flux": "meander-test-flux.safetensors",
               "flux-vae": "meander-test-flux-vae.safetensors", "wan": "meander-test-wan.safetensors",
               "wan-vae": "meander-test-wan-vae.safetensors"}
"""The small random-weight models (tools/make_models.py) the tests render the family workflows with."""
NEGATIVE = "blurry, low quality, watermark, text"


def _model_and_prompts(g: UIGraph, prompt: str, checkpoint: str = USER_CHECKPOINT) -> tuple:
    """Checkpoint loader and positive / negative text encoders, in their groups."""
    ckpt = g.add("CheckpointLoaderSimple", (40, 120), {"ckpt_name": checkpoint})
    g.group("1. Model", [ckpt])
    pos = g.add("CLIPTextEncode", (40, 400), {"text": prompt}, {"clip": (ckpt, 1)}, title="Prompt")
    neg = g.add("CLIPTextEncode", (40, 680), {"text": NEGATIVE}, {"clip": (ckpt, 1)}, title="Negative prompt")
    g.group("2. Prompts", [pos, neg])
    return ckpt, pos, neg


def _sample_and_save(g: UIGraph, ckpt, pos, neg, noise_src, latent_src, prefix: str, x: float,
                     model_src: tuple | None = None, vae_src: tuple | None = None) -> None:
    """Custom sampler over the walk's NOISE and LATENT, VAE decode, mp4 through core video nodes."""
    model = model_src or (ckpt, 0)
    guider = g.add("CFGGuider", (x, 120), {"cfg": 7.5}, {"model": model, "positive": (pos, 0), "negative": (neg, 0)})
    _sample_decode_save(g, (guider, 0), model, vae_src or (ckpt, 2), noise_src, latent_src, prefix, x)


def _sample_decode_save(g: UIGraph, guider_src: tuple, model_src: tuple, vae_src: tuple, noise_src, latent_src,
                        prefix: str, x: float, scheduler: str = "normal", steps: int = 25,
                        extra: tuple = (), fps: float = 24.0) -> None:
    """SamplerCustomAdvanced (euler) with `guider_src`, then VAE decode and an mp4 through core video nodes.

    `extra` nodes (the guider's own helpers) join the sampling group.
    """
    sampler = g.add("KSamplerSelect", (x, 300), {"sampler_name": "euler"})
    sigmas = g.add("BasicScheduler", (x, 400), {"scheduler": scheduler, "steps": steps, "denoise": 1.0},
                   {"model": model_src})
    run = g.add("SamplerCustomAdvanced", (x, 570), links={
        "noise": noise_src, "guider": guider_src, "sampler": (sampler, 0), "sigmas": (sigmas, 0),
        "latent_image": latent_src})
    g.group("4. Sample (euler)", [*extra, guider_src[0], sampler, sigmas, run])
    decode = g.add("VAEDecode", (x + 380, 120), links={"samples": (run, 0), "vae": vae_src})
    video = g.add("CreateVideo", (x + 380, 230), {"fps": fps}, {"images": (decode, 0)})
    save = g.add("SaveVideo", (x + 380, 360), {"filename_prefix": prefix, "format": "mp4", "codec": "h264"},
                 {"video": (video, 0)})
    g.group("5. Decode and save the video", [decode, video, save])


KEEP_DETERMINISTIC = ("Keep a deterministic sampler (euler, dpmpp_2m, ddim...): ancestral and SDE samplers add new "
                      "noise each step and the frames jump.")


def _noise_walk(node_info: NodeInfo, node_id: str, values: dict, title: str, note: str, note_at: tuple,
                prompt: str = "a lighthouse on a cliff at sunset, oil painting") -> dict:
    """A noise walk's node at a fixed prompt through SamplerCustomAdvanced (euler), rendered to an mp4."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, prompt)
    walk = g.add(node_id, (440, 120), values, title=f"{title}: the frames' noise")
    g.group("3. Walk", [walk])
    name = node_id.removeprefix("Meander")
    prefix = "meander/" + "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    _sample_and_save(g, ckpt, pos, neg, (walk, 0), (walk, 1), prefix, 820)
    g.note(f"## {title}\n{note}\n\n{KEEP_DETERMINISTIC}", *note_at)
    return g.to_json()


def seed_walk(node_info: NodeInfo) -> dict:
    """A walk between two seeds' noise at a fixed prompt, rendered to an mp4."""
    return _noise_walk(node_info, "MeanderSeedWalk", {"seed_a": 1337, "seed_b": 42, "frames": 48}, "Seed walk",
                       "The starting noise walks from **seed_a**'s to **seed_b**'s along a great circle (slerp), so "
                       "every frame is a sharp image and frame 0 / the last frame are exactly what KSampler makes "
                       "with those seeds.\n\n"
                       "**Change:** the checkpoint (1), the prompts (2), `seed_a`, `seed_b`, `frames` and the size "
                       "(3), `fps` (5). 48 frames at 24 fps is a 2 s clip.", ((440, 620), (340, 300)))


def figure_eight_loop(node_info: NodeInfo) -> dict:
    """A seamless figure-eight loop through three seeds' noises, rendered to an mp4."""
    return _noise_walk(node_info, "MeanderFigureEightLoop", {"seed_x": 1337, "seed_y": 42, "seed_z": 7, "frames": 96},
                       "Figure-eight noise loop",
                       "The starting noise traces a figure eight on the sphere of unit-variance noise (Viviani's "
                       "curve through three seeds' noises): it leaves **seed_x**'s image, turns at **seed_y**'s, "
                       "comes back through seed_x's image in the other direction, turns at the mirror of seed_y's "
                       "noise and closes, with no repeated frame. Frame 0 is exactly KSampler's image for seed_x.\n\n"
                       "**Change:** the checkpoint (1), the prompts (2), the seeds, `frames` and the size (3), "
                       "`fps` (5). 96 frames at 24 fps is a 4 s loop.", ((440, 520), (340, 360)),
                       "a koi pond seen from above, ukiyo-e woodblock print")


def ancestral_walk(node_info: NodeInfo) -> dict:
    """A seed walk sampled with euler_ancestral through the Walk Sampler, whose step noise walks too, to an mp4."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting")
    walk = g.add("MeanderSeedWalk", (440, 120), {"seed_a": 1337, "seed_b": 42, "frames": 48},
                 title="Seed walk: the frames' noise")
    g.group("3. Walk", [walk])
    guider = g.add("CFGGuider", (820, 120), {"cfg": 7.5}, {"model": (ckpt, 0), "positive": (pos, 0),
                                                          "negative": (neg, 0)})
    sampler = g.add("MeanderWalkSampler", (820, 300), {"sampler_name": "euler_ancestral", "eta": 1.0, "s_noise": 1.0},
                    {"noise": (walk, 0)}, title="Walk Sampler: euler_ancestral")
    sigmas = g.add("BasicScheduler", (820, 470), {"scheduler": "normal", "steps": 25, "denoise": 1.0},
                   {"model": (ckpt, 0)})
    run = g.add("SamplerCustomAdvanced", (820, 620), links={
        "noise": (walk, 0), "guider": (guider, 0), "sampler": (sampler, 0), "sigmas": (sigmas, 0),
        "latent_image": (walk, 1)})
    g.group("4. Sample (euler_ancestral through the Walk Sampler)", [guider, sampler, sigmas, run])
    decode = g.add("VAEDecode", (1200, 120), links={"samples": (run, 0), "vae": (ckpt, 2)})
    g.group("5. Decode and save the video", [decode, *_save_video(g, decode, (1200, 230), "meander/ancestral_walk")])
    g.note(
        "## Ancestral walk\n"
        "An ancestral sampler adds fresh noise at every step. Through the **Walk Sampler** that noise walks "
        "with the frames too: frame k's step noise is the same slerp between seed_a's and seed_b's step noise "
        "as its starting noise is between their noises, so the video moves as smoothly as with euler, with "
        "euler_ancestral's look. Frame 0 and the last frame are exactly what KSampler makes with euler_ancestral "
        "and those seeds.\n\n"
        "**Change:** the checkpoint (1), the prompts (2), `seed_a`, `seed_b`, `frames` and the size (3), "
        "`sampler_name` (any ancestral or SDE sampler: dpmpp_2m_sde, dpmpp_sde, ...), `eta`, `s_noise` (4), "
        "`fps` (5). Connect the walk's noise to both the Walk Sampler and SamplerCustomAdvanced.",
        (440, 460), (340, 380))
    return g.to_json()


def fast_seed_walk(node_info: NodeInfo) -> dict:
    """The seed walk with the Fast Walk Render node compiling the model and the VAE decoder for its fixed batch."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting")
    fast = g.add("MeanderFastRender", (440, 120), {"mode": "compile"}, {"model": (ckpt, 0), "vae": (ckpt, 2)},
                 title="Fast Walk Render: compile once")
    walk = g.add("MeanderSeedWalk", (440, 300), {"seed_a": 1337, "seed_b": 42, "frames": 96, "frame_count": 32},
                 title="Seed walk: 32 frames per queue")
    g.group("3. Fast render and walk", [fast, walk])
    _sample_and_save(g, ckpt, pos, neg, (walk, 0), (walk, 1), "meander/fast_seed_walk", 820, (fast, 0), (fast, 1))
    g.note(
        "## Fast seed walk\n"
        "**Fast Walk Render** compiles the diffusion model and the VAE's decoder once (torch.compile) for "
        "the walk's fixed batch of 32 frames; on an H200 the sampler then runs about 1.3x faster than plain "
        "ComfyUI at its best batch, and decoding 1.6x faster. The first queue pays about a minute of "
        "compiling. On a CPU or a GPU older than Volta the model and VAE pass through unchanged.\n\n"
        "**Change:** the checkpoint (1), prompts (2), seeds (3). Queue three times with `start_frame` 0, "
        "32, 64 for the 96 frames; keep `frame_count` fixed, since a new batch size compiles again.",
        (440, 820), (340, 300))
    return g.to_json()


def noise_pan(node_info: NodeInfo) -> dict:
    """The translation of "Exploring the latent space": a window slides over two seeds' noise, then sampled."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a red fox in a snowy forest, detailed illustration")
    pan = g.add("MeanderNoisePan", (440, 120), {"seeds": "1337, 42", "stride": 1.0},
                title="Noise pan: the frames' noise")
    g.group("3. Pan across the seeds' noise", [pan])
    _sample_and_save(g, ckpt, pos, neg, (pan, 0), (pan, 1), "meander/noise_pan", 820)
    g.note(
        "## Pan across two seeds' noise\n"
        "The noise of each seed in `seeds` is laid side by side and a 512-pixel window slides across it, "
        "one latent pixel (8 image pixels) per frame: 65 frames from seed 1337's image to seed 42's. "
        "The picture moves with the window and changes as the new noise comes in.\n\n"
        "**Change:** the checkpoint (1), the prompts (2), `seeds` (more seeds = a longer pan), `stride`, "
        "`motion` (wipe: the new seed's noise replaces the old in place), `loop` and the size (3), `fps` (5).\n\n"
        "`stride` below 1 moves less than 8 pixels per frame: set `subpixel` to nlerp (keeps the noise's "
        "variance; lerp blurs the in-between frames).\n\n"
        "Keep a deterministic sampler (euler, dpmpp_2m, ddim...): ancestral and SDE samplers add new "
        "noise each step and the frames jump.",
        (440, 560), (340, 420))
    return g.to_json()


def panorama_pan(node_info: NodeInfo) -> dict:
    """Sample K images once, lay their latents side by side and pan across them; decode only."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a wide mountain valley at sunrise, matte painting")
    empty = g.add("EmptyLatentImage", (440, 120), {"width": 512, "height": 512, "batch_size": 3},
                  title="Panels: batch_size = how many")
    sampler = g.add("KSampler", (440, 300), {"seed": 1337, "steps": 25, "cfg": 7.5, "sampler_name": "euler",
                                            "scheduler": "normal", "denoise": 1.0},
                    {"model": (ckpt, 0), "positive": (pos, 0), "negative": (neg, 0), "latent_image": (empty, 0)})
    g.group("3. Sample the panels once", [empty, sampler])
    pan = g.add("MeanderLatentPan", (820, 120), {"stride": 1.0}, {"latents": (sampler, 0)},
                title="Latent pan across the panels")
    g.group("4. Pan across the sampled latents", [pan])
    decode = g.add("VAEDecode", (1200, 120), links={"samples": (pan, 0), "vae": (ckpt, 2)})
    video = g.add("CreateVideo", (1200, 230), {"fps": 24.0}, {"images": (decode, 0)})
    save = g.add("SaveVideo", (1200, 360), {"filename_prefix": "meander/panorama_pan", "format": "mp4",
                                            "codec": "h264"}, {"video": (video, 0)})
    g.group("5. Decode and save the video", [decode, video, save])
    g.note(
        "## Pan across a panorama of sampled latents\n"
        "KSampler makes `batch_size` images once; their latents are joined left to right and a window "
        "slides across them, one latent pixel (8 image pixels) per frame. Only the VAE runs per frame, "
        "so the pan is fast: 3 panels give 129 frames (5.4 s at 24 fps).\n\n"
        "**Change:** the checkpoint (1), the prompts (2), `batch_size` and `seed` (3), `stride`, `axis`, "
        "`loop` (the last panel joins the first), `ping_pong`, `easing` and `motion` (wipe) (4), `fps` (5).\n\n"
        "`stride` below 1 is smoother: set `subpixel` to lerp. The seams between panels are hard cuts "
        "unless the images match at their edges.",
        (820, 420), (340, 400))
    return g.to_json()


def seed_chain_walk(node_info: NodeInfo) -> dict:
    """A walk through a list of seeds' noise at a fixed prompt (the walk of stablediffusionwalk.py), as an mp4."""
    return _noise_walk(
        node_info, "MeanderSeedChainWalk", {"seeds": "1337, 42, 7, 2024", "frames_per_segment": 48, "closed": False},
        "Seed chain walk",
        "The starting noise walks through the noises of a list of **seeds**, `frames_per_segment` frames "
        "from each to the next, along great circles (slerp). Frame i x F is exactly what KSampler makes "
        "with seed i; no frame repeats at a joint.\n\n"
        "**Change:** the checkpoint (1), the prompts (2), `seeds` (found with KSampler), "
        "`frames_per_segment` and the size (3), `fps` (5). 4 seeds x 48 frames = 145 frames, 6 s at 24 fps. "
        "Switch `closed` on to return to the first seed: a seamless loop of K x F frames.\n\n"
        "**Long walks:** render in windows: set `frame_count` (e.g. 48) and queue once per window with "
        "`start_frame` = 0, 48, 96, ...; each run saves its own clip.", ((440, 460), (340, 420)))


def seed_variations(node_info: NodeInfo) -> dict:
    """A walk that stays near one seed's image through its variations, looping, as an mp4."""
    return _noise_walk(
        node_info, "MeanderSeedVariations", {"seed": 1337, "variation_seeds": "1, 2, 3, 4", "strength": 0.2,
                                             "frames_per_variation": 24, "closed": True},
        "Seed variations",
        "The picture of **seed** stays; its details move. Each variation seed v gives the noise "
        "slerp(noise(seed), noise(v), strength), the variation seed of AUTOMATIC1111 at that strength, and "
        "the walk goes from one variation to the next, `frames_per_variation` frames apart, back to the first "
        "(`closed`): 4 variations x 24 frames = a 4 s loop at 24 fps.\n\n"
        "**Change:** the checkpoint (1), the prompts (2), `seed` (found with KSampler), `strength` (0.1 to 0.3 "
        "keeps the composition; 0 is the seed's own image), `variation_seeds` and the size (3), `fps` (5).",
        ((440, 460), (340, 420)))


def noise_loop(node_info: NodeInfo) -> dict:
    """A seamless circular noise loop, sampled by the plain KSamplerAdvanced, as animated WEBP and mp4."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a koi pond seen from above, ukiyo-e woodblock print")
    loop = g.add("MeanderNoiseLoop", (440, 120),
                 {"seed_x": 1337, "seed_y": 42, "frames": 48, "radius": 1.0, "centre_seed": 7},
                 title="Circular noise loop: the frames' noise")
    noisy = g.add("MeanderNoisyLatent", (440, 500), links={"model": (ckpt, 0), "noise": (loop, 0), "latent": (loop, 1)})
    g.group("3. Loop", [loop, noisy])
    x = 820
    run = g.add("KSamplerAdvanced", (x, 120), {
        "add_noise": "disable", "noise_seed": 0, "steps": 25, "cfg": 7.5, "sampler_name": "euler",
        "scheduler": "normal", "start_at_step": 0, "end_at_step": 10000, "return_with_leftover_noise": "disable"},
        {"model": (ckpt, 0), "positive": (pos, 0), "negative": (neg, 0), "latent_image": (noisy, 0)})
    g.group("4. Sample (add_noise disable, deterministic sampler: euler)", [run])
    decode = g.add("VAEDecode", (x + 380, 120), links={"samples": (run, 0), "vae": (ckpt, 2)})
    webp = g.add("SaveAnimatedWEBP", (x + 380, 230),
                 {"filename_prefix": "meander/noise_loop", "fps": 24.0, "lossless": False, "quality": 90,
                  "method": "default"}, {"images": (decode, 0)})
    video = g.add("CreateVideo", (x + 380, 560), {"fps": 24.0}, {"images": (decode, 0)})
    save = g.add("SaveVideo", (x + 380, 690), {"filename_prefix": "meander/noise_loop", "format": "mp4",
                                                "codec": "h264"}, {"video": (video, 0)})
    g.group("5. Decode and save the loop (animated WEBP and mp4)", [decode, webp, video, save])
    g.note(
        "## Circular noise loop\n"
        "The noise goes once round a circle, `cos(phi) x + sin(phi) y` with phi = 2 pi k / N: every frame "
        "keeps the noise's variance and the frame after the last is the first, so the WEBP and the mp4 "
        "loop seamlessly with no repeated frame. At radius 1 frame 0 is exactly KSampler's image for "
        "`seed_x`; below 1 the loop circles `centre_seed`'s image (0.3: small changes around it).\n\n"
        "This graph uses the plain **KSamplerAdvanced**: `Walk Noise to KSampler Latent` turns the loop's "
        "noise into a noisy latent, so keep `add_noise` = disable and `start_at_step` = 0 (its seed is "
        "then unused). The frames are those of SamplerCustomAdvanced with the noise.\n\n"
        "**Change:** the checkpoint (1), the prompts (2), the seeds, `frames`, `radius` and the size (3), "
        "`steps` (4), `fps` (5). Keep a deterministic sampler (euler, dpmpp_2m, ddim...).",
        (440, 720), (340, 420))
    return g.to_json()


def _ksample_and_save(g: UIGraph, ckpt, positive, neg, latent_src, prefix: str, x: float,
                      webp: bool = False) -> None:
    """KSampler (fixed seed, euler) over a prompt walk's batch, VAE decode, mp4 (and a looping webp)."""
    run = g.add("KSampler", (x, 120), {"seed": 1337, "steps": 25, "cfg": 7.5, "sampler_name": "euler",
                                       "scheduler": "normal", "denoise": 1.0},
                {"model": (ckpt, 0), "positive": positive, "negative": (neg, 0), "latent_image": latent_src})
    g.group("4. Sample (one seed for every frame; deterministic sampler: euler)", [run])
    decode = g.add("VAEDecode", (x + 380, 120), links={"samples": (run, 0), "vae": (ckpt, 2)})
    members = [decode]
    if webp:
        loop = g.add("SaveAnimatedWEBP", (x + 380, 230), {"filename_prefix": prefix, "fps": 24.0, "lossless": False,
                                                          "quality": 90}, {"images": (decode, 0)})
        members.append(loop)
    else:
        video = g.add("CreateVideo", (x + 380, 230), {"fps": 24.0}, {"images": (decode, 0)})
        save = g.add("SaveVideo", (x + 380, 360), {"filename_prefix": prefix, "format": "mp4", "codec": "h264"},
                     {"video": (video, 0)})
        members += [video, save]
    g.group("5. Decode and save the " + ("looping webp" if webp else "video"), members)


def _model_and_negative(g: UIGraph) -> tuple:
    ckpt = g.add("CheckpointLoaderSimple", (40, 120), {"ckpt_name": USER_CHECKPOINT})
    g.group("1. Model", [ckpt])
    neg = g.add("CLIPTextEncode", (40, 600), {"text": NEGATIVE}, {"clip": (ckpt, 1)}, title="Negative prompt")
    return ckpt, neg


PROMPT_WALK_NOTE = (
    "The walk node outputs one conditioning **per frame** and an empty latent batch of the same frames: "
    "one KSampler run renders the whole clip, every frame from the same seed's noise, so only the prompt "
    "moves. Keep a deterministic sampler (euler, dpmpp_2m, ddim...): ancestral and SDE samplers add new "
    "noise each step and the frames jump."
)


def prompt_travel(node_info: NodeInfo) -> dict:
    """Two keyframe prompts, dog to cat ("Beyond Static Image Generation"), via the schedule node, to an mp4."""
    g = UIGraph(node_info)
    ckpt, neg = _model_and_negative(g)
    walk = g.add("MeanderPromptTravel", (440, 120), {
        "schedule": "0: a photograph of a dog, studio light\n47: a photograph of a cat, studio light"},
        {"clip": (ckpt, 1)}, title="Prompt travel: dog to cat", width=380)
    g.group("2. Prompts (3. Walk)", [walk, neg])
    _ksample_and_save(g, ckpt, (walk, 0), neg, (walk, 1), "meander/prompt_travel", 880)
    g.note(
        "## Prompt travel\n"
        "Each line of **schedule** is a keyframe, `frame: prompt`. The frames between keyframes slerp the "
        "prompts' embeddings token by token; frame 0 is exactly the dog image and frame 47 the cat image "
        "KSampler makes alone. Add lines for more keyframes; long prompts (over 75 tokens) are fine.\n\n"
        "**Change:** the checkpoint (1), the schedule, `frames` (0 = end on the last keyframe), `loop`, "
        "`easing` and the size (2), the seed (4), `fps` (5). 48 frames at 24 fps is a 2 s clip.\n\n"
        + PROMPT_WALK_NOTE,
        (440, 700), (380, 420))
    return g.to_json()


def prompt_chain(node_info: NodeInfo) -> dict:
    """A chain of four CLIPTextEncode prompts through the conditioning travel node, to an mp4."""
    g = UIGraph(node_info)
    ckpt, neg = _model_and_negative(g)
    prompts = ["a watercolor painting of a forest in spring", "a watercolor painting of a forest in summer",
               "a watercolor painting of a forest in autumn", "a watercolor painting of a forest in winter"]
    encoders = [g.add("CLIPTextEncode", (40, 800 + 230 * i), {"text": text}, {"clip": (ckpt, 1)},
                      title=f"Keyframe {i + 1}") for i, text in enumerate(prompts)]
    g.group("2. Prompts: four keyframes and the negative", [neg, *encoders])
    walk = g.add("MeanderConditioningTravel", (440, 120), {"frames_per_segment": 16},
                 {f"conditioning_{i + 1}": (enc, 0) for i, enc in enumerate(encoders)},
                 title="Conditioning travel: four seasons")
    g.group("3. Walk", [walk])
    _ksample_and_save(g, ckpt, (walk, 0), neg, (walk, 1), "meander/prompt_chain", 880)
    g.note(
        "## A chain of four prompts\n"
        "Four keyframes, **frames_per_segment** frames from each to the next: (4 - 1) x 16 + 1 = 49 frames, "
        "each keyframe exactly its prompt's image and no frame twice at a joint. Turn on `loop` to walk "
        "back from winter to spring (64 frames, seamless). Any text encode node works as a keyframe "
        "(CLIPTextEncodeSDXL too: the pooled output is walked as well); up to 6 keyframes.\n\n"
        "**Change:** the checkpoint (1), the four prompts (2), `frames_per_segment`, `loop`, `easing` and "
        "the size (3), the seed (4).\n\n" + PROMPT_WALK_NOTE,
        (440, 660), (380, 440))
    return g.to_json()


def prompt_drift(node_info: NodeInfo) -> dict:
    """The owl walk of "Beyond Static Image Generation": 150 steps of 0.002 away from one prompt, to an mp4."""
    g = UIGraph(node_info)
    ckpt, neg = _model_and_negative(g)
    pos = g.add("CLIPTextEncode", (40, 330), {"text": "a photograph of an owl sitting on a tree branch"},
                {"clip": (ckpt, 1)}, title="Prompt")
    g.group("2. Prompts", [pos, neg])
    walk = g.add("MeanderPromptDrift", (440, 120), {"frames": 150, "step": 0.002}, {"conditioning": (pos, 0)},
                 title="Prompt drift: away from the owl")
    g.group("3. Walk", [walk])
    _ksample_and_save(g, ckpt, (walk, 0), neg, (walk, 1), "meander/prompt_drift", 880)
    g.note(
        "## Prompt drift\n"
        "Frame k uses the prompt's embedding plus k x step in every value (`direction` ones) or along a "
        "seeded random direction. Frame 0 is the owl; the image turns painterly, moves, and dissolves into "
        "noise by frame 150 (0.3 per value).\n\n"
        "**Change:** the checkpoint (1), the prompt (2), `frames`, `step`, `direction`, `seed` and the size "
        "(3), the sampler seed (4).\n\n" + PROMPT_WALK_NOTE,
        (440, 460), (380, 400))
    return g.to_json()


def prompt_circle(node_info: NodeInfo) -> dict:
    """A closed circle around one prompt's embedding, saved as a looping animated webp."""
    g = UIGraph(node_info)
    ckpt, neg = _model_and_negative(g)
    pos = g.add("CLIPTextEncode", (40, 330), {"text": "skyline of New York City at night, photograph"},
                {"clip": (ckpt, 1)}, title="Prompt")
    g.group("2. Prompts", [pos, neg])
    walk = g.add("MeanderPromptCircle", (440, 120), {"frames": 48, "radius": 0.1}, {"conditioning": (pos, 0)},
                 title="Prompt circle: a seamless loop")
    g.group("3. Walk", [walk])
    _ksample_and_save(g, ckpt, (walk, 0), neg, (walk, 1), "meander/prompt_circle", 880, webp=True)
    g.note(
        "## Prompt circle loop\n"
        "The embedding goes once around a circle centred on the prompt: the image leaves the prompt and "
        "comes back, and the frame after the last is the first, so the webp loops without a seam.\n\n"
        "**Change:** the checkpoint (1), the prompt (2), `frames`, `radius` (0.05 to 0.2 keeps the prompt "
        "recognisable), `seed` (which circle) and the size (3), the sampler seed (4), `fps` (5).\n\n"
        + PROMPT_WALK_NOTE,
        (440, 440), (380, 400))
    return g.to_json()


def seed_and_prompt_walk(node_info: NodeInfo) -> dict:
    """A seed walk and a prompt travel over the same frames, sampled together, to an mp4."""
    g = UIGraph(node_info)
    ckpt, neg = _model_and_negative(g)
    travel = g.add("MeanderPromptTravel", (40, 330), {
        "schedule": "0: a lighthouse on a cliff at sunset, oil painting\n"
                    "47: a lighthouse on a cliff in a snow storm, oil painting", "frames": 48},
        {"clip": (ckpt, 1)}, title="Prompt travel (same frames as the seed walk)", width=380)
    g.group("2. Prompts", [travel, neg])
    walk = g.add("MeanderSeedWalk", (480, 120), {"seed_a": 1337, "seed_b": 42, "frames": 48},
                 title="Seed walk: the frames' noise")
    g.group("3. Walk", [walk])
    _sample_and_save(g, ckpt, travel, neg, (walk, 0), (walk, 1), "meander/seed_and_prompt_walk", 860)
    g.note(
        "## Seed walk + prompt travel\n"
        "The noise walks from seed_a to seed_b while the prompt travels from sunset to snow storm: both "
        "nodes make frame k for batch item k, so keep their **frames**, **start_frame** and "
        "**frame_count** equal (render a long walk in windows by changing both windows together). The "
        "prompt travel's own latent output is not used: the seed walk's latent is.\n\n"
        "**Change:** the checkpoint (1), the schedule (2), the seeds (3), `frames` on both walk nodes, "
        "`fps` (5).\n\n"
        "Keep a deterministic sampler (euler, dpmpp_2m, ddim...): ancestral and SDE samplers add new "
        "noise each step and the frames jump.",
        (480, 520), (340, 420))
    return g.to_json()


def _sampler_settings(g: UIGraph, ckpt, pos, neg, x: float) -> tuple:
    """CFG guider, euler and 25 normal steps, shared by every sampler of a graph."""
    guider = g.add("CFGGuider", (x, 120), {"cfg": 7.5},
                   {"model": (ckpt, 0), "positive": (pos, 0), "negative": (neg, 0)})
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
        "Connect latents instead of images to measure in latent space.\n\n"
        "**InterpScore** (the study's CLIP score of each frame against a prompt): add Load CLIP Vision "
        "(CLIP ViT-L/14) and Load CLIP (clip_l), connect them to `clip_vision` and `clip` of Walk Metrics "
        "and type `score_prompt`.",
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
        "walk, the last run encodes them into one video (one encoder: no seam at the joins) in "
        "`output/meander/long_walk/`.\n\n"
        "**In the editor, all windows:** click **queue every window** on the segment saver (5): it queues "
        "one run per window (100 here) and puts the widgets back. **One window at a time:** after each run "
        "add `frame_count` to `start_frame` on **both** the walk (3) and the saver (5). A segment already "
        "saved is kept, never written twice.\n\n"
        "**Headless, all windows, resumable, on one or many servers:**\n"
        "`python -m scripts.render workflows/meander_long_walk.json --checkpoint MODEL --batch 32 "
        "--out renders/long.mp4 [--servers http://host1:8188,http://host2:8188]`\n\n"
        "Keep `frames` equal on the walk and the saver. Keep a deterministic sampler (euler, dpmpp_2m, ddim...).",
        (440, 620), (340, 420))
    return g.to_json()


def sdxl_seed_walk(node_info: NodeInfo) -> dict:
    """The seed walk on SDXL at 1024x1024: the same nodes, an SDXL checkpoint."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a lighthouse on a cliff at sunset, oil painting", SDXL_CHECKPOINT)
    walk = g.add("MeanderSeedWalk", (440, 120), {"seed_a": 1337, "seed_b": 42, "frames": 48, "width": 1024,
                                                "height": 1024}, title="Seed walk: the frames' noise")
    g.group("3. Walk", [walk])
    _sample_and_save(g, ckpt, pos, neg, (walk, 0), (walk, 1), "meander/sdxl_seed_walk", 820)
    g.note(
        "## Seed walk on SDXL\n"
        "The seed walk at SDXL's 1024x1024: frame 0 and the last frame are exactly what KSampler makes with "
        "`seed_a` and `seed_b` on this checkpoint. SDXL's pooled text output rides along in the conditioning; "
        "for a prompt walk on SDXL use Prompt Travel or Conditioning Travel (they walk `pooled_output` too, and "
        "keep CLIPTextEncodeSDXL's size keys).\n\n"
        "**Change:** the checkpoint (1: any SDXL model, e.g. sd_xl_base_1.0), the prompts (2), the seeds, "
        "`frames` and the size (3). On a 24 GB GPU render long walks in windows of 8 to 16 frames.",
        (440, 620), (340, 300))
    return g.to_json()


def flux_noise_loop(node_info: NodeInfo) -> dict:
    """A seamless noise loop on Flux dev: its own loaders, FluxGuidance and BasicGuider (no CFG)."""
    g = UIGraph(node_info)
    unet = g.add("UNETLoader", (40, 120), {"unet_name": FLUX_MODEL, "weight_dtype": "default"})
    clip = g.add("DualCLIPLoader", (40, 260), {"clip_name1": "clip_l.safetensors",
                                               "clip_name2": "t5xxl_fp16.safetensors", "type": "flux"})
    vae = g.add("VAELoader", (40, 420), {"vae_name": "ae.safetensors"})
    g.group("1. Flux dev: model, text encoders, VAE", [unet, clip, vae])
    pos = g.add("CLIPTextEncode", (40, 560), {"text": "a paper boat drifting on a calm lake at dawn, soft light"},
                {"clip": (clip, 0)}, title="Prompt")
    guidance = g.add("FluxGuidance", (40, 840), {"guidance": 3.5}, {"conditioning": (pos, 0)})
    g.group("2. Prompt and guidance", [pos, guidance])
    loop = g.add("MeanderNoiseLoop", (440, 120), {"seed_x": 1337, "seed_y": 42, "frames": 48, "width": 1024,
                                                 "height": 1024}, title="Noise loop: the frames' noise")
    fast = g.add("MeanderFastRender", (440, 460), {"mode": "compile"}, {"model": (unet, 0), "vae": (vae, 0)},
                 title="Fast Walk Render: compile once")
    g.group("3. Walk and Fast Walk Render", [loop, fast])
    guider = g.add("BasicGuider", (820, 120), links={"model": (fast, 0), "conditioning": (guidance, 0)})
    _sample_decode_save(g, (guider, 0), (fast, 0), (fast, 1), (loop, 0), (loop, 1), "meander/flux_noise_loop", 820,
                        scheduler="simple", steps=20)
    g.note(
        "## Noise loop on Flux dev\n"
        "48 frames of starting noise on a circle through seed_x's noise: the video loops seamlessly. The walk "
        "nodes make 4-channel empty latents; the sampler widens them to Flux's 16 channels and the noise follows "
        "the latent's shape, so frame 0 is exactly Flux's image for seed_x.\n\n"
        "Flux has no negative prompt: FluxGuidance sets its guidance and BasicGuider samples without CFG. "
        "Flux's sampler needs the pooled text output, so encode prompts with a Flux text stack (DualCLIPLoader, "
        "type flux); for prompt walks on Flux, Conditioning Travel keeps `guidance` and pads T5 token lengths.\n\n"
        "**Fast Walk Render** compiles Flux block by block (about 15 s on a fresh H100) and its VAE's decoder: "
        "1.3x plain sampling on an H100, 1.5x with `weight_dtype` fp8_e4m3fn_fast (half the memory). On a CPU "
        "the model and VAE pass through unchanged.\n\n"
        "**Change:** the model files (1: flux1-dev in models/diffusion_models, clip_l and t5xxl in "
        "models/text_encoders, ae in models/vae), the prompt (2), the seeds and `frames` (3).",
        (440, 640), (340, 480))
    return g.to_json()


def _wan(g: UIGraph) -> tuple:
    """Wan 2.1 text-to-video's loaders (diffusion model, UMT5 text encoder, VAE) and its sampling shift, grouped."""
    unet = g.add("UNETLoader", (40, 120), {"unet_name": WAN_MODEL, "weight_dtype": "default"})
    clip = g.add("CLIPLoader", (40, 260), {"clip_name": "umt5_xxl_fp8_e4m3fn_scaled.safetensors", "type": "wan"})
    vae = g.add("VAELoader", (40, 400), {"vae_name": "wan_2.1_vae.safetensors"})
    shift = g.add("ModelSamplingSD3", (40, 520), {"shift": 8.0}, {"model": (unet, 0)})
    g.group("1. Wan 2.1: model, text encoder, VAE", [unet, clip, vae, shift])
    return unet, clip, vae, shift


def wan_clip_walk(node_info: NodeInfo) -> dict:
    """A seed walk of whole clips on Wan 2.1: each walk frame is one clip of the video latent's shape."""
    g = UIGraph(node_info)
    _, clip, vae, shift = _wan(g)
    pos = g.add("CLIPTextEncode", (40, 640), {"text": "a red kite flying over green hills, gentle wind"},
                {"clip": (clip, 0)}, title="Prompt")
    neg = g.add("CLIPTextEncode", (40, 900), {"text": NEGATIVE}, {"clip": (clip, 0)}, title="Negative prompt")
    g.group("2. Prompts", [pos, neg])
    shape = g.add("EmptyHunyuanLatentVideo", (440, 120), {"width": 832, "height": 480, "length": 33,
                                                          "batch_size": 1}, title="One clip's latent (batch 1)")
    walk = g.add("MeanderSeedWalk", (440, 330), {"seed_a": 1337, "seed_b": 42, "frames": 4},
                 {"latent_shape": (shape, 0)}, title="Seed walk of clips")
    g.group("3. Walk of clips", [shape, walk])
    guider = g.add("CFGGuider", (820, 120), {"cfg": 6.0}, {"model": (shift, 0), "positive": (pos, 0),
                                                        "negative": (neg, 0)})
    _sample_decode_save(g, (guider, 0), (shift, 0), (vae, 0), (walk, 0), (walk, 1), "meander/wan_clip_walk", 820,
                        scheduler="simple", steps=30, fps=16.0)
    g.note(
        "## A walk of clips on Wan 2.1\n"
        "A video model's latent is a whole clip (B x C x T x H x W). Connect the model's empty video latent with "
        "batch_size 1 to the walk's `latent_shape`: each of the walk's 4 frames is then one 33-frame clip, clip 0 "
        "exactly Wan's clip for seed_a and the last exactly seed_b's, and the clips in between walk from one to "
        "the other. The video shows the clips one after another. (Without `latent_shape` the walk makes image "
        "latents and the sampler stops with a message instead of making 1-frame clips.) For one clip that loops "
        "over its own frames, use Clip Loop Noise.\n\n"
        "**Change:** the model files (1: wan2.1_t2v_1.3B in models/diffusion_models, umt5_xxl in "
        "models/text_encoders, wan_2.1_vae in models/vae), the prompts (2), the clip size and length and the "
        "seeds (3). `fps` 16 is Wan's.",
        (440, 620), (340, 460))
    return g.to_json()


def _wan_travel(node_info: NodeInfo, prompts: list[str], keyframe_frames: str, length: int, loop: bool,
                prefix: str, note: str) -> dict:
    """Wan 2.1 text-to-video of one long video whose prompt travels along its timeline: Video Conditioning Travel
    over keyframe prompts, sampled in WanContextWindowsManual's windows with split_conds_to_windows."""
    g = UIGraph(node_info)
    _, clip, vae, shift = _wan(g)
    keys = [g.add("CLIPTextEncode", (40, 640 + 200 * i), {"text": text}, {"clip": (clip, 0)},
                  title=f"Keyframe {i + 1}") for i, text in enumerate(prompts)]
    neg = g.add("CLIPTextEncode", (40, 640 + 200 * len(prompts)), {"text": NEGATIVE}, {"clip": (clip, 0)},
                title="Negative prompt")
    g.group("2. Keyframe prompts", [*keys, neg])
    latent = g.add("EmptyHunyuanLatentVideo", (440, 120), {"width": 832, "height": 480, "length": length,
                                                           "batch_size": 1}, title="The video's latent (batch 1)")
    travel = g.add("MeanderVideoConditioningTravel", (440, 330), {
        "keyframe_frames": keyframe_frames, "frames_per_latent": 4, "loop": loop},
        {**{f"conditioning_{i + 1}": (key, 0) for i, key in enumerate(keys)}, "video_latent": (latent, 0)},
        title="Video conditioning travel: one entry per latent frame")
    windows = g.add("WanContextWindowsManual", (440, 820), {
        "context_length": 81, "context_overlap": 32,
        "context_schedule": "looped_uniform" if loop else "standard_uniform", "context_stride": 1,
        "closed_loop": loop, "fuse_method": "pyramid", "freenoise": True, "retain_first_frame": False,
        "split_conds_to_windows": True}, {"model": (shift, 0)}, title="Context windows (split_conds_to_windows on)")
    g.group("3. Travel along the video's timeline", [latent, travel, windows])
    guider = g.add("CFGGuider", (820, 120), {"cfg": 6.0}, {"model": (windows, 0), "positive": (travel, 0),
                                                        "negative": (neg, 0)})
    seed = g.add("RandomNoise", (820, 20), {"noise_seed": 42})
    _sample_decode_save(g, (guider, 0), (windows, 0), (vae, 0), (seed, 0), (latent, 0), prefix, 820,
                        scheduler="simple", steps=30, fps=16.0, extra=(seed,))
    g.note(note + "\n\n**Change:** the model files (1), the keyframe prompts (2), `keyframe_frames` (video frames, "
           "one per prompt), the video's size and `length` (3), `context_length` and `context_overlap` (video "
           "frames). Needs ComfyUI 0.33.0 or newer (context windows that split conditionings). `fps` 16 is Wan's.",
           (440, 1150), (340, 420))
    return g.to_json()


def wan_prompt_travel(node_info: NodeInfo) -> dict:
    """A 15 s Wan 2.1 video whose prompt travels through three keyframes along its timeline."""
    return _wan_travel(
        node_info, ["a forest in spring, fresh green leaves, morning light",
                    "the same forest in summer, deep green, golden afternoon sun",
                    "the same forest in autumn, red and orange leaves falling"],
        "0, 120, 240", 241, False, "meander/wan_prompt_travel",
        "## Prompt travel along one Wan video\n"
        "One 241-frame video (61 latent frames) whose prompt travels from spring to summer to autumn. "
        "`Video Conditioning Travel` makes one conditioning entry per latent frame: entry r is the walk (slerp) "
        "between the keyframe prompts at video frame 4 r. ComfyUI samples the long latent in overlapping context "
        "windows, and with `split_conds_to_windows` every window takes the entry of its middle latent frame, so the "
        "scene changes along the video's own time axis instead of cutting between clips.")


def wan_loop_travel(node_info: NodeInfo) -> dict:
    """A seamlessly looping Wan 2.1 video whose prompt travels to a second keyframe and back."""
    return _wan_travel(
        node_info, ["a lighthouse on a cliff by day, calm sea", "the same lighthouse at night, beam sweeping, stars"],
        "0, 80", 161, True, "meander/wan_loop_travel",
        "## A looping prompt travel on Wan\n"
        "One 161-frame video from day to night and back: with `loop` the travel walks from the last keyframe back to "
        "the first, and the context windows use the looped schedule with `closed_loop`, so the last frames lead into "
        "the first and the video plays as a seamless loop.")


def image_walk(node_info: NodeInfo) -> dict:
    """Two LoadImage keyframes inverted to their noise (Image Walk Noise), walked, sampled back, to an mp4."""
    g = UIGraph(node_info)
    ckpt, pos, neg = _model_and_prompts(g, "a photograph")
    loads = [g.add("LoadImage", (440, 120 + 380 * i), {"image": "example.png"}, title=f"Keyframe {k}")
             for i, k in enumerate("AB")]
    scaled = [g.add("ImageScale", (820, 120 + 380 * i), {"upscale_method": "lanczos", "width": 512, "height": 512,
                                                         "crop": "center"}, {"image": (load, 0)})
              for i, load in enumerate(loads)]
    g.group("3. The keyframe images (one size)", [*loads, *scaled])
    guider, sampler, sigmas = _sampler_settings(g, ckpt, pos, neg, 1200)
    walk = g.add("MeanderImageWalk", (1580, 120), {"frames_per_segment": 24},
                 {"guider": (guider, 0), "sigmas": (sigmas, 0), "vae": (ckpt, 2), "image_a": (scaled[0], 0),
                  "image_b": (scaled[1], 0)})
    g.group("5. Invert the images and walk between their noises", [walk])
    run = g.add("SamplerCustomAdvanced", (1960, 120), links={
        "noise": (walk, 0), "guider": (guider, 0), "sampler": (sampler, 0), "sigmas": (sigmas, 0),
        "latent_image": (walk, 1)})
    decode = g.add("VAEDecode", (1960, 400), links={"samples": (run, 0), "vae": (ckpt, 2)})
    video = _save_video(g, decode, (1960, 520), "meander/image_walk")
    g.group("6. Sample (the same guider and sigmas, euler), decode, save", [run, decode, *video])
    g.note(
        "## Walk between two images\n"
        "**Image Walk Noise** encodes each keyframe image and runs the euler sampler backwards over the "
        "**same sigmas** with the **same guider** (an unsampler), finding the noise that samples back into "
        "it; the noises are walked like a seed chain, corrected towards unit Gaussians between the keyframes "
        "(`correction`) but not at them. The first and last frames re-create the images; its `reconstruction` "
        "output (and the log) says how closely (0 = exactly).\n\n"
        "**Change:** the two images (3; both are ComfyUI's example.png at first), the checkpoint (1), a prompt "
        "that describes the images (2), `frames_per_segment`, `correction` and `refine` (5). Keep euler and "
        "the one guider and scheduler wired to both the walk and the sampler. More steps and refine rounds "
        "invert more exactly; a low cfg (1 to 3) inverts best.",
        (440, 880), (360, 340))
    return g.to_json()


@dataclass(frozen=True)
class Bundled:
    """A bundled workflow: its builder, its template thumbnail, and how the tests render it small and fast.

    `thumbnail` is drawn into NAME.jpg (tools/thumbnails.py). `test_overrides` are --set
    NAME=VALUE pairs applied on top of the test model, 64x64 and 3 steps; `test_frames` is the
    number of frames the test render must then write.
    """

    build: Callable[[NodeInfo], dict]
    thumbnail: Thumbnail
    test_overrides: tuple[tuple[str, str], ...]
    test_frames: int
    newer_host: bool = False
    """Needs what hosts newer than BUILT_ON have (context windows that split conditionings): built on the newest
    host, with its widgets, and tested there only."""


BUNDLED: dict[str, Bundled] = {
    "meander_seed_walk": Bundled(
        seed_walk,
        Thumbnail("Seed walk", "slerp from seed A's noise to seed B's: every frame stays noise of the right size "
                  "(lerp cuts the corner and fades the middle frames)",
                  lambda: [Paths([Walk("slerp", seed_walk_frames()), Walk("lerp", seed_walk_frames(method="lerp"))])]),
        (("frames", "6"),), 6),
    "meander_ancestral_walk": Bundled(
        ancestral_walk,
        Thumbnail("Ancestral walk", "euler_ancestral through the Walk Sampler: the step noise slerps between the "
                  "seeds' step noise with the frames, so the walk stays smooth",
                  lambda: [Paths([Walk("starting and step noise", seed_walk_frames())])]),
        (("frames", "6"),), 6),
    "meander_fast_seed_walk": Bundled(
        fast_seed_walk,
        Thumbnail("Fast seed walk", "the same walk, 32 frames per batch through a model compiled once (torch.compile)",
                  lambda: [Paths([Walk("slerp, one window of frames", seed_walk_frames(32))])]),
        (("frames", "6"), ("frame_count", "3")), 3),
    # 64 px wide -> 8 latent pixels; stride 2 over 1 panel of travel: 8 / 2 + 1 frames
    "meander_noise_pan": Bundled(
        noise_pan,
        Thumbnail("Noise pan", "a window slides across two seeds' noise laid side by side: the picture moves sideways",
                  lambda: [pan_strip(2, [3, 4])]),
        (("stride", "2"),), 5),
    # 3 panels of 8 latent pixels, stride 2 over 2 panels of travel: 16 / 2 + 1 frames
    "meander_panorama_pan": Bundled(
        panorama_pan,
        Thumbnail("Panorama pan", "a window pans across three latents concatenated into one strip",
                  lambda: [pan_strip(3, [3, 4, 5])]),
        (("stride", "2"),), 9),
    "meander_seed_chain_walk": Bundled(
        seed_chain_walk,
        Thumbnail("Seed chain walk", "slerp through a list of seeds and back to the first: a closed tour",
                  lambda: [Paths([Walk("4 seeds, 6 frames each", noise.chain_walk([1, 2, 3, 4], LATENT, 6, "slerp",
                                                                                  "smoothstep", True))],
                                 closed=True)]),
        (("seeds", "1337, 42, 7"), ("frames_per_segment", "2")), 5),
    "meander_seed_variations": Bundled(
        seed_variations,
        Thumbnail("Seed variations", "a loop through one seed's variations at strength 0.3: the picture stays near it",
                  lambda: [Paths([Walk("4 variations, 6 frames each",
                                       walks.SeedVariations(1, "2, 3, 4, 5", 0.3, 6, closed=True).noise_frames(
                                           LATENT, range(24)))], closed=True)]),
        (("variation_seeds", "5, 6, 7"), ("frames_per_variation", "2")), 6),
    "meander_noise_loop": Bundled(
        noise_loop,
        Thumbnail("Circular noise loop",
                  "cos/sin of two seeds' noise: a seamless circle, the frame after the last is the first",
                  lambda: [Paths([Walk("24 frames", noise.circular_loop(1, 2, LATENT, 24))], closed=True)]),
        (("frames", "4"),), 4),
    "meander_figure_eight_loop": Bundled(
        figure_eight_loop,
        Thumbnail("Figure-eight noise loop", "a seamless figure eight through three seeds' noises: it crosses "
                  "seed_x's image twice", lambda: [Paths([Walk("48 frames", noise.figure_eight(1, 2, 3, LATENT, 48))],
                                                         closed=True)]),
        (("frames", "4"),), 4),
    "meander_prompt_travel": Bundled(
        prompt_travel,
        Thumbnail("Prompt travel", "keyframed prompts: the conditioning slerps from one prompt's embedding to the next",
                  lambda: [Paths([Walk("2 keyframes, 12 frames",
                                       embedding.keyframe_walk(prompt_keys(2), [0, 11], 12))])]),
        (("schedule", "0: a dog\n4: a cat"),), 5),
    "meander_prompt_chain": Bundled(
        prompt_chain,
        Thumbnail("Conditioning travel", "four encoded prompts, each held as a keyframe, walked through in order",
                  lambda: [Paths([Walk("4 keyframes", embedding.keyframe_walk(prompt_keys(4), [0, 5, 10, 15], 16,
                                                                              easing="smoothstep"))])]),
        (("frames_per_segment", "2"),), 7),
    "meander_prompt_drift": Bundled(
        prompt_drift,
        Thumbnail("Prompt drift", "one prompt's embedding drifts a small step further each frame",
                  lambda: [Paths([Walk("16 frames", embedding.drift_walk(prompt_keys(1)[0], 16, 0.02, "random",
                                                                         torch.Generator().manual_seed(3)))])]),
        (("frames", "4"),), 4),
    "meander_prompt_circle": Bundled(
        prompt_circle,
        Thumbnail("Prompt circle", "the embedding circles around one prompt: a seamless loop of the same subject",
                  lambda: [Paths([Walk("24 frames", embedding.circle_walk(prompt_keys(1)[0], 24, 0.3,
                                                                          torch.Generator().manual_seed(3)))],
                                 closed=True)]),
        (("frames", "4"),), 4),
    "meander_seed_and_prompt_walk": Bundled(
        seed_and_prompt_walk,
        Thumbnail("Seed and prompt walk", "the noise and the prompt walk together, frame for frame",
                  lambda: [Paths([Walk("noise", seed_walk_frames(9))]),
                           Paths([Walk("prompt", embedding.keyframe_walk(prompt_keys(2), [0, 8], 9), [COLOURS[1]])])]),
        (("frames", "5"), ("schedule", "0: a\n4: b")), 5),
    "meander_walk_metrics": Bundled(
        walk_metrics,
        Thumbnail("Walk metrics", "two walks measured side by side: step size, spread and their paths, charted",
                  lambda: [Paths([Walk("slerp", seed_walk_frames()), Walk("lerp", seed_walk_frames(method="lerp"))])]),
        (("frames", "3"),), 3),
    "meander_even_retime": Bundled(
        even_retime,
        Thumbnail("Even re-timing",
                  "a coarse render's frame distances re-time the walk so every step looks equally big",
                  lambda: [Paths([Walk("before: uneven steps", seed_walk_frames(easing="ease_in"))]),
                           Paths([Walk("after: even steps", seed_walk_frames(), [COLOURS[2]])])]),
        (("frames", "4"),), 4),
    "meander_audio_walk": Bundled(
        audio_walk,
        Thumbnail("Audio-paced walk", "the walk jumps on the beats of the audio, which is muxed into the video",
                  lambda: [Paths([Walk("120 bpm at 8 fps", paced_by_beats())])]),
        (("seconds", "0.25"),), 6),
    "meander_long_walk": Bundled(
        long_walk,
        Thumbnail("Long walk in windows",
                  "any length in fixed windows of frames, each saved as a segment, then stitched",
                  lambda: [Paths([Walk("windows of 6 frames", seed_walk_frames(24), window_colours(24, 6))])]),
        (("frames", "6"), ("frame_count", "3")), 3),
    "meander_sdxl_seed_walk": Bundled(
        sdxl_seed_walk,
        Thumbnail("Seed walk on SDXL", "the same slerp walk at 1024x1024: keyframes exactly SDXL's images for "
                  "the two seeds", lambda: [Paths([Walk("slerp", seed_walk_frames())])]),
        (("ckpt_name", TEST_MODELS["sdxl"]), ("frames", "3")), 3),
    "meander_flux_noise_loop": Bundled(
        flux_noise_loop,
        Thumbnail("Noise loop on Flux", "a seamless circle of 16-channel noise, Flux guidance without CFG",
                  lambda: [Paths([Walk("24 frames", noise.circular_loop(1, 2, LATENT, 24))], closed=True)]),
        (("unet_name", TEST_MODELS["flux"]), ("vae_name", TEST_MODELS["flux-vae"]), ("frames", "3")), 3),
    "meander_wan_clip_walk": Bundled(
        wan_clip_walk,
        Thumbnail("A walk of clips on Wan 2.1", "each point of the walk is a whole clip: clip 0 is seed A's "
                  "clip, the last seed B's", lambda: [Paths([Walk("4 clips", seed_walk_frames(4))])]),
        (("unet_name", TEST_MODELS["wan"]), ("vae_name", TEST_MODELS["wan-vae"]), ("frames", "2"),
         ("length", "5")), 10),
    "meander_wan_prompt_travel": Bundled(
        wan_prompt_travel,
        Thumbnail("Prompt travel along a Wan video", "one long video whose prompt travels from keyframe to keyframe: "
                  "each context window samples with the walk at its middle",
                  lambda: [Paths([Walk("3 keyframes", embedding.keyframe_walk(prompt_keys(3), [0, 8, 16], 17))])]),
        (("unet_name", TEST_MODELS["wan"]), ("vae_name", TEST_MODELS["wan-vae"]), ("length", "33"),
         ("context_length", "17"), ("context_overlap", "8"), ("keyframe_frames", "0, 16, 32")), 33, newer_host=True),
    "meander_wan_loop_travel": Bundled(
        wan_loop_travel,
        Thumbnail("Looping prompt travel on Wan", "to a second keyframe and back in one video: looped context "
                  "windows close the loop",
                  lambda: [Paths([Walk("2 keyframes, looped", embedding.keyframe_walk(prompt_keys(2), [0, 8], 16,
                                                                                       closed=True))], closed=True)]),
        (("unet_name", TEST_MODELS["wan"]), ("vae_name", TEST_MODELS["wan-vae"]), ("length", "33"),
         ("context_length", "17"), ("context_overlap", "8"), ("keyframe_frames", "0, 16")), 33, newer_host=True),
    "meander_image_walk": Bundled(
        image_walk,
        Thumbnail("Walk between two images", "each image inverted to the noise that samples back into it, then "
                  "slerped from one noise to the other",
                  lambda: [Paths([Walk("2 keyframe images", noise.chain_walk([1, 2], LATENT, 12, "slerp"))])]),
        (("frames_per_segment", "2"),), 3),
}


def built_here(version: str) -> list[str]:
    """The bundled workflows a host of `version` builds: those of BUILT_ON on it, those of a newer host on any other."""
    return [name for name, bundled in BUNDLED.items() if bundled.newer_host == (version != BUILT_ON)]


def runs_on(name: str, version: str) -> bool:
    """Whether the bundled workflow `name` loads and renders on a host of `version`."""
    return not BUNDLED[name].newer_host or version != BUILT_ON


def build_all(node_info: NodeInfo, names: list[str] | None = None) -> dict[str, str]:
    """file name -> JSON text of the bundled workflows `names` (all where None)."""
    out = {}
    for name in BUNDLED if names is None else names:
        workflow = BUNDLED[name].build(node_info)
        if not isinstance(workflow, dict):
            raise TypeError(f"the builder of {name} returned {type(workflow).__name__}, not a workflow")
        out[f"{name}.json"] = dump(workflow)
    return out


def main() -> None:
    """Builds, on this host, the workflows built here (built_here): `make workflows` runs it on both hosts."""
    comfy = host.boot(Path(tempfile.mkdtemp(prefix="meander-build-")))
    names = built_here(host.host_version())
    for name, text in build_all(node_info_of(host.node_classes()), names).items():
        (WORKFLOWS / name).write_text(text)
        print(f"wrote {WORKFLOWS / name}")
    for name in names:
        path = WORKFLOWS / f"{name}.jpg"
        render_thumbnail(BUNDLED[name].thumbnail).save(path, quality=THUMBNAIL_QUALITY)
        print(f"wrote {path}")
    del comfy

if __name__ == "__main__":
    main()
