"""The pack's ComfyUI nodes (V3 schema): thin adapters of latent_ops to ComfyUI types."""

from __future__ import annotations

from . import routes
from .analysis import MeanderTrajectoryPlot, MeanderWalkMetrics
from .audio import MeanderAudioPacing, MeanderClickTrack
from .comfy import ComfyExtension, io
from .fast_render import MeanderFastRender
from .frames import MeanderPingPong
from .image_walks import MeanderImageWalk, MeanderLatentWalk
from .noise_walks import (
    MeanderClipLoop,
    MeanderNoiseLoop,
    MeanderNoisyLatent,
    MeanderSeedChainWalk,
    MeanderSeedVariations,
    MeanderSeedWalk,
)
from .prompt_walks import MeanderConditioningTravel, MeanderPromptCircle, MeanderPromptDrift, MeanderPromptTravel
from .retime import MeanderEvenRetime, MeanderTimedSeedWalk
from .translate import MeanderLatentPan, MeanderNoisePan
from .video import MeanderVideoSegment
from .walk_sampler import MeanderWalkSampler

NODES: list[type[io.ComfyNode]] = [
    MeanderSeedWalk, MeanderSeedChainWalk, MeanderSeedVariations, MeanderNoiseLoop, MeanderClipLoop, MeanderNoisyLatent,
    MeanderPingPong,
    MeanderPromptTravel, MeanderConditioningTravel, MeanderPromptDrift, MeanderPromptCircle,
    MeanderLatentPan, MeanderNoisePan, MeanderFastRender,
    MeanderTimedSeedWalk, MeanderEvenRetime, MeanderAudioPacing, MeanderClickTrack,
    MeanderWalkMetrics, MeanderTrajectoryPlot, MeanderVideoSegment, MeanderWalkSampler,
    MeanderLatentWalk, MeanderImageWalk,
]


class MeanderExtension(ComfyExtension):
    """Registers every Meander node with ComfyUI, and the editor's walk-plan route with its server."""

    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        routes.register()  # here, not in on_load, which ComfyUI 0.3.75 never calls
        return list(NODES)
