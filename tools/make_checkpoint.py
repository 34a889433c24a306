"""A small random-weight SD1.5 checkpoint that ComfyUI's CheckpointLoaderSimple loads and detects.

The UNet is SD1.5's at 320 channels and context 768 (what ComfyUI's SD15 detection matches) but
with one level of one block, so it is small and fast; CLIP-L and the KL VAE are complete (ComfyUI
builds them from fixed configs). The modules are built on the meta device to read their shapes,
then filled with seeded Gaussians scaled by 1 / sqrt(fan_in); norm weights 1, biases 0. Its
images are abstract: the weights are random. Needs ComfyUI importable (scripts.host.boot does it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

UNET_CONFIG = {
    "image_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "model_channels": 320,
    "num_res_blocks": [1],
    "channel_mult": [1],
    "transformer_depth": [1],
    "transformer_depth_middle": 1,
    "transformer_depth_output": [1, 1],
    "num_heads": 8,
    "num_head_channels": -1,
    "use_spatial_transformer": True,
    "use_linear_in_transformer": False,
    "context_dim": 768,
    "adm_in_channels": None,
    "use_temporal_attention": False,
}
FULL_UNET_CONFIG = {
    **UNET_CONFIG,
    "num_res_blocks": [2, 2, 2, 2],
    "channel_mult": [1, 2, 4, 4],
    "transformer_depth": [1, 1, 1, 1, 1, 1, 0, 0],
    "transformer_depth_output": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
}
"""SD1.5's real UNet (860M parameters), for the GPU benchmark."""
VAE_DDCONFIG = {"double_z": True, "z_channels": 4, "resolution": 256, "in_channels": 3, "out_ch": 3, "ch": 128,
                "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_resolutions": [], "dropout": 0.0}


def _meta_shapes(unet_config: dict) -> dict[str, torch.Size]:
    """Every tensor of the checkpoint by its SD1.5 key, with its shape (nothing allocated)."""
    import comfy.ldm.models.autoencoder
    import comfy.ldm.modules.diffusionmodules.openaimodel as openaimodel
    import comfy.ops
    import comfy.sd1_clip

    ops = comfy.ops.disable_weight_init
    with torch.device("meta"):
        unet = openaimodel.UNetModel(**unet_config, device="meta", operations=ops)
        clip = comfy.sd1_clip.SDClipModel(device="meta")
        vae = comfy.ldm.models.autoencoder.AutoencoderKL(ddconfig=VAE_DDCONFIG, embed_dim=4)
    shapes: dict[str, torch.Size] = {}
    for prefix, module in (("model.diffusion_model.", unet), ("cond_stage_model.", clip), ("first_stage_model.", vae)):
        for key, tensor in module.state_dict().items():
            shapes[prefix + key] = tensor.shape
    return shapes


def _init(key: str, shape: torch.Size, generator: torch.Generator) -> torch.Tensor:
    """Seeded weight for one key: N(0, 1 / fan_in) for weights, 1 for norm scales, 0 for biases."""
    if key.endswith("position_ids"):
        return torch.arange(shape[-1]).expand(shape).clone()
    if key.endswith("bias") or len(shape) == 0:
        return torch.zeros(shape)
    if len(shape) == 1:
        return torch.ones(shape)
    fan_in = shape[1:].numel()
    return torch.randn(shape, generator=generator) / fan_in**0.5


def make_checkpoint(path: Path, seed: int = 0, full: bool = False) -> Path:
    """Write the checkpoint to `path` in fp16 unless it is already there.

    The small UNet gives about 466 MB in all; full=True builds SD1.5's real UNet (about 2 GB).
    """
    from safetensors.torch import save_file

    path = Path(path)
    if path.exists():
        return path
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in _meta_shapes(FULL_UNET_CONFIG if full else UNET_CONFIG).items():
        value = _init(key, shape, generator)
        state[key] = value if key.endswith("position_ids") else value.to(torch.float16)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp))
    tmp.replace(path)
    return path


def make_clip_vision(path: Path, seed: int = 0) -> Path:
    """Write a random-weight CLIP ViT-L/14 vision model (about 600 MB in fp16) unless it is there.

    ComfyUI's CLIPVisionLoader detects ViT-L by its 24 layers and builds it from its fixed config;
    its `image_embeds` are 768 wide, like CLIP-L's projected text embedding. Weights as above.
    """
    import comfy.clip_model
    import comfy.clip_vision
    import comfy.ops
    from safetensors.torch import save_file

    path = Path(path)
    if path.exists():
        return path
    config = json.loads((Path(comfy.clip_vision.__file__).parent / "clip_vision_config_vitl.json").read_text())
    with torch.device("meta"):
        model = comfy.clip_model.CLIPVisionModelProjection(config, torch.float16, "meta",
                                                           comfy.ops.disable_weight_init)
    generator = torch.Generator().manual_seed(seed)
    state = {key: _init(key, t.shape, generator).to(torch.float16) for key, t in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp))
    tmp.replace(path)
    return path


def main() -> None:
    from scripts import host

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="where to write the .safetensors file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--full", action="store_true", help="SD1.5's full-size UNet (about 2 GB)")
    args = parser.parse_args()
    host.import_comfy_path()
    print(make_checkpoint(args.path, args.seed, args.full))


if __name__ == "__main__":
    main()
