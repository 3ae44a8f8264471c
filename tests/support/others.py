"""Generated image objects the corpus lacks (issue 15 item 4), written with pydicom.

Ophthalmic photography (8-bit colour, JPEG baseline), ophthalmic tomography (a multi-frame
of OCT B-scans with Enhanced functional groups) and its en-face image, dental intraoral
(IO, 12-bit with Imager Pixel Spacing) and panoramic (PX, MONOCHROME1) radiographs, an
endoscopy still (VL Endoscopic, JPEG), and an ultrasound multi-frame cine with two
calibrated regions of different scales. Each is a picture with structure (gradients,
bars, discs) so that a flip, a misplaced frame or a wrong colour shows; tests compare the
page with pydicom's pixel_array through the standard's pipeline (tests.support.reference).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

OPHTHALMIC_8BIT = "1.2.840.10008.5.1.4.1.1.77.1.5.1"
OPHTHALMIC_TOMOGRAPHY = "1.2.840.10008.5.1.4.1.1.77.1.5.4"
OCT_EN_FACE = "1.2.840.10008.5.1.4.1.1.77.1.5.7"
INTRAORAL = "1.2.840.10008.5.1.4.1.1.1.3"
DIGITAL_XRAY = "1.2.840.10008.5.1.4.1.1.1.1"
ENDOSCOPIC = "1.2.840.10008.5.1.4.1.1.77.1.1"
US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"
#: Physical units of an ultrasound region in cm (PS3.3 C.8.5.5.1.15: 0003H).
CM = 3


def _base(sop: str, modality: str, syntax: str, description: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(sop)
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = UID(sop)
    ds.Modality = modality
    ds.PatientName = "Other^Objects"
    ds.PatientID = "OTHER-1"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SeriesDescription = description
    return ds


def _colour(rows: int, cols: int, seed: int) -> np.ndarray:
    y, x = np.mgrid[0:rows, 0:cols]
    img = np.zeros((rows, cols, 3), dtype=np.uint8)
    img[..., 0] = (x * 255 // (cols - 1)).astype(np.uint8)
    img[..., 1] = ((y + seed * 17) * 255 // (rows - 1) % 256).astype(np.uint8)
    img[..., 2] = 60
    disc = (x - cols * 0.6) ** 2 + (y - rows * 0.45) ** 2 < (rows / 5) ** 2
    img[disc] = (250, 220, 120)
    img[rows // 8 : rows // 8 + 6, :] = (10, 10, 10)  # a bar: a flip shows
    return img


def _grey(rows: int, cols: int, top: int, seed: int = 0) -> np.ndarray:
    y, x = np.mgrid[0:rows, 0:cols]
    img = (x * top // (cols - 1) + (y // 16 + seed) % 3 * (top // 8)) % (top + 1)
    img[rows // 3 : rows // 3 + 8, cols // 4 :] = top
    return img.astype(np.uint16)


def _jpeg(img: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(img).save(out, format="JPEG", quality=90, subsampling=1)
    return out.getvalue()


def _rgb_module(ds: Dataset, rows: int, cols: int, photometric: str) -> None:
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = photometric
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0


def ophthalmic_photograph() -> Dataset:
    """An 8-bit colour fundus photograph, JPEG baseline (PS3.3 A.39.1)."""
    ds = _base(OPHTHALMIC_8BIT, "OP", JPEGBaseline8Bit, "fundus photograph")
    img = _colour(240, 320, 1)
    _rgb_module(ds, 240, 320, "YBR_FULL_422")
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate([_jpeg(img)])
    ds["PixelData"].VR = "OB"
    return ds


def ophthalmic_tomography(frames: int = 12) -> Dataset:
    """A multi-frame of OCT B-scans, 8-bit grey, with Enhanced functional groups."""
    ds = _base(OPHTHALMIC_TOMOGRAPHY, "OPT", ExplicitVRLittleEndian, "OCT macula")
    rows, cols = 128, 160
    ds.Rows, ds.Columns = rows, cols
    ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.FrameOfReferenceUID = generate_uid()
    measures = Dataset()
    measures.PixelSpacing = [0.0039, 0.0117]
    measures.SliceThickness = 0.05
    shared = Dataset()
    shared.PixelMeasuresSequence = DicomSequence([measures])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    stack = []
    per_frame = []
    for k in range(frames):
        scan = (_grey(rows, cols, 255, k) // 2 + k * 8).clip(0, 255).astype(np.uint8)
        scan[rows // 2 + k : rows // 2 + k + 4, :] = 255  # a retinal layer moving per scan
        stack.append(scan)
        content = Dataset()
        content.InStackPositionNumber = k + 1
        item = Dataset()
        item.FrameContentSequence = DicomSequence([content])
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(per_frame)
    ds.PixelData = np.stack(stack).tobytes()
    return ds


def oct_en_face() -> Dataset:
    """The en-face image of an OCT volume: one 8-bit grey frame (PS3.3 A.84)."""
    ds = _base(OCT_EN_FACE, "OPT", ExplicitVRLittleEndian, "OCT en face")
    img = _grey(160, 160, 255).astype(np.uint8)
    ds.Rows, ds.Columns = img.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.PixelData = img.tobytes()
    return ds


def _xray(sop: str, modality: str, photometric: str, description: str) -> Dataset:
    ds = _base(sop, modality, ExplicitVRLittleEndian, description)
    img = _grey(300, 400, 4095)
    ds.Rows, ds.Columns = img.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImagerPixelSpacing = [0.05, 0.05]
    ds.WindowCenter = 2000
    ds.WindowWidth = 3000
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.PixelData = img.tobytes()
    return ds


def dental_intraoral() -> Dataset:
    """A dental intraoral radiograph (IO, PS3.3 A.28.3), 12-bit MONOCHROME2."""
    return _xray(INTRAORAL, "IO", "MONOCHROME2", "bitewing")


def dental_panoramic() -> Dataset:
    """A dental panoramic radiograph (PX as Digital X-Ray, PS3.3 A.26), MONOCHROME1."""
    return _xray(DIGITAL_XRAY, "PX", "MONOCHROME1", "panoramic")


def endoscopy_still() -> Dataset:
    """A VL Endoscopic image (ES, PS3.3 A.32.1), JPEG baseline."""
    ds = _base(ENDOSCOPIC, "ES", JPEGBaseline8Bit, "colonoscopy still")
    img = _colour(288, 352, 4)
    _rgb_module(ds, 288, 352, "YBR_FULL_422")
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate([_jpeg(img)])
    ds["PixelData"].VR = "OB"
    return ds


#: The two regions of :func:`ultrasound_cine`: (x0, y0, x1, y1) and cm per pixel (x, y).
US_REGIONS = (((0, 0, 199, 239), (0.02, 0.02)), ((200, 0, 319, 239), (0.05, 0.01)))


def ultrasound_cine(frames: int = 10) -> Dataset:
    """An ultrasound multi-frame cine (RGB) with two calibrated regions (PS3.3 C.8.5.5)."""
    ds = _base(US_MULTIFRAME, "US", ExplicitVRLittleEndian, "echo with two regions")
    rows, cols = 240, 320
    _rgb_module(ds, rows, cols, "RGB")
    ds.NumberOfFrames = frames
    ds.FrameTime = 33.3
    ds.FrameIncrementPointer = (0x0018, 0x1063)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    regions = []
    for (x0, y0, x1, y1), (dx, dy) in US_REGIONS:
        region = Dataset()
        region.RegionSpatialFormat = 1
        region.RegionDataType = 1
        region.RegionFlags = 0
        region.RegionLocationMinX0, region.RegionLocationMinY0 = x0, y0
        region.RegionLocationMaxX1, region.RegionLocationMaxY1 = x1, y1
        region.PhysicalUnitsXDirection = CM
        region.PhysicalUnitsYDirection = CM
        region.PhysicalDeltaX = dx
        region.PhysicalDeltaY = dy
        regions.append(region)
    ds.SequenceOfUltrasoundRegions = DicomSequence(regions)
    ds.PixelData = np.stack([_colour(rows, cols, k) for k in range(frames)]).tobytes()
    return ds


#: Every generated kind: file name -> writer.
ALL: dict[str, Callable[[], Dataset]] = {
    "op.dcm": ophthalmic_photograph,
    "oct.dcm": ophthalmic_tomography,
    "oct-en-face.dcm": oct_en_face,
    "io.dcm": dental_intraoral,
    "px.dcm": dental_panoramic,
    "es.dcm": endoscopy_still,
    "us-regions.dcm": ultrasound_cine,
}


def oct_linked(
    frames: int = 12, span: tuple[float, float] = (5.0, 155.0)
) -> tuple[Dataset, Dataset, list[list[float]]]:
    """OCT B-scans whose frames say where they lie on their en-face image (PS3.3
    C.8.17.10.1: per frame an Ophthalmic Frame Location with the en-face image's SOP
    Instance UID and Reference Coordinates, row/column pairs): B-scan k along row 10 + 12 k,
    from column ``span[0]`` to ``span[1]`` (its first and last A-scan, with the A-scans
    between as pairs too). Returns (B-scans, en-face, each B-scan's [x0, y0, x1, y1])."""
    scans, en_face = ophthalmic_tomography(frames), oct_en_face()
    en_face.StudyInstanceUID = scans.StudyInstanceUID
    lines = []
    for k, item in enumerate(scans.PerFrameFunctionalGroupsSequence):
        row = 10.0 + 12 * k
        location = Dataset()
        location.ReferencedSOPClassUID = en_face.SOPClassUID
        location.ReferencedSOPInstanceUID = en_face.SOPInstanceUID
        columns = np.linspace(span[0], span[1], 5)
        location.ReferenceCoordinates = [v for c in columns for v in (row, float(c))]
        item.OphthalmicFrameLocationSequence = DicomSequence([location])
        lines.append([span[0], row, span[1], row])
    return scans, en_face, lines
