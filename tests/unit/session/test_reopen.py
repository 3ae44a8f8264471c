"""Opening files that are already open (issue 12, defect 5): the result says where they are.

A file already open (same SOP Instance UID) is not opened twice; it is skipped
as a duplicate ("already open" when it is the same file again), and the
result's ``reopened`` says which series and frame show it, so that the page can
show it instead of leaving the screen as it was.
"""

from __future__ import annotations

from lightbox.catalog.facts import SkipKind, classify
from lightbox.core.records import Skipped
from lightbox.session.session import Session
from tools import synth


def _series(count: int = 5, name: str = "again") -> list[tuple[str, bytes]]:
    return [
        (f"IM{i + 1}", synth.to_bytes(ds))
        for i, ds in enumerate(synth.ct_series(count, 16, 16, name=name))
    ]


def test_a_file_opened_again_says_which_series_shows_it(pydicom_file):
    ct = ("CT_small.dcm", pydicom_file("CT_small.dcm").read_bytes())
    mr = ("MR_small.dcm", pydicom_file("MR_small.dcm").read_bytes())
    session = Session()
    assert session.open([ct])["reopened"] is None
    session.open([mr])
    result = session.open([ct])
    assert result["first"] is None and result["opened"] == []
    shown = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    assert result["reopened"] == {"series": shown, "frame": 0, "file": "CT_small.dcm", "count": 1}
    reason = "already open (same SOP Instance UID)"
    said = {"text": reason, "key": "engine.already_open", "params": {}}
    assert result["skipped"] == [{"name": "CT_small.dcm", "reason": reason, "said": said}]
    # Still one file each: nothing was added, and the report counts it with the duplicates.
    assert [f.name for f in session.files] == ["CT_small.dcm", "MR_small.dcm"]
    assert result["report"]["duplicates"] == ["CT_small.dcm"]


def test_one_file_of_a_series_opened_again_gives_its_frame():
    files = _series()
    session = Session()
    session.open(files)
    again = session.open([files[2]])["reopened"]
    assert again == {"series": 0, "frame": 2, "file": "IM3", "count": 1}
    # All of them, in any order: the series' first frame.
    again = session.open(files[::-1])["reopened"]
    assert again == {"series": 0, "frame": 0, "file": "IM1", "count": 5}


def test_the_first_series_in_catalog_order_is_the_one_given():
    one, two = _series(2, name="one"), _series(3, name="two")
    session = Session()
    session.open(one + two)
    second = next(i for i, s in enumerate(session.series) if len(s.frames) == 3)
    again = session.open([two[1], one[1]])["reopened"]
    assert again is not None and again["series"] == 1 - second and again["frame"] == 1
    assert again["count"] == 2


def test_a_copy_under_another_name_is_a_duplicate_of_the_one_open():
    name, data = _series(1)[0]
    session = Session()
    session.open([(name, data)])
    result = session.open([("copy/IM1", data)])
    reason = "duplicate of IM1 (same SOP Instance UID)"
    said = {"text": reason, "key": "engine.duplicate_of", "params": {"other": "IM1"}}
    assert result["skipped"] == [{"name": "copy/IM1", "reason": reason, "said": said}]
    assert result["reopened"] == {"series": 0, "frame": 0, "file": "IM1", "count": 1}


def test_new_files_and_files_already_open_together():
    files = _series(3)
    session = Session()
    session.open(files[:2])
    result = session.open(files[1:])
    assert result["first"] == 0  # the series this open added to: the page shows it
    assert result["reopened"] == {"series": 0, "frame": 1, "file": "IM2", "count": 1}


def test_already_open_is_classified_as_a_duplicate():
    assert classify(Skipped("a.dcm", "already open (same SOP Instance UID)")) is (
        SkipKind.DUPLICATE
    )
