"""Walks of clips in the real ComfyUI: a video latent_shape makes each frame of a walk one whole clip.

docs/SPEC.md, "Walks of clips": a walk over B x C x T x H x W latents treats each clip as one point
of the walk, its noise the walk's point k over all of C x T x H x W. The sampling of such walks
with a video model is in the family tests; these check the nodes' latents, noise and errors on
the host's own empty latent nodes.
"""

import logging

import pytest
import torch

from latent_ops import noise


def outputs(result) -> tuple:
    return result.args if hasattr(result, "args") else result.result


def video_latent(comfy, length: int = 9, batch: int = 1, size: int = 64) -> dict:
    """The host's own EmptyHunyuanLatentVideo (Wan 2.1 and HunyuanVideo's latent): T = (length - 1) / 4 + 1."""
    node = comfy.node_class("EmptyHunyuanLatentVideo")
    return outputs(node.execute(width=size, height=size, length=length, batch_size=batch))[0]


def seed_walk(comfy, frames: int = 5, start_frame: int = 0, frame_count: int = 0, **extra) -> tuple:
    node = comfy.node_class("MeanderSeedWalk")
    return outputs(node.execute(seed_a=11, seed_b=22, frames=frames, method="slerp", easing="linear", width=64,
                                height=64, start_frame=start_frame, frame_count=frame_count, **extra))


def test_the_image_latent_is_the_hosts_empty_latent_image(comfy):
    """Same shape, dtype and keys as the host's EmptyLatentImage (0.33.0 adds its spatial downscale)."""
    _, latent = seed_walk(comfy, frames=4)
    host = comfy.node_class("EmptyLatentImage")().generate(64, 64, 4)[0]
    assert sorted(latent) == sorted(host)
    assert latent["samples"].shape == host["samples"].shape == (4, 4, 8, 8)
    assert latent["samples"].dtype == host["samples"].dtype and not latent["samples"].any()


def test_a_video_latent_shape_makes_one_clip_per_frame(comfy):
    """5 clips of 16 x 3 x 8 x 8; clip k's noise is the walk's point k over the whole clip."""
    template = video_latent(comfy)
    walk_noise, latent = seed_walk(comfy, latent_shape=template)
    assert latent["samples"].shape == (5, 16, 3, 8, 8) and not latent["samples"].any()
    assert {k for k in template if k != "samples"} == {k for k in latent if k != "samples"}
    frames = walk_noise.generate_noise(latent)
    assert torch.equal(frames, noise.seed_walk(11, 22, (16, 3, 8, 8), 5))
    import comfy.sample

    assert torch.equal(frames[0], comfy.sample.prepare_noise(template["samples"], 11)[0])
    assert torch.equal(frames[-1], comfy.sample.prepare_noise(template["samples"], 22)[0])


def test_a_window_of_clips_equals_the_slice_of_the_whole_walk(comfy):
    template = video_latent(comfy)
    whole_noise, whole = seed_walk(comfy, latent_shape=template)
    part_noise, part = seed_walk(comfy, start_frame=2, frame_count=2, latent_shape=template)
    assert part["samples"].shape == (2, 16, 3, 8, 8)
    assert torch.equal(part_noise.generate_noise(part), whole_noise.generate_noise(whole)[2:4])


def test_an_image_latent_on_a_video_model_is_refused_not_sampled_as_one_frame_clips(comfy):
    """ComfyUI unsqueezes a 4-D latent to T = 1 for a video model: the walk says what to connect instead."""
    walk_noise, latent = seed_walk(comfy, frames=4)
    as_video = {"samples": latent["samples"].repeat(1, 4, 1, 1).unsqueeze(2)}
    with pytest.raises(ValueError, match=r"video model but the walk's latent is an image latent.*1-frame clips: "
                       r"connect the video model's empty latent .* to the walk node's latent_shape input"):
        walk_noise.generate_noise(as_video)


def test_a_video_latent_of_another_batch_points_at_latent_shape(comfy):
    walk_noise, _ = seed_walk(comfy, frames=4)
    with pytest.raises(ValueError, match=r"latent_image has a batch of 1 but the walk emits 4 frames: connect the "
                       r"video model's empty latent with batch_size 1 .* latent_shape input"):
        walk_noise.generate_noise(video_latent(comfy))


def test_latent_shape_must_be_one_plain_latent(comfy):
    with pytest.raises(ValueError, match=r"latent_shape has a batch of 2: set its batch_size to 1"):
        seed_walk(comfy, latent_shape=video_latent(comfy, batch=2))
    with pytest.raises(ValueError, match=r"latent_shape is not a LATENT"):
        seed_walk(comfy, latent_shape={"noise": 1})


def test_the_memory_check_counts_whole_clips(comfy):
    """A window too large for memory is refused in clips of the latent_shape, with the clip's size."""
    huge = {"samples": torch.zeros(1, 16, 1, 1, 1).expand(1, 16, 2000, 1000, 1000)}
    with pytest.raises(ValueError, match=r"frames: 5 frames of 16x2000x1000x1000 clip walk noise and latents"):
        seed_walk(comfy, latent_shape=huge)


def test_a_noise_pan_over_clips_needs_the_clips_size(comfy):
    node = comfy.node_class("MeanderNoisePan")
    args = dict(seeds="1, 2", motion="pan", axis="width", stride=8.0, loop=False, ping_pong=False, easing="linear",
                subpixel="round", height=64, start_frame=0, frame_count=0, latent_shape=video_latent(comfy))
    with pytest.raises(ValueError, match=r"latent_shape is 64x64 pixels but width x height is 128x64: set width "
                       r"to 64 and height to 64"):
        node.execute(width=128, **args)
    walk_noise, latent = outputs(node.execute(width=64, **args))
    assert latent["samples"].shape == (2, 16, 3, 8, 8)
    frames = walk_noise.generate_noise(latent)
    assert torch.equal(frames[0], noise.seed_noise(1, (16, 3, 8, 8)))
    assert torch.equal(frames[-1], noise.seed_noise(2, (16, 3, 8, 8)))


def test_a_prompt_walk_over_clips_gives_each_clip_the_same_noise(comfy):
    cond = [[torch.randn(1, 77, 768), {}]]
    node = comfy.node_class("MeanderPromptDrift")
    _, latent = outputs(node.execute(conditioning=cond, frames=3, step=0.01, direction="ones", seed=0, width=64,
                                     height=64, start_frame=0, frame_count=0, latent_shape=video_latent(comfy)))
    assert latent["samples"].shape == (3, 16, 3, 8, 8) and latent["batch_index"] == [0, 0, 0]


def test_a_size_off_the_latent_grid_is_said_in_the_log(comfy, caplog):
    with caplog.at_level(logging.WARNING):
        _, latent = outputs(comfy.node_class("MeanderSeedWalk").execute(
            seed_a=1, seed_b=2, frames=2, method="slerp", easing="linear", width=100, height=64, start_frame=0,
            frame_count=0))
    assert latent["samples"].shape == (2, 4, 8, 12)
    assert "width 100 is not a multiple of 8: the latent is 12 wide, the images 96 pixels" in caplog.text


def test_clip_loop_noise_runs_the_clips_frames_around_a_circle(comfy):
    loop_noise = outputs(comfy.node_class("MeanderClipLoop").execute(seed_x=3, seed_y=4, radius=1.0,
                                                                   centre_seed=7))[0]
    clip = loop_noise.generate_noise(video_latent(comfy, length=13))
    assert clip.shape == (1, 16, 4, 8, 8)
    assert torch.equal(clip[0], noise.clip_loop(3, 4, (16, 4, 8, 8)))
    steps = [(clip[0, :, (t + 1) % 4] - clip[0, :, t]).norm().item() for t in range(4)]
    assert max(steps) - min(steps) < 1e-3 * max(steps), steps


@pytest.mark.parametrize(("latent", "message"), [
    (lambda c: {"samples": torch.zeros(1, 4, 8, 8)}, r"Clip Loop Noise is for video models"),
    (lambda c: video_latent(c, batch=2), r"a batch of 2: Clip Loop Noise makes one looping clip"),
    (lambda c: video_latent(c, length=1), r"1 latent frame: a loop needs a clip of at least 2 latent frames"),
])
def test_clip_loop_noise_refuses_latents_it_cannot_loop(comfy, latent, message):
    loop_noise = outputs(comfy.node_class("MeanderClipLoop").execute(seed_x=3, seed_y=4, radius=1.0,
                                                                   centre_seed=7))[0]
    with pytest.raises(ValueError, match=message):
        loop_noise.generate_noise(latent(comfy))


def test_clip_loop_refuses_equal_seeds(comfy):
    with pytest.raises(ValueError, match=r"seed_y must differ from seed_x"):
        comfy.node_class("MeanderClipLoop").execute(seed_x=3, seed_y=3, radius=1.0, centre_seed=7)
