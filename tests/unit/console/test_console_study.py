"""The console's ``study`` API natively (lightbox.console), against pydicom and numpy."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from lightbox.console.encode import SaveError, encode, png, table
from lightbox.console.host import Host, Saved, Shown
from lightbox.console.script import open_folder, run, run_script, write_effects
from lightbox.console.show import ShowError, to_rgba
from lightbox.console.study import Study, StudyError, namespace
from lightbox.session.session import Session

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
CT = TEST_FILES / "CT_small.dcm"
MR = TEST_FILES / "MR_small.dcm"


def study_of(*paths: Path) -> tuple[Study, Host]:
    session = Session()
    session.open([(p.name, p.read_bytes()) for p in paths])
    host = Host()
    return Study(lambda: session, host), host


def test_frames_are_modality_values_and_stored_values() -> None:
    study, _ = study_of(CT)
    ds = pydicom.dcmread(CT)
    hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    series = study.series[0]
    assert series.modality == "CT" and len(series) == 1
    np.testing.assert_array_equal(series.frames(0), hu)
    np.testing.assert_array_equal(series.frames(0, stored=True), ds.pixel_array)
    assert series.frames(-1).shape == hu.shape
    with pytest.raises(StudyError, match="no frame 1"):
        series.frames(1)


def test_datasets_are_pydicom_datasets_in_full() -> None:
    study, _ = study_of(CT, MR)
    found = {s.modality: s for s in study.series}
    ds = found["MR"].datasets[0]
    assert ds.SOPInstanceUID == pydicom.dcmread(MR).SOPInstanceUID
    assert "PixelData" in ds
    assert found["CT"].files == ["CT_small.dcm"]


def test_series_follow_the_page_order() -> None:
    study, host = study_of(CT, MR)
    uids = [s.uid for s in study.series]
    host.order = list(reversed(uids))
    assert [s.uid for s in study.series] == list(reversed(uids))
    assert [s.index for s in study.series] == [0, 1]


def test_view_is_settable_and_checked() -> None:
    study, host = study_of(CT, MR)
    study.view.series = 1
    study.view.window = (40, 400)
    assert (host.view.series, host.view.frame, host.view.window) == (1, 0, (40.0, 400.0))
    assert host.view_set
    with pytest.raises(StudyError, match="series must be 0 to 1"):
        study.view.series = 2
    with pytest.raises(StudyError, match="frame must be"):
        study.view.frame = 5
    with pytest.raises(AttributeError):
        study.view.zoom = 2


def test_volume_of_a_single_image_says_why_not() -> None:
    study, _ = study_of(CT)
    with pytest.raises(StudyError):
        study.series[0].volume()


def test_linear_window_of_the_standard() -> None:
    # PS3.3 C.11.2.1.2.1 worked by hand for c = 100, w = 51: 0 at or below 74.5, 255
    # above 124.5, and ((x - 99.5) / 50 + 0.5) * 255 between (x = 100: 130.05 → 130).
    values = np.array([[74, 75, 100, 124, 125]], dtype=np.float64)
    rgba = to_rgba(values, window=(100, 51))
    assert rgba[0, :, 0].tolist() == [0, 3, 130, 252, 255]
    assert (rgba[..., 3] == 255).all() and rgba.dtype == np.uint8


def test_show_defaults_to_the_array_range_and_refuses_what_is_no_image() -> None:
    rgba = to_rgba(np.array([[-5, 0, 5]]))
    assert rgba[0, :, 0].tolist() == [0, 128, 255]
    assert to_rgba(np.zeros((2, 2, 3), np.uint8) + 7)[0, 0].tolist() == [7, 7, 7, 255]
    with pytest.raises(ShowError, match="2-D array"):
        to_rgba(np.zeros(4))
    with pytest.raises(ShowError, match="numbers"):
        to_rgba(np.array([["a"]]))


def test_save_encodes_by_extension() -> None:
    data, mime = encode("a.npy", np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(np.load(io.BytesIO(data)), np.arange(6).reshape(2, 3))
    assert mime == "application/octet-stream"
    assert encode("t.csv", [{"a": 1, "b": 2.5}, {"a": 3}])[0] == b"a,b\n1,2.5\n3,\n"
    assert table(np.array([[1, 2], [3, 4]])) == "1,2\n3,4\n"
    ds = pydicom.dcmread(CT)
    written, mime = encode("x.dcm", ds)
    assert mime == "application/dicom"
    assert pydicom.dcmread(io.BytesIO(written)).SOPInstanceUID == ds.SOPInstanceUID
    assert encode("n.txt", "héllo")[0] == "héllo".encode()
    with pytest.raises(SaveError, match="plain file name"):
        encode("../x.csv", "1")
    with pytest.raises(SaveError, match="cannot write"):
        encode("x.bin", np.zeros(3))


def test_png_decodes_to_its_pixels() -> None:
    from PIL import Image

    rgba = to_rgba(np.arange(12).reshape(3, 4) * 20, window=(110, 221))
    decoded = np.asarray(Image.open(io.BytesIO(png(rgba))))
    np.testing.assert_array_equal(decoded, rgba)
    assert zlib.crc32(png(rgba)) == zlib.crc32(png(rgba.copy()))


def test_run_prints_the_last_expression_and_keeps_tracebacks() -> None:
    glob: dict = {}
    assert run("a = 2\nprint('x')\na * 21", glob) == ("x\n42\n", "")
    assert run("a;", glob) == ("", "")
    output, error = run("1 / 0", glob)
    assert output == "" and error.startswith("Traceback") and "ZeroDivisionError" in error


def test_script_effects_and_help(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "ct").write_bytes(CT.read_bytes())
    (folder / "notes.txt").write_text("not DICOM")
    session = open_folder(folder)
    code = (
        "show(study.series[0].frames(0), window=(40, 400), title='ct')\n"
        "save('m.csv', [{'mean': float(study.series[0].frames(0).mean())}])\n"
        "help(show)\n"
    )
    result = run_script(code, session)
    assert result.error == ""
    assert "Show a 2-D array" in result.output
    shown, saved = result.effects
    assert isinstance(shown, Shown) and shown.rgba.shape == (128, 128, 4)
    assert isinstance(saved, Saved) and saved.name == "m.csv"
    ds = pydicom.dcmread(CT)
    mean = float(apply_modality_lut(ds.pixel_array, ds).astype(np.float64).mean())
    assert saved.data == f"mean\n{mean!r}\n".encode()
    paths = write_effects(result.effects, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["m.csv", "show-1.png"]
    assert [s.name for s in session.skipped] == ["notes.txt"]


def test_namespace_has_the_documented_names() -> None:
    study, _ = study_of(CT)
    names = namespace(study)
    assert {"study", "show", "save", "np", "pydicom", "help"} <= set(names)
    out, _ = run("help()", names)
    assert "study.series[i].frames(k)" in out
