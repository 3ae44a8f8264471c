"""Waveforms (PS3.3 C.10.9): multiplex groups read from a header, samples to values, plots.

Pure math over arrays (``samples``, ``plot``) and one reader of a Dataset (``read``)."""
