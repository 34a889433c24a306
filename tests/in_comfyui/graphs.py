"""Small API-format graphs for the real-ComfyUI tests (64x64, 3 euler steps, the test model)."""

from __future__ import annotations

from tools.bed import TEST_CHECKPOINT

SIZE = 64
STEPS = 3
CFG = 7.0


def save_latent(ref: list) -> dict:
    """Core SaveLatent: the tests read the sampled latent back from its file (read_latent)."""
    return {"class_type": "SaveLatent", "inputs": {"samples": ref, "filename_prefix": "tests/latent"}}


def read_latent(comfy, result, node_id: str = "9"):
    """The latent tensor a SaveLatent node wrote in this run."""
    from safetensors.torch import load_file

    item = result.files(node_id, "latents")[0]
    return load_file(str(comfy.output_dir / item["subfolder"] / item["filename"]))["latent_tensor"]


def model_and_prompts(prompt: str = "a lighthouse at dusk") -> dict:
    """Nodes 1 (checkpoint), 2 (positive), 3 (negative)."""
    return {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": TEST_CHECKPOINT}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt, "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["1", 1]}},
    }


def ksampler(seed: int, batch: int = 1) -> dict:
    """Plain KSampler on an empty latent: node 5's LATENT output is the sampled latent."""
    return {
        **model_and_prompts(),
        "4": {"class_type": "EmptyLatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": batch}},
        "5": {"class_type": "KSampler", "inputs": {
            "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["4", 0],
            "seed": seed, "steps": STEPS, "cfg": CFG, "sampler_name": "euler", "scheduler": "normal",
            "denoise": 1.0}},
        "9": save_latent(["5", 0]),
    }


def custom_sampler(noise_node: dict, noise_ref: list, latent_ref: list) -> dict:
    """SamplerCustomAdvanced with the same settings as `ksampler`, fed by a walk node ('4')."""
    return {
        **model_and_prompts(),
        "4": noise_node,
        "5": {"class_type": "CFGGuider", "inputs": {"model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0],
                                                    "cfg": CFG}},
        "6": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "7": {"class_type": "BasicScheduler", "inputs": {"model": ["1", 0], "scheduler": "normal", "steps": STEPS,
                                                         "denoise": 1.0}},
        "8": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": noise_ref, "guider": ["5", 0], "sampler": ["6", 0], "sigmas": ["7", 0],
            "latent_image": latent_ref}},
        "9": save_latent(["8", 0]),
    }
