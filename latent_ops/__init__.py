"""Pure torch math of latent walks (shared/SPEC.md). Never imports ComfyUI."""
