"""The pack in ComfyUI's real server on 127.0.0.1: loads, lists its workflows, renders over HTTP."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scripts import bed
from scripts.render import apply_overrides
from tests.comfy.test_workflows import WORKFLOWS, small_prompt

STARTUP_S = 120
RENDER_S = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def server(comfy):
    """main.py --cpu on a free port of 127.0.0.1, on the test bed's base directory."""
    port = _free_port()
    log = open(comfy.base / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(port),
         "--base-directory", str(comfy.base), "--database-url", "sqlite:///:memory:", "--disable-api-nodes"],
        cwd=bed.comfy_dir(), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            _get(url + "/system_stats")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("ComfyUI server did not start:\n" + (comfy.base / "server.log").read_text()[-3000:])
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_server_registers_the_nodes_and_lists_the_workflows(server):
    info = _get(server + "/object_info/MeanderSeedWalk")
    assert info["MeanderSeedWalk"]["display_name"] == "Seed Walk Noise (Meander)"
    templates = _get(server + "/api/workflow_templates")
    assert sorted(templates[bed.PACK_NAME]) == sorted(p.stem for p in WORKFLOWS)


def test_server_renders_the_bundled_walk_to_mp4(server, comfy, node_info):
    prompt = small_prompt(bed.REPO / "workflows" / "meander_seed_walk.json", node_info)
    apply_overrides(prompt, [("filename_prefix", "server/walk")])
    body = json.dumps({"prompt": prompt, "client_id": "meander-test"}).encode()
    request = urllib.request.Request(server + "/prompt", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        prompt_id = json.loads(r.read())["prompt_id"]
    deadline = time.monotonic() + RENDER_S
    while (history := _get(f"{server}/history/{prompt_id}")).get(prompt_id, {}).get("status", {}).get(
            "completed") is not True:
        assert history.get(prompt_id, {}).get("status", {}).get("status_str") != "error", history
        assert time.monotonic() < deadline, "render did not finish"
        time.sleep(0.5)
    files = [f for out in history[prompt_id]["outputs"].values() for f in out.get("images", [])]
    assert [f["filename"] for f in files] == ["walk_00001_.mp4"]
    path: Path = comfy.output_dir / files[0]["subfolder"] / files[0]["filename"]
    assert path.stat().st_size > 1000
