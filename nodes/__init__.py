"""The pack's ComfyUI nodes (V3 schema): thin adapters of latent_ops to ComfyUI types."""

from __future__ import annotations

from .comfy import ComfyExtension, io
from .noise_walks import MeanderSeedWalk
from .video import MeanderVideoSegment

NODES: list[type[io.ComfyNode]] = [MeanderSeedWalk, MeanderVideoSegment]


class MeanderExtension(ComfyExtension):
    """Registers every Meander node with ComfyUI."""

    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return list(NODES)
