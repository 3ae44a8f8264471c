"""Lightbox: a private DICOM viewer whose pipeline runs in Pyodide and natively."""

from lightbox.errors import DecodeError, LightboxError, NotDicomError
from lightbox.session import Session

__all__ = ["DecodeError", "LightboxError", "NotDicomError", "Session"]
__version__ = "0.1.0"
