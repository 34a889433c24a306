"""The in-process ComfyUI host of the render: boot a real ComfyUI on a base directory, run API-format graphs.

ComfyUI keeps global state, so one process boots one ComfyUI (`boot` returns the same Bed on a
second call). The ComfyUI tree is $COMFYUI_DIR, or .comfyui/ComfyUI beside the pack (where the test
bed's `make setup` extracts one). The base directory holds custom_nodes/ (this pack, linked), models/,
input/, output/, temp/ and user/, so a run never writes into the ComfyUI tree or the user's folders.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PACK_NAME = "meander-latent-walks"
EXAMPLE_IMAGE = "example.png"
"""The image a ComfyUI install ships in input/ (the bundled image walk loads it until the user picks theirs)."""


def comfy_dir() -> Path:
    """The ComfyUI tree: $COMFYUI_DIR or .comfyui/ComfyUI beside the pack (made by `make setup`)."""
    path = Path(os.environ.get("COMFYUI_DIR") or REPO / ".comfyui" / "ComfyUI").resolve()
    if not (path / "main.py").is_file():
        raise FileNotFoundError(f"no ComfyUI at {path}: set COMFYUI_DIR to your ComfyUI folder")
    return path


def host_version() -> str:
    """The ComfyUI version of the tree (its comfyui_version.py), e.g. '0.3.75'."""
    text = (comfy_dir() / "comfyui_version.py").read_text()
    return text.split("__version__", 1)[1].split("=", 1)[1].split()[0].strip("\"'")


def comfy_nodes() -> ModuleType:
    """ComfyUI's own top-level `nodes` module (its core nodes and the custom-node loader), named so
    that no reader takes it for this pack's nodes/ folder."""
    return importlib.import_module("nodes")


def node_classes() -> dict[str, type]:
    """ComfyUI's NODE_CLASS_MAPPINGS: every node class it registered, core and custom."""
    return comfy_nodes().NODE_CLASS_MAPPINGS


def pack_module(name: str) -> ModuleType:
    """The pack's nodes/<name>.py as ComfyUI loaded it (ComfyUI names the pack's package after its folder,
    so it is reached through a node class's module, never imported a second time by name)."""
    package = node_classes()["MeanderSeedWalk"].__module__.rsplit(".", 1)[0]
    return sys.modules[f"{package}.{name}"]


def import_comfy_path() -> Path:
    """Put the ComfyUI tree first on sys.path and return it."""
    path = comfy_dir()
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    return path


def make_base(base: Path) -> Path:
    """Create a ComfyUI base directory with this pack linked into its custom_nodes/."""
    for sub in ("custom_nodes", "models/checkpoints", "input", "output", "temp", "user/default"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    link = base / "custom_nodes" / PACK_NAME
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    example = comfy_dir() / "input" / EXAMPLE_IMAGE
    if example.is_file() and not (base / "input" / EXAMPLE_IMAGE).exists():
        shutil.copyfile(example, base / "input" / EXAMPLE_IMAGE)  # as a fresh install has it: LoadImage's default
    return base


class _Server:
    """The few members of ComfyUI's PromptServer the executor calls; keeps the events it gets."""

    def __init__(self) -> None:
        self.client_id = None
        self.last_node_id = None
        self.last_prompt_id = None
        self.events: list[tuple[str, Any]] = []

    def send_sync(self, event: str, data: Any, sid: str | None = None) -> None:
        self.events.append((event, data))

    def queue_updated(self) -> None:
        pass


@dataclass
class RunResult:
    """What one graph run produced: the UI outputs by node id and the executor's events."""

    outputs: dict[str, Any]
    events: list[tuple[str, Any]] = field(default_factory=list)

    def files(self, node_id: str, key: str = "images") -> list[dict]:
        """The files an output node reported (each {'filename', 'subfolder', 'type'})."""
        return list(self.outputs.get(node_id, {}).get(key, []))


class GraphError(RuntimeError):
    """A graph failed validation or execution; the message is ComfyUI's."""


class RunInterrupted(KeyboardInterrupt):
    """A graph run stopped by ComfyUI's interrupt (`Bed.interrupt`) before it finished."""


def describe_invalid(error: dict, node_errors: dict) -> str:
    """ComfyUI's validation answer (validate_prompt's, or /prompt's 400 body) as one sentence.

    Each failing node reads "node ID (CLASS), input NAME: MESSAGE: DETAILS"; with no node error
    the graph-wide message stands alone ("Prompt has no outputs").
    """
    parts = []
    for node_id, entry in node_errors.items():
        for e in entry.get("errors", []):
            name = e.get("extra_info", {}).get("input_name")
            where = f"node {node_id} ({entry.get('class_type', '?')})" + (f", input {name}" if name else "")
            detail = f": {e['details']}" if e.get("details") and e["details"] != name else ""
            parts.append(f"{where}: {e.get('message', 'invalid')}{detail}")
    if not parts:
        detail = f": {error['details']}" if isinstance(error, dict) and error.get("details") else ""
        parts.append((error.get("message", str(error)) if isinstance(error, dict) else str(error)) + detail)
    return "the graph is invalid: " + "; ".join(parts)


class Bed:
    """A booted in-process ComfyUI on one base directory."""

    def __init__(self, base: Path, cache: bool = False) -> None:
        import execution
        import folder_paths

        self.base = base
        self.folder_paths = folder_paths
        self._execution = execution
        self._server = _Server()
        cache_type = execution.CacheType.CLASSIC if cache else execution.CacheType.NONE
        self._executor = execution.PromptExecutor(self._server, cache_type=cache_type, cache_args=executor_cache_args())

    @property
    def output_dir(self) -> Path:
        return Path(self.folder_paths.get_output_directory())

    def node_class(self, node_type: str) -> type:
        """The class ComfyUI registered for `node_type` (a core node or a custom one)."""
        return node_classes()[node_type]

    def validate(self, prompt: dict) -> list[str]:
        """ComfyUI's own validate_prompt on an API-format graph: its output node ids, or GraphError."""
        ok, error, outputs, node_errors = asyncio.run(self._execution.validate_prompt(str(uuid.uuid4()), prompt, None))
        if not ok:
            raise GraphError(describe_invalid(error, node_errors))
        return outputs

    def run(self, prompt: dict) -> RunResult:
        """Validate and execute an API-format graph; raise GraphError with ComfyUI's message on failure."""
        outputs = self.validate(prompt)
        self._server.events = []
        prompt_id = str(uuid.uuid4())
        self._executor.execute(prompt, prompt_id, {}, outputs)
        if any(event == "execution_interrupted" for event, _ in self._executor.status_messages):
            raise RunInterrupted()
        if not self._executor.success:
            errors = [data for event, data in self._executor.status_messages if event == "execution_error"]
            detail = errors[0].get("exception_message", errors[0]) if errors else self._executor.status_messages
            raise GraphError(str(detail).strip())
        return RunResult(dict(self._executor.history_result["outputs"]), list(self._server.events))

    def interrupt(self) -> None:
        """Ask the graph running now to stop, as the editor's Cancel does: at the sampler's next step."""
        importlib.import_module("comfy.model_management").interrupt_current_processing(True)

    def show_progress_bars(self, on: bool) -> None:
        """Show or hide ComfyUI's own progress bars (the sampler's steps) on the console."""
        importlib.import_module("comfy.utils").set_progress_bar_enabled(on)

    def device(self) -> str:
        """The device ComfyUI samples on (e.g. 'cuda:0', 'cpu')."""
        return str(importlib.import_module("comfy.model_management").get_torch_device())


def executor_cache_args() -> defaultdict[str, float]:
    """PromptExecutor's cache_args as the host's main.py fills them from its command line.

    The LRU size comes from `--cache-lru`; the RAM headrooms (GB) matter only to the RAM-pressure
    cache, which the bed never picks, so every other key the host reads (`ram` in 0.3.75, also
    `ram_inactive` in newer hosts, and any key a later host adds) is 0.
    """
    from comfy.cli_args import args

    return defaultdict(float, {"lru": args.cache_lru})


_BED: Bed | None = None


def accelerator_available() -> bool:
    """Whether torch sees a GPU that ComfyUI samples on (CUDA or ROCm, Intel XPU, Apple MPS)."""
    import torch

    xpu = getattr(torch, "xpu", None)
    return (torch.cuda.is_available() or bool(xpu and xpu.is_available())
            or torch.backends.mps.is_available())


def boot(base: Path, cpu: bool = True, cache: bool = False) -> Bed:
    """Boot ComfyUI with `base` as its base directory and load every node, this pack's too.

    cpu=True (tests, CI) forces the CPU, as ComfyUI's --cpu does; cpu=False lets ComfyUI pick the GPU,
    as a plain ComfyUI server does (the render CLI, benchmarks).
    cache=False runs every node of every graph; cache=True keeps ComfyUI's own output cache, so a
    node whose inputs did not change (a checkpoint loader) is not run again, as in the server.
    """
    global _BED
    if _BED is not None:
        if _BED.base != base:
            raise RuntimeError(f"ComfyUI is already booted on {_BED.base} in this process")
        return _BED
    make_base(base)
    import_comfy_path()
    from comfy.cli_args import args

    args.cpu = cpu
    args.base_directory = str(base)
    args.disable_api_nodes = True
    import utils.extra_config  # noqa: F401  (before nodes: nodes puts comfy/ first on sys.path)

    asyncio.run(comfy_nodes().init_extra_nodes(init_custom_nodes=True, init_api_nodes=False))
    if "MeanderSeedWalk" not in node_classes():
        raise RuntimeError(f"ComfyUI did not load the pack from {base / 'custom_nodes' / PACK_NAME}")
    _BED = Bed(base, cache)
    return _BED
