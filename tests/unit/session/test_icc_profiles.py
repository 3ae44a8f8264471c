"""Which ICC profile a colour frame is shown through (issue 16 item 1; PS3.3 C.11.15):
the render info names it (``icc``, a key into ``Session.icc_profiles``) and the worker
converts through it (tests/browser/test_color_profiles.py checks the colours). An applied
Color or Pseudo-Color Softcopy Presentation State's profile replaces the image's
(C.11.15: the state's ICC Profile Module describes the colours it presents)."""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from lightbox.session.session import Session
from tests.support import pstates
from tests.support.factories import image_dataset
from tests.support.icc import matrix_profile
from tools.synth import to_bytes

COLOR_PS = "1.2.840.10008.5.1.4.1.1.11.2"
IMAGE_PROFILE = matrix_profile(name="the image's")
STATE_PROFILE = matrix_profile(gamma=1.8, name="the state's")


def _rgb(**extra: object) -> Dataset:
    ds = image_dataset(
        np.zeros((8, 8, 3), np.uint8), photometric="RGB", modality="XC", bits_allocated=8
    )
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return ds


def _key(session: Session, series: int, presentation: str | None = None) -> bytes | None:
    key = session.render(series, 0, presentation=presentation).info["icc"]
    return None if key is None else session.icc_profiles[key]


def test_the_images_own_profile_and_none_without_one() -> None:
    session = Session()
    session.open([("a.dcm", to_bytes(_rgb(ICCProfile=IMAGE_PROFILE))), ("b.dcm", to_bytes(_rgb()))])
    by_name = {s["files"][0]: i for i, s in enumerate(session.catalog()["series"])}
    assert _key(session, by_name["a.dcm"]) == IMAGE_PROFILE
    assert _key(session, by_name["b.dcm"]) is None


def test_an_applied_colour_state_shows_through_its_own_profile() -> None:
    image = _rgb(ICCProfile=IMAGE_PROFILE)
    state = pstates.gsps(image, label="COLOUR")
    state.SOPClassUID = state.file_meta.MediaStorageSOPClassUID = COLOR_PS
    state.ICCProfile = STATE_PROFILE
    session = Session()
    session.open([("image.dcm", to_bytes(image)), ("ps.dcm", to_bytes(state))])
    assert _key(session, 0) == IMAGE_PROFILE
    assert _key(session, 0, str(state.SOPInstanceUID)) == STATE_PROFILE
