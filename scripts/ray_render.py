"""The Ray backend of scripts/render.py (`--ray auto` / `--ray ADDRESS`): one ComfyUI per actor, on a cluster.

Each actor is a Ray worker process that boots ComfyUI in-process with the pack (as the local
render does, scripts.host) on its own base directory, BASE/ray/NAME, whose models/ is BASE's
models/. There is one actor per GPU of the cluster (`num_gpus=1` each), or N actors of one CPU
each with --ray-cpus N. The driver hands the windows out with scripts.segmented.run_windows,
one at a time per actor: each window is one actor call that renders its graph and moves the
segment straight into OUT.parts/. An actor that dies (its node lost, killed, out of memory)
raises `EngineLost`, and its window goes to another actor; the segments already finished stay.
The manifest, the resume and the stitching are the local render's (scripts.render.render_segments).

OUT.parts/ and BASE must be folders the driver and every worker reach at the same path (one
machine, or a shared volume mounted alike in every pod). Ray is optional
(`pip install -r requirements-ray.txt`): this module imports it only when called.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from scripts import client, host, segmented
from scripts.workflow import node_info_of

REQUIREMENTS = host.REPO / "requirements-ray.txt"
"""What the Ray backend needs beyond ComfyUI: Ray, at the version the tests run."""
EXTRA = f"pip install -r {REQUIREMENTS} (into the Python that runs the render: ComfyUI's)"


def _ray() -> Any:
    """The ray module, or a ValueError (bad usage: exit code 2) saying how to install it."""
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise ValueError(f"--ray needs Ray, which is not installed: {EXTRA}") from None


def actor_base(base: Path, name: str) -> Path:
    """The base directory of actor `name`: BASE/ray/NAME with its own output/, temp/, user/ and BASE's models/."""
    own = base / "ray" / name
    own.mkdir(parents=True, exist_ok=True)
    models = own / "models"
    if not models.exists() and not models.is_symlink():
        (base / "models").mkdir(parents=True, exist_ok=True)
        models.symlink_to((base / "models").resolve(), target_is_directory=True)
    return host.make_base(own)


class ComfyActor:
    """One ComfyUI with the pack, booted in a Ray worker process (wrapped by ray.remote in `start`)."""

    def __init__(self, base: str, name: str, cpu: bool) -> None:
        comfy = host.boot(actor_base(Path(base), name), cpu=cpu)
        importlib.import_module("comfy.utils").set_progress_bar_enabled(False)  # the driver shows the bar
        self.engine = client.LocalEngine(comfy)

    def ready(self) -> int:
        """The actor's process id, once ComfyUI is booted."""
        return os.getpid()

    def rss(self) -> int:
        """The actor process's resident memory in bytes (ComfyUI, the pack, and the models it loaded)."""
        import psutil

        return psutil.Process().memory_info().rss

    def object_info(self) -> dict[str, dict]:
        """/object_info of the actor's ComfyUI: every node's entry, as JSON, as the server sends it (a newer
        host's entries hold enums and other objects that only their JSON form carries to the driver)."""
        info = node_info_of(host.node_classes())
        out = {}
        for node_type in host.node_classes():
            try:
                out[node_type] = info(node_type)
            except Exception:  # noqa: S112  (the server, too, leaves out a node whose info fails)
                continue
        return json.loads(json.dumps(out))

    def render(self, prompt: dict, writer_id: str, dest: str) -> None:
        """Run one window's graph and move its segment to `dest` (in OUT.parts/)."""
        self.engine.render(prompt, writer_id, Path(dest))


class ActorEngine:
    """A scripts.segmented Engine over one ComfyActor; its death is `EngineLost`."""

    def __init__(self, actor: Any, name: str) -> None:
        self.actor = actor
        self.name = name

    def object_info(self) -> dict[str, dict]:
        return self.wait(self.actor.object_info.remote())

    def render(self, prompt: dict, writer_id: str, dest: Path) -> None:
        self.wait(self.actor.render.remote(prompt, writer_id, str(dest)))

    def wait(self, ref: Any) -> Any:
        """ray.get of one call; an actor that died or is unreachable raises EngineLost, a task error its cause."""
        ray = _ray()
        try:
            return ray.get(ref)
        except ray.exceptions.RayActorError as e:
            raise segmented.EngineLost(f"the actor died: {' '.join(str(e).split())[:300]}") from None
        except ray.exceptions.RayTaskError as e:
            raise e.as_instanceof_cause() from None


def connect(address: str) -> None:
    """Join the Ray cluster: `auto` is RAY_ADDRESS, else the one `ray start` runs here, else a new local one;
    any other value is the cluster's address (host:6379, ray://host:10001). A driver already joined stays."""
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=None if address == "auto" else address, log_to_driver=False)


def engines(address: str, base: Path, cpus: int = 0) -> list[ActorEngine]:
    """Join the cluster and start its actors: one per GPU, or `cpus` CPU actors (cpus > 0)."""
    if cpus < 0:
        raise ValueError(f"--ray-cpus must be >= 1 (CPU actors) or 0 (one actor per GPU), got {cpus}")
    ray = _ray()
    connect(address)
    count = cpus or int(ray.cluster_resources().get("GPU", 0))
    if count < 1:
        raise ValueError(f"--ray {address}: the cluster has no GPU: pass --ray-cpus N to render on N CPU actors")
    return start(count, base, cpu=cpus > 0)


def start(count: int, base: Path, cpu: bool) -> list[ActorEngine]:
    """Start `count` ComfyActors (1 CPU, or 1 GPU each) on BASE and wait until every one has booted."""
    ray = _ray()
    env = {"PYTHONPATH": os.pathsep.join(p for p in (str(host.REPO), os.environ.get("PYTHONPATH")) if p)}
    if os.environ.get("COMFYUI_DIR"):
        env["COMFYUI_DIR"] = str(Path(os.environ["COMFYUI_DIR"]).resolve())
    remote = ray.remote(ComfyActor).options(num_cpus=1, num_gpus=0 if cpu else 1, max_restarts=0,
                                            runtime_env={"env_vars": env})
    names = [f"actor-{i}" for i in range(count)]
    actors = [remote.remote(str(Path(base).resolve()), name, cpu) for name in names]
    found = [ActorEngine(a, f"ray:{name}") for a, name in zip(actors, names, strict=True)]
    for engine in found:
        engine.wait(engine.actor.ready.remote())
    return found
