"""Segmentations (SEG, issue 16 item 4): reading a SEG object's segments and frames, the
colour of each segment, and the mask layer drawn over the images they refer to.

Pure over pydicom datasets and numpy arrays; the session finds which image frame each
SEG frame covers and asks here for the pixels.
"""
