"""Bundled workflows: built from tools/build_workflows.py, valid for the real ComfyUI, rendered."""

import io
import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageSequence

from scripts import host
from scripts.render import apply_overrides, video_outputs
from scripts.workflow import FRONTEND_ONLY, load, read_widgets, ui_to_api
from tests.in_comfyui import families, graphs
from tools import build_workflows, thumbnails

WORKFLOWS = sorted(build_workflows.WORKFLOWS.glob("*.json"))
TEST_SETTINGS = [("ckpt_name", graphs.TEST_CHECKPOINT), ("width", "64"), ("height", "64"), ("steps", "3")]
FAMILY_WORKFLOWS = {"meander_sdxl_seed_walk", "meander_flux_noise_loop", "meander_wan_clip_walk",
                    "meander_wan_prompt_travel", "meander_wan_loop_travel"}
"""Workflows for other model families: rendered with tools/make_models.py's small models."""
TEXT_STACK_TOO_LARGE = {"meander_flux_noise_loop": (256, 768), "meander_wan_clip_walk": (512, None),
                        "meander_wan_prompt_travel": (512, None), "meander_wan_loop_travel": (512, None)}
"""Workflows whose text encoders (T5-XXL, UMT5-XXL: 4.7 G and 5.7 G parameters, fixed configs) cannot be
built on a CPU: their prompts become stored conditioning of the encoder's shape (tokens x 4096, and the
pooled width), so the rest of the graph runs as bundled. The CLI, which cannot swap nodes, skips them."""
TIMELINE_WORKFLOWS = {"meander_wan_prompt_travel", "meander_wan_loop_travel"}
"""Workflows whose walk runs along one video latent (Video Conditioning Travel): no window, so no preview."""
MODEL_FILE_WIDGETS = {"ckpt_name", "unet_name", "clip_name", "clip_name1", "clip_name2", "vae_name"}
"""Widgets naming model files, which the bundled workflows name as users have them."""


def small_prompt(path: Path, node_info) -> dict:
    """The API form of a bundled workflow with the test model, 64x64, 3 steps and its test overrides."""
    prompt = ui_to_api(load(path), node_info)
    present = {name for node in prompt.values() for name in node["inputs"]}
    apply_overrides(prompt, [(n, v) for n, v in TEST_SETTINGS if n in present])
    apply_overrides(prompt, list(build_workflows.BUNDLED[path.stem].test_overrides))
    if path.stem in TEXT_STACK_TOO_LARGE:
        store_prompts(prompt, path.stem, *TEXT_STACK_TOO_LARGE[path.stem])
    return prompt


def store_prompts(prompt: dict, name: str, tokens: int, pooled: int | None) -> None:
    """Each text encoder of `prompt` replaced by stored conditioning of its shape, and its CLIP loader removed."""
    loaders = [i for i, node in prompt.items() if node["class_type"] in ("CLIPLoader", "DualCLIPLoader")]
    for node_id, node in prompt.items():
        if node["class_type"] == "CLIPTextEncode" and node["inputs"]["clip"][0] in loaders:
            families.t5_conditioning(f"{name}-{node_id}", tokens, int(node_id), pooled)
            prompt[node_id] = families.stored(f"{name}-{node_id}")
    for node_id in loaders:
        del prompt[node_id]


@pytest.fixture(scope="module")
def family_models(comfy):
    """The family test models linked into the test bed (and stored conditioning registered) for this module."""
    yield from families.linked_models(comfy)


def here(path: Path) -> bool:
    """Whether the bundled workflow at `path` runs on this host (build_workflows.runs_on)."""
    return build_workflows.runs_on(path.stem, host.host_version())


def test_every_builder_has_its_committed_workflow(node_info):
    """workflows/*.json is exactly what the builder makes on the host that builds it (run `make workflows`
    after a change); every other workflow this host runs is the same API graph read through this host's node
    definitions as the builder's."""
    version = host.host_version()
    built = build_workflows.build_all(node_info, [p.stem for p in WORKFLOWS if here(p)])
    assert sorted(built) == [p.name for p in WORKFLOWS if here(p)]
    assert sorted(build_workflows.BUNDLED) == [p.stem for p in WORKFLOWS]
    for name, text in built.items():
        committed = (build_workflows.WORKFLOWS / name).read_text()
        if name.removesuffix(".json") in build_workflows.built_here(version):
            assert committed == text, f"{name} is stale: run make workflows"
        else:
            assert ui_to_api(json.loads(committed), node_info) == ui_to_api(json.loads(text), node_info), name


def test_every_workflow_has_a_thumbnail_of_its_walk():
    """workflows/NAME.jpg is what tools/thumbnails.py draws of BUNDLED[NAME].thumbnail (up to JPEG rounding)."""
    assert sorted(p.stem for p in build_workflows.WORKFLOWS.glob("*.jpg")) == [p.stem for p in WORKFLOWS]
    for name, bundled in build_workflows.BUNDLED.items():
        with Image.open(build_workflows.WORKFLOWS / f"{name}.jpg") as saved:
            assert saved.format == "JPEG" and saved.size == (thumbnails.SIZE, thumbnails.SIZE)
            committed = np.asarray(saved.convert("RGB"), dtype=np.float32)
        encoded = io.BytesIO()
        thumbnails.render(bundled.thumbnail).save(encoded, "JPEG", quality=build_workflows.THUMBNAIL_QUALITY)
        drawn = np.asarray(Image.open(encoded).convert("RGB"), dtype=np.float32)
        assert np.abs(committed - drawn).mean() < 0.5, f"{name}.jpg is stale: run make workflows"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_matches_the_node_definitions(path: Path, node_info):
    """Every node type exists, widget values fit their inputs, every link joins matching types."""
    if not here(path):
        pytest.skip(f"{path.stem} is for hosts newer than {build_workflows.BUILT_ON}")
    ui = load(path)
    nodes = {n["id"]: n for n in ui["nodes"]}
    for node in ui["nodes"]:
        if node["type"] in FRONTEND_ONLY:
            continue
        stored, position = node["widgets_values"], 0
        for widget, value in read_widgets(node_info(node["type"]), stored):
            if position >= len(stored):  # a widget the host added since the workflow was built
                assert widget.optional, f"{node['type']} lacks a value for its required widget {widget.name}"
                continue
            if widget.control:
                assert stored[position + 1] in ("fixed", "increment", "decrement", "randomize")
            position += 2 if widget.control else 1
            if widget.choices is not None and widget.name not in MODEL_FILE_WIDGETS:
                assert value in widget.choices, (node["type"], widget.name, value)
            if "min" in widget.options:
                assert widget.options["min"] <= value <= widget.options.get("max", float("inf")), (node["type"],
                                                                                                  widget.name, value)
        assert position == len(stored), f"{node['type']} stores more widget values than it has widgets"
    for link_id, origin, slot, target, target_slot, kind in ui["links"]:
        out_type = node_info(nodes[origin]["type"])["output"][slot]
        socket = nodes[target]["inputs"][target_slot]
        assert socket["link"] == link_id and kind == out_type == socket["type"], (link_id, kind, out_type)
    assert ui["groups"] and any(n["type"] == "MarkdownNote" for n in ui["nodes"]), "needs groups and a note"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_renders_a_video_with_every_frame(path: Path, comfy, node_info, request):
    if not here(path):
        pytest.skip(f"{path.stem} is for hosts newer than {build_workflows.BUILT_ON}")
    if path.stem in FAMILY_WORKFLOWS:
        request.getfixturevalue("family_models")
    videos = video_outputs(comfy.run(small_prompt(path, node_info)).outputs)
    assert videos, f"{path.name} saved no video"
    for video in videos:
        frames = decoded_frames(video)
        assert len(frames) == build_workflows.BUNDLED[path.stem].test_frames, video.name
        assert frames[0].shape[:2] == (64, 64)
        if path.stem in TIMELINE_WORKFLOWS:
            save_strip(frames, ARTIFACTS / f"strip_{path.stem}.jpg")


ARTIFACTS = host.REPO / "renders" / "test-artifacts"


def save_strip(frames: list, out: Path, count: int = 9) -> None:
    """`count` frames spread evenly over the video, side by side, each shown at twice its size."""
    picked = [frames[round(i * (len(frames) - 1) / (count - 1))] for i in range(count)]
    strip = Image.fromarray(np.concatenate(picked, axis=1))
    out.parent.mkdir(parents=True, exist_ok=True)
    strip.resize((strip.width * 2, strip.height * 2), Image.NEAREST).save(out, quality=90)


def decoded_frames(video: Path) -> list:
    """Every frame of a video file as an RGB array (PIL for animated WEBP, which FFmpeg cannot decode)."""
    if video.suffix.lower() == ".webp":
        with Image.open(video) as image:
            return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    with av.open(str(video)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def test_converter_follows_reroutes_primitives_and_drops_notes(node_info):
    """UI -> API: widget order, a Reroute between two nodes, a PrimitiveNode's value, a muted node."""
    ui = {
        "nodes": [
            {"id": 1, "type": "EmptyLatentImage", "mode": 0, "inputs": [
                {"name": "width", "type": "INT", "widget": {"name": "width"}, "link": 3}],
             "outputs": [{"name": "LATENT", "type": "LATENT", "links": [1]}], "widgets_values": [512, 320, 2]},
            {"id": 2, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 1}],
             "outputs": [{"name": "", "type": "LATENT", "links": [2]}]},
            {"id": 3, "type": "KSampler", "mode": 0, "inputs": [
                {"name": "latent_image", "type": "LATENT", "link": 2}],
             "outputs": [], "widgets_values": [7, "randomize", 12, 6.5, "euler", "karras", 0.9]},
            {"id": 4, "type": "PrimitiveNode", "mode": 0, "inputs": [],
             "outputs": [{"name": "INT", "type": "INT", "links": [3]}], "widgets_values": [768, "fixed"]},
            {"id": 5, "type": "Note", "mode": 0, "widgets_values": ["hello"]},
            {"id": 6, "type": "VAEDecode", "mode": 2, "inputs": [], "widgets_values": []},
        ],
        "links": [[1, 1, 0, 2, 0, "LATENT"], [2, 2, 0, 3, 0, "LATENT"], [3, 4, 0, 1, 0, "INT"]],
    }
    api = ui_to_api(ui, node_info)
    assert set(api) == {"1", "3"}
    assert api["1"]["inputs"] == {"width": 768, "height": 320, "batch_size": 2}
    assert api["3"]["inputs"] == {"seed": 7, "steps": 12, "cfg": 6.5, "sampler_name": "euler",
                                  "scheduler": "karras", "denoise": 0.9, "latent_image": ["1", 0]}


def test_overrides_refuse_unknown_names_and_bad_values(node_info):
    prompt = ui_to_api(load(build_workflows.WORKFLOWS / "meander_seed_walk.json"), node_info)
    with pytest.raises(ValueError, match="no node in the workflow has a widget called 'framez'"):
        apply_overrides(prompt, [("framez", "3")])
    with pytest.raises(ValueError, match="frames takes a whole number"):
        apply_overrides(prompt, [("frames", "many")])
