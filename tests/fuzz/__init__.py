"""A mutation fuzzer over the native ingest, catalog, pixel and display paths (issue 19)."""
