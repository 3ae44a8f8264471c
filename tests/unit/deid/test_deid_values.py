"""lightbox.deid.values and deid_profile: new UIDs, dates, ages, cleaned text, the table as data."""

from __future__ import annotations

import json
import re

import pytest

from lightbox.deid.options import DeidOptions
from lightbox.deid.profile import (
    PROFILE_FILE,
    Action,
    Pattern,
    Row,
    decide,
    load_profile,
    parse_profile,
)
from lightbox.deid.values import (
    Cleaner,
    Keys,
    group_age,
    shift_date,
    shift_datetime,
    year_only,
)
from tests.support.paths import shared_file


def test_new_uids_are_2_25_uuids_consistent_per_secret():
    keys = Keys(b"x" * 32)
    uid = keys.uid("1.2.3.4")
    assert re.fullmatch(r"2\.25\.[1-9]\d*", uid) and len(uid) <= 64
    assert keys.uid("1.2.3.4") == uid == keys.uid("1.2.3.4 ")
    assert keys.uid("1.2.3.5") != uid
    assert Keys(b"y" * 32).uid("1.2.3.4") != uid
    assert (int(uid[5:]) >> 76) & 0xF == 4  # UUID version 4 bits


def test_short_secret_refused():
    with pytest.raises(ValueError):
        Keys(b"short")


def test_pseudonyms_and_shifts_are_per_patient():
    keys = Keys(b"x" * 32)
    assert keys.pseudonym("id::A") == keys.pseudonym("id::A") != keys.pseudonym("id::B")
    assert len(keys.pseudonym("id::A")) <= 16
    shifts = {keys.shift_days(f"id::{n}") for n in range(200)}
    assert all(-3650 <= s <= -365 for s in shifts) and len(shifts) > 150


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("089Y", "089Y"),
        ("090Y", "090Y"),
        ("095Y", "090Y"),
        ("120Y", "090Y"),
        ("999M", "999M"),  # 83 years
        ("999W", "999W"),
        ("030D", "030D"),
        ("", ""),
        ("abc", "abc"),
    ],
)
def test_ages_over_89_are_grouped(value, expected):
    assert group_age(value) == expected


@pytest.mark.parametrize(
    ("value", "days", "expected"),
    [
        ("20240301", -1, "20240229"),
        ("20230301", -1, "20230228"),
        ("202403", -31, "202401"),
        ("2024", -400, "2022"),
        ("not a date", -1, ""),
        ("00010102", -5, ""),
    ],
)
def test_shift_date(value, days, expected):
    assert shift_date(value, days) == expected


def test_shift_datetime_keeps_time_and_offset():
    assert shift_datetime("20240301101112.5+0100", -1) == "20240229101112.5+0100"


@pytest.mark.parametrize(
    ("value", "vr", "expected"),
    [("20240301", "DA", "20240101"), ("20240301101112", "DT", "2024"), ("", "DA", "")],
)
def test_year_only(value, vr, expected):
    assert year_only(value, vr) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CT head for Doe", "CT head for *"),
        ("doe JOHN", "* *"),
        ("seen 2024-03-05 and 05/03/2024", "seen * and *"),
        ("born 19290412", "born *"),
        ("call +44 20 7946 0958", "call *"),
        ("mail a.b@example.org now", "mail * now"),
        ("see https://pacs.example/x?y=1", "see *"),
        ("host 10.1.2.3", "host *"),
        ("CT HEAD W/O 5mm", "CT HEAD W/O 5mm"),
        ("MRN12345678", "*"),
    ],
)
def test_cleaner_masks_known_values_and_identifier_shapes(text, expected):
    cleaner = Cleaner.from_values(["Doe^John^^Dr", "MRN12345678", "M"])
    assert cleaner.clean(text) == expected
    assert len(cleaner.clean(text)) <= len(text)


# -- the table as data -------------------------------------------------------------------


def test_profile_notes_edition_and_source():
    document = json.loads(PROFILE_FILE.read_text(encoding="utf-8"))
    assert document["edition"] == "2024b"
    assert "innolitics/dicom-standard" in document["source"]
    assert len(document["attributes"]) == 621


def test_profile_equals_the_shared_reference_copy():
    shared = shared_file("data", "ps3.15-table-E.1-1-2024b.json")
    document = json.loads(PROFILE_FILE.read_text(encoding="utf-8"))
    assert document["attributes"] == json.loads(shared.read_text(encoding="utf-8"))


def test_profile_patterns():
    profile = load_profile()
    assert profile.row(0x50103000) is profile.patterns[Pattern.CURVE]
    assert profile.row(0x601E3000) is profile.patterns[Pattern.OVERLAY_DATA]
    assert profile.row(0x60024000) is profile.patterns[Pattern.OVERLAY_COMMENTS]
    assert profile.row(0x00291010) is profile.patterns[Pattern.PRIVATE]
    assert profile.row(0x60010010) is profile.patterns[Pattern.PRIVATE]  # 6001 is odd: private
    assert profile.row(0x60000010) is None  # Overlay Rows: not a table row
    assert profile.row(0x00100010).basic == "Z"


def test_unknown_tag_or_action_in_the_data_is_refused():
    document = json.loads(PROFILE_FILE.read_text(encoding="utf-8"))
    document["attributes"].append({"name": "x", "tag": "(00ZZ,0010)", "basicProfile": "X"})
    with pytest.raises(ValueError, match="neither a tag nor a known pattern"):
        parse_profile(document)
    document["attributes"][-1] = {"name": "x", "tag": "(0011,0010)", "basicProfile": "Q"}
    with pytest.raises(ValueError, match="unknown action"):
        parse_profile(document)


@pytest.mark.parametrize(
    ("basic", "options", "chosen", "action"),
    [
        ("X/Z", (), DeidOptions(), Action.ZERO),
        ("X/D", (), DeidOptions(), Action.DUMMY),
        ("Z/D", (), DeidOptions(), Action.DUMMY),
        ("X/Z/D", (), DeidOptions(), Action.DUMMY),
        ("X/Z/U*", (), DeidOptions(), Action.REFERENCES),
        ("X", (("rtnDevIdOpt", "K"),), DeidOptions(retain_device_identity=True), Action.KEEP),
        (
            "X",
            (("rtnDevIdOpt", "K"), ("rtnLongModifDatesOpt", "C")),
            DeidOptions(retain_device_identity=True, retain_longitudinal="modified"),
            Action.CLEAN,
        ),
        ("X", (("cleanDescOpt", "C"),), DeidOptions(retain_descriptors=True), Action.KEEP),
    ],
)
def test_decide(basic, options, chosen, action):
    row = Row("(0001,0001)", "test", basic, options)
    assert decide(row, chosen).action is action
