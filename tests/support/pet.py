"""Generated PET series with known activity, weight and timing (issue 16 item 6).

Each slice is a uniform background of BACKGROUND Bq/ml with a hot cube of HOT Bq/ml,
stored as uint16 with a Rescale Slope, Units BQML, Decay Correction START, an injection
of DOSE Bq of F-18 (half-life 6586.2 s) at 10:00:00 and a series start of 11:00:00 on
the same day, a patient of 70 kg, 1.75 m, sex M.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from tests.support.factories import enhanced_dataset, image_dataset
from tools.synth import to_bytes

PET_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
DOSE = 370e6
HALF_LIFE = 6586.2
WEIGHT = 70.0
HEIGHT = 1.75
BACKGROUND = 5000.0
HOT = 40000.0
SLOPE = 1.0
SIZE = 32
SPACING = 4.0
THICKNESS = 3.0
SLICES = 9
#: the hot cube: rows and columns 12..17, slices 3..5 (0-based, half-open)
HOT_ROWS = slice(12, 18)
HOT_SLICES = slice(3, 6)


def activity() -> np.ndarray[Any, Any]:
    """The activity concentration (Bq/ml), (slices, rows, columns)."""
    volume = np.full((SLICES, SIZE, SIZE), BACKGROUND)
    volume[HOT_SLICES, HOT_ROWS, HOT_ROWS] = HOT
    return volume


def pet_datasets(**override: Any) -> list[Dataset]:
    """The slices, each with the radiopharmaceutical module (``override`` sets or, with
    None, deletes elements of every slice)."""
    series, study, frame = generate_uid(), generate_uid(), generate_uid()
    out = []
    for k, plane in enumerate(activity()):
        stored = np.rint(plane / SLOPE).astype(np.uint16)
        ds = image_dataset(
            stored,
            modality="PT",
            series_uid=series,
            instance=k + 1,
            position=[-SIZE * SPACING / 2, -SIZE * SPACING / 2, k * THICKNESS],
            orientation=[1, 0, 0, 0, 1, 0],
            rescale=(SLOPE, 0.0),
        )
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = PET_STORAGE
        ds.StudyInstanceUID = study
        ds.FrameOfReferenceUID = frame
        ds.PixelSpacing = [SPACING, SPACING]
        ds.SliceThickness = THICKNESS
        ds.PatientName = "PET^Phantom"
        ds.PatientID = "PET-1"
        ds.PatientWeight = WEIGHT
        ds.PatientSize = HEIGHT
        ds.PatientSex = "M"
        ds.Units = "BQML"
        ds.DecayCorrection = "START"
        ds.CorrectedImage = ["DECY", "ATTN"]
        ds.SeriesDate = ds.AcquisitionDate = "20240105"
        ds.SeriesTime = "110000"
        ds.AcquisitionTime = f"1100{k:02d}"
        info = Dataset()
        info.RadiopharmaceuticalStartTime = "100000"
        info.RadionuclideTotalDose = DOSE
        info.RadionuclideHalfLife = HALF_LIFE
        ds.RadiopharmaceuticalInformationSequence = [info]
        for keyword, value in override.items():
            inside = keyword.startswith("Radio") and not keyword.endswith("Sequence")
            target = info if inside else ds
            if value is None:
                if keyword in target:
                    delattr(target, keyword)
            else:
                setattr(target, keyword, value)
        out.append(ds)
    return out


def write_pet(folder: Path, **override: Any) -> list[Path]:
    """The slices as files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, ds in enumerate(pet_datasets(**override)):
        path = folder / f"pet{k:02d}.dcm"
        path.write_bytes(to_bytes(ds))
        paths.append(path)
    return paths


ENHANCED_PET_STORAGE = "1.2.840.10008.5.1.4.1.1.130"
#: Seconds from one frame's (bed position's) reference time to the next's in the
#: enhanced series, the first at the series start (11:00:00).
BED_STEP_S = 120
#: The enhanced object's Rescale Slope: its frames are signed 16-bit, the hot cube's
#: 40,000 Bq/ml stored as 20,000.
ENHANCED_SLOPE = 2.0


def enhanced_pet_dataset(decay_corrected: bool = False, units: str = "rescale") -> Dataset:
    """The same phantom as one Enhanced PET object of SLICES frames (PS3.3 A.56), each
    frame a bed position whose Frame Reference DateTime is BED_STEP_S after the previous
    one's. Decay Corrected NO (each frame's activity at its own time) unless
    ``decay_corrected``, which corrects every frame to the series start. The units come
    from the frames' Rescale Type (``units="rescale"``), or from a Real World Value Mapping
    in UCUM (``"rwvm"``), or nowhere (``"none"``)."""
    stored = np.rint(activity() / ENHANCED_SLOPE).astype(np.int16)
    ds = enhanced_dataset(
        stored,
        rescales=[(ENHANCED_SLOPE, 0.0)] * SLICES,
        rescale_type="BQML" if units == "rescale" else None,
        positions=[
            [-SIZE * SPACING / 2, -SIZE * SPACING / 2, k * THICKNESS] for k in range(SLICES)
        ],
        spacing=(SPACING, SPACING),
        thickness=THICKNESS,
        modality="PT",
    )
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = ENHANCED_PET_STORAGE
    ds.StudyInstanceUID, ds.FrameOfReferenceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID = "PET^Enhanced", "PET-2"
    ds.PatientWeight, ds.PatientSize, ds.PatientSex = WEIGHT, HEIGHT, "M"
    ds.SeriesDate, ds.SeriesTime = "20240105", "110000"
    ds.DecayCorrected = "YES" if decay_corrected else "NO"
    if decay_corrected:
        ds.DecayCorrectionDateTime = "20240105110000"
    info = Dataset()
    info.RadiopharmaceuticalStartDateTime = "20240105100000"
    info.RadionuclideTotalDose = DOSE
    info.RadionuclideHalfLife = HALF_LIFE
    ds.RadiopharmaceuticalInformationSequence = [info]
    for k, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        content = item.FrameContentSequence[0]
        minutes, seconds = divmod(k * BED_STEP_S, 60)
        content.FrameReferenceDateTime = f"2024010511{minutes:02d}{seconds:02d}"
        content.FrameAcquisitionDateTime = content.FrameReferenceDateTime
        content.FrameAcquisitionDuration = BED_STEP_S * 1000.0
    if units == "rwvm":
        unit = Dataset()
        unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = "Bq/ml", "UCUM", "Bq/ml"
        mapping = Dataset()
        mapping.RealWorldValueSlope, mapping.RealWorldValueIntercept = ENHANCED_SLOPE, 0.0
        mapping.RealWorldValueFirstValueMapped, mapping.RealWorldValueLastValueMapped = 0, 32767
        mapping.LUTLabel, mapping.LUTExplanation = "Bq/ml", "activity concentration"
        mapping.MeasurementUnitsCodeSequence = [unit]
        ds.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence = [mapping]
    return ds


def write_enhanced_pet(folder: Path, **options: Any) -> Path:
    """:func:`enhanced_pet_dataset` as a file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "enhanced-pet.dcm"
    path.write_bytes(to_bytes(enhanced_pet_dataset(**options)))
    return path
