"""HTJ2K, all three transfer syntaxes, encoded at test time with the openjph codec (Node)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import HTJ2K, HTJ2KLossless, HTJ2KLosslessRPCL

from lightbox.session.session import Session
from tests.support.expect import expected_frame
from tests.support.viewer import Viewer
from tools import synth

ROOT = Path(__file__).resolve().parents[2]


def htj2k_file(folder: Path, syntax: str, lossy: bool) -> tuple[Path, np.ndarray]:
    """A 12-bit CT-like image encoded as HTJ2K, and the samples it was made from."""
    rows, cols = 96, 128
    y, x = np.mgrid[0:rows, 0:cols]
    samples = ((x * 23 + y * 17) % 3000 + 500).astype("<u2")
    raw = folder / f"{syntax}.raw"
    samples.tofile(raw)
    stream = folder / f"{syntax}.j2c"
    subprocess.run(
        [
            "node",
            str(ROOT / "tests/browser/htj2k_encode.mjs"),
            str(raw),
            str(stream),
            str(cols),
            str(rows),
            "12",
            "0",
            "1" if lossy else "0",
            "1" if syntax == HTJ2KLosslessRPCL else "0",
        ],
        check=True,
        cwd=ROOT,
    )
    ds = synth.ct_series(1, rows, cols, name=f"htj2k-{syntax}", window=(1500.0, 3000.0))[0]
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
    ds.RescaleIntercept = 0
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate([stream.read_bytes()])
    ds["PixelData"].VR = "OB"
    path = folder / f"htj2k-{syntax}.dcm"
    path.write_bytes(synth.to_bytes(ds))
    return path, samples


@pytest.mark.parametrize(
    ("syntax", "lossy"),
    [
        pytest.param(HTJ2KLossless, False, id="htj2k-lossless"),
        pytest.param(HTJ2KLosslessRPCL, False, id="htj2k-lossless-rpcl"),
        pytest.param(HTJ2K, True, id="htj2k-lossy"),
    ],
)
def test_htj2k_decodes_in_the_browser(
    viewer: Viewer, tmp_path: Path, syntax: str, lossy: bool
) -> None:
    path, samples = htj2k_file(tmp_path, syntax, lossy)
    viewer.choose([path])
    state = viewer.state()
    assert state["file"] == path.name and state["decoder"] == "openjph"
    got = viewer.frame()
    # The reference decodes with pydicom's OpenJPEG plugin and renders from the standard.
    expected = expected_frame({path.name: path}, 0, 0)
    assert expected.disagreement(got, max_lossy=3) is None
    if not lossy:
        session = Session()
        session.open([(path.name, path.read_bytes())])
        stored = session.stored(session.frame_ref(0, 0))
        assert (stored == samples).all()  # lossless: the samples we encoded
