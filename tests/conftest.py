"""Shared test set-up: the repo root on sys.path (latent_ops, scripts) and the real-ComfyUI bed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TEST_CHECKPOINT = "meander-test-sd15.safetensors"


@pytest.fixture(scope="session")
def comfy(tmp_path_factory):
    """A real ComfyUI booted in this process (CPU) on a fresh base directory, with the test model."""
    from scripts import bed
    from scripts.make_checkpoint import make_checkpoint

    base = tmp_path_factory.mktemp("comfy-base")
    booted = bed.boot(base)
    cached = make_checkpoint(REPO / ".cache" / TEST_CHECKPOINT)
    (base / "models" / "checkpoints" / TEST_CHECKPOINT).symlink_to(cached)
    return booted


@pytest.fixture(scope="session")
def node_info(comfy):
    """node type -> its /object_info entry, from the booted ComfyUI."""
    from scripts.bed import node_classes
    from scripts.workflow import node_info_of

    return node_info_of(node_classes())
