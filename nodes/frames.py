"""Frame batch nodes: reorder decoded frames (ping-pong) without sampling them again."""

from __future__ import annotations

from ..latent_ops import schedule
from .comfy import io, schema
from .validate import IMAGE_BYTES_PER_VALUE, check_finite, check_memory


class MeanderPingPong(io.ComfyNode):
    """Frames 0..N-1 then N-2..1: an open walk plays forward and back and loops."""

    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="MeanderPingPong",
            search_aliases=["loop", "ping pong", "boomerang"],
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
        if images.shape[0] < 1:
            raise ValueError("images is an empty batch: connect the decoded frames of a walk (VAE Decode)")
        count = len(schedule.ping_pong_order(images.shape[0]))
        check_memory("images", count, IMAGE_BYTES_PER_VALUE * images[0].numel(), f"{tuple(images.shape[1:])} images",
                     "the number of frames or their size")
        check_finite("images", images, "decode the frames again (a NaN image usually comes from a float16 VAE: "
                     "try --fp32-vae)")
        return io.NodeOutput(schedule.ping_pong(images))
