"""The render CLI ships with the pack and runs without tools/, which the registry archive leaves out.

Every Python file the archive holds (the pack's files but what .comfyignore leaves out: scripts/ with
the render CLI, nodes/, latent_ops/, video_ops/, ...) imports nothing from tools/, not even inside a
function; and importing the CLI's modules and running it up to its first answer loads no tools module.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEVELOPMENT = "tools"
PRUNED = {"renders", "node_modules", "__pycache__"}
"""Folders of the working tree that are not the pack (besides hidden ones: .venv, .comfyui, .cache, ...)."""


def left_out() -> set[str]:
    """The top-level folders and files .comfyignore leaves out of the archive (its lines, comments aside)."""
    lines = (REPO / ".comfyignore").read_text().splitlines()
    return {line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")}


def shipped_python() -> Iterator[Path]:
    """Every .py file of the pack that the registry archive holds."""
    skipped = left_out() | PRUNED
    for folder, dirs, files in os.walk(REPO):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in PRUNED
                   and not (here == REPO and d in skipped)]
        yield from (here / f for f in files if f.endswith(".py") and not (here == REPO and f in skipped))


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in a file, and of importlib.import_module("...") / __import__."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def is_development(module: str) -> bool:
    return module.split(".")[0] == DEVELOPMENT


def test_the_archive_leaves_out_the_development_folders():
    assert {"tools", "tests", "benchmarks"} <= left_out()
    assert "scripts" not in left_out()


def test_no_shipped_file_imports_from_tools():
    files = sorted(shipped_python())
    names = {p.relative_to(REPO).as_posix() for p in files}
    assert {"scripts/render.py", "scripts/host.py", "scripts/ray_render.py", "video_ops/segments.py",
            "latent_ops/walks.py", "nodes/video.py", "__init__.py"} <= names, "the walk must see the pack"
    assert not any(n.startswith(("tools/", "tests/", "benchmarks/")) for n in names)
    found = [f"{p.relative_to(REPO)}:{line}: {module}" for p in files for line, module in imported_names(p)
             if is_development(module)]
    assert found == [], "shipped code imports the development tools"


def test_the_check_sees_an_import_from_tools(tmp_path):
    """The check itself: each way of importing tools is found (else the test above could not fail)."""
    sample = tmp_path / "sample.py"
    sample.write_text("import tools.bed\nfrom tools import bed\nimport importlib\n"
                      "def f():\n    from tools.make_checkpoint import make_checkpoint\n"
                      "    importlib.import_module('tools.render_demo')\nfrom .tools import x\nimport toolsmith\n")
    assert [line for line, module in imported_names(sample) if is_development(module)] == [1, 2, 5, 6]


PROBE = """
import json, sys
from scripts import client, host, ray_render, render, segmented, workflow
try:
    render.main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "tools": sorted(m for m in sys.modules if m.split(".")[0] == "tools")}))
"""


def test_the_cli_runs_without_loading_tools(tmp_path):
    """Its modules imported and the command run to its first answer (no --checkpoint: one line, exit 2)."""
    done = subprocess.run([sys.executable, "-c", PROBE, "--base", str(tmp_path / "base"),
                           "--out", str(tmp_path / "walk.mp4")], cwd=REPO, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 2, "tools": []}, done.stderr
    assert done.stderr.strip() == "render: error: no --checkpoint: name the .safetensors checkpoint to sample with"
