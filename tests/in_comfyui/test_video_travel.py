"""Prompt travel along one video's timeline on Wan 2.1, through ComfyUI's own context windows.

The newest host's WanContextWindowsManual with split_conds_to_windows gives every window the
conditioning entry of its middle; a test-only node wraps the model to record the conditioning each
window is sampled with, and the host's own log line names the window and the region it chose. Model
and conditioning as in test_family_video.py (families.py): a 64x64 video of 33 frames (9 latent
frames), windows of 3 latent frames overlapping by 1, 2 steps.
"""

from __future__ import annotations

import importlib
import inspect
import logging

import pytest
import torch

from latent_ops import embedding
from scripts.host import GraphError
from tests.in_comfyui import families as fam

LENGTH = 33
LATENT_FRAMES = 9


class CaptureContext:
    """Test-only node: the model, wrapped to record the text conditioning (c_crossattn) of every model call."""

    CALLS: list[torch.Tensor] = []
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "wrap"
    CATEGORY = "testing"

    @classmethod
    def INPUT_TYPES(cls) -> dict:  # noqa: N802  (ComfyUI's V1 node interface)
        return {"required": {"model": ("MODEL",)}}

    def wrap(self, model):
        def wrapper(apply_model, args):
            CaptureContext.CALLS.append(args["c"]["c_crossattn"].detach().float().cpu().clone())
            return apply_model(args["input"], args["timestep"], **args["c"])

        patched = model.clone()
        patched.set_model_unet_function_wrapper(wrapper)
        return (patched,)


@pytest.fixture(scope="module")
def splits(models) -> bool:
    """Whether the host's context windows can give each window its own conditioning (not 0.3.75)."""
    handler = importlib.import_module("comfy.context_windows").IndexListContextHandler
    return "split_conds_to_windows" in inspect.signature(handler.__init__).parameters


@pytest.fixture(scope="module")
def models(comfy):
    import nodes

    for _ in fam.linked_models(comfy):
        nodes.NODE_CLASS_MAPPINGS["MeanderCaptureContext"] = CaptureContext
        yield comfy
        del nodes.NODE_CLASS_MAPPINGS["MeanderCaptureContext"]


def travel(keyframe_frames: str, count: int, loop: bool = False) -> dict:
    """Video Conditioning Travel over the stored conditionings key0, key1, ... and node 10's video latent."""
    heads = {f"conditioning_{i + 1}": ["20" if i == 0 else f"2{i}", 0] for i in range(count)}
    return {"class_type": "MeanderVideoConditioningTravel", "inputs": {
        **heads, "video_latent": ["10", 0], "keyframe_frames": keyframe_frames, "frames_per_latent": 4,
        "loop": loop, "method": "slerp", "per": "token", "easing": "linear", "pad": "repeat"}}


def windowed(schedule: str = "standard_static", closed_loop: bool = False) -> dict:
    """Node 12's model (Wan through CaptureContext) in WanContextWindowsManual: 3 latent frames, overlap 1, split on."""
    inputs = {"model": ["12", 0], "context_length": 9, "context_overlap": 4, "context_schedule": schedule,
              "context_stride": 1, "closed_loop": closed_loop, "fuse_method": "pyramid", "freenoise": False,
              "retain_first_frame": False}
    return {"class_type": "WanContextWindowsManual", "inputs": {**inputs, "split_conds_to_windows": True}}


def graph(positive: dict, model: dict, keys: int = 2) -> dict:
    """SamplerCustomAdvanced (BasicGuider, RandomNoise 5) on `model` (node 1) with `positive` (node 2);
    node 10 is the video's empty latent, nodes 20, 21, ... the stored keyframe conditionings."""
    stored = {("20" if i == 0 else f"2{i}"): fam.stored(f"key{i}") for i in range(keys)}
    capture = {"class_type": "MeanderCaptureContext", "inputs": {"model": ["11", 0]}}
    latent = {"class_type": "EmptyHunyuanLatentVideo", "inputs": {"width": fam.SIZE, "height": fam.SIZE,
                                                                  "length": LENGTH, "batch_size": 1}}
    return {**fam.custom(model, positive, fam.random_noise(5), ["10", 0]), "10": latent, "11": fam.unet(fam.WAN),
            "12": capture, **stored}


def store_keys(count: int) -> list[torch.Tensor]:
    return [fam.t5_conditioning(f"key{i}", 16, seed=30 + i)[0][0] for i in range(count)]


class WindowLog(logging.Handler):
    """The host's 'Splitting conds to windows; using region R for window A-B' lines, as (R, A, B)."""

    def __init__(self):
        super().__init__()
        self.windows: list[tuple[int, int, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("Splitting conds to windows"):
            region = int(text.split("using region ")[1].split()[0])
            first, last = text.split(" for window ")[1].split()[0].split("-")
            self.windows.append((region, int(first), int(last)))


def run_capturing(models, g: dict) -> tuple[torch.Tensor, list[tuple[int, int, int]], list[torch.Tensor]]:
    log, root = WindowLog(), logging.getLogger()
    level = root.level
    root.addHandler(log)
    root.setLevel(logging.INFO)  # the host logs the window lines at INFO
    CaptureContext.CALLS.clear()
    try:
        out = fam.render(models, g)
    finally:
        root.removeHandler(log)
        root.setLevel(level)
    return out, log.windows, list(CaptureContext.CALLS)


def test_one_keyframe_renders_the_plain_context_window_video_bit_for_bit(models, splits):
    """A schedule of one conditioning gives T identical entries: each window samples with that conditioning,
    exactly as the plain context-window run with it."""
    if not splits:
        pytest.skip("this ComfyUI's context windows cannot split conditionings (its refusal is tested below)")
    store_keys(1)
    one = fam.render(models, graph({"class_type": "MeanderStoredConditioning", "inputs": {"name": "key0"}}, windowed(),
                                   keys=1))
    travelled = fam.render(models, graph(travel("0", 1), windowed(), keys=1))
    assert torch.equal(travelled, one)


@pytest.mark.parametrize(("schedule", "loop"), [("standard_static", False), ("looped_uniform", True)])
def test_every_window_samples_with_the_walk_at_its_middle(models, splits, schedule, loop):
    """Entry r is the walk at video frame 4 r: keyframes exactly, slerp between; the host picks the region
    of each window's middle (floor((a + b) / 2) for a window a..b that does not wrap), and the model is
    called with exactly that entry."""
    if not splits:
        pytest.skip("this ComfyUI's context windows cannot split conditionings (its refusal is tested below)")
    keys = store_keys(2)
    out, windows, calls = run_capturing(models, graph(travel("0, 16", 2, loop), windowed(schedule, loop)))
    assert torch.isfinite(out).all() and out.shape[2] == LATENT_FRAMES
    at, total = embedding.timeline_frames(LATENT_FRAMES, 4, loop)
    entries = embedding.keyframe_walk_at(keys, [0, 16], total, at, loop)
    assert torch.equal(entries[0], keys[0][0]) and torch.equal(entries[4], keys[1][0])
    assert len(windows) == len(calls) >= 2 * 4
    for (region, first, last), context in zip(windows, calls, strict=True):
        if last > first:
            assert region == (first + last) // 2
        assert torch.allclose(context[0], entries[region], atol=1e-6, rtol=0)
    assert len({region for region, _, _ in windows}) >= 4
    if loop:
        steps = (entries.roll(-1, 0) - entries).flatten(1).norm(dim=1)
        assert steps[-1] <= steps.max() * 1.001  # no jump from the last region back to the first


def test_bad_inputs_name_the_input_and_the_fix(models, splits):
    """On a host without split_conds_to_windows the node refuses first, naming the version it needs."""
    store_keys(2)
    if not splits:
        unsplit = {"class_type": "WanContextWindowsManual", "inputs": {
            **{k: v for k, v in windowed()["inputs"].items() if k != "split_conds_to_windows"}}}
        with pytest.raises(GraphError, match=r"^.*ComfyUI 0\.3\.75 cannot give each context window its own "
                           r"conditioning .* update ComfyUI \(0\.33\.0 and newer have it\)"):
            fam.render(models, graph(travel("0, 16", 2), unsplit))
        return
    cases = [
        (travel("0, 40", 2), r"keyframe_frames: the keyframe at video frame 40 is past the video's end: its 9 latent "
                             r"frames are 33 video frames \(0\.\.32\)"),
        (travel("0", 2), r"keyframe_frames lists 1 frame but 2 conditionings are connected"),
        (travel("8, 4", 2), r"keyframe_frames must be strictly increasing"),
    ]
    for node, message in cases:
        with pytest.raises(GraphError, match=message):
            fam.render(models, graph(node, windowed()))
    image_latent = {**travel("0, 16", 2)}
    image_latent["inputs"] = {**image_latent["inputs"], "video_latent": ["13", 0]}
    g = graph(image_latent, windowed())
    g["13"] = {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}}
    with pytest.raises(GraphError, match=r"video_latent has shape \(1, 4, 8, 8\): connect the video model's empty "
                       r"latent"):
        fam.render(models, g)


def test_video_prompt_travel_entries_are_the_schedule_at_each_latent_frame(models, splits):
    """A schedule '0: a / 16: b' on 9 latent frames: 9 entries, entry 0 exactly a's encoding, entry 4 (video
    frame 16) exactly b's, entry 2 halfway between (slerp per token at t = 1/2), and b held after its frame;
    pooled outputs walk the same way."""
    if not splits:
        pytest.skip("this ComfyUI's context windows cannot split conditionings (its refusal is a catalogue row)")
    from tests.in_comfyui.test_bad_inputs import FakeClip

    clip = FakeClip(tokens=16, width=64)
    out = fam.call(models, "MeanderVideoPromptTravel", clip=clip, video_latent={"samples": torch.zeros(1, 16, 9, 8, 8)},
                   schedule="0: a\n16: b", frames_per_latent=4, loop=False, method="slerp", per="token",
                   easing="linear", pad="repeat")[0]
    (a, a_extra), = clip.encode_from_tokens_scheduled("a")
    (b, b_extra), = clip.encode_from_tokens_scheduled("b")
    assert len(out) == LATENT_FRAMES and all(cond.shape == (1, 16, 64) for cond, _ in out)
    assert torch.equal(out[0][0], a) and torch.equal(out[4][0], b) and torch.equal(out[8][0], b)
    assert torch.equal(out[0][1]["pooled_output"], a_extra["pooled_output"])
    assert torch.allclose(out[2][0], embedding.interpolate_embeddings(a, b, torch.tensor([0.5]), "slerp", "token"),
                          atol=1e-6)
