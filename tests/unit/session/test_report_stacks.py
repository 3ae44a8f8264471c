"""The report's slice gaps are those of the catalog's stacks, not of raw Series UIDs.

A stack of slices at 2 mm with two missing has one gap of 2 slices, worked out by
hand from the positions written below; a localizer (another plane) or images of
another size in the same Series Instance UID are other series of the catalog and
must not hide that gap.
"""

from __future__ import annotations

import copy

import pytest

from lightbox.session.session import Session
from tools.synth import ct_series, to_bytes


def _stack_with_gap() -> list:
    slices = ct_series(9, 16, 16, name="gap")
    return [ds for i, ds in enumerate(slices) if i not in (4, 5)]  # 7 slices, 2 missing


def _localizer(like) -> object:
    scout = copy.deepcopy(like)
    scout.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    scout.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]  # coronal
    scout.SOPInstanceUID = like.SOPInstanceUID + ".99"
    scout.InstanceNumber = 99
    return scout


def _other_size(like) -> object:
    small = ct_series(1, 8, 8, name="gap-small")[0]
    small.SeriesInstanceUID = like.SeriesInstanceUID
    small.StudyInstanceUID = like.StudyInstanceUID
    small.FrameOfReferenceUID = like.FrameOfReferenceUID
    return small


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(None, id="stack-alone"),
        pytest.param(_localizer, id="with-a-localizer"),
        pytest.param(_other_size, id="with-an-image-of-another-size"),
    ],
)
def test_the_gap_of_the_stack_is_reported(extra) -> None:
    slices = _stack_with_gap()
    files = [(f"s{i}.dcm", to_bytes(ds)) for i, ds in enumerate(slices)]
    if extra is not None:
        files.append(("extra.dcm", to_bytes(extra(slices[0]))))
    session = Session()
    session.open(files)
    gaps = session.completeness().gaps
    assert [(g.gaps, g.missing) for g in gaps] == [(1, 2)]
