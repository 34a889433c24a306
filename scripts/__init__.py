"""The render CLI that ships with the pack: `python -m scripts.render` and what it runs (no import of tools/)."""
