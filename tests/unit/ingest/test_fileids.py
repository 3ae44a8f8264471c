"""lightbox.ingest.fileids: Referenced File IDs as relative paths, refused when leaving the tree."""

from __future__ import annotations

import pytest

from lightbox.ingest.fileids import file_path


@pytest.mark.parametrize(
    ("value", "path", "refused"),
    [
        pytest.param(["DICOM", "IM1"], "DICOM/IM1", "", id="components"),
        pytest.param("DICOM\\IM1", "DICOM/IM1", "", id="one-value-backslash"),
        pytest.param("DICOM/IM1", "DICOM/IM1", "", id="one-value-slash"),
        pytest.param(["IMAGES ", "IM1 "], "IMAGES/IM1", "", id="padded"),
        pytest.param(["dicom", "im1.dcm"], "dicom/im1.dcm", "", id="lowercase-kept"),
        pytest.param(["A", ".", "B"], "A/B", "", id="dot"),
        pytest.param(None, None, "", id="absent"),
        pytest.param([], None, "", id="empty"),
        pytest.param(["", "ETC", "PASSWD"], None, "root", id="absolute"),
        pytest.param(["..", "..", "ETC"], None, "goes up", id="dot-dot"),
        pytest.param(["DICOM", "..", "..", "X"], None, "goes up", id="dot-dot-inside"),
        pytest.param(["C:", "WINDOWS"], None, "drive", id="drive"),
        pytest.param("C:\\WINDOWS\\X", None, "drive", id="drive-in-one-value"),
        pytest.param(["IM1:STREAM"], None, "drive", id="colon"),
    ],
)
def test_file_path(value, path, refused):
    found, reason = file_path(value)
    assert found == path
    if refused:
        assert refused in reason and "refused" in reason
    else:
        assert reason == ""
