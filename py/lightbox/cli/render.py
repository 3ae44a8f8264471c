"""``lightbox render``: one frame as the viewer shows it, or a plane or slab of a volume."""

from __future__ import annotations

import argparse
from pathlib import Path

from lightbox.cli.png import encode_png
from lightbox.cli.usage import UsageError
from lightbox.core.errors import LightboxError
from lightbox.session.session import Session


def _series_files(path: Path) -> list[tuple[str, bytes]]:
    """The files of a folder (and below it), or the one file, as (name, bytes)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    try:
        return [
            (str(p.relative_to(path)) if path.is_dir() else p.name, p.read_bytes()) for p in files
        ]
    except OSError as exc:
        raise UsageError(f"{exc.filename}: {exc.strerror}") from exc


def run_render_view(args: argparse.Namespace) -> int:
    """``lightbox render SERIES_DIR --plane P [--position MM] [--slab MM] [--projection]``."""
    if args.plane is None:
        raise UsageError(f"{args.file}: a folder is rendered as a volume: give --plane")
    session = Session()
    result = session.open(_series_files(args.file))
    if not result["series"]:
        reasons = "; ".join(s["reason"] for s in result["skipped"][:3]) or "no image"
        raise UsageError(f"{args.file}: {reasons}")
    sizes = [len(s.frames) for s in session.series]
    chosen = max(range(len(sizes)), key=lambda i: sizes[i])
    described = result["series"][chosen]["description"] or f"series {chosen + 1}"
    if len(sizes) > 1:
        print(
            f"{args.file}: {len(sizes)} series; rendering the largest, "
            f"{described!r} ({sizes[chosen]} images)"
        )
    view = {
        "plane": args.plane,
        "normal": args.normal,
        "position": args.position,
        "slab": args.slab,
        "projection": args.projection,
    }
    window = tuple(args.window) if args.window else None
    try:
        rendered = session.render_view(chosen, view, window, args.invert)
    except (LightboxError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    args.output.write_bytes(encode_png(rendered.rgba))
    info = rendered.info
    shown = info["view"]
    slab = f", {shown['slab']:g} mm {shown['projection']} slab" if shown["slab"] else ""
    print(
        f"{args.output}: {info['width']}x{info['height']}, {shown['plane']} at "
        f"{shown['position']:.2f} mm{slab}, {sizes[chosen]} images, "
        f"window {info.get('windowCenter')}/{info.get('windowWidth')} ({info.get('windowSource')})"
    )
    for warning in info["volume"]["warnings"]:
        print(f"{args.output}: {warning['message']}")
    return 0


def run_render(args: argparse.Namespace) -> int:
    """``lightbox render FILE --frame N -o out.png``, or a volume's view (``--plane``)."""
    if args.plane is not None or args.file.is_dir():
        return run_render_view(args)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{args.file}: {exc.strerror}") from exc
    session = Session()
    result = session.open([(args.file.name, data)])
    if not result["series"]:
        reasons = "; ".join(s["reason"] for s in result["skipped"]) or "no image"
        raise UsageError(f"{args.file}: {reasons}")
    frames = session.series[0].frames
    if not 1 <= args.frame <= len(frames):
        raise UsageError(f"{args.file}: frame {args.frame} of {len(frames)} does not exist")
    window = tuple(args.window) if args.window else None
    try:
        rendered = session.render(0, args.frame - 1, window, args.invert)
    except LightboxError as exc:
        raise UsageError(str(exc)) from exc
    args.output.write_bytes(encode_png(rendered.rgba))
    info = rendered.info
    print(
        f"{args.output}: {info['width']}x{info['height']}, frame {args.frame} of {len(frames)}, "
        f"window {info.get('windowCenter')}/{info.get('windowWidth')} "
        f"({info.get('windowSource')}), decoder {info.get('decoder')}"
    )
    return 0
