"""The command line's one error: what the user asked cannot be done (exit code 2)."""

from __future__ import annotations


class UsageError(Exception):
    """A problem with the command line or the folders, told to the user as it is."""
