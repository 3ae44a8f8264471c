"""The lowest layer: records, errors and tolerant value readers every other layer shares.

Imports nothing of lightbox."""
