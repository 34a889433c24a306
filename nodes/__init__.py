"""The pack's ComfyUI nodes (V3 schema): thin adapters of latent_ops to ComfyUI types."""

from __future__ import annotations

from .analysis import MeanderTrajectoryPlot, MeanderWalkMetrics
from .audio import MeanderAudioPacing, MeanderClickTrack
from .comfy import ComfyExtension, io
from .fast_render import MeanderFastRender
from .frames import MeanderPingPong
from .noise_walks import MeanderNoiseLoop, MeanderNoisyLatent, MeanderSeedChainWalk, MeanderSeedWalk
from .prompt_walks import MeanderConditioningTravel, MeanderPromptCircle, MeanderPromptDrift, MeanderPromptTravel
from .retime import MeanderEvenRetime, MeanderTimedSeedWalk
from .translate import MeanderLatentPan, MeanderNoisePan
from .video import MeanderVideoSegment

NODES: list[type[io.ComfyNode]] = [
    MeanderSeedWalk, MeanderSeedChainWalk, MeanderNoiseLoop, MeanderNoisyLatent, MeanderPingPong,
    MeanderPromptTravel, MeanderConditioningTravel, MeanderPromptDrift, MeanderPromptCircle,
    MeanderLatentPan, MeanderNoisePan, MeanderFastRender,
    MeanderTimedSeedWalk, MeanderEvenRetime, MeanderAudioPacing, MeanderClickTrack,
    MeanderWalkMetrics, MeanderTrajectoryPlot, MeanderVideoSegment,
]


class MeanderExtension(ComfyExtension):
    """Registers every Meander node with ComfyUI."""

    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return list(NODES)
