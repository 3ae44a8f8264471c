"""Key Object Selection: the frames a KOS flags are the series' key images, with its title.

Which frames are flagged is read here from the KOS with pydicom (its IMAGE items'
Referenced SOP Instance UIDs) and matched to the files' own SOP Instance UIDs.
"""

from __future__ import annotations

import io

import numpy as np
import pydicom

from lightbox.session.session import Session
from tests.support import kos, segs
from tests.support.factories import enhanced_dataset
from tools.synth import to_bytes


def test_kos_flags_two_slices_and_stays_a_document() -> None:
    stack = segs.ct_stack(slices=5)
    data, _ = kos.kos_bytes([stack.datasets[1], stack.datasets[3]])
    session = Session()
    result = session.open([*stack.files.items(), ("kos.dcm", data)])
    [series] = result["series"]
    read = pydicom.dcmread(io.BytesIO(data))
    flagged = {
        item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID for item in read.ContentSequence
    }
    want = [
        i
        for i, ref in enumerate(session.series[0].frames)
        if session.files[ref.file].header.dataset.SOPInstanceUID in flagged
    ]
    assert series["keyImages"] == want == [1, 3]
    assert series["keyObjects"] == [
        {
            "uid": read.SOPInstanceUID,
            "seriesUid": read.SeriesInstanceUID,
            "title": "For Referring Provider",
            "frames": [1, 3],
        }
    ]
    assert series["objects"] == [
        {
            "kind": "KO",
            "uid": read.SOPInstanceUID,
            "seriesUid": read.SeriesInstanceUID,
            "label": "For Referring Provider",
        }
    ]
    assert [d["name"] for d in result["documents"]] == ["kos.dcm"]


def test_kos_frames_of_a_multiframe_image() -> None:
    ds = enhanced_dataset(np.arange(4 * 6 * 5, dtype=np.uint16).reshape(4, 6, 5))
    data, _ = kos.kos_bytes([ds], title=("113000", "Of Interest"), frames=[2, 4])
    session = Session()
    result = session.open([("mf.dcm", to_bytes(ds)), ("kos.dcm", data)])
    [series] = result["series"]
    assert series["keyImages"] == [1, 3]
    assert series["keyObjects"][0]["title"] == "Of Interest"


def test_no_kos_no_key_images() -> None:
    stack = segs.ct_stack()
    result = Session().open(list(stack.files.items()))
    assert result["series"][0]["keyImages"] == []
