"""Server faults in the real ComfyUI server on 127.0.0.1: an interrupted walk, ten walks queued at once.

- /interrupt during a walk's sampling: the prompt ends as interrupted, the server stays up, no video
  file is left under the walk's name, and the next prompt renders the finished file under it.
- Ten single-frame windows of one walk queued at once: all finish, each with its own frame of the
  walk (compared with the whole walk rendered in this process).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid

import aiohttp
import torch

from tests.in_comfyui import graphs
from tests.in_comfyui.conftest import get_json

RENDER_S = 240
WALK_FRAMES = 10
TOL = 1e-4  # the whole walk (batch 10) against single-frame windows: CPU results change in the last bits


def seed_walk_node(start_frame: int = 0, frame_count: int = 0, frames: int = WALK_FRAMES) -> dict:
    return {"class_type": "MeanderSeedWalk", "inputs": {
        "seed_a": 101, "seed_b": 202, "frames": frames, "method": "slerp", "easing": "linear",
        "width": graphs.SIZE, "height": graphs.SIZE, "start_frame": start_frame, "frame_count": frame_count}}


def walk_to_video(prefix: str, steps: int) -> dict:
    graph = graphs.custom_sampler(seed_walk_node(frames=4), ["4", 0], ["4", 1])
    graph["7"]["inputs"]["steps"] = steps
    del graph["9"]
    graph["10"] = {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}}
    graph["11"] = {"class_type": "CreateVideo", "inputs": {"images": ["10", 0], "fps": 24.0}}
    graph["12"] = {"class_type": "SaveVideo", "inputs": {"video": ["11", 0], "filename_prefix": prefix,
                                                         "format": "mp4", "codec": "h264"}}
    return graph


def window_graph(start_frame: int, frame_count: int, prefix: str) -> dict:
    """The walk's frames [start, start + count) sampled (3 euler steps) and saved as a latent file."""
    graph = graphs.custom_sampler(seed_walk_node(start_frame, frame_count), ["4", 0], ["4", 1])
    graph["9"]["inputs"]["filename_prefix"] = prefix
    return graph


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        text = r.read()
    return json.loads(text) if text else {}


def wait_for(server: str, prompt_id: str) -> dict:
    """The history entry of a prompt once it has finished (successfully or not)."""
    deadline = time.monotonic() + RENDER_S
    while True:
        entry = get_json(f"{server}/history/{prompt_id}").get(prompt_id)
        if entry and entry.get("status", {}).get("completed") is not None and \
                entry["status"].get("status_str") in ("success", "error"):
            return entry
        assert time.monotonic() < deadline, f"prompt {prompt_id} did not finish"
        time.sleep(0.3)


async def _render_and_interrupt(server: str, graph: dict, sampler_node: str) -> tuple[str, list[dict]]:
    """Queue `graph`, interrupt it once its sampler has done a step, return its id and the events seen."""
    client_id = str(uuid.uuid4())
    events = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{server.replace('http', 'ws')}/ws?clientId={client_id}") as ws:
            async with session.post(f"{server}/prompt", json={"prompt": graph, "client_id": client_id}) as r:
                prompt_id = (await r.json())["prompt_id"]
            interrupted = False
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                event = json.loads(message.data)
                events.append(event)
                data = event.get("data", {})
                if data.get("prompt_id") not in (None, prompt_id):
                    continue
                if not interrupted and event["type"] == "progress" and data.get("node") == sampler_node \
                        and data["value"] >= 1:
                    async with session.post(f"{server}/interrupt", json={"prompt_id": prompt_id}) as r:
                        assert r.status == 200
                    interrupted = True
                if event["type"] in ("execution_interrupted", "execution_success", "execution_error"):
                    break
    return prompt_id, events


def videos(comfy, subfolder: str) -> list[str]:
    folder = comfy.output_dir / subfolder
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_interrupting_a_walk_leaves_no_file_and_the_server_renders_the_next(server, comfy):
    graph = walk_to_video("faults/interrupted/walk", steps=200)
    prompt_id, events = asyncio.run(asyncio.wait_for(_render_and_interrupt(server, graph, "8"), RENDER_S))

    kinds = [e["type"] for e in events]
    assert "execution_interrupted" in kinds, kinds
    stop = next(e["data"] for e in events if e["type"] == "execution_interrupted")
    assert stop["node_id"] == "8", stop  # interrupted inside SamplerCustomAdvanced, mid-render
    steps = [e["data"]["value"] for e in events if e["type"] == "progress" and e["data"].get("node") == "8"]
    assert 1 <= max(steps) < 200
    entry = wait_for(server, prompt_id)
    assert entry["status"]["status_str"] == "error"
    assert "execution_interrupted" in [m[0] for m in entry["status"]["messages"]]
    assert videos(comfy, "faults/interrupted") == []  # no partial file where the video belongs

    assert get_json(server + "/system_stats")["system"]  # still up
    done = wait_for(server, post(server + "/prompt", {"prompt": walk_to_video("faults/interrupted/walk", 3)})[
        "prompt_id"])
    assert done["status"]["status_str"] == "success", done["status"]
    assert videos(comfy, "faults/interrupted") == ["walk_00001_.mp4"]  # the first file under this name
    assert (comfy.output_dir / "faults" / "interrupted" / "walk_00001_.mp4").stat().st_size > 1000
    assert get_json(server + "/queue") == {"queue_running": [], "queue_pending": []}


def test_ten_walk_prompts_queued_at_once_all_finish_with_their_own_frames(server, comfy):
    whole = graphs.read_latent(comfy, comfy.run(window_graph(0, 0, "faults/queued/whole")))
    assert whole.shape == (WALK_FRAMES, 4, graphs.SIZE // 8, graphs.SIZE // 8)

    ids = [post(server + "/prompt", {"prompt": window_graph(k, 1, f"faults/queued/frame_{k}")})["prompt_id"]
           for k in range(WALK_FRAMES)]
    assert len(set(ids)) == WALK_FRAMES

    from safetensors.torch import load_file

    for k, prompt_id in enumerate(ids):
        entry = wait_for(server, prompt_id)
        assert entry["status"]["status_str"] == "success", entry["status"]
        (item,) = entry["outputs"]["9"]["latents"]
        frame = load_file(str(comfy.output_dir / item["subfolder"] / item["filename"]))["latent_tensor"]
        assert frame.shape == (1, *whole.shape[1:])
        distances = (whole - frame).flatten(1).abs().max(dim=1).values
        assert torch.argmin(distances).item() == k  # its own frame, not a neighbour's
        scale = whole[k].abs().max()
        assert torch.allclose(frame[0], whole[k], rtol=TOL, atol=TOL * scale), (k, distances[k], scale)
    assert get_json(server + "/queue") == {"queue_running": [], "queue_pending": []}
