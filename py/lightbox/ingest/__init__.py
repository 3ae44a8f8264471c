"""Bytes to headers: is it DICOM, archives (ZIP), DICOMDIR read and reconciled, documents.

Above :mod:`lightbox.core`; pixel data stays in the file's bytes until a frame is asked for."""
