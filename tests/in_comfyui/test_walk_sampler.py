"""The Walk Sampler in the real ComfyUI: ancestral and SDE step noise that walks with the frames."""


import pytest
import torch

from latent_ops import metrics
from scripts import host
from scripts.host import GraphError
from tests.in_comfyui import graphs

SDE = "dpmpp_2m_sde"


def walk_node(frames=4, start_frame=0, frame_count=0, seed_a=11, seed_b=22) -> dict:
    return {"class_type": "MeanderSeedWalk", "inputs": {
        "seed_a": seed_a, "seed_b": seed_b, "frames": frames, "method": "slerp", "easing": "linear",
        "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": start_frame, "frame_count": frame_count}}


def through_walk_sampler(noise_node: dict, sampler_name: str = "euler_ancestral") -> dict:
    """graphs.custom_sampler with the Walk Sampler (fed by the walk's own NOISE) as its sampler."""
    graph = graphs.custom_sampler(noise_node, ["4", 0], ["4", 1])
    graph["6"] = {"class_type": "MeanderWalkSampler", "inputs": {
        "noise": ["4", 0], "sampler_name": sampler_name, "eta": 1.0, "s_noise": 1.0}}
    return graph


def plain_custom(noise_node: dict, sampler_name: str) -> dict:
    """The walk's starting noise with ComfyUI's own sampler of that name (KSamplerSelect)."""
    graph = graphs.custom_sampler(noise_node, ["4", 0], ["4", 1])
    graph["6"]["inputs"]["sampler_name"] = sampler_name
    return graph


def ksampler(seed: int, sampler_name: str) -> dict:
    graph = graphs.ksampler(seed)
    graph["5"]["inputs"]["sampler_name"] = sampler_name
    return graph


def seed_walk_noise(comfy, seed_a: int, seed_b: int, frames: int, start_frame: int = 0, frame_count: int = 0):
    """The NOISE output of the Seed Walk node, called directly."""
    out = comfy.node_class("MeanderSeedWalk").execute(
        seed_a=seed_a, seed_b=seed_b, frames=frames, method="slerp", easing="linear", width=graphs.SIZE,
        height=graphs.SIZE, start_frame=start_frame, frame_count=frame_count)
    return (out.args if hasattr(out, "args") else out.result)[0]


def render(comfy, graph: dict) -> torch.Tensor:
    return graphs.read_latent(comfy, comfy.run(graph))


@pytest.mark.parametrize("sampler_name", ["euler_ancestral", SDE])
def test_keyframes_are_ksampler_images_with_the_same_sampler(comfy, sampler_name):
    """Frame 0 alone is bit for bit KSampler's latent for seed A with this sampler, the last frame seed B's."""
    first = render(comfy, through_walk_sampler(walk_node(frame_count=1), sampler_name))
    last = render(comfy, through_walk_sampler(walk_node(start_frame=3, frame_count=1), sampler_name))
    plain_a = render(comfy, ksampler(11, sampler_name))
    plain_b = render(comfy, ksampler(22, sampler_name))
    assert torch.equal(first[0], plain_a[0]) and torch.equal(last[0], plain_b[0])
    assert not torch.equal(plain_a[0], plain_b[0])


@pytest.mark.parametrize("sampler_name", ["euler_ancestral", SDE])
def test_a_window_renders_the_same_frames_as_the_whole_walk(comfy, sampler_name):
    whole = render(comfy, through_walk_sampler(walk_node(frames=5), sampler_name))
    part = render(comfy, through_walk_sampler(walk_node(frames=5, start_frame=2, frame_count=2), sampler_name))
    assert whole.shape[0] == 5 and part.shape[0] == 2
    assert (part - whole[2:4]).abs().max() <= 1e-5 * whole.abs().max()
    assert bool(torch.isfinite(whole).all())


@pytest.mark.parametrize("sampler_name", ["euler_ancestral", SDE, "dpmpp_sde"])
def test_the_step_noise_of_a_window_is_the_slice_of_the_whole_walks(comfy, sampler_name):
    """At every step the noise sampler gives a window's frames exactly the whole walk's step noise."""
    from comfy.k_diffusion.sampling import default_noise_sampler

    walk_sampler = host.pack_module("walk_sampler")
    sigmas = torch.tensor([14.6, 3.0, 0.7, 0.0])
    whole_noise = seed_walk_noise(comfy, 3, 4, 6)
    part_noise = seed_walk_noise(comfy, 3, 4, 6, start_frame=4, frame_count=2)
    whole = walk_sampler.WalkNoiseSampler(sampler_name, whole_noise.walk.step_mix(whole_noise.frames),
                                          torch.zeros(6, 4, 8, 8), sigmas)
    part = walk_sampler.WalkNoiseSampler(sampler_name, part_noise.walk.step_mix(part_noise.frames),
                                         torch.zeros(2, 4, 8, 8), sigmas)
    for sigma, sigma_next in zip(sigmas[:-2], sigmas[1:-1], strict=True):
        w, p = whole(sigma, sigma_next), part(sigma, sigma_next)
        assert w.shape == (6, 4, 8, 8) and torch.equal(p, w[4:])
        assert 0.8 < float(w.std(dim=(1, 2, 3)).min()) and float(w.std(dim=(1, 2, 3)).max()) < 1.2
        assert not torch.equal(w[1], w[0])
    if sampler_name == "euler_ancestral":
        plain = default_noise_sampler(torch.zeros(1, 4, 8, 8), seed=3)
        fresh = walk_sampler.WalkNoiseSampler(sampler_name, whole_noise.walk.step_mix(range(0, 1)),
                                              torch.zeros(1, 4, 8, 8), sigmas)
        assert torch.equal(fresh(sigmas[0], sigmas[1]), plain(sigmas[0], sigmas[1]))


def test_walk_sampler_steps_are_close_to_a_deterministic_samplers(comfy):
    """The figure: mean frame-to-frame step (latent RMS) of a 24-frame walk at 3 steps, euler against
    euler_ancestral plain and through the Walk Sampler (measured: 7.79, 14.86, 8.64 on 0.3.75;
    7.79, 14.75, 8.22 on 0.33.0)."""
    node = walk_node(frames=24)
    euler = float(metrics.step_distances(render(comfy, plain_custom(node, "euler"))).mean())
    plain = float(metrics.step_distances(render(comfy, plain_custom(node, "euler_ancestral"))).mean())
    walked = float(metrics.step_distances(render(comfy, through_walk_sampler(node))).mean())
    print(f"mean step: euler {euler:.4f}, euler_ancestral plain {plain:.4f}, through the Walk Sampler {walked:.4f}")
    assert abs(walked - euler) < 0.25 * abs(plain - euler)
    assert plain > 1.5 * walked


def test_the_combo_lists_the_hosts_ancestral_and_sde_samplers_only(comfy, node_info):
    import comfy.samplers

    options = node_info("MeanderWalkSampler")["input"]["required"]["sampler_name"]
    names = options[0] if isinstance(options[0], list) else options[1]["options"]
    assert {"euler_ancestral", "dpmpp_2s_ancestral", "dpmpp_sde", "dpmpp_2m_sde", "dpmpp_3m_sde_gpu"} <= set(names)
    assert not {"euler", "dpmpp_2m", "ddim", "dpm_fast", "dpm_adaptive", "lms"} & set(names)
    assert set(names) <= set(comfy.samplers.KSAMPLER_NAMES)


def test_noise_that_is_not_a_walks_is_refused(comfy):
    graph = through_walk_sampler(walk_node())
    graph["10"] = {"class_type": "RandomNoise", "inputs": {"noise_seed": 5}}
    graph["6"]["inputs"]["noise"] = ["10", 0]
    with pytest.raises(GraphError, match=r"noise must come from a Meander walk node"):
        comfy.run(graph)


def test_a_pan_is_refused_with_what_to_use_instead(comfy):
    pan = {"class_type": "MeanderNoisePan", "inputs": {
        "seeds": "1, 2", "stride": 4.0, "motion": "pan", "axis": "width", "loop": False, "ping_pong": False,
        "easing": "linear", "subpixel": "round", "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": 0,
        "frame_count": 0}}
    with pytest.raises(GraphError, match=r"noise: MeanderNoisePan's frames are not a mix of whole seeds' noises.*"
                       r"deterministic sampler"):
        comfy.run(through_walk_sampler(pan))


@pytest.mark.parametrize(("name", "value"), [("eta", float("nan")), ("s_noise", float("inf"))])
def test_eta_and_s_noise_must_be_finite(comfy, name, value):
    node = comfy.node_class("MeanderWalkSampler")
    walk_noise = seed_walk_noise(comfy, 1, 2, 3)
    inputs = {"noise": walk_noise, "sampler_name": "euler_ancestral", "eta": 1.0, "s_noise": 1.0, name: value}
    with pytest.raises(ValueError, match=rf"{name} must be a finite number >= 0"):
        node.execute(**inputs)
