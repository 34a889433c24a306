"""The walks on SDXL, SD3 and Flux in the real ComfyUI, on tiny random-weight models its own loaders detect.

Models: tools/make_models.py (SDXL: a CheckpointLoaderSimple checkpoint with CLIP-L + CLIP-G;
SD3: a 2-block MMDiT through UNETLoader, prompts encoded by the real CLIP-L + CLIP-G through
DualCLIPLoader type sd3, without T5; Flux dev: 1 double block at hidden 3072 through UNETLoader).
Flux's T5-XXL is too large for the CPU: its conditioning is built as tensors at Flux's shapes
(tokens x 4096, pooled 768, guidance), see tests/in_comfyui/families.py. 64x64 images, 2 steps.
"""

from __future__ import annotations

import pytest
import torch

from latent_ops import embedding
from scripts.host import GraphError
from tests.in_comfyui import families as fam

SIZE = fam.SIZE
LONG = ", ".join(["a very detailed photograph of a large old lighthouse on a rocky cliff at sunset"] * 8)


@pytest.fixture(scope="module")
def models(comfy):
    """The booted ComfyUI with every family's test model linked (families.linked_models)."""
    yield from fam.linked_models(comfy)


def seed_walk(frames=3, start_frame=0, frame_count=0, seed_a=11, seed_b=22) -> dict:
    return {"class_type": "MeanderSeedWalk", "inputs": {
        "seed_a": seed_a, "seed_b": seed_b, "frames": frames, "method": "slerp", "easing": "linear",
        "width": SIZE, "height": SIZE, "start_frame": start_frame, "frame_count": frame_count}}


def noise_loop(frames=4, start_frame=0, frame_count=0) -> dict:
    return {"class_type": "MeanderNoiseLoop", "inputs": {
        "seed_x": 11, "seed_y": 22, "frames": frames, "radius": 1.0, "centre_seed": 7, "width": SIZE,
        "height": SIZE, "start_frame": start_frame, "frame_count": frame_count}}


def noise_pan(start_frame=0, frame_count=0) -> dict:
    return {"class_type": "MeanderNoisePan", "inputs": {
        "seeds": "11, 22", "motion": "pan", "axis": "width", "stride": 4.0, "loop": False, "ping_pong": False,
        "easing": "linear", "subpixel": "round", "width": SIZE, "height": SIZE, "start_frame": start_frame,
        "frame_count": frame_count}}


def text(prompt: str) -> dict:
    return {"class_type": "CLIPTextEncode", "inputs": {"text": prompt, "clip": ["11", 0]}}


def family(name: str) -> dict:
    """The family's model (node 1), positive (2), negative (3, None: BasicGuider), empty latent class and
    extra nodes (11: SD3's DualCLIPLoader)."""
    if name == "sdxl":
        return {"model": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": fam.SDXL}},
                "positive": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse", "clip": ["1", 1]}},
                "negative": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["1", 1]}},
                "empty": "EmptyLatentImage", "extra": {}}
    if name == "sd3":
        return {"model": fam.unet(fam.SD3), "positive": text("a lighthouse"), "negative": text("blurry"),
                "empty": "EmptySD3LatentImage",
                "extra": {"11": {"class_type": "DualCLIPLoader", "inputs": {
                    "clip_name1": fam.CLIP_L, "clip_name2": fam.CLIP_G, "type": "sd3"}}}}
    fam.t5_conditioning("flux", 8, seed=1, pooled=768, guidance=3.5)
    return {"model": fam.unet(fam.FLUX), "positive": fam.stored("flux"), "negative": None,
            "empty": "EmptySD3LatentImage", "extra": {}}


def run(comfy, name: str, noise: dict, latent: dict | None = None, positive: dict | None = None) -> torch.Tensor:
    """The family's SamplerCustomAdvanced run: noise from node 4 and its latent (or `latent`, node 10)."""
    f = family(name)
    extra = dict(f["extra"])
    if latent is not None:
        extra["10"] = latent
    graph = fam.custom(f["model"], positive or f["positive"], noise, ["10", 0] if latent else ["4", 1],
                       f["negative"], extra=extra)
    return fam.render(comfy, graph)


def empty(name: str, batch: int) -> dict:
    return {"class_type": family(name)["empty"], "inputs": {"width": SIZE, "height": SIZE, "batch_size": batch}}


@pytest.mark.parametrize("name", ["sdxl", "sd3", "flux"])
def test_seed_walk_keyframes_are_plain_runs_of_their_seeds(models, name):
    """Frame 0 of a 3-frame walk is bit for bit RandomNoise(seed_a)'s image at batch 3; the last frame
    rendered alone is RandomNoise(seed_b)'s at batch 1 (SD3 and Flux widen the 4-channel latent to 16)."""
    walk = run(models, name, seed_walk())
    plain_a = run(models, name, fam.random_noise(11), empty(name, 3))
    alone_b = run(models, name, seed_walk(start_frame=2, frame_count=1))
    plain_b = run(models, name, fam.random_noise(22), empty(name, 1))
    channels = 4 if name == "sdxl" else 16
    assert walk.shape == (3, channels, 8, 8) and bool(torch.isfinite(walk).all())
    assert torch.equal(walk[0], plain_a[0]) and torch.equal(alone_b[0], plain_b[0])
    assert not torch.equal(walk[1], walk[0]) and not torch.equal(walk[1], walk[2])


def travel_inputs(**extra) -> dict:
    inputs = {"loop": False, "method": "slerp", "per": "token", "easing": "linear", "pad": "repeat", "width": SIZE,
              "height": SIZE, "start_frame": 0, "frame_count": 0}
    return {**inputs, **extra}


def conditioning_travel(comfy, a: list, b: list, frames_per_segment: int = 2, **extra) -> list:
    return fam.call(comfy, "MeanderConditioningTravel", conditioning_1=a, conditioning_2=b,
                frames_per_segment=frames_per_segment, **travel_inputs(**extra))[0]


def angle(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.arccos(torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0).clamp(-1, 1)))


@pytest.fixture(scope="module")
def sdxl(models):
    """CheckpointLoaderSimple's (model, clip, vae) for the SDXL checkpoint."""
    return fam.call(models, "CheckpointLoaderSimple", ckpt_name=fam.SDXL)


@pytest.fixture(scope="module")
def sdxl_clip(sdxl):
    return sdxl[1]


@pytest.fixture(scope="module")
def sd3_clip(models):
    return fam.call(models, "DualCLIPLoader", clip_name1=fam.CLIP_L, clip_name2=fam.CLIP_G, type="sd3")[0]


@pytest.mark.parametrize(("name", "detected", "channels"), [("sdxl", "SDXL", 4), ("sd3", "SD3", 16),
                                                           ("flux", "Flux", 16)])
def test_each_test_model_is_detected_as_its_family_by_comfyuis_loaders(models, sdxl, name, detected, channels):
    model = sdxl[0] if name == "sdxl" else fam.call(models, "UNETLoader", unet_name=family(name)["model"]["inputs"][
        "unet_name"], weight_dtype="default")[0]
    assert type(model.model.model_config).__name__ == detected
    assert model.get_model_object("latent_format").latent_channels == channels
    if name == "flux":
        assert model.model.model_config.unet_config["guidance_embed"]  # a dev model: guidance is an input
    if name == "sdxl":
        assert sdxl[1] is not None and sdxl[2] is not None  # CLIP-L + CLIP-G and the VAE loaded too


def encode(comfy, clip, prompt: str) -> list:
    return fam.call(comfy, "CLIPTextEncode", clip=clip, text=prompt)[0]


def test_sdxl_prompt_travel_walks_the_pooled_output_in_even_steps(models, sdxl_clip):
    """SDXL: cond 77 x 2048 and pooled 1280 per frame; keyframes are the prompts' own; the pooled output is
    the pack's slerp of the keyframes' (not held), in steps of equal angle to 1% (the endpoints' norms differ)."""
    dog, cat = encode(models, sdxl_clip, "a dog"), encode(models, sdxl_clip, "a cat")
    cond, extras = fam.call(models, "MeanderPromptTravel", clip=sdxl_clip, schedule="0: a dog\n2: a cat", frames=0,
                        **travel_inputs())[0][0]
    pooled = extras["pooled_output"]
    assert cond.shape == (3, 77, 2048) and pooled.shape == (3, 1280)
    assert torch.equal(cond[0], dog[0][0][0]) and torch.equal(cond[2], cat[0][0][0])
    ends = [dog[0][1]["pooled_output"], cat[0][1]["pooled_output"]]
    assert torch.equal(pooled[0], ends[0][0]) and torch.equal(pooled[2], ends[1][0])
    assert torch.equal(pooled, embedding.keyframe_walk(ends, [0, 2], 3, False, "slerp", "token", "linear", 0, 0))
    first, second = angle(pooled[0], pooled[1]), angle(pooled[1], pooled[2])
    assert first > 1e-2 and abs(first - second) <= 1e-2 * first  # measured: 0.1165 and 0.1161 rad


def sdxl_encode(comfy, clip, prompt: str, width: int = 1024) -> list:
    return fam.call(comfy, "CLIPTextEncodeSDXL", clip=clip, width=width, height=1024, crop_w=0, crop_h=0,
                target_width=1024, target_height=1024, text_g=prompt, text_l=prompt)[0]


def test_sdxl_conditioning_travel_carries_clip_text_encode_sdxls_size_keys(models, sdxl_clip):
    a, b = sdxl_encode(models, sdxl_clip, "a dog"), sdxl_encode(models, sdxl_clip, "a cat")
    cond, extras = conditioning_travel(models, a, b)[0]
    assert cond.shape == (3, 77, 2048) and extras["pooled_output"].shape == (3, 1280)
    for key in ("width", "height", "crop_w", "crop_h", "target_width", "target_height"):
        assert extras[key] == a[0][1][key]
    with pytest.raises(ValueError, match=r"conditioning_2 and conditioning_1 have different 'width'"):
        conditioning_travel(models, a, sdxl_encode(models, sdxl_clip, "a cat", width=512))


def test_sdxl_conditioning_travel_keyframe_renders_its_prompts_image(models):
    """CLIPTextEncodeSDXL x 2 -> Conditioning Travel -> KSampler: the last keyframe alone is the plain
    KSampler image of its prompt (the travel's latent uses the seed's one noise)."""
    def encode_node(prompt):
        return {"class_type": "CLIPTextEncodeSDXL", "inputs": {
            "clip": ["1", 1], "width": 1024, "height": 1024, "crop_w": 0, "crop_h": 0, "target_width": 1024,
            "target_height": 1024, "text_g": prompt, "text_l": prompt}}

    def graph(positive, latent):
        return {"1": family("sdxl")["model"], "2": encode_node("a dog"), "12": encode_node("a cat"),
                "3": family("sdxl")["negative"], "4": positive, "10": empty("sdxl", 1),
                "5": {"class_type": "KSampler", "inputs": {
                    "model": ["1", 0], "positive": ["4", 0], "negative": ["3", 0], "latent_image": latent, "seed": 5,
                    "steps": fam.STEPS, "cfg": 2.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0}},
                "9": fam.graphs.save_latent(["5", 0])}

    travel = {"class_type": "MeanderConditioningTravel", "inputs": {
        "conditioning_1": ["2", 0], "conditioning_2": ["12", 0], "frames_per_segment": 2,
        **travel_inputs(start_frame=2, frame_count=1)}}
    alone = fam.render(models, graph(travel, ["4", 1]))
    plain = fam.render(models, graph(encode_node("a cat"), ["10", 0]))
    assert alone.shape == (1, 4, 8, 8) and torch.equal(alone, plain)


def test_sdxl_noisy_latent_through_ksampler_advanced_gives_the_walks_frames(models):
    """MeanderNoisyLatent + KSamplerAdvanced (add_noise disable) == SamplerCustomAdvanced on the walk's NOISE
    for SDXL (to float rounding: the latent format's scale factor, 0.13025, is divided out and back)."""
    f = family("sdxl")
    via_noise = run(models, "sdxl", seed_walk())
    graph = {"1": f["model"], "2": f["positive"], "3": f["negative"], "4": seed_walk(),
             "5": {"class_type": "MeanderNoisyLatent", "inputs": {"model": ["1", 0], "noise": ["4", 0],
                                                                  "latent": ["4", 1]}},
             "6": {"class_type": "KSamplerAdvanced", "inputs": {
                 "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["5", 0],
                 "add_noise": "disable", "noise_seed": 123456, "steps": fam.STEPS, "cfg": 2.0,
                 "sampler_name": "euler", "scheduler": "simple", "start_at_step": 0, "end_at_step": 10000,
                 "return_with_leftover_noise": "disable"}},
             "9": fam.graphs.save_latent(["6", 0])}
    via_latent = fam.render(models, graph)
    scale = via_noise.abs().max()
    assert via_latent.shape == via_noise.shape == (3, 4, 8, 8)
    assert (via_latent - via_noise).abs().max() <= 1e-4 * scale
    assert (via_noise[1:] - via_noise[:-1]).abs().max() > 1e-2 * scale


def test_sd3_conditioning_travel_pads_a_long_prompt_without_truncation(models, sd3_clip):
    """SD3's real CLIP-L + CLIP-G (no T5): 77 x 4096 and pooled 2048; a prompt of 154+ tokens is kept whole,
    the short one repeated to its length (as ComfyUI's sampler batches them)."""
    short, long = encode(models, sd3_clip, "a dog"), encode(models, sd3_clip, LONG)
    tokens = long[0][0].shape[1]
    assert short[0][0].shape == (1, 77, 4096) and tokens >= 154 and tokens % 77 == 0
    cond, extras = conditioning_travel(models, short, long)[0]
    assert cond.shape == (3, tokens, 4096) and extras["pooled_output"].shape == (3, 2048)
    assert torch.equal(cond[0], short[0][0][0].repeat(tokens // 77, 1)) and torch.equal(cond[2], long[0][0][0])
    zeros, _ = conditioning_travel(models, short, long, pad="zeros")[0]
    assert torch.equal(zeros[0, :77], short[0][0][0]) and not zeros[0, 77:].any()


def test_sd3_prompt_travel_keyframe_renders_its_prompts_image(models):
    """The long prompt's keyframe rendered alone is the plain SD3 run of it (RandomNoise, same seed)."""
    f = family("sd3")
    travel = {"class_type": "MeanderPromptTravel", "inputs": {
        "clip": ["11", 0], "schedule": f"0: a dog\n2: {LONG}", "frames": 0, **travel_inputs(start_frame=2,
                                                                                          frame_count=1)}}
    alone = fam.render(models, fam.custom(f["model"], travel, fam.random_noise(5), ["2", 1], f["negative"],
                                          extra=f["extra"]))
    plain = run(models, "sd3", fam.random_noise(5), empty("sd3", 1), positive=text(LONG))
    assert alone.shape == (1, 16, 8, 8) and torch.equal(alone, plain)


@pytest.mark.parametrize("name", ["sd3", "flux"])
def test_noise_pan_and_loop_on_16_channel_latents(models, name):
    """Noise Pan's first frame alone is RandomNoise(seed 11)'s image; the Circular Noise Loop's frame 0 too,
    and a window of the loop renders the whole loop's frames (16 channels, widened from the walk's latent)."""
    plain = run(models, name, fam.random_noise(11), empty(name, 1))
    pan = run(models, name, noise_pan(frame_count=1))
    loop = run(models, name, noise_loop())
    part = run(models, name, noise_loop(start_frame=1, frame_count=2))
    assert pan.shape == (1, 16, 8, 8) and torch.equal(pan, plain)
    assert loop.shape == (4, 16, 8, 8) and bool(torch.isfinite(loop).all())
    assert (loop[0] - plain[0]).abs().max() <= 1e-5 * plain.abs().max()
    assert (part - loop[1:3]).abs().max() <= 1e-5 * loop.abs().max()
    assert not torch.equal(loop[1], loop[0])


@pytest.mark.parametrize("name", ["sd3", "flux"])
def test_noisy_latent_refuses_flow_matching_models(models, name):
    graph = {"1": family(name)["model"], "4": seed_walk(),
             "5": {"class_type": "MeanderNoisyLatent", "inputs": {"model": ["1", 0], "noise": ["4", 0],
                                                                  "latent": ["4", 1]}},
             "9": fam.graphs.save_latent(["5", 0])}
    with pytest.raises(GraphError, match=r"model: the noisy latent works for eps / v-prediction models .* samples "
                                         r"by flow matching \(SD3, Flux...\).*connect the walk's noise to "
                                         r"SamplerCustomAdvanced"):
        models.run(graph)


def test_flux_conditioning_travel_pads_256_and_512_token_prompts_and_keeps_guidance(models):
    """Flux's shapes (tensors, not T5): 256- and 512-token prompts walk at 512 tokens without truncation,
    pooled 768 walked, guidance carried; keyframes of different guidance are refused."""
    a = fam.t5_conditioning("a", 256, seed=2, pooled=768, guidance=3.5)
    b = fam.t5_conditioning("b", 512, seed=3, pooled=768, guidance=3.5)
    cond, extras = conditioning_travel(models, a, b)[0]
    assert cond.shape == (3, 512, 4096) and extras["pooled_output"].shape == (3, 768) and extras["guidance"] == 3.5
    assert torch.equal(cond[0], a[0][0][0].repeat(2, 1)) and torch.equal(cond[2], b[0][0][0])
    assert torch.equal(extras["pooled_output"][2], b[0][1]["pooled_output"][0])
    c = fam.t5_conditioning("c", 300, seed=4, pooled=768, guidance=3.5)
    zeros, _ = conditioning_travel(models, a, c, pad="zeros")[0]
    assert zeros.shape == (3, 300, 4096) and torch.equal(zeros[2], c[0][0][0])
    with pytest.raises(ValueError, match=r"conditioning_2 and conditioning_1 have different 'guidance'"):
        conditioning_travel(models, a, fam.t5_conditioning("d", 512, seed=3, pooled=768, guidance=5.0))


def test_flux_conditioning_travel_samples_and_its_keyframe_is_the_plain_run(models):
    """Flux samples the walked conditioning (8 and 16 tokens, guidance 3.5): the last keyframe alone is
    the plain run of its conditioning; the whole walk's frames are finite and differ."""
    fam.t5_conditioning("short", 8, seed=5, pooled=768, guidance=3.5)
    fam.t5_conditioning("long", 16, seed=6, pooled=768, guidance=3.5)
    f = family("flux")

    def travel(**window):
        return {"class_type": "MeanderConditioningTravel", "inputs": {
            "conditioning_1": ["12", 0], "conditioning_2": ["13", 0], "frames_per_segment": 2,
            **travel_inputs(**window)}}

    sources = {"12": fam.stored("short"), "13": fam.stored("long")}
    alone = fam.render(models, fam.custom(f["model"], travel(start_frame=2, frame_count=1), fam.random_noise(5),
                                          ["2", 1], extra=sources))
    whole = fam.render(models, fam.custom(f["model"], travel(), fam.random_noise(5), ["2", 1], extra=sources))
    plain = run(models, "flux", fam.random_noise(5), empty("flux", 1), positive=fam.stored("long"))
    assert torch.equal(alone, plain) and whole.shape == (3, 16, 8, 8) and bool(torch.isfinite(whole).all())
    assert not torch.equal(whole[0], whole[1])


@pytest.mark.parametrize("walk", [
    {"class_type": "MeanderSeedChainWalk", "inputs": {
        "seeds": "11, 22, 33", "frames_per_segment": 2, "method": "slerp", "easing": "linear", "closed": False}},
    {"class_type": "MeanderSeedVariations", "inputs": {
        "seed": 11, "variation_seeds": "5, 6", "strength": 0.0, "frames_per_variation": 2, "easing": "linear",
        "closed": True}},
], ids=["chain", "variations"])
def test_flux_chain_and_variations_start_on_the_plain_run_of_their_first_seed(models, walk):
    """Flux: frame 0 of a Seed Chain Walk (5 frames) and of Seed Variations at strength 0 (4 frames, all the
    seed's noise) is bit for bit RandomNoise(11)'s at the same batch; the chain's later frames differ."""
    node = {**walk, "inputs": {**walk["inputs"], "width": SIZE, "height": SIZE, "start_frame": 0, "frame_count": 0}}
    frames = run(models, "flux", node)
    plain = run(models, "flux", fam.random_noise(11), empty("flux", frames.shape[0]))
    assert frames.shape[1:] == (16, 8, 8) and frames.shape[0] in (4, 5)
    assert torch.equal(frames[0], plain[0]) and bool(torch.isfinite(frames).all())
    moves = walk["class_type"] == "MeanderSeedChainWalk"
    assert torch.equal(frames[1], frames[0]) != moves


def test_flux_prompt_drift_and_circle_keep_guidance_and_walk_the_pooled_output(models):
    """Prompt Drift and Prompt Circle on Flux-shaped conditioning (T5 tokens x 4096, pooled 768): one entry per
    frame, guidance carried, finite, frames moving."""
    start = fam.t5_conditioning("drift", 8, seed=9, pooled=768, guidance=3.5)
    size = {"width": SIZE, "height": SIZE, "start_frame": 0, "frame_count": 0}
    drift = fam.call(models, "MeanderPromptDrift", conditioning=start, frames=3, step=0.05, direction="random",
                     seed=1, **size)[0]
    circle = fam.call(models, "MeanderPromptCircle", conditioning=start, frames=4, radius=0.1, seed=1, **size)[0]
    for out, frames in ((drift, 3), (circle, 4)):
        cond, extras = out[0]
        assert cond.shape == (frames, 8, 4096) and extras["guidance"] == 3.5
        assert bool(torch.isfinite(cond).all()) and not torch.equal(cond[1], cond[0])
        assert extras["pooled_output"].shape == (frames, 768)
