"""What is drawn on the images from other objects (issue 16 items 1 and 3): presentation
states (GSPS, colour and pseudo-colour PS: ``pstate``), SR measurements with their spatial
coordinates (``srmeasure``), and the layer both are drawn in on the image grid (``draw``).

Pure over pydicom datasets and numpy arrays; the session says which images are open and
asks here for what lies on them.
"""
