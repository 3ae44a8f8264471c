"""The small error hierarchy. Every error names the file and the reason."""

from __future__ import annotations


class LightboxError(Exception):
    """Base of every error Lightbox raises on purpose.

    Parameters
    ----------
    name : str
        The file the error is about, as the user named it.
    reason : str
        What is wrong, in words a user can act on.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class NotDicomError(LightboxError):
    """The bytes are not a DICOM file (no ``DICM`` marker, no plausible dataset)."""


class InvalidDicomError(LightboxError):
    """The file claims to be DICOM but its header cannot be read (truncated, corrupt)."""


class DecodeError(LightboxError):
    """The header is fine but the pixel data of a frame cannot be decoded."""


class NoPixelDataError(LightboxError):
    """The object has no image (a report, a structured document, a presentation state)."""
