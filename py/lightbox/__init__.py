"""Lightbox: a private DICOM viewer whose pipeline runs in Pyodide and natively.

Import the modules themselves (``lightbox.session.session``, ``lightbox.pixels.decode``, ...):
this package imports nothing, so that ``lightbox.browser.startup`` can run before
pydicom and numpy are imported.
"""

__version__ = "0.1.0"
