"""Engines that run one window's graph: this process's ComfyUI, or a ComfyUI server over its HTTP API.

A server engine queues the graph (POST /prompt), polls /history/{id} until it completes, and
downloads the writer node's segment file (GET /view), so the servers may be on other machines:
each renders with its own GPU and models, and only the finished segments travel.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from scripts.host import GraphError, describe_invalid, pack_module

POLL_S = 0.25


class LocalEngine:
    """Runs graphs in the ComfyUI booted in this process (scripts.host).

    Its segment writes run in the background (nodes/video.background_writes): `start` returns once
    the window is sampled and decoded, with the step that waits for the segment's encode and moves
    the file to `dest`, so run_windows samples the next window meanwhile; `render` does both.
    """

    def __init__(self, bed) -> None:
        self.bed = bed
        self.name = "in-process"
        self.video = pack_module("video")

    def render(self, prompt: dict, writer_id: str, dest: Path) -> None:
        self.start(prompt, writer_id, dest)()

    def start(self, prompt: dict, writer_id: str, dest: Path) -> Callable[[], None]:
        """Run the graph; the step that puts its segment at `dest` once its encode is done."""
        with self.video.background_writes() as writes:
            item = self.bed.run(prompt).files(writer_id)[0]
        source = self.bed.output_dir / item["subfolder"] / item["filename"]
        pending = writes.take(source)

        def finish() -> None:
            if pending is not None:
                pending.result()
            shutil.move(str(source), dest)
            _remove_empty_folders(source.parent, self.bed.output_dir)

        return finish


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """Remove `folder` and its parents up to (not including) `root` while they are empty."""
    folder, root = folder.resolve(), root.resolve()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty: another window's file is still there
            return
        folder = folder.parent


class ServerEngine:
    """Runs graphs on one ComfyUI server (http://host:port), one at a time."""

    def __init__(self, url: str, timeout_s: float = 3600.0) -> None:
        self.url = url.rstrip("/")
        self.name = self.url
        self.timeout_s = timeout_s
        self.client_id = f"meander-{uuid.uuid4().hex[:8]}"

    def get_json(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read())

    def object_info(self) -> dict:
        return self.get_json("/object_info")

    def queue(self, prompt: dict) -> str:
        body = json.dumps({"prompt": prompt, "client_id": self.client_id}).encode()
        request = urllib.request.Request(self.url + "/prompt", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return json.loads(r.read())["prompt_id"]
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                answer = json.loads(text)
                message = describe_invalid(answer.get("error", {}), answer.get("node_errors", {}))
            except (json.JSONDecodeError, AttributeError):
                message = text[:2000]
            raise GraphError(f"{self.url}: {message}") from None

    def wait(self, prompt_id: str) -> dict:
        deadline = time.monotonic() + self.timeout_s
        while True:
            entry = self.get_json(f"/history/{prompt_id}").get(prompt_id)
            status = (entry or {}).get("status", {})
            if status.get("status_str") == "error":
                messages = [m[1] for m in status.get("messages", []) if m[0] == "execution_error"]
                detail = messages[0].get("exception_message", messages[0]) if messages else status
                raise RuntimeError(str(detail).strip())
            if status.get("completed"):
                return entry
            if time.monotonic() > deadline:
                raise TimeoutError(f"prompt {prompt_id} did not finish in {self.timeout_s:.0f} s")
            time.sleep(POLL_S)

    def render(self, prompt: dict, writer_id: str, dest: Path) -> None:
        entry = self.wait(self.queue(prompt))
        item = entry["outputs"][writer_id]["images"][0]
        query = urllib.parse.urlencode({"filename": item["filename"], "subfolder": item["subfolder"],
                                        "type": item.get("type", "output")})
        with urllib.request.urlopen(f"{self.url}/view?{query}", timeout=300) as r, open(dest, "wb") as f:
            shutil.copyfileobj(r, f)
