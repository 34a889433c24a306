"""Seed chains, circular loops, the KSamplerAdvanced latent and ping-pong in the real ComfyUI (CPU)."""

import numpy as np
import pytest
import torch
from PIL import Image

from latent_ops import noise
from scripts.host import GraphError
from tests.in_comfyui import graphs


def chain_node(seeds="11, 22, 33", frames_per_segment=2, closed=False, start_frame=0, frame_count=0,
               method="slerp") -> dict:
    return {"class_type": "MeanderSeedChainWalk", "inputs": {
        "seeds": seeds, "frames_per_segment": frames_per_segment, "method": method, "easing": "linear",
        "closed": closed, "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": start_frame,
        "frame_count": frame_count}}


def loop_node(frames=6, radius=1.0, centre_seed=7, start_frame=0, frame_count=0) -> dict:
    return {"class_type": "MeanderNoiseLoop", "inputs": {
        "seed_x": 11, "seed_y": 22, "frames": frames, "radius": radius, "centre_seed": centre_seed,
        "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": start_frame, "frame_count": frame_count}}


def custom(comfy, walk: dict) -> torch.Tensor:
    """The walk's frames sampled by SamplerCustomAdvanced (euler, 3 steps)."""
    return graphs.read_latent(comfy, comfy.run(graphs.custom_sampler(walk, ["4", 0], ["4", 1])))


def ksampler_advanced(walk: dict, model_ref=("1", 0)) -> dict:
    """The same walk through MeanderNoisyLatent and KSamplerAdvanced with add_noise disabled."""
    return {
        **graphs.model_and_prompts(),
        "4": walk,
        "5": {"class_type": "MeanderNoisyLatent", "inputs": {"model": list(model_ref), "noise": ["4", 0],
                                                             "latent": ["4", 1]}},
        "6": {"class_type": "KSamplerAdvanced", "inputs": {
            "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["5", 0],
            "add_noise": "disable", "noise_seed": 123456, "steps": graphs.STEPS, "cfg": graphs.CFG,
            "sampler_name": "euler", "scheduler": "normal", "start_at_step": 0, "end_at_step": 10000,
            "return_with_leftover_noise": "disable"}},
        "9": graphs.save_latent(["6", 0]),
    }


@pytest.fixture(scope="module")
def plain(comfy):
    """KSampler's latent for a seed at batch 1, each rendered once for the module."""
    cache = {}

    def get(seed: int) -> torch.Tensor:
        if seed not in cache:
            cache[seed] = graphs.read_latent(comfy, comfy.run(graphs.ksampler(seed)))
        return cache[seed]

    return get


def test_chain_keyframe_at_a_joint_is_bit_identical_to_ksampler(comfy, plain):
    """Keyframe 1 (frame 1 F, where segments 0 and 1 meet) rendered alone is KSampler's latent for seed 1."""
    alone = custom(comfy, chain_node(start_frame=2, frame_count=1))
    assert alone.shape == (1, 4, 8, 8) and torch.equal(alone, plain(22))


def test_closed_chain_renders_k_times_f_frames_and_its_seam_is_not_doubled(comfy):
    frames = custom(comfy, chain_node(seeds="11, 22", frames_per_segment=2, closed=True))
    assert frames.shape[0] == 4
    steps = (frames[1:] - frames[:-1]).flatten(1).abs().amax(dim=1)
    seam = (frames[0] - frames[-1]).abs().max()
    assert bool((steps > 0).all()) and seam > 0


def test_noisy_latent_through_ksampler_advanced_gives_the_noise_paths_frames(comfy):
    """KSamplerAdvanced (add_noise disable) on MeanderNoisyLatent == SamplerCustomAdvanced on the NOISE.

    Not bit for bit: the noisy latent is divided by the latent format's scale factor (0.18215) and
    KSamplerAdvanced multiplies it back (process_latent_in), which rounds in float32, and the walk
    path scales by the scheduler's sigmas[0] where the latent path uses the model's sigma_max.
    """
    walk = chain_node()
    via_noise = custom(comfy, walk)
    via_latent = graphs.read_latent(comfy, comfy.run(ksampler_advanced(walk)))
    assert via_latent.shape == via_noise.shape == (5, 4, 8, 8)
    scale = via_noise.abs().max()
    assert (via_latent - via_noise).abs().max() <= 1e-5 * scale  # measured: 2e-6
    assert (via_noise[1:] - via_noise[:-1]).abs().max() > 1e-2 * scale  # frames differ far more than that


def test_loop_frame_zero_is_bit_identical_to_ksampler(comfy, plain):
    alone = custom(comfy, loop_node(frames=4, frame_count=1))
    assert torch.equal(alone, plain(11))


def test_loop_node_noise_is_the_latent_ops_loop_for_any_channel_count(comfy):
    node = comfy.node_class("MeanderNoiseLoop")
    out = node.execute(seed_x=3, seed_y=4, frames=9, radius=0.4, centre_seed=5, width=64, height=48,
                       start_frame=2, frame_count=5)
    walk_noise, latent = out.args if hasattr(out, "args") else out.result
    assert latent["samples"].shape == (5, 4, 6, 8) and not latent["samples"].any()
    frames = walk_noise.generate_noise({"samples": torch.zeros(5, 16, 6, 8)})
    assert torch.equal(frames, noise.circular_loop(3, 4, (16, 6, 8), 9, 0.4, 5, 2, 5))


def eight_node(frames=8, start_frame=0, frame_count=0) -> dict:
    return {"class_type": "MeanderFigureEightLoop", "inputs": {
        "seed_x": 11, "seed_y": 22, "seed_z": 33, "frames": frames, "width": graphs.SIZE, "height": graphs.SIZE,
        "start_frame": start_frame, "frame_count": frame_count}}


def test_figure_eight_crosses_at_ksamplers_image_twice(comfy, plain):
    """Frames 0 and N/2 are the crossing: KSampler's image for seed_x (bit for bit at frame 0, rendered alone as
    KSampler renders it: a batch of 8 rounds differently on the CPU)."""
    assert torch.equal(custom(comfy, eight_node(frame_count=1)), plain(11))
    frames = custom(comfy, eight_node())
    assert frames.shape[0] == 8
    assert (frames[4] - frames[0]).abs().max() <= 1e-4 * frames[0].abs().max()
    assert (frames[2] - frames[0]).abs().max() > 0.1 * frames[0].abs().max()


def test_figure_eight_window_noise_is_the_latent_ops_figure_eight(comfy):
    out = comfy.node_class("MeanderFigureEightLoop").execute(seed_x=3, seed_y=4, seed_z=5, frames=12, width=64,
                                                             height=48, start_frame=3, frame_count=4)
    walk_noise, latent = out.args if hasattr(out, "args") else out.result
    assert latent["samples"].shape == (4, 4, 6, 8) and walk_noise.seed == 3
    frames = walk_noise.generate_noise({"samples": torch.zeros(4, 16, 6, 8)})
    assert torch.equal(frames, noise.figure_eight(3, 4, 5, (16, 6, 8), 12, 3, 4))


def test_noisy_latent_refuses_flow_models(comfy):
    graph = ksampler_advanced(chain_node(), model_ref=("10", 0))
    graph["10"] = {"class_type": "ModelSamplingSD3", "inputs": {"model": ["1", 0], "shift": 3.0}}
    with pytest.raises(GraphError, match=r"model: the noisy latent works for eps / v-prediction models .* "
                                         r"samples by flow matching \(SD3, Flux...\).*SamplerCustomAdvanced"):
        comfy.run(graph)


def test_noisy_latent_keeps_the_input_latent_untouched(comfy):
    model = comfy.node_class("CheckpointLoaderSimple")().load_checkpoint(graphs.TEST_CHECKPOINT)[0]
    walk_noise, latent = comfy.node_class("MeanderSeedChainWalk").execute(
        seeds="5, 6", frames_per_segment=2, method="slerp", easing="linear", closed=False, width=64, height=64,
        start_frame=0, frame_count=0).args
    latent = {**latent, "noise_mask": torch.ones(3, 1, 8, 8)}
    before = latent["samples"].clone()
    out = comfy.node_class("MeanderNoisyLatent").execute(model=model, noise=walk_noise, latent=latent).args[0]
    assert torch.equal(latent["samples"], before) and "noise_mask" in latent and "noise_mask" not in out
    sigma_max = float(model.get_model_object("model_sampling").sigma_max)
    expected = noise.chain_walk([5, 6], (4, 8, 8), 2) * (1 + sigma_max**2) ** 0.5 / 0.18215
    assert torch.allclose(out["samples"], expected, rtol=1e-5)


def test_ping_pong_plays_decoded_frames_forward_and_back(comfy):
    graph = graphs.custom_sampler(chain_node(seeds="11, 22", frames_per_segment=2), ["4", 0], ["4", 1])
    graph["10"] = {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}}
    graph["11"] = {"class_type": "MeanderPingPong", "inputs": {"images": ["10", 0]}}
    graph["12"] = {"class_type": "SaveImage", "inputs": {"images": ["11", 0], "filename_prefix": "tests/pingpong"}}
    result = comfy.run(graph)
    files = result.files("12")
    images = [np.asarray(Image.open(comfy.output_dir / f["subfolder"] / f["filename"])) for f in files]
    assert len(images) == 4
    assert np.array_equal(images[3], images[1]) and not np.array_equal(images[2], images[1])
    assert not np.array_equal(images[0], images[1])


@pytest.mark.parametrize(("seeds", "message"), [
    ("11", r"seeds must list at least 2 seeds separated by commas"),
    ("11, x", r"seeds: entry 2 \('x'\) is not a whole number"),
])
def test_bad_seed_lists_stop_the_run_with_the_fix(comfy, seeds, message):
    with pytest.raises(GraphError, match=message):
        comfy.run(graphs.custom_sampler(chain_node(seeds=seeds), ["4", 0], ["4", 1]))
