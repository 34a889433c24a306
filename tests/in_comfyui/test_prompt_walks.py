"""Prompt walks in the real ComfyUI: batch item k of the CONDITIONING conditions latent k.

On the CPU, ComfyUI's results change in the last float bits with the batch size (KSampler's own
too), so single-frame windows are compared bit for bit and whole batches to a small relative
tolerance (as in test_seed_walk.py).
"""

from __future__ import annotations

import sys

import pytest
import torch

from latent_ops import embedding
from scripts.host import GraphError
from tests.in_comfyui import graphs

SEED = 5
DOG, CAT = "a photograph of a dog", "a photograph of a cat"
LONG = ", ".join(["a very detailed photograph of a large old lighthouse on a rocky cliff at sunset"] * 8)
TOL = 1e-5


def travel(schedule: str = f"0: {DOG}\n2: {CAT}", frames: int = 0, start_frame: int = 0, frame_count: int = 0,
           **extra) -> dict:
    inputs = {"clip": ["1", 1], "schedule": schedule, "frames": frames, "loop": False, "method": "slerp",
              "per": "token", "easing": "linear", "pad": "repeat", "width": graphs.SIZE, "height": graphs.SIZE,
              "start_frame": start_frame, "frame_count": frame_count}
    inputs.update(extra)
    return {"class_type": "MeanderPromptTravel", "inputs": inputs}


def ksampler_graph(positive_node: dict, latent_ref: list | None = None) -> dict:
    """KSampler (seed SEED) with node 4 as positive; latent from node 4's output 1 or an EmptyLatentImage."""
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": graphs.TEST_CHECKPOINT}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["1", 1]}},
        "4": positive_node,
        "5": {"class_type": "KSampler", "inputs": {
            "model": ["1", 0], "positive": ["4", 0], "negative": ["3", 0], "latent_image": latent_ref or ["4", 1],
            "seed": SEED, "steps": graphs.STEPS, "cfg": graphs.CFG, "sampler_name": "euler", "scheduler": "normal",
            "denoise": 1.0}},
        "9": graphs.save_latent(["5", 0]),
    }
    if latent_ref is not None:
        graph["6"] = {"class_type": "EmptyLatentImage", "inputs": {"width": graphs.SIZE, "height": graphs.SIZE,
                                                                  "batch_size": 1}}
    return graph


def plain(prompt: str) -> dict:
    """A plain one-image KSampler run of `prompt` with the same seed and settings."""
    return ksampler_graph({"class_type": "CLIPTextEncode", "inputs": {"text": prompt, "clip": ["1", 1]}}, ["6", 0])


def custom_graph(positive_node: dict, noise_node: dict | None = None) -> dict:
    """SamplerCustomAdvanced with node 4 as positive; noise and latent from node 10 (a seed walk) or
    RandomNoise(SEED) and node 4's latent."""
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": graphs.TEST_CHECKPOINT}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["1", 1]}},
        "4": positive_node,
        "5": {"class_type": "CFGGuider", "inputs": {"model": ["1", 0], "positive": ["4", 0], "negative": ["3", 0],
                                                    "cfg": graphs.CFG}},
        "6": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "7": {"class_type": "BasicScheduler", "inputs": {"model": ["1", 0], "scheduler": "normal",
                                                         "steps": graphs.STEPS, "denoise": 1.0}},
        "8": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": ["10", 0], "guider": ["5", 0], "sampler": ["6", 0], "sigmas": ["7", 0],
            "latent_image": ["10", 1] if noise_node else ["4", 1]}},
        "9": graphs.save_latent(["8", 0]),
        "10": noise_node or {"class_type": "RandomNoise", "inputs": {"noise_seed": SEED}},
    }
    return graph


def render(comfy, graph: dict) -> torch.Tensor:
    return graphs.read_latent(comfy, comfy.run(graph))


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool((a - b).abs().max() <= TOL * b.abs().max())


@pytest.fixture(scope="module")
def dog_cat(comfy):
    """Renders shared by several tests: the plain images and single-frame windows of a 3-frame walk."""
    return {
        "dog": render(comfy, plain(DOG)),
        "cat": render(comfy, plain(CAT)),
        "alone": [render(comfy, ksampler_graph(travel(start_frame=k, frame_count=1))) for k in range(3)],
    }


def test_keyframes_render_their_prompts_bit_for_bit(dog_cat):
    """A keyframe window of one frame is exactly KSampler's image of that prompt (same seed, CPU)."""
    assert torch.equal(dog_cat["alone"][0], dog_cat["dog"])
    assert torch.equal(dog_cat["alone"][2], dog_cat["cat"])
    middle = dog_cat["alone"][1]
    assert not close(middle, dog_cat["dog"]) and not close(middle, dog_cat["cat"])
    assert bool(torch.isfinite(middle).all())


@pytest.fixture
def model_calls(monkeypatch):
    """How many conditionings (cond, uncond) each model call of the sampler batched together."""
    import comfy.samplers as samplers

    real_cat = samplers.cond_cat
    chunks: list[int] = []

    def counting_cat(c_list):
        chunks.append(len(c_list))
        return real_cat(c_list)

    monkeypatch.setattr(samplers, "cond_cat", counting_cat)
    return chunks


@pytest.mark.parametrize("sampler", ["KSampler", "SamplerCustomAdvanced"])
def test_frame_k_of_a_batch_is_a_single_run_with_conditioning_k(comfy, dog_cat, model_calls, sampler):
    """Each latent of the batch gets its own conditioning, not a broadcast of the first."""
    graph = ksampler_graph(travel()) if sampler == "KSampler" else custom_graph(travel())
    batch = render(comfy, graph)
    assert set(model_calls) == {2}, "with memory to spare, cond and uncond run in one model call"
    assert batch.shape == (3, 4, 8, 8)
    for k in range(3):
        assert close(batch[k], dog_cat["alone"][k][0]), f"frame {k}"
    assert not close(batch[2], batch[0]) and not close(batch[1], batch[0])


def test_frames_keep_their_conditioning_when_comfyui_splits_the_batch_for_memory(comfy, dog_cat, model_calls,
                                                                                   monkeypatch):
    """With no free memory, ComfyUI runs cond and uncond as separate model calls: same frames."""
    from comfy.model_base import BaseModel

    real = BaseModel.memory_required

    def too_big_for_the_sampler(self, *args, **kwargs):
        """More than any free memory when ComfyUI's sampler sizes a cond batch (it compares this with the
        free memory it reads, through names that differ between hosts); the real figure elsewhere."""
        return 2**60 if sys._getframe(1).f_globals["__name__"] == "comfy.samplers" else real(self, *args, **kwargs)

    monkeypatch.setattr(BaseModel, "memory_required", too_big_for_the_sampler)
    split = render(comfy, ksampler_graph(travel()))
    assert model_calls and set(model_calls) == {1}, "the batch was not split"
    for k in range(3):
        assert close(split[k], dog_cat["alone"][k][0]), f"frame {k}"
    assert not close(split[2], split[0])


def test_prompts_of_77_and_154_tokens_travel_and_keep_their_images(comfy, dog_cat):
    """The short prompt is repeat-padded to 154 tokens, as ComfyUI's sampler pads: its image stays."""
    long_alone = render(comfy, plain(LONG))
    walk = render(comfy, ksampler_graph(travel(schedule=f"0: {DOG}\n2: {LONG}")))
    assert walk.shape == (3, 4, 8, 8)
    assert close(walk[0], dog_cat["dog"][0]) and close(walk[2], long_alone[0])
    assert not close(walk[1], walk[0]) and not close(walk[1], walk[2])


def test_prompt_walk_lines_up_with_a_seed_walk_window(comfy):
    """Combined walk: seed walk NOISE + LATENT and prompt walk CONDITIONING over the same window."""

    def seed_walk(start_frame=0, frame_count=0):
        return {"class_type": "MeanderSeedWalk", "inputs": {
            "seed_a": 11, "seed_b": 22, "frames": 4, "method": "slerp", "easing": "linear", "width": graphs.SIZE,
            "height": graphs.SIZE, "start_frame": start_frame, "frame_count": frame_count}}

    schedule = f"0: {DOG}\n3: {CAT}"
    whole = render(comfy, custom_graph(travel(schedule, 4), seed_walk()))
    part = render(comfy, custom_graph(travel(schedule, 4, 1, 2), seed_walk(1, 2)))
    assert whole.shape[0] == 4 and part.shape[0] == 2
    assert close(part, whole[1:3])
    assert not close(whole[1], whole[0]) and not close(whole[2], whole[1])


@pytest.mark.parametrize("schedule, frames, message", [
    ("0: a dog\nthen a cat", 0, r"schedule line 2 \('then a cat'\) is not 'frame: prompt'"),
    ("0: a dog\n10: a cat", 5,
     r"keyframe at frame 10 is past the end of the walk \(5 frames\): raise frames to at least 11"),
    ("0: a dog\n10: a cat", 0, r"frames must be more than the last keyframe \(10\) for a loop"),
])
def test_bad_schedules_are_clear_errors(comfy, schedule, frames, message):
    loop = "loop" in message
    with pytest.raises(GraphError, match=message):
        comfy.run(ksampler_graph(travel(schedule, frames, loop=loop)))


# ---------------------------------------------------------------------------------------------
# the nodes called directly, on hand-made conditionings


def outputs(result) -> tuple:
    return result.args if hasattr(result, "args") else result.result


def cond(tokens: int, seed: int, pooled: bool = True, **extras) -> list:
    g = torch.Generator().manual_seed(seed)
    entry = dict(extras)
    if pooled:
        entry["pooled_output"] = torch.randn(1, 1280, generator=g)
    return [[torch.randn(1, tokens, 2048, generator=g), entry]]


def travel_inputs(**kw) -> dict:
    base = {"frames_per_segment": 4, "loop": False, "method": "slerp", "per": "token", "easing": "linear",
            "pad": "repeat", "width": 64, "height": 64, "start_frame": 0, "frame_count": 0}
    base.update(kw)
    return base


def test_conditioning_travel_walks_pooled_output_and_pads_long_prompts(comfy):
    node = comfy.node_class("MeanderConditioningTravel")
    a, b, c = cond(77, 1, strength=0.8), cond(154, 2, strength=0.8), cond(77, 3, strength=0.8)
    copies = [[[t.clone(), {k: v.clone() if torch.is_tensor(v) else v for k, v in e.items()}] for t, e in x]
              for x in (a, b, c)]
    out, latent = outputs(node.execute(a, b, conditioning_3=c, **travel_inputs()))
    (walked, extras), = out
    assert walked.shape == (9, 154, 2048) and extras["pooled_output"].shape == (9, 1280)
    assert torch.equal(walked[0], a[0][0][0].repeat(2, 1)) and torch.equal(walked[4], b[0][0][0])
    assert torch.equal(walked[8], c[0][0][0].repeat(2, 1))
    assert torch.equal(extras["pooled_output"][0], a[0][1]["pooled_output"][0])
    assert torch.equal(extras["pooled_output"][4], b[0][1]["pooled_output"][0])
    expected_mid = embedding.interpolate_embeddings(a[0][1]["pooled_output"], b[0][1]["pooled_output"],
                                                    torch.tensor([0.5], dtype=torch.float64))
    assert torch.equal(extras["pooled_output"][2], expected_mid[0])
    assert extras["strength"] == 0.8
    assert latent["samples"].shape == (9, 4, 8, 8) and latent["batch_index"] == [0] * 9
    for original, copy in zip((a, b, c), copies, strict=True):
        assert torch.equal(original[0][0], copy[0][0]) and original[0][1].keys() == copy[0][1].keys()

    window, _ = outputs(node.execute(a, b, conditioning_3=c, **travel_inputs(start_frame=3, frame_count=3)))
    assert torch.equal(window[0][0], walked[3:6])
    assert torch.equal(window[0][1]["pooled_output"], extras["pooled_output"][3:6])


def test_conditioning_travel_loop_and_zero_padding(comfy):
    node = comfy.node_class("MeanderConditioningTravel")
    a, b = cond(77, 1, pooled=False), cond(154, 2, pooled=False)
    out, latent = outputs(node.execute(a, b, **travel_inputs(loop=True, pad="zeros", method="lerp")))
    walked = out[0][0]
    assert walked.shape == (8, 154, 2048) and latent["samples"].shape[0] == 8
    assert torch.equal(walked[0, :77], a[0][0][0]) and not walked[0, 77:].any()
    assert torch.equal(walked[4], b[0][0][0])
    assert "pooled_output" not in out[0][1]
    # loop: frame 6 is halfway back from b to a
    padded_a = torch.cat([a[0][0], torch.zeros(1, 77, 2048)], dim=1)
    assert torch.allclose(walked[6], 0.5 * (b[0][0][0] + padded_a[0]), atol=1e-6)


@pytest.mark.parametrize("b, message", [
    (cond(77, 2, strength=0.5), r"conditioning_2 and conditioning_1 have different 'strength'"),
    (cond(77, 2, strength=1.0, area=(8, 8, 0, 0)), r"differ in conditioning key 'area'"),
    (cond(77, 2, pooled=False, strength=1.0), r"differ in having a pooled_output"),
    ([[torch.zeros(3, 77, 2048), {"strength": 1.0, "pooled_output": torch.zeros(3, 1280)}]],
     r"conditioning_2 holds a batch of 3 conditionings"),
    ([[torch.zeros(1, 77, 768), {"strength": 1.0, "pooled_output": torch.zeros(1, 1280)}]],
     r"conditioning_2 has 768 channels per token but conditioning_1 has 2048"),
])
def test_conditioning_travel_refuses_keyframes_it_cannot_walk(comfy, b, message):
    node = comfy.node_class("MeanderConditioningTravel")
    with pytest.raises(ValueError, match=message):
        node.execute(cond(77, 1, strength=1.0), b, **travel_inputs())


def test_drift_and_circle_walk_embeddings_and_pooled_outputs(comfy):
    e = cond(77, 4, strength=1.0)
    drift = comfy.node_class("MeanderPromptDrift")
    (walked, extras), = outputs(drift.execute(e, frames=150, step=0.002, direction="ones", seed=0, width=64,
                                              height=64, start_frame=0, frame_count=0))[0]
    assert walked.shape == (150, 77, 2048) and torch.equal(walked[0], e[0][0][0])
    assert torch.allclose(walked[149] - e[0][0][0], torch.full((77, 2048), 149 * 0.002), atol=1e-5)
    assert torch.allclose(extras["pooled_output"][10] - e[0][1]["pooled_output"][0], torch.full((1280,), 0.02),
                          atol=1e-5)
    assert extras["strength"] == 1.0

    circle = comfy.node_class("MeanderPromptCircle")
    args = dict(frames=12, radius=0.2, seed=9, width=64, height=64)
    (ring, ring_extras), = outputs(circle.execute(e, start_frame=0, frame_count=0, **args))[0]
    (part, part_extras), = outputs(circle.execute(e, start_frame=5, frame_count=4, **args))[0]
    assert ring.shape == (12, 77, 2048) and torch.equal(part, ring[5:9])
    assert torch.equal(part_extras["pooled_output"], ring_extras["pooled_output"][5:9])
    distance = (ring - e[0][0]).flatten(1).norm(dim=1)
    assert torch.allclose(distance, torch.full((12,), 0.2) * e[0][0].norm(), rtol=1e-4)
