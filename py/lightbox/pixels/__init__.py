"""One frame of a file to stored values: pixel format, where the pixel data lies, codecs.

Above :mod:`lightbox.ingest`; knows nothing of windows, series or the browser."""
