"""Frame batch nodes: reorder decoded frames (ping-pong) without sampling them again."""

from __future__ import annotations

from ..latent_ops import schedule
from .comfy import io


class MeanderPingPong(io.ComfyNode):
    """Frames 0..N-1 then N-2..1: an open walk plays forward and back and loops."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="MeanderPingPong",
            display_name="Ping-Pong Frames (Meander)",
            category="latent/meander/frames",
            description="Plays a batch of frames forward then backward (the 'rubber band'): frames 0..N-1 then "
            "N-2..1, 2N-2 frames, so the video loops with no frame shown twice in a row. Put it after VAE Decode: "
            "the return frames are copies, nothing is sampled twice.",
            inputs=[io.Image.Input("images", tooltip="The frames in order, e.g. VAE Decode of a walk.")],
            outputs=[io.Image.Output(display_name="images",
                                     tooltip="2N-2 frames (N for N <= 2): forward, then back without the ends.")],
        )

    @classmethod
    def execute(cls, images) -> io.NodeOutput:
        return io.NodeOutput(schedule.ping_pong(images))
