"""Shared test set-up: the repo root on sys.path (latent_ops, scripts, tools) and the real-ComfyUI bed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

@pytest.fixture(scope="session")
def comfy(tmp_path_factory):
    """A real ComfyUI booted in this process (CPU) on a fresh base directory, with the test model."""
    from tools import bed

    return bed.boot(tmp_path_factory.mktemp("comfy-base"))


@pytest.fixture(scope="session")
def node_info(comfy):
    """node type -> its /object_info entry, from the booted ComfyUI."""
    from scripts.host import node_classes
    from scripts.workflow import node_info_of

    return node_info_of(node_classes())
