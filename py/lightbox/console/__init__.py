"""The ``study`` API of the Python console and of ``lightbox script`` (issue 21)."""
