"""``python -m lightbox``: the command line (see :mod:`lightbox.cli.main`)."""

from lightbox.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
