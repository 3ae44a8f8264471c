"""``python -m lightbox``: the command line (see :mod:`lightbox.cli`)."""

from lightbox.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
