"""Lightbox's rules for what PS3.15 Table E.1-1 does not list, and the scopes of nested content.

Table E.1-1 misses attributes that identify people or places (see
``../shared/data/README.md``): the File Meta AE titles and addresses, URLs,
network addresses, person names and free text it does not list, instance UIDs
it does not list, and the Overlay Plane module that goes with the overlay data
it removes. Each rule here is a :class:`~lightbox.deid.profile.Row` like the
table's, with its reason, so the preview and the report show why.

Scopes: a sequence the profile replaces with a dummy (D: Content Sequence,
Verifying Observer Sequence, Person Identification Code Sequence...) keeps its
items, and every unlisted name and text inside becomes a dummy, codes included
(in an identification sequence the code is the identifier), dates following
the Retain Longitudinal option; so the object stays valid and its tree keeps
its shape. A sequence the profile cleans (C) keeps its items with their text
cleaned instead. Listed attributes inside either keep their own row's action.
"""

from __future__ import annotations

import enum

from pydicom.datadict import dictionary_keyword

from lightbox.deid.options import DeidOptions
from lightbox.deid.profile import Action, Decision, Row, decide


class Scope(enum.Enum):
    """How unlisted content inside a sequence is treated."""

    NORMAL = "normal"  #: the table and the rules below; everything else kept
    DUMMY = "dummy"  #: inside a sequence replaced by a dummy (D): text becomes dummy
    CLEAN = "clean"  #: inside a sequence to be cleaned (C): text is cleaned


def _extra(tag: str, name: str, basic: str, why: str, **options: str) -> Row:
    return Row(tag, name, basic, tuple(options.items()), why)


#: Attributes Table E.1-1 does not list that Lightbox handles by tag.
EXTRA_ROWS: dict[int, Row] = {
    0x00020016: _extra(
        "(0002,0016)", "Source Application Entity Title", "X", "File Meta AE titles name systems"
    ),
    0x00020017: _extra(
        "(0002,0017)", "Sending Application Entity Title", "X", "File Meta AE titles name systems"
    ),
    0x00020018: _extra(
        "(0002,0018)", "Receiving Application Entity Title", "X", "File Meta AE titles"
    ),
    0x00020012: _extra(
        "(0002,0012)", "Implementation Class UID", "D", "replaced by pydicom's: names a product"
    ),
    0x00020013: _extra(
        "(0002,0013)", "Implementation Version Name", "D", "replaced: names a product version"
    ),
    0x00020100: _extra(
        "(0002,0100)", "Private Information Creator UID", "X", "File Meta private information"
    ),
    0x00020102: _extra("(0002,0102)", "Private Information", "X", "File Meta private information"),
    0x00181803: _extra("(0018,1803)", "NTP Source Address", "X", "a network address"),
    0x0040E011: _extra("(0040,E011)", "Retrieve Location UID", "X", "names where data is stored"),
    0x0040E030: _extra("(0040,E030)", "Repository Unique ID", "X", "names a repository"),
    0x0040E031: _extra("(0040,E031)", "Home Community ID", "X", "names a community"),
    0x0074100C: _extra("(0074,100C)", "Contact Display Name", "X", "names a person"),
    0x0008010A: _extra(
        "(0008,010A)", "Coding Scheme URL Type", "X", "goes with the URL that is removed"
    ),
    0x00100024: _extra(
        "(0010,0024)", "Issuer of Patient ID Qualifiers Sequence", "X", "qualifies the patient ID"
    ),
    0x00100026: _extra(
        "(0010,0026)", "Source Patient Group Identification Sequence", "X", "patient IDs"
    ),
    0x00100027: _extra(
        "(0010,0027)", "Group of Patients Identification Sequence", "X", "patient IDs"
    ),
    0x00100033: _extra(
        "(0010,0033)", "Patient's Birth Date in Alternative Calendar", "X", "a birth date"
    ),
    0x00100034: _extra(
        "(0010,0034)", "Patient's Death Date in Alternative Calendar", "X", "a death date"
    ),
    0x00102294: _extra("(0010,2294)", "Breed Registration Sequence", "X", "a registration ID"),
    0x00102295: _extra("(0010,2295)", "Breed Registration Number", "X", "a registration ID"),
    0x00321031: _extra(
        "(0032,1031)", "Requesting Physician Identification Sequence", "X", "identifies a person"
    ),
    0x00101021: _extra(
        "(0010,1021)",
        "Patient's Size Code Sequence",
        "X",
        "a patient characteristic",
        rtnPatCharsOpt="K",
    ),
    0x00101022: _extra(
        "(0010,1022)", "Patient's Body Mass Index", "X", "a characteristic", rtnPatCharsOpt="K"
    ),
    0x00101023: _extra(
        "(0010,1023)", "Measured AP Dimension", "X", "a characteristic", rtnPatCharsOpt="K"
    ),
    0x00101024: _extra(
        "(0010,1024)", "Measured Lateral Dimension", "X", "a characteristic", rtnPatCharsOpt="K"
    ),
    0x00102161: _extra(
        "(0010,2161)",
        "Ethnic Group Code Sequence",
        "X",
        "a patient characteristic",
        rtnPatCharsOpt="K",
    ),
    0x00080300: _extra(
        "(0008,0300)",
        "Private Data Element Characteristics Sequence",
        "X",
        "describes private blocks, which are removed",
        rtnSafePrivOpt="K",
    ),
}

#: Instance UIDs Table E.1-1 does not list: replaced like its U rows.
EXTRA_UIDS = frozenset(
    {
        0x00020033,  # RTV Communication SOP Instance UID
        0x00081167,  # Multi-frame Source SOP Instance UID
        0x00083012,  # Radiopharmaceutical Administration Event UID
        0x0018991E,  # Target Frame of Reference UID
        0x00200242,  # SOP Instance UID of Concatenation Source
        0x00209312,  # Volume Frame of Reference UID
        0x00209313,  # Table Frame of Reference UID
        0x00280304,  # Referenced Color Palette Instance UID
        0x00440102,  # Assertion UID
        0x00440108,  # Referenced Assertion UID
        0x00687004,  # Model Group UID
        0x0070031B,  # Referenced Fiducial UID
        0x00701209,  # Volumetric Presentation Input Set UID
        0x300A0054,  # Table Top Position Alignment UID
        0x300A0675,  # Equipment Frame of Reference UID
    }
)

#: Text that names a terminology, not a person: kept even in dummy scope.
CODING_TEXT = frozenset(
    {
        0x00080102,  # Coding Scheme Designator
        0x00080103,  # Coding Scheme Version
        0x00080108,  # Extended Code Meaning
        0x00080114,  # Coding Scheme External ID
        0x00080115,  # Coding Scheme Name
        0x00080116,  # Coding Scheme Responsible Organization
        0x00080120,  # URN Code Value
        0x00080105,  # Mapping Resource
        0x0008010F,  # Context Identifier
    }
)

TEXT_VRS = frozenset({"LO", "LT", "SH", "ST", "UC", "UT", "PN"})
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT"})
DATE_VRS = frozenset({"DA", "DT", "TM"})

_URL = Row("(gggg,eeee)", "any URL (VR UR)", "X", (), "every URL is removed: it can name a host")
_AE = Row("(gggg,eeee)", "any AE title not listed", "X", (), "AE titles name systems")
_PN = Row("(gggg,eeee)", "any person name not listed", "Z", (), "person names are emptied")
_FREE_TEXT = Row(
    "(gggg,eeee)",
    "free text not listed (LT, ST, UT)",
    "Z",
    (("cleanDescOpt", "C"),),
    "free text can hold anything: emptied, or cleaned with Clean Descriptors",
)
_UID = Row(
    "(gggg,eeee)",
    "instance UID not listed",
    "U",
    (("rtnUIDsOpt", "K"),),
    "an instance UID Table E.1-1 does not list",
)
_OVERLAY = Row(
    "(60xx,eeee)",
    "Overlay Plane module",
    "X",
    (("cleanGraphOpt", "C"),),
    "the rest of the Overlay Plane module goes with (60xx,3000) Overlay Data",
)
#: Group 0000 belongs to DIMSE messages (PS3.7 E.1), never to stored objects: removed first,
#: whatever Table E.1-1 says of its elements (it lists two, for messages).
COMMAND = Decision(
    Action.REMOVE, "Lightbox rule, command group (0000,eeee): not part of a stored object (PS3.7)"
)
_GROUP_LENGTH = Row("(gggg,0000)", "group length", "X", (), "recomputed when written")
_DUMMY_SCOPE = Row("(gggg,eeee)", "text in a dummy sequence", "D", (), "inside a D sequence")
_CLEAN_SCOPE = Row("(gggg,eeee)", "text in a cleaned sequence", "C", (), "inside a C sequence")
_DATE_SCOPE = Row(
    "(gggg,eeee)",
    "date or time in a replaced sequence",
    "D",
    (("rtnLongFullDatesOpt", "K"), ("rtnLongModifDatesOpt", "C")),
    "dates follow the Retain Longitudinal option",
)


def unlisted(tag: int, vr: str, scope: Scope, options: DeidOptions) -> Decision:
    """The action for an attribute Table E.1-1 does not list (private ones excepted).

    Parameters
    ----------
    tag : int
        The attribute's tag.
    vr : str
        Its value representation.
    scope : Scope
        Whether it sits inside a sequence the profile replaces or cleans.
    options : DeidOptions
        The options in force.
    """
    group, element = tag >> 16, tag & 0xFFFF
    row: Row | None = EXTRA_ROWS.get(tag)
    if row is None:
        row = _rule_row(tag, group, element, vr, scope)
    if row is None:
        return Decision(Action.KEEP, "not listed in Table E.1-1: kept")
    return decide(row, options)


def _rule_row(tag: int, group: int, element: int, vr: str, scope: Scope) -> Row | None:
    if element == 0x0000:
        return _GROUP_LENGTH
    if 0x6000 <= group <= 0x601E and not group & 1:
        return _OVERLAY
    if vr == "UR" and tag != 0x00080120:
        return _URL
    if vr == "AE":
        return _AE
    if tag in EXTRA_UIDS:
        return _UID
    if tag in CODING_TEXT:
        return None
    if scope is not Scope.NORMAL and vr in DATE_VRS:
        return _DATE_SCOPE
    if scope is Scope.DUMMY and vr in TEXT_VRS:
        return _DUMMY_SCOPE
    if scope is Scope.CLEAN and vr in TEXT_VRS - {"PN"}:
        return _CLEAN_SCOPE
    if vr == "PN":
        return _PN
    if vr in FREE_TEXT_VRS:
        return _FREE_TEXT
    return None


def tag_text(tag: int) -> str:
    """``(gggg,eeee)``, the way the standard writes tags."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def tag_name(tag: int) -> str:
    """The dictionary keyword of a standard tag, a neutral word otherwise.

    Private tags are never named after their Private Creator: a creator's text
    is part of the original data and must not reach the report.
    """
    if (tag >> 16) & 1:
        return "private creator" if (tag & 0xFFFF) < 0x0100 else "private attribute"
    try:
        return dictionary_keyword(tag) or "unknown attribute"
    except KeyError:
        return "unknown attribute"
