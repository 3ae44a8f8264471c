"""Every row of PS3.15 Table E.1-1, generated from the shipped profile: each action is done.

For each row a small image is made with that attribute present (a plausible
value for its VR), de-identified with the Basic Profile, and the attribute
checked: X removed, Z empty, D a dummy, U a new UID, and (X/Z/U*) a kept
sequence whose instance UIDs are new. A second test does the same for every
option column of every row: K kept as it was, C cleaned.
"""

from __future__ import annotations

import io
import re

import pydicom
import pytest
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage

from lightbox.deid.api import DeidOptions, Keys, process_file
from lightbox.deid.profile import COMBINED, Action, Pattern, load_profile
from tests.support.factories import image_dataset
from tests.support.planted import UID_ROOT, with_command_group
from tools.synth import to_bytes

PROFILE = load_profile()
KEYS = Keys(b"k" * 32)
TEXT = "MKROWVALUE"
SQ_TEXT = "MKSQTEXT"
ORIGINAL_UID = UID_ROOT + "777"

_VALUES: dict[str, object] = {
    "AE": "MKAE",
    "AS": "045Y",
    "CS": "MKCS",
    "DA": "20200315",
    "DT": "20200315101010",
    "TM": "101010",
    "DS": "1.5",
    "IS": "7",
    "US": 7,
    "UN": b"MKUN",
    "OB": b"MKOB",
    "PN": "MKPN^ROW",
    "UI": ORIGINAL_UID,
    "UR": "http://mkurl.example/",
}

#: Column -> the options that turn it on.
_OPTIONS = {
    "rtnSafePrivOpt": DeidOptions(retain_safe_private=True),
    "rtnUIDsOpt": DeidOptions(retain_uids=True),
    "rtnDevIdOpt": DeidOptions(retain_device_identity=True),
    "rtnInstIdOpt": DeidOptions(retain_institution_identity=True),
    "rtnPatCharsOpt": DeidOptions(retain_patient_characteristics=True),
    "rtnLongFullDatesOpt": DeidOptions(retain_longitudinal="full"),
    "rtnLongModifDatesOpt": DeidOptions(retain_longitudinal="modified"),
    "cleanDescOpt": DeidOptions(clean_descriptors=True),
    "cleanStructContOpt": DeidOptions(clean_structured_content=True),
    "cleanGraphOpt": DeidOptions(clean_graphics=True),
}


def _tag(text: str) -> int | None:
    match = re.fullmatch(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)", text.upper())
    return int(match[1] + match[2], 16) if match else None


TAG_ROWS = sorted(
    ((tag, row) for tag, row in PROFILE.rows.items()),
    key=lambda pair: pair[0],
)


def _value(vr: str) -> object:
    if vr == "SQ":
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "MK1", "99MK", SQ_TEXT
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = CTImageStorage, ORIGINAL_UID
        return Sequence([item])
    return _VALUES.get(vr, TEXT)


def _vr(tag: int) -> str:
    vr = dictionary_VR(tag)
    return {"OB or OW": "OB", "US or SS": "US", "US or OW": "US"}.get(vr, vr.split(" ")[0])


def _file(tag: int) -> tuple[bytes, object]:
    """A small CT image holding the row's attribute; returns its bytes and the planted value."""
    ds = image_dataset(modality="CT", sop_uid=UID_ROOT + "1", series_uid=UID_ROOT + "2")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.StudyInstanceUID, ds.PatientID, ds.BurnedInAnnotation = UID_ROOT + "3", "P1", "NO"
    vr = _vr(tag)
    value = _value(vr)
    if tag >> 16 == 0x0002:
        ds.file_meta.add_new(tag, vr, value)
        if tag == 0x00020003:  # Media Storage SOP Instance UID always equals SOP Instance UID
            ds.SOPInstanceUID = value
        return to_bytes(ds), value
    if tag in (0x00080018, 0x0020000D, 0x0020000E):
        value = ORIGINAL_UID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.add_new(tag, vr, value)
    if tag >> 16 == 0x0000:
        return with_command_group(ds), value
    return to_bytes(ds), value


def _out(tag: int, options: DeidOptions) -> pydicom.Dataset:
    data, _ = _file(tag)
    result = process_file("row.dcm", data, options, KEYS, PROFILE)
    assert result.data is not None, result.excluded
    return pydicom.dcmread(io.BytesIO(result.data))


def _get(ds: pydicom.Dataset, tag: int) -> pydicom.DataElement | None:
    where = ds.file_meta if tag >> 16 == 0x0002 else ds
    return where.get(tag)


def _texts(seq: Sequence) -> list[str]:
    return [str(e.value) for item in seq for e in item.iterall() if e.VR != "SQ"]


def _check(
    action: Action, tag: int, ds: pydicom.Dataset, original: object, new_uids: bool = True
) -> None:
    elem = _get(ds, tag)
    if action is Action.REMOVE:
        assert elem is None
        return
    assert elem is not None, "attribute missing"
    if action is Action.ZERO:
        assert elem.is_empty
    elif action is Action.KEEP and elem.VR == "SQ":
        # K keeps a sequence and de-identifies its items: the code stays, UIDs are new
        assert len(elem.value) == 1 and elem.value[0].CodeMeaning == SQ_TEXT
        uid = elem.value[0].ReferencedSOPInstanceUID
        assert uid.startswith("2.25.") if new_uids else uid == ORIGINAL_UID
    elif action is Action.KEEP:
        assert elem.value == original
    elif action is Action.UID:
        assert elem.value != original and str(elem.value).startswith("2.25.")
    elif action is Action.REFERENCES:
        refs = [item.ReferencedSOPInstanceUID for item in elem.value]
        assert refs and all(r.startswith("2.25.") for r in refs)
    elif action is Action.DUMMY:
        assert not elem.is_empty
        if elem.VR == "SQ":
            assert len(elem.value) == 1 and SQ_TEXT not in _texts(elem.value)
        else:
            assert elem.value != original
    elif action is Action.CLEAN:
        _check_clean(elem, original)


def _check_clean(elem: pydicom.DataElement, original: object) -> None:
    if elem.VR == "SQ":
        assert len(elem.value) == 1  # kept, its items cleaned
    elif elem.VR in ("DA", "DT"):
        assert elem.value and elem.value != original  # shifted (Modified Dates)
    elif elem.VR == "AE":
        assert str(elem.value).startswith("AE") and elem.value != original
    else:  # text: nothing identifying in it, so the cleaned text is the text
        assert elem.value == original


@pytest.mark.parametrize(
    ("tag", "basic"),
    [pytest.param(tag, row.basic, id=f"{row.tag}-{row.basic}") for tag, row in TAG_ROWS],
)
def test_basic_profile_action_for_every_row(tag, basic):
    _, original = _file(tag)
    action = COMBINED.get(basic) or Action(basic)
    if tag >> 16 == 0x0000:  # command elements never belong to a stored object
        action = Action.REMOVE
    _check(action, tag, _out(tag, DeidOptions()), original)


OPTION_CASES = [
    pytest.param(tag, column, code, id=f"{row.tag}-{column}-{code}")
    for tag, row in TAG_ROWS
    for column, code in row.options
]


@pytest.mark.parametrize(("tag", "column", "code"), OPTION_CASES)
def test_option_action_for_every_row(tag, column, code):
    _, original = _file(tag)
    row = PROFILE.rows[tag]
    ds = _out(tag, _OPTIONS[column])
    if tag >> 16 == 0x0000:
        code = "X"
    elif code == "C" and _vr(tag) in ("OB", "UN"):
        # binary values cannot be cleaned: the Basic Profile action applies
        code = (COMBINED.get(row.basic) or Action(row.basic)).value
    _check(Action(code), tag, ds, original, new_uids=column != "rtnUIDsOpt")


def test_every_row_is_exercised():
    assert len(TAG_ROWS) + len(PROFILE.patterns) == 621
    assert set(PROFILE.patterns) == set(Pattern)


@pytest.mark.parametrize(
    ("options", "kept"),
    [(DeidOptions(), False), (DeidOptions(clean_graphics=True), True)],
)
def test_pattern_rows_curve_and_overlay(options, kept):
    ds = image_dataset(modality="CT")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.add_new(0x50023000, "OB", b"\x01\x02")  # Curve Data, group 5002
    ds.add_new(0x601E3000, "OW", b"\x00\x00")  # Overlay Data, group 601E
    ds.add_new(0x601E4000, "LT", "overlay note")  # Overlay Comments
    result = process_file("p.dcm", to_bytes(ds), options, KEYS, PROFILE)
    out = pydicom.dcmread(io.BytesIO(result.data))
    for tag in (0x50023000, 0x601E3000, 0x601E4000):
        assert (tag in out) is kept


@pytest.mark.parametrize(
    ("options", "kept"),
    [(DeidOptions(), set()), (DeidOptions(retain_safe_private=True), {0x00131001, 0x00130010})],
)
def test_pattern_row_private_attributes(options, kept):
    ds = image_dataset(modality="CT")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.private_block(0x0013, "SAFE ONE", create=True).add_new(0x01, "LO", "fine")
    mixed = ds.private_block(0x0015, "MIXED ONE", create=True)
    mixed.add_new(0x01, "LO", "fine too")
    mixed.add_new(0x02, "LO", "identifying")
    mixed.add_new(0x03, "UI", ORIGINAL_UID)
    declared = []
    for group, creator, status in ((0x0013, "SAFE ONE", "SAFE"), (0x0015, "MIXED ONE", "MIXED")):
        item = Dataset()
        item.PrivateGroupReference, item.PrivateCreatorReference = group, creator
        item.BlockIdentifyingInformationStatus = status
        declared.append(item)
    declared[1].NonidentifyingPrivateElements = [0x01]
    action = Dataset()
    action.IdentifyingPrivateElements, action.DeidentificationAction = [0x03], "U"
    declared[1].DeidentificationActionSequence = [action]
    ds.PrivateDataElementCharacteristicsSequence = declared
    result = process_file("p.dcm", to_bytes(ds), options, KEYS, PROFILE)
    out = pydicom.dcmread(io.BytesIO(result.data))
    private = {int(e.tag) for e in out if e.tag.is_private}
    if not kept:
        assert private == set()
        return
    assert private == kept | {0x00150010, 0x00151001, 0x00151003}
    assert out[0x00151003].value.startswith("2.25.")
