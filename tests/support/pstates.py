"""Generated presentation states (PS3.3 A.33.1 GSPS) and TID 1500 SR documents over given
images, with known geometry, for the presentation-state and SR-measurement tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

GSPS_CLASS = "1.2.840.10008.5.1.4.1.1.11.1"
BLENDING_CLASS = "1.2.840.10008.5.1.4.1.1.11.4"
COMPREHENSIVE_SR_CLASS = "1.2.840.10008.5.1.4.1.1.88.33"


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _base(image: Dataset, sop_class: str, modality: str) -> Dataset:
    sop = generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop
    ds.StudyInstanceUID = image.StudyInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = modality
    ds.SeriesNumber = 901
    ds.InstanceNumber = 1
    ds.PatientName = image.get("PatientName", "")
    ds.PatientID = image.get("PatientID", "")
    return ds


def image_ref(image: Dataset) -> Dataset:
    ref = Dataset()
    ref.ReferencedSOPClassUID = image.SOPClassUID
    ref.ReferencedSOPInstanceUID = image.SOPInstanceUID
    return ref


def gsps(
    image: Dataset,
    *,
    rotation: int = 0,
    flip: bool = False,
    window: tuple[float, float] | None = None,
    rescale: tuple[float, float] | None = None,
    shape: str = "IDENTITY",
    polyline: Sequence[tuple[float, float]] = (),
    text: tuple[str, tuple[float, float], tuple[float, float]] | None = None,
    lab: tuple[int, int, int] = (54534, 55143, 41117),
    shutter: tuple[int, int, int, int] | None = None,
    label: str = "TEST_PS",
) -> Dataset:
    """A GSPS over ``image``: its spatial transformation, window, a PIXEL polyline and a
    PIXEL text box in one layer of CIELab colour ``lab``, and a rectangular shutter
    (left, right, upper, lower) if given."""
    ds = _base(image, GSPS_CLASS, "PR")
    series = Dataset()
    series.SeriesInstanceUID = image.SeriesInstanceUID
    series.ReferencedImageSequence = [image_ref(image)]
    ds.ReferencedSeriesSequence = [series]
    ds.ContentLabel = label
    ds.ContentDescription = "generated"
    ds.PresentationCreationDate, ds.PresentationCreationTime = "20261202", "050000"
    if rescale is not None:
        ds.RescaleSlope, ds.RescaleIntercept = rescale
        ds.RescaleType = "HU"
    if window is not None:
        voi = Dataset()
        voi.WindowCenter, voi.WindowWidth = window
        ds.SoftcopyVOILUTSequence = [voi]
    ds.PresentationLUTShape = shape
    ds.ImageRotation = rotation
    ds.ImageHorizontalFlip = "Y" if flip else "N"
    area = Dataset()
    area.DisplayedAreaTopLeftHandCorner = [1, 1]
    area.DisplayedAreaBottomRightHandCorner = [int(image.Columns), int(image.Rows)]
    area.PresentationSizeMode = "SCALE TO FIT"
    area.PresentationPixelAspectRatio = [1, 1]
    ds.DisplayedAreaSelectionSequence = [area]
    layer = Dataset()
    layer.GraphicLayer = "ANNOTATIONS"
    layer.GraphicLayerOrder = 1
    layer.GraphicLayerRecommendedDisplayCIELabValue = list(lab)
    ds.GraphicLayerSequence = [layer]
    annotation = Dataset()
    annotation.GraphicLayer = "ANNOTATIONS"
    annotation.ReferencedImageSequence = [image_ref(image)]
    if polyline:
        graphic = Dataset()
        graphic.GraphicAnnotationUnits = "PIXEL"
        graphic.GraphicDimensions = 2
        graphic.NumberOfGraphicPoints = len(polyline)
        graphic.GraphicData = [float(v) for p in polyline for v in p]
        graphic.GraphicType = "POLYLINE"
        graphic.GraphicFilled = "N"
        annotation.GraphicObjectSequence = [graphic]
    if text is not None:
        item = Dataset()
        item.BoundingBoxAnnotationUnits = "PIXEL"
        item.UnformattedTextValue = text[0]
        item.BoundingBoxTopLeftHandCorner = list(text[1])
        item.BoundingBoxBottomRightHandCorner = list(text[2])
        item.BoundingBoxTextHorizontalJustification = "LEFT"
        annotation.TextObjectSequence = [item]
    ds.GraphicAnnotationSequence = [annotation]
    if shutter is not None:
        ds.ShutterShape = "RECTANGULAR"
        (
            ds.ShutterLeftVerticalEdge,
            ds.ShutterRightVerticalEdge,
            ds.ShutterUpperHorizontalEdge,
            ds.ShutterLowerHorizontalEdge,
        ) = shutter
        ds.ShutterPresentationValue = 0
    return ds


def red_ramp() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A linear red ramp of 256 16-bit entries: red i × 257 (0 to 65535), green and blue 0."""
    red = (np.arange(256) * 257).astype(np.uint16)
    zero = np.zeros(256, np.uint16)
    return red, zero, zero.copy()


def _blend_item(
    images: Sequence[Dataset],
    position: str,
    window: tuple[float, float] | None,
    rescale: tuple[float, float] | None,
) -> Dataset:
    item = Dataset()
    item.BlendingPosition = position
    item.StudyInstanceUID = images[0].StudyInstanceUID
    series = Dataset()
    series.SeriesInstanceUID = images[0].SeriesInstanceUID
    series.ReferencedImageSequence = [image_ref(image) for image in images]
    item.ReferencedSeriesSequence = [series]
    if rescale is not None:
        item.RescaleSlope, item.RescaleIntercept = rescale
        item.RescaleType = "US"
    if window is not None:
        voi = Dataset()
        voi.ReferencedImageSequence = [image_ref(image) for image in images]
        voi.WindowCenter, voi.WindowWidth = window
        item.SoftcopyVOILUTSequence = [voi]
    return item


def blending(
    underlying: Sequence[Dataset],
    superimposed: Sequence[Dataset],
    *,
    under_window: tuple[float, float] | None,
    over_window: tuple[float, float] | None,
    opacity: float | None = 0.4,
    palette: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    under_rescale: tuple[float, float] | None = None,
    over_rescale: tuple[float, float] | None = None,
    label: str = "BLEND",
    icc: bytes | None = None,
) -> Dataset:
    """A Blending Softcopy Presentation State (PS3.3 A.33.4): the Blending Sequence's
    UNDERLYING and SUPERIMPOSED items (C.11.14, superimposed first, so that the reader
    goes by Blending Position, not order), each with its VOI window (and rescale if given),
    Relative Opacity, a Palette Color Lookup Table (C.7.9; default :func:`red_ramp`) and,
    if given, the ICC Profile (0028,2000) of the ICC Profile module (C.11.15)."""
    ds = _base(underlying[0], BLENDING_CLASS, "PR")
    ds.ContentLabel = label
    ds.ContentDescription = "generated blend"
    ds.PresentationCreationDate, ds.PresentationCreationTime = "20261203", "050000"
    ds.BlendingSequence = [
        _blend_item(superimposed, "SUPERIMPOSED", over_window, over_rescale),
        _blend_item(underlying, "UNDERLYING", under_window, under_rescale),
    ]
    if opacity is not None:
        ds.RelativeOpacity = opacity
    red, green, blue = palette if palette is not None else red_ramp()
    for name, table in (("Red", red), ("Green", green), ("Blue", blue)):
        setattr(ds, f"{name}PaletteColorLookupTableDescriptor", [len(table), 0, 16])
        setattr(ds, f"{name}PaletteColorLookupTableData", table.astype("<u2").tobytes())
    ds.ImageRotation = 0
    ds.ImageHorizontalFlip = "N"
    if icc is not None:
        ds.ICCProfile = icc
    return ds


def tid1500(
    image: Dataset,
    name: tuple[str, str, str],
    value: float,
    unit: tuple[str, str],
    graphic: str,
    points: Sequence[tuple[float, float]],
) -> Dataset:
    """A Comprehensive SR (TID 1500) with one measurement group: a NUM (concept ``name``
    as (code, scheme, meaning), ``value`` in UCUM ``unit`` (code, meaning)) inferred from a
    SCOORD of ``graphic`` at ``points`` (column, row) selected from ``image``."""
    ds = _base(image, COMPREHENSIVE_SR_CLASS, "SR")
    ds.SeriesDescription = "Generated measurements"
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = [_code("126000", "DCM", "Imaging Measurement Report")]
    template = Dataset()
    template.MappingResource, template.TemplateIdentifier = "DCMR", "1500"
    ds.ContentTemplateSequence = [template]
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "UNVERIFIED"
    selected = Dataset()
    selected.RelationshipType, selected.ValueType = "SELECTED FROM", "IMAGE"
    selected.ReferencedSOPSequence = [image_ref(image)]
    scoord = Dataset()
    scoord.RelationshipType, scoord.ValueType = "INFERRED FROM", "SCOORD"
    scoord.GraphicType = graphic
    scoord.GraphicData = [float(v) for p in points for v in p]
    scoord.ContentSequence = [selected]
    measured = Dataset()
    measured.NumericValue = value
    measured.MeasurementUnitsCodeSequence = [_code(unit[0], "UCUM", unit[1])]
    num = Dataset()
    num.RelationshipType, num.ValueType = "CONTAINS", "NUM"
    num.ConceptNameCodeSequence = [_code(*name)]
    num.MeasuredValueSequence = [measured]
    num.ContentSequence = [scoord]
    group = Dataset()
    group.RelationshipType, group.ValueType = "CONTAINS", "CONTAINER"
    group.ContinuityOfContent = "SEPARATE"
    group.ConceptNameCodeSequence = [_code("125007", "DCM", "Measurement Group")]
    group.ContentSequence = [num]
    measurements = Dataset()
    measurements.RelationshipType, measurements.ValueType = "CONTAINS", "CONTAINER"
    measurements.ContinuityOfContent = "SEPARATE"
    measurements.ConceptNameCodeSequence = [_code("126010", "DCM", "Imaging Measurements")]
    measurements.ContentSequence = [group]
    ds.ContentSequence = [measurements]
    return ds
