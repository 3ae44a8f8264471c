"""What is open: the session the bridge and the command line drive (files, cache, render)."""
