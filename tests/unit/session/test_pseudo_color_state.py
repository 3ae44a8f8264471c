"""A Pseudo-Color Softcopy Presentation State applied (issue 16 item 1; PS3.3 A.33.3, PS3.4
N.2): the grey output of the state's VOI indexes its Palette Color Lookup Table (PS3.3
C.7.9). The expectation is worked here from the standard: the rescale, the LINEAR window
of C.11.2.1.2.1 written out, the 8-bit grey as the palette's index (256 entries, first
mapped 0), and each 16-bit entry's high byte; never from Lightbox's renderer.
"""

from __future__ import annotations

import io

import numpy as np
import pydicom
from pydicom.uid import generate_uid

from lightbox.session.session import Session
from tests.support import pstates
from tools.synth import ct_dataset, to_bytes

PSEUDO_COLOR_CLASS = "1.2.840.10008.5.1.4.1.1.11.3"
CENTER, WIDTH = 200.0, 1000.0


def _linear(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, output range 0 to 255."""
    y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255.0
    return np.clip(y, 0.0, 255.0)


def _case() -> tuple[list[tuple[str, bytes]], np.ndarray, str]:
    hu = (np.arange(64 * 80).reshape(64, 80) % 1600 - 500).astype(float)
    image = ct_dataset(
        hu, series_uid=generate_uid(), study_uid=generate_uid(), instance=1, z_mm=0.0
    )
    # The state carries the rescale (A.33.3: required where the images have one).
    state = pstates.gsps(image, window=(CENTER, WIDTH), rescale=(1.0, -1024.0), label="PSEUDO")
    state.SOPClassUID = state.file_meta.MediaStorageSOPClassUID = PSEUDO_COLOR_CLASS
    del state.PresentationLUTShape  # a pseudo-colour state has its palette instead
    index = np.arange(256, dtype=np.uint16)
    red, green = index * 257, (255 - index) * 257
    blue = np.full(256, 128 * 257, dtype=np.uint16)
    for name, table in (("Red", red), ("Green", green), ("Blue", blue)):
        setattr(state, f"{name}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(state, f"{name}PaletteColorLookupTableData", table.astype("<u2").tobytes())
    files = [("ct.dcm", to_bytes(image)), ("ps.dcm", to_bytes(state))]
    return files, hu, str(state.SOPInstanceUID)


def test_a_pseudo_color_state_maps_its_grey_output_through_its_palette() -> None:
    files, hu, uid = _case()
    session = Session()
    result = session.open(files)
    (ct,) = [i for i, s in enumerate(result["series"]) if s["modality"] == "CT"]
    plain = session.render(ct, 0).rgba
    assert (plain[..., 0] == plain[..., 2]).all()  # grey without the state
    shown = session.render(ct, 0, presentation=uid)
    assert shown.info["presentation"]["kind"] == "Pseudo-Color PS"
    grey = np.floor(_linear(hu, CENTER, WIDTH) + 0.5)  # the palette's index
    rgba = shown.rgba.astype(int)
    # Within one grey level: the window's rounding at a level's edge may land either side.
    assert np.abs(rgba[..., 0] - grey).max() <= 1
    assert np.abs(rgba[..., 1] - (255 - grey)).max() <= 1
    assert (rgba[..., 2] == 128).all() and (rgba[..., 3] == 255).all()
    assert np.mean(rgba[..., 0] == grey) > 0.99


def test_a_pseudo_color_states_colours_are_shown_through_its_icc_profile() -> None:
    """C.11.15: the state's ICC Profile describes the palette's colours (the worker converts
    through it: tests/browser/test_color_profiles.py)."""
    from tests.support.icc import matrix_profile

    files, _, uid = _case()
    state = pydicom.dcmread(io.BytesIO(files[1][1]))
    state.ICCProfile = matrix_profile()
    session = Session()
    session.open([files[0], ("ps.dcm", to_bytes(state))])
    (ct,) = [i for i, s in enumerate(session.catalog()["series"]) if s["modality"] == "CT"]
    assert session.render(ct, 0).info.get("icc") is None  # grey, no state: no profile
    key = session.render(ct, 0, presentation=uid).info["icc"]
    assert session.icc_profiles[key] == matrix_profile()
