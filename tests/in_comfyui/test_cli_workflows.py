"""The render CLI on every bundled workflow, in this process and through a real server, on the host under test.

A segmented render writes the whole walk, so a workflow whose test settings pick a window
(frame_count) is rendered without it and writes all of its frames.
"""

from pathlib import Path

import pytest

from scripts import client, render
from scripts.workflow import load
from tests.in_comfyui import families
from tests.in_comfyui.graphs import TEST_CHECKPOINT
from tests.in_comfyui.test_workflows import (
    FAMILY_WORKFLOWS,
    TEST_SETTINGS,
    TEXT_STACK_TOO_LARGE,
    WORKFLOWS,
    decoded_frames,
)
from tools import build_workflows

CLI_WORKFLOWS = [p for p in WORKFLOWS if p.stem not in TEXT_STACK_TOO_LARGE]
"""Every bundled workflow whose text encoders the test bed can build (test_workflows renders the others)."""

LENGTH_NOT_IN_THE_GRAPH = {"meander_panorama_pan", "meander_audio_walk"}
"""A Latent Pan's length depends on its input batch, an audio-paced walk's on the audio: the CLI is told
it (--total-frames)."""


def cli_case(path: Path) -> tuple[list[tuple[str, str]], int]:
    """The --set pairs of the test render (64x64, 3 steps, the workflow's test settings) and its frame count."""
    present = {s["name"] for node in load(path)["nodes"] for s in node.get("inputs", [])}
    bundled = build_workflows.BUNDLED[path.stem]
    settings = [(n, v) for n, v in TEST_SETTINGS if n in present and n != "ckpt_name"]
    settings += [(n, v) for n, v in bundled.test_overrides if n not in ("start_frame", "frame_count")]
    windowed = any(n == "frame_count" for n, _ in bundled.test_overrides)
    return settings, int(dict(settings)["frames"]) if windowed else bundled.test_frames


@pytest.fixture(scope="module")
def family_models(comfy):
    yield from families.linked_models(comfy)


@pytest.mark.parametrize("path", CLI_WORKFLOWS, ids=lambda p: p.stem)
def test_cli_renders_the_workflow_in_process(path: Path, comfy, tmp_path, request):
    if path.stem in FAMILY_WORKFLOWS:
        request.getfixturevalue("family_models")
    settings, frames = cli_case(path)
    total = frames if path.stem in LENGTH_NOT_IN_THE_GRAPH else None
    checkpoint = comfy.base / "models" / "checkpoints" / TEST_CHECKPOINT
    options = render.RenderOptions(checkpoint=checkpoint, overrides=tuple(settings), base=comfy.base, batch=4,
                                   total=total, progress=False)
    (video,) = render.render(path, tmp_path / "walk.mp4", options)
    assert len(decoded_frames(video)) == frames


@pytest.mark.parametrize("path", CLI_WORKFLOWS, ids=lambda p: p.stem)
def test_cli_renders_the_workflow_through_a_server(path: Path, server, tmp_path, request):
    if path.stem in FAMILY_WORKFLOWS:
        request.getfixturevalue("family_models")
    settings, frames = cli_case(path)
    total = frames if path.stem in LENGTH_NOT_IN_THE_GRAPH else None
    options = render.RenderOptions(checkpoint=Path(TEST_CHECKPOINT), overrides=tuple(settings), batch=4, total=total,
                                   progress=False)
    (video,) = render.render(path, tmp_path / "walk.mp4", options, engines=[client.ServerEngine(server)])
    assert len(decoded_frames(video)) == frames
