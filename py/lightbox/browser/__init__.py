"""The only package that knows Pyodide: start-up, the bridge the worker calls, its JSON."""
