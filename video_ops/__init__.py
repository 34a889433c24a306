"""Video files of long walks, written in segments and stitched (PyAV and numpy; never imports ComfyUI)."""
