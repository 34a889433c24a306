"""The pack in ComfyUI's real server on 127.0.0.1: loads, lists its workflows, renders over HTTP."""

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts import host
from scripts.render import apply_overrides
from tests.in_comfyui.conftest import get_json
from tests.in_comfyui.test_workflows import WORKFLOWS, small_prompt

RENDER_S = 240


def test_server_registers_the_nodes_and_lists_the_workflows(server):
    info = get_json(server + "/object_info/MeanderSeedWalk")
    assert info["MeanderSeedWalk"]["display_name"] == "Seed Walk Noise (Meander)"
    templates = get_json(server + "/api/workflow_templates")
    assert sorted(templates[host.PACK_NAME]) == sorted(p.stem for p in WORKFLOWS)
    # the frontend shows each template with NAME.jpg from the same route
    with urllib.request.urlopen(f"{server}/api/workflow_templates/{host.PACK_NAME}/meander_seed_walk.jpg") as r:
        assert r.headers["Content-Type"] == "image/jpeg"
        assert r.read() == (host.REPO / "workflows" / "meander_seed_walk.jpg").read_bytes()


def test_server_renders_the_bundled_walk_to_mp4(server, comfy, node_info):
    prompt = small_prompt(host.REPO / "workflows" / "meander_seed_walk.json", node_info)
    apply_overrides(prompt, [("filename_prefix", "server/walk")])
    body = json.dumps({"prompt": prompt, "client_id": "meander-test"}).encode()
    request = urllib.request.Request(server + "/prompt", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        prompt_id = json.loads(r.read())["prompt_id"]
    deadline = time.monotonic() + RENDER_S
    while (history := get_json(f"{server}/history/{prompt_id}")).get(prompt_id, {}).get("status", {}).get(
            "completed") is not True:
        assert history.get(prompt_id, {}).get("status", {}).get("status_str") != "error", history
        assert time.monotonic() < deadline, "render did not finish"
        time.sleep(0.5)
    files = [f for out in history[prompt_id]["outputs"].values() for f in out.get("images", [])]
    assert [f["filename"] for f in files] == ["walk_00001_.mp4"]
    path: Path = comfy.output_dir / files[0]["subfolder"] / files[0]["filename"]
    assert path.stat().st_size > 1000


def post_json(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_walk_plan_route_answers_from_the_walk_objects(server):
    """The editor's preview asks the server: the walk's length, window and progress, or the node's error."""
    route = server + "/meander/walk_plan"
    seed_walk = {"seed_a": 1, "seed_b": 2, "frames": 5, "easing": "smoothstep", "start_frame": 1, "frame_count": 2}
    status, plan = post_json(route, json.dumps({"node_type": "MeanderSeedWalk", "inputs": seed_walk}).encode())
    assert status == 200 and plan == {"length": 5, "window": [1, 3], "frames": [0, 1, 2, 3, 4],
                                      "progress": [0.0, 0.15625, 0.5, 0.84375, 1.0]}
    status, plan = post_json(route, json.dumps({"node_type": "MeanderSeedWalk",
                                                "inputs": {**seed_walk, "frames": 1}}).encode())
    assert status == 200 and plan == {"error": "frames must be >= 2 for a walk from one seed to another, got 1"}
    status, plan = post_json(route, json.dumps({"node_type": "MeanderSeedWalk",
                                                "inputs": {**seed_walk, "frames": ["7", 0]}}).encode())
    assert status == 200 and "frames is fed by a link" in plan["error"]
    assert post_json(route, b"{not json")[0] == 400
    assert post_json(route, json.dumps({"node_type": "KSampler", "inputs": {}}).encode())[0] == 400
    assert post_json(route, json.dumps({"node_type": "MeanderSeedWalk", "inputs": {"seeds": {"a": 1}}}).encode())[0] \
        == 400
    assert post_json(route, b" " * (70 * 1024))[0] == 400
