"""lightbox.ingest.headers: is it DICOM, can its header be read, does it hold an image."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image

from lightbox.core.errors import InvalidDicomError, LightboxError, NoPixelDataError, NotDicomError
from lightbox.ingest import headers as ingest
from tools.synth import to_bytes


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8, 8), color=128).save(buffer, format="PNG")
    return buffer.getvalue()


NOT_DICOM = [
    pytest.param(
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 8, id="pdf"
    ),
    pytest.param(_png(), id="png"),
    pytest.param(np.random.default_rng(2024).bytes(4096), id="random-bytes"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\x08\x00", id="two-bytes"),
    pytest.param(b"hello, world: this is a text file\n" * 10, id="text"),
    # starts like an implicit VR (0008,0005) element, but its length runs past the end
    pytest.param(b"\x08\x00\x05\x00\x00\x00\x00\x7f" + bytes(64), id="implausible-length"),
]


@pytest.mark.parametrize(
    "name",
    [
        "CT_small.dcm",
        "MR_small_implicit.dcm",
        "MR_small_bigendian.dcm",
        "image_dfl.dcm",
        "rtplan.dcm",
    ],
)
def test_looks_like_dicom_for_ps3_10_files(pydicom_file, name):
    data = pydicom_file(name).read_bytes()
    assert data[128:132] == b"DICM"
    assert ingest.looks_like_dicom(data)


@pytest.mark.parametrize("name", ["ExplVR_LitEndNoMeta.dcm", "ExplVR_BigEndNoMeta.dcm"])
def test_looks_like_dicom_for_a_bare_dataset_without_preamble(pydicom_file, name):
    data = pydicom_file(name).read_bytes()
    assert data[128:132] != b"DICM"
    assert ingest.looks_like_dicom(data)


def test_looks_like_dicom_for_a_bare_implicit_dataset(make_dataset):
    ds = make_dataset()
    del ds.file_meta
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True)
    assert ingest.looks_like_dicom(buffer.getvalue())


@pytest.mark.parametrize("data", NOT_DICOM)
def test_looks_like_dicom_is_false_for_other_content(data):
    assert not ingest.looks_like_dicom(data)


@pytest.mark.parametrize("data", NOT_DICOM)
def test_read_header_refuses_non_dicom(data):
    with pytest.raises(NotDicomError) as info:
        ingest.read_header("photos/holiday.dcm", data)  # the name does not make it DICOM
    assert info.value.name == "photos/holiday.dcm"
    assert str(info.value).startswith("photos/holiday.dcm: ")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        pytest.param("rtplan.dcm", "RT Plan Storage", id="rt-plan"),
        pytest.param("test-SR.dcm", "Comprehensive SR Storage", id="structured-report"),
        pytest.param("ExplVR_LitEndNoMeta.dcm", "RT Ion Plan Storage", id="bare-le-plan"),
        pytest.param("ExplVR_BigEndNoMeta.dcm", "RT Ion Plan Storage", id="bare-be-plan"),
    ],
)
def test_read_header_objects_without_image(pydicom_file, name, kind):
    with pytest.raises(NoPixelDataError) as info:
        ingest.read_header(name, pydicom_file(name).read_bytes())
    assert info.value.name == name
    assert str(info.value).startswith(f"{name}: ")
    assert kind in info.value.reason


def test_read_header_truncated_pixel_data_says_how_much(pydicom_file):
    path = pydicom_file("MR_truncated.dcm")
    ds = pydicom.dcmread(path)
    expected = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    present = len(ds.PixelData)
    assert present < expected  # the file's premise, read by pydicom
    # Short native pixel data opens (the session shows what is there, with a warning).
    header = ingest.read_header("MR_truncated.dcm", path.read_bytes())
    assert header.frames == 1 and int(header.dataset.Rows) == ds.Rows


def test_read_header_pixel_data_cut_short_opens_but_empty_does_not(pydicom_file):
    data = pydicom_file("CT_small.dcm").read_bytes()
    assert ingest.read_header("CT_small.dcm", data[:-1000]).frames == 1
    start = data.index(b"\xe0\x7f\x10\x00")  # (7FE0,0010) Pixel Data
    with pytest.raises(InvalidDicomError, match="empty") as info:
        ingest.read_header("CT_small.dcm", data[: start + 12])
    assert str(info.value).startswith("CT_small.dcm: ")


# pydicom stops silently at the end of the bytes, so a file cut inside its header
# is recognised by an image object that ends before any pixel data.
@pytest.mark.parametrize(
    "where",
    [
        pytest.param(lambda meta_end, header_end: (132 + meta_end) // 2, id="inside-file-meta"),
        pytest.param(
            lambda meta_end, header_end: (meta_end + header_end) // 2, id="middle-of-dataset"
        ),
        pytest.param(lambda meta_end, header_end: header_end - 20, id="near-end-of-header"),
    ],
)
def test_read_header_file_cut_inside_its_header(pydicom_file, where):
    path = pydicom_file("CT_small.dcm")
    data = path.read_bytes()
    ds = pydicom.dcmread(path)
    meta_end = 132 + 12 + ds.file_meta.FileMetaInformationGroupLength
    header_end = ds.get_item("PixelData").value_tell - 12  # 12: explicit VR OW element header
    with pytest.raises(InvalidDicomError) as info:
        ingest.read_header("cut.dcm", data[: where(meta_end, header_end)])
    assert info.value.name == "cut.dcm"


class _NoPlugins:
    is_available = False


def test_read_header_unavailable_decoder(pydicom_file, monkeypatch):
    # A syntax pydicom knows but whose plugins are all missing (as JPEG-LS is in a
    # browser build without its codec): the reason names the syntax.
    monkeypatch.setattr(ingest, "get_decoder", lambda syntax: _NoPlugins())
    name = "MR_small_jpeg_ls_lossless.dcm"
    with pytest.raises(InvalidDicomError) as info:
        ingest.read_header(name, pydicom_file(name).read_bytes())
    assert "JPEG-LS" in info.value.reason
    assert "1.2.840.10008.1.2.4.80" in info.value.reason
    assert str(info.value).startswith(f"{name}: ")


def test_read_header_unknown_transfer_syntax(make_image):
    data = make_image()
    explicit_le = b"1.2.840.10008.1.2.1\x00"
    assert data.count(explicit_le) == 1
    data = data.replace(explicit_le, b"1.2.840.10008.1.2.9\x00")  # same length, no such syntax
    with pytest.raises(InvalidDicomError) as info:
        ingest.read_header("odd.dcm", data)
    assert "1.2.840.10008.1.2.9" in info.value.reason
    assert "not supported" in info.value.reason


@pytest.mark.parametrize(
    ("drop", "set_value"),
    [
        pytest.param("Rows", None, id="no-rows"),
        pytest.param("PhotometricInterpretation", None, id="no-photometric"),
        pytest.param(None, ("Columns", 0), id="zero-columns"),
    ],
)
def test_read_header_invalid_image_pixel_module(make_dataset, drop, set_value):
    ds = make_dataset(pixel_bytes=b"\x00" * 40, rows=4, cols=5)
    if drop:
        delattr(ds, drop)
    if set_value:
        setattr(ds, *set_value)
    with pytest.raises(InvalidDicomError) as info:
        ingest.read_header("module.dcm", to_bytes(ds))
    assert info.value.name == "module.dcm"


# -- what a good header says ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["rtdose.dcm", "examples_ybr_color.dcm", "SC_rgb_rle_2frame.dcm", "CT_small.dcm"],
)
def test_header_frames(pydicom_file, name):
    path = pydicom_file(name)
    expected = int(pydicom.dcmread(path, stop_before_pixels=True).get("NumberOfFrames", 1) or 1)
    header = ingest.read_header(name, path.read_bytes())
    assert header.frames == expected
    assert header.dataset.SOPInstanceUID == pydicom.dcmread(path).SOPInstanceUID
    assert "PixelData" not in header.dataset  # headers only


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        pytest.param("CT_small.dcm", "1.2.840.10008.1.2.1", id="explicit-le"),
        pytest.param("MR_small_implicit.dcm", "1.2.840.10008.1.2", id="implicit-le"),
        pytest.param("MR_small_bigendian.dcm", "1.2.840.10008.1.2.2", id="explicit-be"),
        pytest.param("MR_small_RLE.dcm", "1.2.840.10008.1.2.5", id="rle"),
        pytest.param("image_dfl.dcm", "1.2.840.10008.1.2.1.99", id="deflate"),
        pytest.param("SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50", id="jpeg-baseline"),
    ],
)
def test_header_transfer_syntax(pydicom_file, name, syntax):
    assert ingest.read_header(name, pydicom_file(name).read_bytes()).transfer_syntax == syntax


def test_synthetic_multiframe_header(make_image):
    data = make_image(np.zeros((6, 3, 2), dtype=np.uint16))
    assert ingest.read_header("six.dcm", data).frames == 6


@pytest.mark.parametrize(
    "error",
    [NotDicomError, InvalidDicomError, NoPixelDataError],
)
def test_errors_are_lightbox_errors_with_name_and_reason(error):
    exc = error("a/b.dcm", "why")
    assert isinstance(exc, LightboxError)
    assert (exc.name, exc.reason, str(exc)) == ("a/b.dcm", "why", "a/b.dcm: why")


def test_a_spectroscopy_object_is_a_document_not_a_cut_short_image():
    """MR Spectroscopy has Rows and Columns but Spectroscopy Data instead of Pixel Data
    (PS3.3 C.8.14.4): it was refused as 'the file ends before its pixel data'."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from lightbox.session.session import Session

    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4.2"  # MR Spectroscopy Storage
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "MR"
    ds.Rows, ds.Columns = 1, 1
    ds.add_new(0x56000020, "OF", bytes(16))  # (5600,0020) Spectroscopy Data
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    result = Session().open([("spectrum.dcm", to_bytes(ds))])
    assert result["skipped"] == []
    assert [d["type"] for d in result["documents"]] == ["MR Spectroscopy Storage"]
