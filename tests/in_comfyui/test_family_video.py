"""Walks of clips on Wan 2.1 text-to-video in the real ComfyUI: one walk frame is one whole clip.

Model: tools/make_models.py's Wan 2.1 t2v (one block at dim 128) through UNETLoader, detected by
ComfyUI as WAN21_T2V, and a Wan 2.1 VAE of width 16 through VAELoader. Wan's UMT5-XXL is too large
for the CPU: the conditioning is a tensor of its shape (tokens x 4096), see families.py. Clips are
EmptyHunyuanLatentVideo's 64x64 x 5 frames (latents 16 x 2 x 8 x 8), sampled in 2 steps.
"""

from __future__ import annotations

import pytest
import torch

from scripts.host import GraphError
from tests.in_comfyui import families as fam

SIZE = fam.SIZE
LENGTH = 5
CLIP = (16, 2, 8, 8)


@pytest.fixture(scope="module")
def models(comfy):
    """The booted ComfyUI with every family's test model linked (families.linked_models)."""
    yield from fam.linked_models(comfy)


def video_latent(batch: int = 1) -> dict:
    return {"class_type": "EmptyHunyuanLatentVideo", "inputs": {"width": SIZE, "height": SIZE, "length": LENGTH,
                                                                "batch_size": batch}}


def walk(node_type: str, **inputs) -> dict:
    """A noise walk node with latent_shape from node 10 (the clip's empty latent, batch 1)."""
    window = {"start_frame": 0, "frame_count": 0, "width": SIZE, "height": SIZE}
    return {"class_type": node_type, "inputs": {**window, **inputs, "latent_shape": ["10", 0]}}


def seed_walk(frames=3, **window) -> dict:
    return walk("MeanderSeedWalk", seed_a=11, seed_b=22, frames=frames, method="slerp", easing="linear", **window)


def noise_loop(**window) -> dict:
    return walk("MeanderNoiseLoop", seed_x=11, seed_y=22, frames=4, radius=1.0, centre_seed=7, **window)


def noise_pan(**window) -> dict:
    return walk("MeanderNoisePan", seeds="11, 22", motion="pan", axis="width", stride=4.0, loop=False,
                ping_pong=False, easing="linear", subpixel="round", **window)


def graph(noise: dict, latent_ref: list | None = None, batch: int = 1, extra: dict | None = None) -> dict:
    """Wan through SamplerCustomAdvanced (BasicGuider): noise from node 4, latent from node 4's output 1
    or `latent_ref`; node 10 is the clip's empty latent of `batch` items."""
    fam.t5_conditioning("wan", 16, seed=7)
    return fam.custom(fam.unet(fam.WAN), fam.stored("wan"), noise, latent_ref or ["4", 1],
                      extra={"10": video_latent(batch), **(extra or {})})


def plain(comfy, seed: int, batch: int = 1) -> torch.Tensor:
    """RandomNoise(seed) on EmptyHunyuanLatentVideo of `batch` clips: the plain Wan run."""
    return fam.render(comfy, graph(fam.random_noise(seed), ["10", 0], batch))


def test_the_test_model_is_detected_as_wan_2_1_text_to_video(models):
    model = fam.call(models, "UNETLoader", unet_name=fam.WAN, weight_dtype="default")[0]
    assert type(model.model.model_config).__name__ == "WAN21_T2V"
    assert model.get_model_object("latent_format").latent_channels == 16


def test_seed_walk_of_clips_keyframes_are_plain_runs_and_windows_are_slices(models):
    """3 clips from seed 11 to 22: clip 0 is bit for bit RandomNoise(11)'s at batch 3, clip 2 alone is
    RandomNoise(22)'s at batch 1; a window of clips 1-2 is the whole walk's (to float tolerance)."""
    whole = fam.render(models, graph(seed_walk()))
    part = fam.render(models, graph(seed_walk(start_frame=1, frame_count=2)))
    alone = fam.render(models, graph(seed_walk(start_frame=2, frame_count=1)))
    assert whole.shape == (3, *CLIP) and bool(torch.isfinite(whole).all())
    assert torch.equal(whole[0], plain(models, 11, 3)[0]) and torch.equal(alone[0], plain(models, 22)[0])
    assert (part - whole[1:3]).abs().max() <= 1e-5 * whole.abs().max()
    assert not torch.equal(whole[1], whole[0]) and not torch.equal(whole[1, :, 0], whole[1, :, 1])


def test_noise_loop_and_noise_pan_on_5d_clip_latents(models):
    """The loop's clip 0 and the pan's first clip are RandomNoise(11)'s clip; the loop's clips differ."""
    first = plain(models, 11)
    loop = fam.render(models, graph(noise_loop()))
    pan = fam.render(models, graph(noise_pan(frame_count=1)))
    pan_whole = fam.render(models, graph(noise_pan()))
    assert loop.shape == (4, *CLIP) and pan_whole.shape == (3, *CLIP)
    assert (loop[0] - first[0]).abs().max() <= 1e-5 * first.abs().max() and torch.equal(pan, first)
    assert not torch.equal(loop[1], loop[0]) and bool(torch.isfinite(pan_whole).all())


def test_latent_pan_slides_over_sampled_clips(models):
    """2 sampled clips side by side -> Latent Pan (stride 4): clip k is columns [4k, 4k + 8) of the strip,
    every latent frame of the clip alike."""
    pan = {"class_type": "MeanderLatentPan", "inputs": {
        "latents": ["8", 0], "motion": "pan", "axis": "width", "stride": 4.0, "loop": False, "ping_pong": False,
        "easing": "linear", "subpixel": "round", "start_frame": 0, "frame_count": 0}}
    g = graph(fam.random_noise(5), ["10", 0], 2, extra={
        "11": pan, "12": {"class_type": "SaveLatent", "inputs": {"samples": ["11", 0], "filename_prefix": "t/pan"}}})
    result = models.run(g)
    sampled = fam.graphs.read_latent(models, result, "9")
    frames = fam.graphs.read_latent(models, result, "12")
    strip = torch.cat([sampled[0], sampled[1]], dim=-1)
    assert frames.shape == (3, *CLIP)
    for k in range(3):
        assert torch.equal(frames[k], strip[..., 4 * k: 4 * k + 8])


def test_clips_decode_to_their_frames_with_the_wan_vae(models):
    """Each sampled clip of 2 latent frames decodes to 5 images (Wan's 4x time): 3 clips give 15."""
    g = graph(seed_walk(), extra={
        "13": {"class_type": "VAELoader", "inputs": {"vae_name": fam.WAN_VAE}},
        "14": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["13", 0]}},
        "15": {"class_type": "SaveAnimatedWEBP", "inputs": {
            "images": ["14", 0], "filename_prefix": "t/wan", "fps": 8.0, "lossless": False, "quality": 50,
            "method": "fastest"}}})
    result = models.run(g)
    images = result.outputs["15"]
    assert len(images["images"]) == 1
    from PIL import Image

    item = images["images"][0]
    with Image.open(models.output_dir / item["subfolder"] / item["filename"]) as webp:
        assert webp.n_frames == 3 * LENGTH and webp.size == (SIZE, SIZE)


def test_an_image_latent_on_a_video_model_is_refused_clearly(models):
    """Without latent_shape the walk's latent is 4-D: ComfyUI would sample it as 1-frame clips."""
    image_walk = seed_walk()
    del image_walk["inputs"]["latent_shape"]
    with pytest.raises(GraphError, match=r"the model is a video model but the walk's latent is an image latent.*"
                                         r"1-frame clips.*EmptyHunyuanLatentVideo.*latent_shape"):
        models.run(graph(image_walk))


def test_walk_noise_on_the_video_latent_without_latent_shape_points_at_latent_shape(models):
    """The walk's NOISE on a video latent of another batch: the error names latent_shape as the fix."""
    image_walk = seed_walk()
    del image_walk["inputs"]["latent_shape"]
    with pytest.raises(GraphError, match=r"latent_image has a batch of 1 but the walk emits 3 frames: connect the "
                                         r"video model's empty latent .* to the walk node's latent_shape input"):
        models.run(graph(image_walk, ["10", 0]))


def clip_loop() -> dict:
    return {"class_type": "MeanderClipLoop", "inputs": {"seed_x": 11, "seed_y": 22, "radius": 1.0, "centre_seed": 7}}


def test_clip_loop_noise_samples_one_clip_whose_latent_frames_are_on_a_circle(models):
    """Clip Loop Noise on a 13-frame clip (4 latent frames): the sampled clip is Wan's for that noise, and
    the noise handed to the sampler for the host's own empty video latent is noise.clip_loop's."""
    from latent_ops import noise

    long_clip = {**video_latent(), "inputs": {**video_latent()["inputs"], "length": 13}}
    g = graph(clip_loop(), ["10", 0])
    g["10"] = long_clip
    looped = fam.render(models, g)
    g["4"] = fam.random_noise(11)
    plain_run = fam.render(models, g)
    assert looped.shape == plain_run.shape == (1, 16, 4, 8, 8) and bool(torch.isfinite(looped).all())
    assert not torch.equal(looped, plain_run)
    latent = fam.call(models, "EmptyHunyuanLatentVideo", width=SIZE, height=SIZE, length=13, batch_size=1)[0]
    made = fam.call(models, "MeanderClipLoop", seed_x=11, seed_y=22, radius=1.0, centre_seed=7)[0]
    frames = made.generate_noise({**latent, "samples": torch.zeros(1, 16, 4, 8, 8)})
    assert torch.equal(frames[0], noise.clip_loop(11, 22, (16, 4, 8, 8)))
    assert torch.equal(frames[0, :, 0], noise.seed_noise(11, (1, 16, 8, 8))[0])


@pytest.mark.parametrize(("batch", "length", "message"), [
    (2, LENGTH, r"latent_image has a batch of 2: Clip Loop Noise makes one looping clip; set the empty video "
                r"latent's batch_size to 1"),
    (1, 1, r"latent_image has 1 latent frame: a loop needs a clip of at least 2 latent frames"),
])
def test_clip_loop_noise_refuses_a_batch_or_a_one_frame_clip(models, batch, length, message):
    g = graph(clip_loop(), ["10", 0])
    g["10"] = {**video_latent(batch), "inputs": {**video_latent(batch)["inputs"], "length": length}}
    with pytest.raises(GraphError, match=message):
        models.run(g)


def test_conditioning_travel_of_clips_keyframe_is_the_plain_clip(models):
    """Conditioning Travel with latent_shape (UMT5-shaped tensors of 16 and 32 tokens): its latent holds one
    clip per frame, and the last keyframe's clip alone is the plain Wan run of its conditioning."""
    fam.t5_conditioning("wan_a", 16, seed=7)
    fam.t5_conditioning("wan_b", 32, seed=8)

    def travel(**window):
        return {"class_type": "MeanderConditioningTravel", "inputs": {
            "conditioning_1": ["12", 0], "conditioning_2": ["13", 0], "frames_per_segment": 2, "loop": False,
            "method": "slerp", "per": "token", "easing": "linear", "pad": "repeat", "width": SIZE, "height": SIZE,
            "start_frame": 0, "frame_count": 0, "latent_shape": ["10", 0], **window}}

    sources = {"10": video_latent(), "12": fam.stored("wan_a"), "13": fam.stored("wan_b")}
    whole = fam.render(models, fam.custom(fam.unet(fam.WAN), travel(), fam.random_noise(5), ["2", 1], extra=sources))
    alone = fam.render(models, fam.custom(fam.unet(fam.WAN), travel(start_frame=2, frame_count=1),
                                          fam.random_noise(5), ["2", 1], extra=sources))
    plain_b = fam.render(models, fam.custom(fam.unet(fam.WAN), fam.stored("wan_b"), fam.random_noise(5), ["10", 0],
                                            extra=sources))
    assert whole.shape == (3, *CLIP) and alone.shape == (1, *CLIP) and torch.equal(alone, plain_b)
    assert bool(torch.isfinite(whole).all()) and not torch.equal(whole[0], whole[1])
