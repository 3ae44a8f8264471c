"""PET standardized uptake value (issue 16 item 6): the factors that turn a PET image's
modality values into SUV, with the inputs and the formula they came from, or the reason
there is no SUV.

The body-weight SUV follows the QIBA vendor-neutral pseudo-code ("SUV calculation",
QIBA FDG-PET/CT profile and its wiki):

- Units (0054,1001) BQML: the pixel (after Rescale) is the activity concentration C
  (Bq/ml); SUVbw = C × weight (g) / decayed dose (Bq).
- The decayed dose is the Radionuclide Total Dose (0018,1074) decayed from the
  injection (Radiopharmaceutical Start DateTime (0018,1078), else Series Date with
  Radiopharmaceutical Start Time (0018,1072)) to the time the image is corrected to,
  with the Radionuclide Half Life (0018,1075): dose × 2^(−Δt / half-life).
- That time, by Decay Correction (0054,1102): START: the scan start, which is Series
  Date/Time unless that is later than the series' earliest Acquisition Date/Time (a
  re-processed series), in which case GE's private Scan DateTime (0009,xx0D of
  "GEMS_PETD_01") where present, else the earliest acquisition; ADMIN: the injection
  itself (no decay); NONE: the frame's own Acquisition Date/Time (the image holds the
  activity at that time).
- Units CNTS (Philips): the private SUV Scale Factor (7053,xx00 of "Philips PET Private
  Group") turns the rescaled value into SUVbw directly; else its Activity Concentration
  Scale Factor (7053,xx09) turns it into Bq/ml first.
- Units GML: the values are SUVbw already.

Enhanced PET (PS3.3 A.56, one multi-frame object; issue 16): the factors are per frame.
Each frame's attributes are looked up in its Per-frame Functional Groups item, then the
Shared one, then the dataset (:func:`frame_view`). The units are Units (0054,1001) where
given, else the frame's Rescale Type (0028,1054) of its Pixel Value Transformation (the
same defined terms: BQML, CNTS, GML), else its Real World Value Mapping's UCUM unit
("Bq/ml", "{SUVbw}g/ml"). Decay Corrected (0018,9758) of the Enhanced PET Corrections
Module stands for Decay Correction: YES corrects every frame to Decay Correction DateTime
(0018,9701); NO leaves each frame's activity at its own time, its Frame Reference
DateTime (0018,9151), else its Frame Acquisition DateTime (0018,9074), so that frames
acquired at different times (the bed positions of a whole-body scan, the time frames of
a dynamic one) each have their own factor.

Lean body mass: Janmahasatian et al. 2005 (as PERCIST uses), from Patient's Weight (kg),
Size (m) and Sex: LBM = 9270 × W / (6680 + 216 × BMI) for M, 9270 × W / (8780 + 244 ×
BMI) for F, BMI = W / H². Body surface area: Du Bois and Du Bois 1916, BSA (m²) =
0.007184 × W^0.425 × H(cm)^0.725; SUVbsa = C × BSA (cm²) / dose, in cm²/ml.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from pydicom.dataset import Dataset
from pydicom.tag import Tag

from lightbox.core.messages import say
from lightbox.core.values import functional_group

PHILIPS_CREATOR = "Philips PET Private Group"
#: The macros of an Enhanced PET frame that hold what SUV needs (PS3.3 C.8.22.5, C.7.6.16).
FRAME_MACROS = (
    "FrameContentSequence",
    "PixelValueTransformationSequence",
    "RealWorldValueMappingSequence",
    "PETFrameCorrectionFactorsSequence",
)
#: Real World Value Mapping units (UCUM, PS3.16 CID 84) as the Units defined terms.
UCUM_UNITS = {"bq/ml": "BQML", "{suvbw}g/ml": "GML", "{counts}": "CNTS"}
GE_CREATOR = "GEMS_PETD_01"


@dataclass(frozen=True)
class SuvFactors:
    """Multiply a modality value (after Rescale) by these to get SUV."""

    bw: float
    lbm: float | None
    bsa: float | None
    #: The inputs used and how, for the "formula and inputs" view (JSON-ready).
    inputs: dict[str, Any] = field(default_factory=dict)
    formula: str = ""

    def of(self, value: float) -> dict[str, float]:
        """``{bw, lbm?, bsa?}`` of one modality value."""
        out = {"bw": value * self.bw}
        if self.lbm is not None:
            out["lbm"] = value * self.lbm
        if self.bsa is not None:
            out["bsa"] = value * self.bsa
        return out


class SuvUnavailable(Exception):
    """Why a PET image has no SUV (the message is the reason, in plain words)."""


def _text(ds: Dataset, keyword: str) -> str:
    return str(ds.get(keyword, "") or "").strip()


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def parse_date(value: Any) -> date | None:
    """A DA value (YYYYMMDD), or None."""
    text = str(value or "").strip()
    try:
        return datetime.strptime(text[:8], "%Y%m%d").date() if len(text) >= 8 else None
    except ValueError:
        return None


def parse_time(value: Any) -> time | None:
    """A TM value (HH[MM[SS[.F{1,6}]]], the old HH:MM:SS too), or None."""
    text = str(value or "").strip().replace(":", "")
    if not text:
        return None
    whole, _, fraction = text.partition(".")
    try:
        hour = int(whole[0:2])
        minute = int(whole[2:4]) if len(whole) >= 4 else 0
        second = int(whole[4:6]) if len(whole) >= 6 else 0
        micro = int((fraction + "000000")[:6]) if fraction else 0
        return time(hour, minute, min(second, 59), micro)
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """A DT value (YYYYMMDDHHMMSS.FFFFFF, a &ZZXX offset ignored: both ends of a
    difference are taken in the same local time), or None."""
    text = str(value or "").strip()
    for sign in "+-":
        if sign in text[8:]:
            text = text[: 8 + text[8:].index(sign)]
    day = parse_date(text[:8])
    if day is None:
        return None
    clock = parse_time(text[8:]) if len(text) > 8 else time(0, 0)
    return datetime.combine(day, clock) if clock else None


def _combine(day: Any, clock: Any) -> datetime | None:
    d, t = parse_date(day), parse_time(clock)
    return datetime.combine(d, t) if d and t else None


def acquisition_datetime(ds: Dataset) -> datetime | None:
    """A PET image's Acquisition DateTime, else Acquisition Date with Time."""
    found = parse_datetime(ds.get("AcquisitionDateTime"))
    return found or _combine(ds.get("AcquisitionDate"), ds.get("AcquisitionTime"))


def _private(ds: Dataset, creator: str, group: int, element: int) -> Any:
    try:
        return ds.private_block(group, creator)[element].value
    except (KeyError, ValueError):
        # pydicom read without a private dictionary: the creator's block by hand
        for block in range(0x10, 0x100):
            tag = Tag(group, block)
            if tag in ds and str(ds[tag].value).strip() == creator:
                inner = Tag(group, (block << 8) | element)
                return ds[inner].value if inner in ds else None
        return None


def _radiopharmaceutical(ds: Dataset) -> Dataset:
    seq = ds.get("RadiopharmaceuticalInformationSequence")
    if not seq:
        raise SuvUnavailable(say("engine.suv_no_radiopharmaceutical"))
    first: Dataset = seq[0]
    return first


def _injection(ds: Dataset, info: Dataset) -> datetime:
    found = parse_datetime(info.get("RadiopharmaceuticalStartDateTime"))
    if found:
        return found
    found = _combine(ds.get("SeriesDate"), info.get("RadiopharmaceuticalStartTime"))
    if found:
        return found
    raise SuvUnavailable(say("engine.suv_no_injection_time"))


def _scan_start(ds: Dataset, earliest_acquisition: datetime | None) -> tuple[datetime, str]:
    series = _combine(ds.get("SeriesDate"), ds.get("SeriesTime"))
    if series is not None and (earliest_acquisition is None or series <= earliest_acquisition):
        return series, "Series Date/Time"
    ge = parse_datetime(_private(ds, GE_CREATOR, 0x0009, 0x0D))
    if ge is not None:
        return ge, "GE private Scan DateTime (0009,xx0D)"
    if earliest_acquisition is not None:
        return earliest_acquisition, "the series' earliest Acquisition Date/Time"
    raise SuvUnavailable(say("engine.suv_no_scan_time"))


def _frame_reference(ds: Dataset, corrected: bool) -> tuple[datetime, str]:
    """The time an Enhanced PET frame's activity is given at (``ds`` a :func:`frame_view`):
    the Decay Correction DateTime where the frames are decay corrected, else the frame's
    own Frame Reference DateTime, else its Frame Acquisition DateTime."""
    if corrected:
        found = parse_datetime(ds.get("DecayCorrectionDateTime"))
        if found is None:
            raise SuvUnavailable(say("engine.suv_no_decay_datetime"))
        return found, "Decay Correction DateTime (0018,9701)"
    for keyword, name in (
        ("FrameReferenceDateTime", "this frame's Frame Reference DateTime (0018,9151)"),
        ("FrameAcquisitionDateTime", "this frame's Frame Acquisition DateTime (0018,9074)"),
    ):
        found = parse_datetime(ds.get(keyword))
        if found is not None:
            return found, f"{name}, Decay Corrected NO"
    raise SuvUnavailable(say("engine.suv_no_frame_time"))


def frame_view(ds: Dataset, frame: int) -> Dataset:
    """The attributes of one frame of a multi-frame object with functional groups: the
    dataset's, overridden by the frame's :data:`FRAME_MACROS` items (per-frame, else
    shared); ``ds`` itself when it has no functional groups."""
    if not ds.get("PerFrameFunctionalGroupsSequence") and not ds.get(
        "SharedFunctionalGroupsSequence"
    ):
        return ds
    skip = {
        "PerFrameFunctionalGroupsSequence",
        "SharedFunctionalGroupsSequence",
        "PixelData",
        "FloatPixelData",
        "DoubleFloatPixelData",
    }
    view = Dataset({e.tag: e for e in ds if e.keyword not in skip})
    for macro in FRAME_MACROS:
        item = functional_group(ds, frame, macro)
        for element in item or ():
            view[element.tag] = element
    return view


def _units(ds: Dataset) -> str:
    """Units (0054,1001); for an Enhanced PET frame, else its Rescale Type or its Real World
    Value Mapping's unit (see the module's notes)."""
    units = _text(ds, "Units").upper()
    if units:
        return units
    rescale_type = _text(ds, "RescaleType").upper()
    if rescale_type in {"BQML", "CNTS", "GML"}:
        return rescale_type
    for code in ds.get("MeasurementUnitsCodeSequence") or ():
        found = UCUM_UNITS.get(str(code.get("CodeValue", "")).strip().lower())
        if found:
            return found
    return ""


def _decayed_dose(
    ds: Dataset, earliest_acquisition: datetime | None, inputs: dict[str, Any]
) -> float:
    info = _radiopharmaceutical(ds)
    dose = _float(info.get("RadionuclideTotalDose"))
    if not dose or dose <= 0:
        raise SuvUnavailable(say("engine.suv_no_dose"))
    half_life = _float(info.get("RadionuclideHalfLife"))
    if not half_life or half_life <= 0:
        raise SuvUnavailable(say("engine.suv_no_half_life"))
    correction = _text(ds, "DecayCorrection").upper()
    enhanced = not correction and "DecayCorrected" in ds
    if enhanced:  # Enhanced PET: Decay Corrected (0018,9758) in place of Decay Correction
        correction = "YES" if _text(ds, "DecayCorrected").upper() == "YES" else "NO"
    injected = _injection(ds, info)
    inputs.update(
        injectedDoseBq=dose,
        halfLifeS=half_life,
        injection=injected.isoformat(),
        **{"decayCorrected" if enhanced else "decayCorrection": correction or None},
    )
    if enhanced:
        reference, source = _frame_reference(ds, correction == "YES")
    elif correction == "ADMIN":
        reference, source = injected, "the injection (Decay Correction ADMIN)"
    elif correction == "START":
        reference, source = _scan_start(ds, earliest_acquisition)
    elif correction == "NONE":
        acquired = acquisition_datetime(ds)
        if acquired is None:
            raise SuvUnavailable(say("engine.suv_none_no_acquisition"))
        reference, source = acquired, "this image's Acquisition Date/Time (Decay Correction NONE)"
    else:
        raise SuvUnavailable(
            say("engine.suv_decay_correction", correction=correction or say("engine.absent"))
        )
    elapsed = (reference - injected) / timedelta(seconds=1)
    if elapsed < 0 and correction != "ADMIN":
        # a scan that seems to start before the injection: a date missing a day's roll
        raise SuvUnavailable(
            say(
                "engine.suv_before_injection",
                reference=reference.isoformat(),
                injected=injected.isoformat(),
            )
        )
    decayed = float(dose * 2.0 ** (-elapsed / half_life))
    inputs.update(
        reference=reference.isoformat(),
        referenceFrom=source,
        elapsedS=elapsed,
        decayedDoseBq=decayed,
    )
    return decayed


def lean_body_mass(weight_kg: float, height_m: float, sex: str) -> float | None:
    """Janmahasatian lean body mass (kg), or None without a sex of M or F."""
    bmi = weight_kg / (height_m * height_m)
    if sex == "M":
        return 9270.0 * weight_kg / (6680.0 + 216.0 * bmi)
    if sex == "F":
        return 9270.0 * weight_kg / (8780.0 + 244.0 * bmi)
    return None


def body_surface_area(weight_kg: float, height_m: float) -> float:
    """Du Bois body surface area (m²)."""
    return float(0.007184 * weight_kg**0.425 * (height_m * 100.0) ** 0.725)


def suv_factors(
    ds: Dataset, earliest_acquisition: datetime | None = None, frame: int = 0
) -> SuvFactors:
    """The SUV factors of one PET image, or of frame ``frame`` (0-based) of an Enhanced PET
    object (``earliest_acquisition``: its series' earliest Acquisition Date/Time, for the
    START rule).

    Raises
    ------
    SuvUnavailable
        With the reason.
    """
    if _text(ds, "Modality").upper() != "PT":
        raise SuvUnavailable(say("engine.suv_not_pet"))
    ds = frame_view(ds, frame)
    units = _units(ds)
    weight = _float(ds.get("PatientWeight"))
    inputs: dict[str, Any] = {"units": units or None, "weightKg": weight}
    if units == "GML":
        inputs["formula"] = "the values are SUVbw already (Units GML)"
        return SuvFactors(1.0, None, None, inputs, "SUVbw = value (Units GML)")
    if not weight or weight <= 0:
        raise SuvUnavailable(say("engine.suv_no_weight"))
    scale = 1.0
    direct: float | None = None
    if units == "BQML":
        pass
    elif units == "CNTS":
        philips = _float(_private(ds, PHILIPS_CREATOR, 0x7053, 0x00))
        activity = _float(_private(ds, PHILIPS_CREATOR, 0x7053, 0x09))
        if philips:
            direct = philips
            inputs["philipsSuvScaleFactor"] = philips
        elif activity:
            scale = activity
            inputs["philipsActivityConcentrationScaleFactor"] = activity
        else:
            raise SuvUnavailable(say("engine.suv_cnts"))
    else:
        raise SuvUnavailable(
            say("engine.suv_units", units=units) if units else say("engine.suv_units_absent")
        )
    if direct is not None:
        formula = "SUVbw = value × Philips SUV Scale Factor (7053,xx00)"
        return SuvFactors(direct, None, None, inputs, formula)
    corrected = {str(v).upper() for v in (ds.get("CorrectedImage") or [])}
    inputs["correctedImage"] = sorted(corrected)
    if units == "BQML" and corrected and "DECY" not in corrected:
        raise SuvUnavailable(say("engine.suv_not_decay_corrected"))
    decayed = _decayed_dose(ds, earliest_acquisition, inputs)
    bw = scale * weight * 1000.0 / decayed
    head = "C (Bq/ml)" if scale == 1.0 else "value × activity scale factor (Bq/ml)"
    formula = (
        f"SUVbw = {head} × weight (g) / (dose × 2^(−Δt / half-life)); "
        "Δt from the injection to the reference time"
    )
    height = _float(ds.get("PatientSize"))
    sex = _text(ds, "PatientSex").upper()
    lbm = bsa = None
    if height and height > 0:
        lean = lean_body_mass(weight, height, sex)
        if lean is not None:
            lbm = scale * lean * 1000.0 / decayed
            inputs["leanBodyMassKg"] = lean
            formula += "; SUVlbm: LBM (Janmahasatian) in place of weight"
        area = body_surface_area(weight, height)
        bsa = scale * area * 10000.0 / decayed
        inputs["bodySurfaceAreaM2"] = area
        inputs.update(heightM=height, sex=sex or None)
        formula += "; SUVbsa (cm²/ml): BSA (Du Bois, cm²) in place of weight"
    return SuvFactors(bw, lbm, bsa, inputs, formula)
