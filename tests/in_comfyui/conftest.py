"""The real ComfyUI server, shared by the server and browser tests."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from scripts import host

STARTUP_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def start_server(base, front_end_root=None):
    """main.py --cpu on a free port of 127.0.0.1 with `base` as its base directory, serving the host's own
    frontend or the one in `front_end_root` (its static folder): (url, process, log)."""
    port = _free_port()
    log = open(base / "server.log", "w")
    frontend = ["--front-end-root", str(front_end_root)] if front_end_root else []
    proc = subprocess.Popen(
        [sys.executable, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(port),
         "--base-directory", str(base), "--database-url", "sqlite:///:memory:", "--disable-api-nodes", *frontend],
        cwd=host.comfy_dir(), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            get_json(url + "/system_stats")
            return url, proc, log
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                pytest.fail("ComfyUI server did not start:\n" + (base / "server.log").read_text()[-3000:])
            time.sleep(0.5)


def stop_server(proc, log) -> None:
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def seed_settings(base) -> None:
    """The user's frontend settings on `base`: tutorial done, so no templates dialog covers the editor."""
    settings = base / "user" / "default" / "comfy.settings.json"
    settings.write_text(json.dumps({"Comfy.TutorialCompleted": True}))


@pytest.fixture(scope="session")
def server(comfy):
    """main.py --cpu on a free port of 127.0.0.1, on the test bed's base directory."""
    seed_settings(comfy.base)
    url, proc, log = start_server(comfy.base)
    yield url
    stop_server(proc, log)
