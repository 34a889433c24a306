"""The test bed around the render's in-process host (scripts/host.py): the random-weight SD1.5 test
model, built once into .cache/, and ComfyUI booted on the CPU with that model in its models/checkpoints,
as the tests and the tools use it."""

from __future__ import annotations

from pathlib import Path

from scripts import host
from tools.make_checkpoint import make_checkpoint

CACHE = host.REPO / ".cache"
"""Built test models and other downloads of the test bed (ignored by git)."""
TEST_CHECKPOINT = "meander-test-sd15.safetensors"
"""The test model's file name, in .cache/ and in every base folder it is linked into."""


def test_checkpoint() -> Path:
    """The SD1.5 test model in .cache/, built on the first call (ComfyUI must be importable: boot first)."""
    return make_checkpoint(CACHE / TEST_CHECKPOINT)


def boot(base: Path) -> host.Bed:
    """ComfyUI booted in this process on the CPU on `base`, with the test model linked into its models."""
    booted = host.boot(base)
    link = base / "models" / "checkpoints" / TEST_CHECKPOINT
    if not link.exists():
        link.symlink_to(test_checkpoint())
    return booted
