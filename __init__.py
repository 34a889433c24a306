"""ComfyUI Meander: latent walks (seed, prompt, loop, pan) rendered to video in ComfyUI."""

WEB_DIRECTORY = "./web"


async def comfy_entrypoint():
    """ComfyUI's V3 entry point: the extension that registers every Meander node.

    ComfyUI's API is imported here, not at module import, so the package (and latent_ops under it)
    imports anywhere, pytest's collection included.
    """
    from .nodes import MeanderExtension

    return MeanderExtension()


__all__ = ["comfy_entrypoint", "WEB_DIRECTORY"]
