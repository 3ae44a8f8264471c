"""The command line: ``lightbox render`` and ``lightbox deid``, and the PNG writer they use."""
