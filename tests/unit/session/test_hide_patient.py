"""Hide patient information in the tag browser: what the export would change is withheld.

The expectation is the planted-marker file of :mod:`tests.support.planted`: every
identifying value it holds carries a marker, and the markers the header may still
show under "hide" are exactly the UIDs (the viewer shows UIDs; they name objects).
"""

from __future__ import annotations

import json

import pytest

from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.support.planted import MARKERS, markers_in, planted_bytes

#: Markers that are UIDs: replaced by an export, shown by the viewer.
UID_MARKERS = {"uids", "device_uid"}


@pytest.fixture(scope="module")
def inspector() -> Inspector:
    session = Session()
    assert session.open([("planted.dcm", planted_bytes())])["series"]
    return Inspector(session)


def test_without_hide_every_marker_in_the_file_is_shown(inspector: Inspector) -> None:
    shown = markers_in([json.dumps(inspector.header(0, 0)).encode()])
    # Everything planted inside the file but the file name (not in it), the preamble (not
    # part of the header) and (0002,0102) Private Information (OB: shown as its length).
    assert shown == set(MARKERS) - {"file_name", "preamble", "private_info"}


def test_hide_withholds_every_identifying_value_but_uids(inspector: Inspector) -> None:
    tree = inspector.header(0, 0, hide=True)
    assert tree["hidden"] is True
    assert markers_in([json.dumps(tree).encode()]) == UID_MARKERS


def _nodes(nodes: list[dict]) -> list[dict]:
    out = []
    for node in nodes:
        out.append(node)
        for item in node.get("items", []):
            out.extend(_nodes(item))
    return out


@pytest.mark.parametrize(
    ("keyword", "hidden"),
    [
        pytest.param("PatientName", True, id="name"),
        pytest.param("PatientID", True, id="id"),
        pytest.param("StudyDescription", True, id="description"),
        pytest.param("StudyDate", True, id="date"),
        pytest.param("StudyInstanceUID", False, id="uid-shown"),
        pytest.param("Modality", False, id="modality-shown"),
        pytest.param("Rows", False, id="rows-shown"),
    ],
)
def test_hidden_nodes_are_marked_and_empty(
    inspector: Inspector, keyword: str, hidden: bool
) -> None:
    nodes = _nodes(inspector.header(0, 0, hide=True)["dataset"])
    node = next(n for n in nodes if n["keyword"] == keyword)
    assert bool(node.get("hidden")) is hidden
    if hidden:
        assert node["value"] == "" and "items" not in node
    else:
        assert node["value"] != ""
