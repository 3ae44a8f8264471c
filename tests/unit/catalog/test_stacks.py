"""lightbox.catalog.series: what is one stack, and how a series that is not a stack is ordered.

Issue 12: a Series Instance UID whose images each have an orientation of their own
(a 3-plane localizer, a rotating MIP) is one series in Instance Number order, playable
as cine, and marked so that the viewer does not treat it as a volume. A UID is split
only where it really holds more than one stack: different sizes, each multi-frame
object, localizers beside other images, and parallel stacks (every slice position
repeated the same number of times, unless the repeats are phases in time).

The real files are pydicom's ``dicomdirtests`` disc (``pydicom/data/test_files/
dicomdirtests``, from https://www.pcir.org, freely available image sets, per that
folder's README). What it holds, read with pydicom (``TINY_ALPHA`` is pixel-less
and truncated, so none of its files opens):

========  ====================  =====  ===============================================
series    description           files  geometry
========  ====================  =====  ===============================================
CR 1-3    Cervical LAT/OBLI     1 each no position or orientation
CT 2      Routine Brain         4      axial, 4 distinct positions (a stack)
CT 4      Scout                 2      LOCALIZER, lateral and frontal (two planes)
CT 5      SmartScore            5      axial, 5 distinct positions (a stack)
MR 1, 2   FAST LOCALIZER        1 each four UIDs of one sagittal image each
MR 2      T/S/C RF FAST PILOT   3, 3   two UIDs, each coronal + sagittal + axial
MR 700    ANGIO Projected       7      MIPs, the row direction turning about the
                                       patient's vertical axis from 0 to ~98 degrees
========  ====================  =====  ===============================================

That is 13 Series Instance UIDs, and each is what a user would call one series: none
holds two sizes, a multi-frame object, a localizer beside other images, or a position
twice. So 13 series; the old rule (one series per plane) made 24.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from lightbox.catalog import series as catalog
from lightbox.catalog.series import build_series, entry_from_header
from lightbox.core.errors import LightboxError
from lightbox.ingest import headers as ingest
from tests.support.factories import PYDICOM_TEST_FILES, image_dataset

DISC = PYDICOM_TEST_FILES / "dicomdirtests"

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)


# -- the dicomdirtests disc ------------------------------------------------------------------------


def _disc_headers() -> list[tuple[str, Dataset]]:
    """Every file of the disc that opens as an image, by path, as the session reads it."""
    opened = []
    for path in sorted(p for p in DISC.rglob("*") if p.is_file()):
        try:
            header = ingest.read_header(path.name, path.read_bytes())
        except LightboxError:
            continue  # DICOMDIRs, READMEs, the truncated TINY_ALPHA images
        opened.append((str(path.relative_to(DISC)), header.dataset))
    return opened


def _disc_series():
    headers = _disc_headers()
    entries = [
        entry_from_header(i, 0, ds, 1, f"file-{i}", name=name)
        for i, (name, ds) in enumerate(headers)
    ]
    return headers, build_series(entries)


def _truth() -> Counter[str]:
    """Images per Series Instance UID, read with pydicom alone.

    An image is a file with Pixel Data: that leaves out the DICOMDIRs, the READMEs
    and TINY_ALPHA's files, which end before their pixel data.
    """
    counts: Counter[str] = Counter()
    for path in DISC.rglob("*"):
        if not path.is_file():
            continue
        try:
            ds = pydicom.dcmread(path)
        except pydicom.errors.InvalidDicomError:
            continue  # the READMEs
        if "PixelData" in ds:
            counts[str(ds.SeriesInstanceUID)] += 1
    return counts


def test_dicomdirtests_disc_opens_as_one_series_per_series_instance_uid():
    truth = _truth()
    assert len(truth) == 13 and sum(truth.values()) == 31  # what the disc holds (docstring)
    _, series = _disc_series()
    assert len(series) == 13
    assert Counter({s.series_uid: len(s.frames) for s in series}) == truth
    assert all("#" not in s.uid for s in series)


@pytest.mark.parametrize(
    ("folder", "expected", "ordering", "mixed"),
    [
        # (files in display order, by their names on the disc)
        pytest.param("MR700", ["4558", "4528", "4588", "4467", "4618", "4678", "4648"],
                     "instance", True, id="rotating-mip-by-instance-number"),
        pytest.param("CT2N", ["6293", "6924"], "instance", True, id="two-plane-scout"),
        # down the patient: the slice normal is +z (feet to head), Instance Number runs 6..10
        pytest.param("CT5N", ["3353", "3023", "2693", "2392", "2062"], "position", False,
                     id="axial-stack-along-the-normal"),
        pytest.param("CR1", ["6154"], "instance", False, id="projection-without-geometry"),
    ],
)  # fmt: skip
def test_dicomdirtests_disc_series_order_and_flags(folder, expected, ordering, mixed):
    headers, series = _disc_series()
    names = [name for name, _ in headers]
    (found,) = [s for s in series if names[s.frames[0].file].split("/")[1] == folder]
    assert [names[f.file].rpartition("/")[2] for f in found.frames] == expected
    assert found.ordering == ordering
    assert found.mixed_orientation is mixed


def test_dicomdirtests_three_plane_pilots_are_one_series_each_in_instance_order():
    headers, series = _disc_series()
    pilots = [s for s in series if s.description == "T/S/C RF FAST PILOT"]
    assert len(pilots) == 2
    for pilot in pilots:
        instances = [headers[f.file][1].InstanceNumber for f in pilot.frames]
        assert instances == [1, 2, 3]
        assert pilot.ordering == "instance" and pilot.mixed_orientation


# -- generated series ------------------------------------------------------------------------------


def _image(uid: str, instance: int, position, orientation, *, rows=4, cols=5, **attributes):
    ds = image_dataset(
        rows=rows,
        cols=cols,
        series_uid=uid,
        instance=instance,
        position=position,
        orientation=orientation,
        modality="MR",
    )
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def _build(datasets: list[Dataset], seed: int = 0):
    """The series of ``datasets`` opened in a shuffled order; file i is datasets[i] there too."""
    order = list(range(len(datasets)))
    random.Random(seed).shuffle(order)
    entries = [
        entry_from_header(file, 0, datasets[index], 1, "fallback", name=f"IM{index:04d}")
        for file, index in enumerate(order)
    ]
    series = build_series(entries)
    # Back from open order to the datasets' own indices.
    return [[order[f.file] for f in s.frames] for s in series], series


def _three_plane_localizer(image_type: list[str]) -> list[Dataset]:
    uid = generate_uid()
    planes = [(AXIAL, (-120, -120, 30)), (CORONAL, (-120, 10, 120)), (SAGITTAL, (-5, -120, 120))]
    return [
        _image(uid, n, position, plane, ImageType=image_type)
        for n, (plane, position) in enumerate(planes, start=1)
    ]


def _rotating_mip(projections: int = 7, step_degrees: float = 30.0) -> list[Dataset]:
    """Projections turning about the patient's vertical axis (columns run head to foot)."""
    uid = generate_uid()
    out = []
    for k in range(projections):
        angle = math.radians(step_degrees * k)
        row = (math.cos(angle), math.sin(angle), 0.0)
        position = (-100 * math.cos(angle), -100 * math.sin(angle), 100.0)
        out.append(_image(uid, k + 1, position, (*row, 0.0, 0.0, -1.0)))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(
    "datasets",
    [
        pytest.param(_three_plane_localizer(["ORIGINAL", "PRIMARY", "LOCALIZER"]),
                     id="3-plane-localizer"),
        pytest.param(_three_plane_localizer(["ORIGINAL", "PRIMARY", "OTHER"]),
                     id="3-plane-pilot-not-marked-localizer"),
        pytest.param(_rotating_mip(7), id="rotating-mip-7"),
        pytest.param(_rotating_mip(7, step_degrees=0.5), id="rotating-mip-7-small-steps"),
    ],
)  # fmt: skip
def test_one_orientation_per_image_is_one_series_in_instance_order(datasets, seed):
    files, series = _build(datasets, seed)
    assert files == [list(range(len(datasets)))]  # one series, Instance Number order
    (only,) = series
    assert only.ordering == "instance" and only.mixed_orientation
    assert only.uid == only.series_uid == datasets[0].SeriesInstanceUID


# Where a UID really is more than one stack. Each case: (instance, z) per image, in
# instance order; the expected series as lists of instance numbers in display order.
def _interleaved_echoes():
    # Each place twice: echo 1 and echo 2 numbered slice by slice (1 = z0 e1, 2 = z0 e2, ...)
    return [(2 * i + e + 1, 5.0 * i) for i in range(6) for e in range(2)]


def _blocked_echoes():
    # The same, numbered echo by echo (1..6 = echo 1, 7..12 = echo 2), the slices descending.
    return [(6 * e + i + 1, 25.0 - 5.0 * i) for e in range(2) for i in range(6)]


@pytest.mark.parametrize(
    ("images", "expected", "ordering"),
    [
        pytest.param(_interleaved_echoes(), [[1, 3, 5, 7, 9, 11], [2, 4, 6, 8, 10, 12]],
                     "position", id="each-place-twice-numbered-slice-by-slice-two-stacks"),
        pytest.param(_blocked_echoes(), [[6, 5, 4, 3, 2, 1], [12, 11, 10, 9, 8, 7]],
                     "position", id="each-place-twice-numbered-echo-by-echo-two-stacks"),
        # odd numbers at z = 0, 5, 10..., even ones between them: geometry alone cannot
        # tell this from one stack at 2.5 mm, so it is one
        pytest.param([(n, 2.5 * (n - 1)) for n in (1, 3, 5, 2, 4, 6, 7, 9, 8, 10)],
                     [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], "position",
                     id="interleaved-distinct-places-one-stack"),
        pytest.param([(1, 0), (2, 5), (3, 10), (4, 10), (5, 15), (6, 20), (7, 20), (8, 25)],
                     [[1, 2, 3, 4, 5, 6, 7, 8]], "position",
                     id="some-places-twice-an-overlap-one-stack"),
        pytest.param([(n, 12.5) for n in (3, 1, 4, 2, 5)], [[1, 2, 3, 4, 5]], "instance",
                     id="all-at-one-place-a-cine-one-series"),
    ],
)  # fmt: skip
def test_parallel_stacks(images, expected, ordering):
    """Every place the same number k >= 2 of times: k stacks; any other repeat: one."""
    uid = generate_uid()
    datasets = [_image(uid, n, (-10.0, 20.0, z), AXIAL) for n, z in images]
    files, series = _build(datasets, seed=5)
    assert [[datasets[i].InstanceNumber for i in stack] for stack in files] == expected
    assert [s.ordering for s in series] == [ordering] * len(expected)
    assert not any(s.mixed_orientation for s in series)
    assert [s.uid for s in series] == [uid] + [f"{uid}#{i}" for i in range(2, len(expected) + 1)]
    assert {s.series_uid for s in series} == {uid}


@pytest.mark.parametrize(
    ("attribute", "values", "stacks"),
    [
        pytest.param("TriggerTime", (0.0, 40.0), 1, id="two-cardiac-phases-one-series"),
        pytest.param("TemporalPositionIdentifier", (1, 2), 1, id="two-dynamics-one-series"),
        pytest.param("EchoTime", (15.0, 90.0), 2, id="two-echoes-two-stacks"),
        pytest.param("TriggerTime", (40.0, 40.0), 2, id="same-phase-twice-two-stacks"),
    ],
)
def test_repeats_in_time_are_one_series_repeats_in_contrast_are_stacks(attribute, values, stacks):
    uid = generate_uid()
    datasets = [
        _image(uid, n, (0.0, 0.0, z), AXIAL, **{attribute: values[(n - 1) % 2]})
        for n, z in _interleaved_echoes()
    ]
    files, series = _build(datasets, seed=3)
    assert len(series) == stacks
    assert all(s.ordering == "position" for s in series)
    if stacks == 1:
        # along the normal, each place's phases one after the other: cine plays them in turn
        assert [datasets[i].InstanceNumber for i in files[0]] == list(range(1, 13))


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({}, "", id="neither"),
        pytest.param({"TriggerTime": "412.5"}, "|412.5", id="trigger-time"),
        pytest.param({"TemporalPositionIdentifier": 3}, "3|", id="temporal-position"),
        pytest.param({"TemporalPositionIdentifier": 2, "TriggerTime": 0}, "2|0.0", id="both"),
    ],
)
def test_read_phase(attributes, expected):
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    assert catalog.read_phase(ds) == expected


def test_parallel_stacks_each_run_along_the_normal():
    uid = generate_uid()
    datasets = [_image(uid, n, (0.0, 0.0, z), AXIAL) for n, z in _interleaved_echoes()]
    files, _ = _build(datasets, seed=1)
    for stack in files:
        assert [datasets[i].ImagePositionPatient[2] for i in stack] == [0, 5, 10, 15, 20, 25]


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        pytest.param([(4, 5)] * 3 + [(8, 8)] * 2, [3, 2], id="two-sizes-two-series"),
        pytest.param([(8, 8), (4, 5), (8, 8), (4, 5), (4, 5)], [3, 2], id="sizes-interleaved"),
        pytest.param([(4, 5)] * 4, [4], id="one-size-one-series"),
    ],
)
def test_different_sizes_are_different_series(sizes, expected):
    uid = generate_uid()
    datasets = [
        _image(uid, n, (0.0, 0.0, 3.0 * n), AXIAL, rows=r, cols=c)
        for n, (r, c) in enumerate(sizes, start=1)
    ]
    files, series = _build(datasets)
    assert [len(stack) for stack in files] == expected
    for stack in files:
        assert len({sizes[i] for i in stack}) == 1
    assert all(s.ordering == "position" for s in series)


def test_a_localizer_beside_a_stack_is_apart_and_the_stack_keeps_its_geometry():
    uid = generate_uid()
    scout = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    axial = ["ORIGINAL", "PRIMARY", "AXIAL"]
    datasets = [_image(uid, 1, (-250, 0, 0), CORONAL, ImageType=scout)]
    datasets += [_image(uid, n, (0, 0, -5.0 * n), AXIAL, ImageType=axial) for n in range(2, 7)]
    files, series = _build(datasets)
    assert files == [[5, 4, 3, 2, 1], [0]]
    assert [s.ordering for s in series] == ["position", "position"]
    assert not any(s.mixed_orientation for s in series)


def test_mixed_orientations_not_a_stack_even_with_a_majority_plane():
    uid = generate_uid()
    datasets = [_image(uid, n, (0, 0, 10.0 - n), AXIAL) for n in (1, 2, 3)]
    datasets.append(_image(uid, 4, (0, 0, 0), SAGITTAL))
    files, series = _build(datasets)
    assert files == [[0, 1, 2, 3]]
    assert series[0].ordering == "instance" and series[0].mixed_orientation


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        # (instance, acquisition time, name) per image; expected: names in display order
        pytest.param([(2, "", "A"), (1, "", "B"), (3, "", "C")], ["B", "A", "C"],
                     id="by-instance-number"),
        pytest.param([(1, "101500", "A"), (1, "101000.5", "B"), (None, "", "C")],
                     ["B", "A", "C"], id="then-acquisition-time-unnumbered-last"),
        pytest.param([(1, "", "IM2"), (1, "", "IM10"), (1, "1000", "IM3")],
                     ["IM3", "IM10", "IM2"], id="then-file-name-untimed-last"),
        pytest.param([(None, "", "Z"), (None, "", "Y")], ["Y", "Z"], id="unnumbered-by-name"),
    ],
)  # fmt: skip
def test_mixed_orientation_tie_breakers(images, expected):
    uid = generate_uid()
    planes = [AXIAL, CORONAL, SAGITTAL]
    datasets = []
    for k, (instance, acquired, _) in enumerate(images):
        ds = _image(uid, instance or 0, (0, 0, 0), planes[k % 3])
        if instance is None:
            del ds.InstanceNumber
        if acquired:
            ds.AcquisitionTime = acquired
        datasets.append(ds)
    entries = [
        entry_from_header(file, 0, ds, 1, "fallback", name=images[file][2])
        for file, ds in enumerate(datasets)
    ]
    (only,) = build_series(entries)
    assert [images[f.file][2] for f in only.frames] == expected


def test_missing_positions_order_by_instance_without_claiming_mixed_planes():
    uid = generate_uid()
    datasets = [_image(uid, n, (0, 0, float(n)), AXIAL) for n in (3, 1, 2)]
    del datasets[0].ImagePositionPatient
    files, series = _build(datasets)
    assert files == [[1, 2, 0]]
    assert series[0].ordering == "instance" and not series[0].mixed_orientation


def test_multiframe_objects_are_series_of_their_own_in_stored_order():
    uid = generate_uid()
    single = [_image(uid, n, (0, 0, float(n)), AXIAL) for n in (1, 2)]
    entries = [entry_from_header(i, 0, ds, 1, "x") for i, ds in enumerate(single)]
    entries.append(entry_from_header(2, 0, _image(uid, 3, None, None), 4, "x"))
    series = build_series(entries)
    assert [(s.uid, len(s.frames)) for s in series] == [(uid, 2), (f"{uid}#2", 4)]
    assert [s.ordering for s in series] == ["position", "file"]


def test_ordering_values_are_the_catalog_json_words():
    assert [o.value for o in catalog.Ordering] == ["position", "instance", "file"]
