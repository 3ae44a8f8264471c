"""Stored values to RGBA: Modality LUT, VOI, presentation, palettes, overlays, per-frame parameters.

Pure math over arrays and the small selectors that read a Dataset into its parameters."""
