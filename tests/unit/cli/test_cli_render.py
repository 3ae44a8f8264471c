"""`lightbox render`: the browser's pipeline on native CPython, written as PNG."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from lightbox.cli.main import main
from lightbox.cli.png import encode_png
from lightbox.session.session import Session

FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def test_png_round_trips_through_an_independent_decoder() -> None:
    rgba = np.random.default_rng(3).integers(0, 256, (7, 5, 4), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(rgba))).convert("RGBA"))
    assert (decoded == rgba).all()
    with pytest.raises(ValueError):
        encode_png(rgba[..., :3])


@pytest.mark.parametrize(
    ("name", "frame", "extra"),
    [
        pytest.param("CT_small.dcm", 1, [], id="ct"),
        pytest.param("examples_ybr_color.dcm", 3, [], id="ybr-multiframe"),
        pytest.param("MR_small.dcm", 1, ["--window", "500", "1000", "--invert"], id="window"),
    ],
)
def test_render_writes_the_same_frame_as_the_viewer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, frame: int, extra: list[str]
) -> None:
    out = tmp_path / "out.png"
    assert main(["render", str(FILES / name), "--frame", str(frame), "-o", str(out), *extra]) == 0
    png = np.asarray(Image.open(out).convert("RGBA"))
    session = Session()
    session.open([(name, (FILES / name).read_bytes())])
    window = (500.0, 1000.0) if extra else None
    want = session.render(0, frame - 1, window, bool(extra)).rgba
    assert (png == want).all()
    assert f"frame {frame}" in capsys.readouterr().out


def test_render_reports_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.png"
    assert main(["render", str(FILES / "rtplan.dcm"), "-o", str(out)]) == 2
    assert main(["render", str(FILES / "CT_small.dcm"), "--frame", "2", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "rtplan.dcm" in err and "frame 2 of 1 does not exist" in err
    assert not out.exists()
