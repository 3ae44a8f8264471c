"""De-identification (PS3.15 Annex E): the profile as data, options, rules, the export.

This __init__ imports nothing: the browser defers :mod:`lightbox.deid.api` until first use."""
