"""What the viewer tells about a frame: on-image text, calibration, measurements, the tag tree."""
