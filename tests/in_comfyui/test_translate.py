"""Latent Pan and Noise Pan in the real ComfyUI: keyframes are KSampler's images, frames are slices."""

import pytest
import torch

from latent_ops import noise, windows
from scripts.host import GraphError
from tests.in_comfyui import graphs


def noise_pan_node(seeds="11, 22", stride=4.0, motion="pan", loop=False, start_frame=0, frame_count=0,
                   subpixel="round") -> dict:
    return {"class_type": "MeanderNoisePan", "inputs": {
        "seeds": seeds, "motion": motion, "axis": "width", "stride": stride, "loop": loop, "ping_pong": False,
        "easing": "linear", "subpixel": subpixel, "width": graphs.SIZE, "height": graphs.SIZE,
        "start_frame": start_frame, "frame_count": frame_count}}


def latent_pan_node(latents: list, latents_2: list | None = None, stride=4.0, motion="pan") -> dict:
    inputs = {"latents": latents, "motion": motion, "axis": "width", "stride": stride, "loop": False,
              "ping_pong": False, "easing": "linear", "subpixel": "round", "start_frame": 0, "frame_count": 0}
    if latents_2 is not None:
        inputs["latents_2"] = latents_2
    return {"class_type": "MeanderLatentPan", "inputs": inputs}


def outputs(out) -> tuple:
    return out.args if hasattr(out, "args") else out.result


def test_noise_pan_ends_are_the_ksampler_images_of_its_seeds(comfy):
    """A 64 px wide pan (8 latent pixels) at stride 4 has 3 frames; frames 0 and 2 rendered alone are
    bit for bit KSampler's images for seeds 11 and 22."""
    first = graphs.read_latent(comfy, comfy.run(graphs.ksampler(11)))
    last = graphs.read_latent(comfy, comfy.run(graphs.ksampler(22)))
    alone_first = graphs.read_latent(
        comfy, comfy.run(graphs.custom_sampler(noise_pan_node(frame_count=1), ["4", 0], ["4", 1])))
    alone_last = graphs.read_latent(
        comfy, comfy.run(graphs.custom_sampler(noise_pan_node(start_frame=2, frame_count=1), ["4", 0], ["4", 1])))
    assert torch.equal(alone_first[0], first[0]) and torch.equal(alone_last[0], last[0])
    assert not torch.equal(first[0], last[0])


def test_latent_pan_frames_are_windows_of_the_sampled_strip(comfy):
    """KSampler batch of 2 -> Latent Pan (stride 4): frame k is columns [4k, 4k + 8) of the two sampled
    latents side by side; the last frame is the second image."""
    graph = graphs.ksampler(5, batch=2)
    graph["10"] = latent_pan_node(["5", 0])
    graph["11"] = {"class_type": "SaveLatent", "inputs": {"samples": ["10", 0], "filename_prefix": "tests/pan"}}
    result = comfy.run(graph)
    sampled = graphs.read_latent(comfy, result, "9")
    frames = graphs.read_latent(comfy, result, "11")
    strip = torch.cat([sampled[0], sampled[1]], dim=-1)
    assert frames.shape == (3, 4, 8, 8)
    for k in range(3):
        assert torch.equal(frames[k], strip[..., 4 * k : 4 * k + 8])


def test_latent_pan_joins_the_second_input_and_wipes(comfy):
    graph = {
        "1": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "2": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 2}},
        "3": latent_pan_node(["1", 0], ["2", 0], stride=8.0, motion="wipe"),
        "9": graphs.save_latent(["3", 0]),
    }
    frames = graphs.read_latent(comfy, comfy.run(graph))
    assert frames.shape == (3, 4, 8, 8)  # 3 latents, travel 16, stride 8


def test_latents_of_different_sizes_are_refused_not_resized(comfy):
    graph = {
        "1": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "2": {"class_type": "EmptyLatentImage", "inputs": {"width": 72, "height": 64, "batch_size": 1}},
        "3": latent_pan_node(["1", 0], ["2", 0]),
        "9": graphs.save_latent(["3", 0]),
    }
    with pytest.raises(GraphError, match=r"latents_2 has latents of shape \(4, 8, 9\) but latents has \(4, 8, 8\)"):
        comfy.run(graph)


def test_an_open_pan_of_one_latent_is_a_clear_error(comfy):
    graph = {
        "1": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": latent_pan_node(["1", 0]),
        "9": graphs.save_latent(["3", 0]),
    }
    with pytest.raises(GraphError, match=r"an open pan needs at least 2 latents.*or turn loop on"):
        comfy.run(graph)


def test_latent_pan_copies_the_dict_keeps_dtype_and_drops_per_item_keys(comfy):
    node = comfy.node_class("MeanderLatentPan")
    z = torch.randn(2, 16, 4, 6, generator=torch.Generator().manual_seed(3)).half()
    latent = {"samples": z, "batch_index": [0, 1], "noise_mask": torch.ones(2, 1, 4, 6)}
    before = z.clone()
    (out,) = outputs(node.execute(latent, motion="pan", axis="width", stride=2.0, loop=True, ping_pong=False,
                                  easing="linear", subpixel="round", start_frame=1, frame_count=2))
    assert set(out) == {"samples"} and set(latent) == {"samples", "batch_index", "noise_mask"}
    assert out["samples"].dtype == torch.float16 and torch.equal(z, before)
    assert torch.equal(out["samples"], windows.translate(z, stride=2.0, loop=True)[1:3])


def test_noise_pan_serves_any_channel_count_and_loops(comfy):
    node = comfy.node_class("MeanderNoisePan")
    walk_noise, latent = outputs(node.execute(
        seeds="1, 2, 3", motion="pan", axis="width", stride=1.0, loop=True, ping_pong=False, easing="linear",
        subpixel="round", width=32, height=24, start_frame=0, frame_count=0))
    assert latent["samples"].shape == (12, 4, 3, 4)
    frames = walk_noise.generate_noise({"samples": torch.zeros(12, 16, 3, 4)})
    seeds = torch.stack([noise.seed_noise(s, (16, 3, 4)) for s in (1, 2, 3)])
    assert frames.shape == (12, 16, 3, 4) and torch.equal(frames[0], seeds[0]) and torch.equal(frames[4], seeds[1])
    assert torch.equal(frames[-1][..., 0], seeds[2][..., 3]) and torch.equal(frames[-1][..., 1:], seeds[0][..., :3])


@pytest.mark.parametrize(("seeds", "message"), [
    ("", r"seeds must list at least 1 seed separated by commas"),
    ("12, abc", r"seeds: entry 2 \('abc'\) is not a whole number"),
    ("-4, 2", r"seeds: entry 1 \('-4'\) is not a whole number"),
    ("7", r"an open pan needs at least 2 latents"),
])
def test_bad_seeds_are_clear_errors(comfy, seeds, message):
    node = comfy.node_class("MeanderNoisePan")
    with pytest.raises(ValueError, match=message):
        node.execute(seeds=seeds, motion="pan", axis="width", stride=1.0, loop=False, ping_pong=False,
                     easing="linear", subpixel="round", width=64, height=64, start_frame=0, frame_count=0)
