"""One walk spread over two ComfyUI servers (127.0.0.1, CPU), stitched: the same video as one server's."""

import json

import numpy as np
import pytest

from scripts import client, host, render, segmented
from tests.in_comfyui.conftest import start_server, stop_server
from tests.in_comfyui.graphs import TEST_CHECKPOINT
from video_ops import segments
from video_ops.segments import Window

SEED_WALK = host.REPO / "workflows" / "meander_seed_walk.json"
SMALL = [("width", "64"), ("height", "64"), ("steps", "3")]


@pytest.fixture(scope="module")
def second_server(comfy, tmp_path_factory):
    """Another server on its own base directory (its own output folder, like another machine)."""
    base = host.make_base(tmp_path_factory.mktemp("second-base"))
    (base / "models" / "checkpoints" / TEST_CHECKPOINT).symlink_to(
        (comfy.base / "models" / "checkpoints" / TEST_CHECKPOINT).resolve())
    url, proc, log = start_server(base)
    yield url
    stop_server(proc, log)


class Recording(client.ServerEngine):
    """A server engine that records the windows it rendered."""

    def __init__(self, url):
        super().__init__(url)
        self.windows = []

    def render(self, prompt, writer_id, dest):
        super().render(prompt, writer_id, dest)
        walk = prompt[segmented.walk_nodes(prompt)[0]]["inputs"]
        self.windows.append(Window(walk["start_frame"], walk["start_frame"] + walk["frame_count"]))


def test_two_servers_render_the_same_video_as_one(server, second_server, tmp_path):
    a, b = Recording(server), Recording(second_server)
    two = tmp_path / "two.mp4"
    options = render.RenderOptions(checkpoint=host.Path(TEST_CHECKPOINT), seeds=(3, 4),
                                   overrides=(*SMALL, ("frames", "5")), batch=2, keep_parts=True, progress=False)
    assert render.render(SEED_WALK, two, options, engines=[a, b]) == [two]
    assert sorted(a.windows + b.windows) == [Window(0, 2), Window(2, 4), Window(4, 5)]
    assert a.windows and b.windows, "both servers must get windows"
    one = tmp_path / "one.mp4"
    single = Recording(server)
    render.render(SEED_WALK, one, options, engines=[single])
    assert single.windows == [Window(0, 2), Window(2, 4), Window(4, 5)]
    stitched, reference = list(segments.read_frames(two)), list(segments.read_frames(one))
    assert len(stitched) == 5 and stitched[0].shape == (64, 64, 3)
    assert all(np.array_equal(x, y) for x, y in zip(stitched, reference, strict=True))
    assert not np.array_equal(stitched[0], stitched[4]), "the walk must move"
    manifest = json.loads((render.parts_dir(two) / "manifest.json").read_text())
    assert manifest["segments"] == [[0, 2], [2, 4], [4, 5]] and manifest["total"] == 5
