"""The pack's ComfyUI nodes (V3 schema): thin adapters of latent_ops to ComfyUI types."""

from __future__ import annotations

from ..latent_ops import walks
from . import routes
from .analysis import MeanderTrajectoryPlot, MeanderWalkMetrics
from .audio import MeanderAudioPacing, MeanderClickTrack
from .comfy import ComfyExtension, io
from .declared import walk_node
from .fast_render import MeanderFastRender
from .frames import MeanderPingPong
from .image_walks import MeanderImageWalk, MeanderLatentWalk
from .noise_walks import MeanderClipLoop, MeanderNoisyLatent
from .prompt_walks import MeanderConditioningTravel, MeanderPromptTravel
from .retime import MeanderEvenRetime
from .translate import MeanderLatentPan
from .video import MeanderVideoSegment
from .video_travel import MeanderVideoConditioningTravel, MeanderVideoPromptTravel
from .walk_sampler import MeanderWalkSampler

OWN_WALK_NODES: dict[str, type[io.ComfyNode]] = {node.__name__: node for node in (
    MeanderPromptTravel, MeanderConditioningTravel, MeanderLatentWalk, MeanderImageWalk)}
"""Walks whose frames need more of ComfyUI than a noise or prompt walk: their nodes are written out
(with schemas still built from their walk classes); every other walk's node is built (nodes/declared.py)."""

NODES: list[type[io.ComfyNode]] = [
    *(OWN_WALK_NODES.get(node_id) or walk_node(walk) for node_id, walk in walks.WALKS.items()),
    MeanderLatentPan, MeanderVideoPromptTravel, MeanderVideoConditioningTravel,
    MeanderClipLoop, MeanderNoisyLatent, MeanderPingPong, MeanderFastRender,
    MeanderEvenRetime, MeanderAudioPacing, MeanderClickTrack,
    MeanderWalkMetrics, MeanderTrajectoryPlot, MeanderVideoSegment, MeanderWalkSampler,
]
"""Every node of the pack: one per walk of latent_ops.walks.WALKS (in its order), then the others. The one
list of nodes: the tests derive theirs from it."""


class MeanderExtension(ComfyExtension):
    """Registers every Meander node with ComfyUI, and the editor's walk-plan route with its server."""

    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        routes.register()  # here, not in on_load, which ComfyUI 0.3.75 never calls
        return list(NODES)
