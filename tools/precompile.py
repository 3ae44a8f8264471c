"""Run inside Pyodide by precompile.mjs: sources in a zip to .pyc in a zip.

Each module becomes a legacy-layout ``.pyc`` beside where its ``.py`` was
(no ``__pycache__``), so the import system loads bytecode directly and never
compiles at start-up. Non-Python files are kept as they are. ``where`` is the
directory the archive is imported from at run time (what tracebacks name).
"""

import importlib.util
import marshal
import zipfile


def precompile(source: str, target: str, where: str = "/lib/python3.12/site-packages/") -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if not info.filename.endswith(".py"):
                dst.writestr(info.filename, data)
                continue
            code = compile(data, where + info.filename, "exec", dont_inherit=True)
            header = importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little") + bytes(8)
            # flags 0b01: hash-based pyc, unchecked: never compared with a source file.
            dst.writestr(info.filename + "c", header + marshal.dumps(code))
