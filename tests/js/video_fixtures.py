"""Test data for tests/js/demux.test.js: video streams and what ffprobe says of them.

Usage: .venv/bin/python tests/js/video_fixtures.py OUTDIR

For each kind of clip of ``tests.support.video`` it writes OUTDIR/KIND.bin (the stream
ffmpeg encoded) and OUTDIR/manifest.json: per kind, ffprobe's packets of the video stream
in the file's (decoding) order with their key-frame flag and size, and the stream's
profile and level. ffprobe is the independent reader the demuxer is checked against.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support import video


def probe(path: Path) -> dict[str, object]:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise FileNotFoundError("ffprobe is missing: apt-get install -y ffmpeg")
    done = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_packets", "-show_streams",
         "-of", "json", str(path)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    found = json.loads(done.stdout)
    stream = found["streams"][0]
    return {
        "codec": stream["codec_name"],
        "profile": stream.get("profile"),
        "level": stream.get("level"),
        "keys": [p["flags"].startswith("K") for p in found["packets"]],
        "sizes": [int(p["size"]) for p in found["packets"]],
    }


def main(out: Path) -> None:
    manifest = {}
    for kind in ("h264-ts", "h264-mp4", "h264-mp4-bframes", "h264-annexb", "hevc-ts"):
        path = out / f"{kind}.bin"
        path.write_bytes(video.encode(kind, 24))
        manifest[kind] = probe(path)
    (out / "manifest.json").write_text(json.dumps(manifest))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
