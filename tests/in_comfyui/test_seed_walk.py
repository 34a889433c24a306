"""The seed walk in the real ComfyUI: its noise is ComfyUI's, its keyframes are KSampler's images."""

import pytest
import torch

from latent_ops import noise
from scripts.host import GraphError
from tests.in_comfyui import graphs


def walk_node(seed_a=11, seed_b=22, frames=4, start_frame=0, frame_count=0, method="slerp") -> dict:
    return {"class_type": "MeanderSeedWalk", "inputs": {
        "seed_a": seed_a, "seed_b": seed_b, "frames": frames, "method": method, "easing": "linear",
        "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": start_frame, "frame_count": frame_count}}


@pytest.mark.parametrize("seed", [0, 1337, 2**63 + 5])
def test_seed_noise_equals_comfyui_prepare_noise(comfy, seed):
    import comfy.sample

    latent = torch.zeros(1, 4, 8, 8)
    assert torch.equal(noise.seed_noise(seed, (1, 4, 8, 8)), comfy.sample.prepare_noise(latent, seed))


def test_walk_keyframes_are_ksampler_images(comfy):
    """A keyframe rendered alone is bit for bit KSampler's latent for its seed (CPU).

    In a batch, frame 0 is bit for bit KSampler's first item at the same batch size; across batch
    sizes ComfyUI's own CPU results differ in the last bits (KSampler's too), so the whole walk's
    last frame matches seed B's single render to float tolerance.
    """
    first = graphs.read_latent(comfy, comfy.run(graphs.ksampler(11)))
    last = graphs.read_latent(comfy, comfy.run(graphs.ksampler(22)))
    alone_first = graphs.read_latent(
        comfy, comfy.run(graphs.custom_sampler(walk_node(frame_count=1), ["4", 0], ["4", 1])))
    alone_last = graphs.read_latent(
        comfy, comfy.run(graphs.custom_sampler(walk_node(start_frame=3, frame_count=1), ["4", 0], ["4", 1])))
    assert torch.equal(alone_first[0], first[0]) and torch.equal(alone_last[0], last[0])

    walk = graphs.read_latent(comfy, comfy.run(graphs.custom_sampler(walk_node(), ["4", 0], ["4", 1])))
    batch_of_4 = graphs.read_latent(comfy, comfy.run(graphs.ksampler(11, batch=4)))
    assert walk.shape == (4, 4, 8, 8)
    assert torch.equal(walk[0], batch_of_4[0])
    assert (walk[-1] - last[0]).abs().max() <= 1e-5 * last.abs().max()
    assert not torch.equal(walk[1], walk[0]) and bool(torch.isfinite(walk).all())


def test_a_window_renders_the_same_frames_as_the_whole_walk(comfy):
    whole = graphs.read_latent(comfy, comfy.run(graphs.custom_sampler(walk_node(frames=5), ["4", 0], ["4", 1])))
    part = graphs.read_latent(
        comfy, comfy.run(graphs.custom_sampler(walk_node(frames=5, start_frame=2, frame_count=2), ["4", 0], ["4", 1])))
    assert part.shape[0] == 2
    assert (part - whole[2:4]).abs().max() <= 1e-5 * whole.abs().max()


def test_window_past_the_end_is_a_clear_error(comfy):
    graph = graphs.custom_sampler(walk_node(frames=5, start_frame=4, frame_count=3), ["4", 0], ["4", 1])
    with pytest.raises(GraphError, match=r"past the end of the walk \(5 frames\): lower frame_count to at most 1"):
        comfy.run(graph)


def test_noise_on_a_latent_of_another_batch_size_is_refused(comfy):
    graph = graphs.custom_sampler(walk_node(frames=4), ["4", 0], ["10", 0])
    graph["10"] = {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 2}}
    with pytest.raises(GraphError, match=r"latent_image has a batch of 2 but the walk emits 4 frames"):
        comfy.run(graph)


def test_the_node_keeps_no_state_and_returns_an_empty_latent_of_the_window(comfy):
    node = comfy.node_class("MeanderSeedWalk")
    out = node.execute(seed_a=1, seed_b=2, frames=10, method="nlerp", easing="linear", width=72, height=48,
                       start_frame=3, frame_count=4)
    walk_noise, latent = out.args if hasattr(out, "args") else out.result
    assert latent["samples"].shape == (4, 4, 6, 9) and not latent["samples"].any()
    frames = walk_noise.generate_noise({"samples": torch.zeros(4, 16, 6, 9)})
    assert frames.shape == (4, 16, 6, 9)
    assert torch.equal(frames, noise.seed_walk(1, 2, (16, 6, 9), 10, "nlerp", "linear", 3, 4))


def variations_node(strength=0.2, start_frame=0, frame_count=0) -> dict:
    return {"class_type": "MeanderSeedVariations", "inputs": {
        "seed": 11, "variation_seeds": "5, 6, 7", "strength": strength, "frames_per_variation": 2,
        "easing": "linear", "closed": True, "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": start_frame,
        "frame_count": frame_count}}


def test_seed_variations_at_strength_zero_render_the_seeds_image(comfy):
    """Strength 0: the variation walk's keyframe is bit for bit KSampler's image for its seed."""
    plain = graphs.read_latent(comfy, comfy.run(graphs.ksampler(11)))
    still = graphs.read_latent(
        comfy, comfy.run(graphs.custom_sampler(variations_node(0.0, 0, 1), ["4", 0], ["4", 1])))
    assert torch.equal(still[0], plain[0])


def test_seed_variations_move_around_the_seed_and_windows_are_slices(comfy):
    whole = graphs.read_latent(comfy, comfy.run(graphs.custom_sampler(variations_node(), ["4", 0], ["4", 1])))
    part = graphs.read_latent(
        comfy, comfy.run(graphs.custom_sampler(variations_node(start_frame=2, frame_count=3), ["4", 0], ["4", 1])))
    assert whole.shape[0] == 6 and part.shape[0] == 3
    assert (part - whole[2:5]).abs().max() <= 1e-5 * whole.abs().max()
    assert not torch.equal(whole[1], whole[0]) and bool(torch.isfinite(whole).all())
