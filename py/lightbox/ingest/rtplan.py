"""An RT Plan or RT Ion Plan summarised as text (issue 16 item 5; PS3.3 C.8.8.9-14,
C.8.8.25-26): its label and intent, the prescription (Dose Reference Sequence), the
fraction groups (fractions planned, each beam's meterset) and the beams (name, type,
radiation, machine, the first control point's gantry, collimator and couch angles and
nominal energy, the number of control points).
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

#: RT Plan Storage, RT Ion Plan Storage.
PLAN_SOP_CLASSES = ("1.2.840.10008.5.1.4.1.1.481.5", "1.2.840.10008.5.1.4.1.1.481.8")


def is_plan(ds: Dataset) -> bool:
    """Whether a data set is an RT Plan or RT Ion Plan."""
    return str(ds.get("SOPClassUID", "")) in PLAN_SOP_CLASSES


def _text(item: Dataset, keyword: str) -> str:
    value = item.get(keyword)
    return "" if value is None else str(value).strip()


def _number(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return ""


def _beam_line(beam: Dataset, metersets: dict[str, str]) -> str:
    number = _text(beam, "BeamNumber")
    name = _text(beam, "BeamName") or _text(beam, "BeamDescription")
    parts = [f"Beam {number}" + (f" {name!r}" if name else "")]
    kind = ", ".join(
        p
        for p in (
            _text(beam, "BeamType"),
            _text(beam, "RadiationType"),
            _text(beam, "TreatmentMachineName"),
            _text(beam, "TreatmentDeliveryType"),
        )
        if p
    )
    if kind:
        parts.append(kind)
    points = beam.get("ControlPointSequence") or beam.get("IonControlPointSequence") or []
    if points:
        first = points[0]
        angles = [
            f"{label} {_number(first.get(keyword))}°"
            for label, keyword in (
                ("gantry", "GantryAngle"),
                ("collimator", "BeamLimitingDeviceAngle"),
                ("couch", "PatientSupportAngle"),
            )
            if _number(first.get(keyword))
        ]
        parts.extend(angles)
        energy = _number(first.get("NominalBeamEnergy"))
        if energy:
            parts.append(f"{energy} MeV")
    count = _text(beam, "NumberOfControlPoints") or (str(len(points)) if points else "")
    if count:
        parts.append(f"{count} control points")
    meterset = metersets.get(number)
    if meterset:
        unit = _text(beam, "PrimaryDosimeterUnit") or "MU"
        parts.append(f"meterset {meterset} {unit}")
    return ", ".join(parts)


def plan_text(ds: Dataset) -> str:
    """The plan as readable lines."""
    lines = []
    label = _text(ds, "RTPlanLabel") or "RT Plan"
    name = _text(ds, "RTPlanName")
    lines.append(f"RT Plan: {label}" + (f" ({name})" if name and name != label else ""))
    for title, keyword in (
        ("Description", "RTPlanDescription"),
        ("Date", "RTPlanDate"),
        ("Geometry", "RTPlanGeometry"),
        ("Intent", "PlanIntent"),
    ):
        if _text(ds, keyword):
            lines.append(f"{title}: {_text(ds, keyword)}")
    references = ds.get("DoseReferenceSequence") or []
    if references:
        lines.append("Prescription:")
    for item in references:
        what = (
            _text(item, "DoseReferenceDescription")
            or f"Dose reference {_text(item, 'DoseReferenceNumber')}"
        )
        dose = _number(item.get("TargetPrescriptionDose"))
        detail = ", ".join(
            p
            for p in (_text(item, "DoseReferenceType"), _text(item, "DoseReferenceStructureType"))
            if p
        )
        lines.append(
            f"  {what}: "
            + (f"{dose} Gy" if dose else "no target prescription dose")
            + (f" ({detail})" if detail else "")
        )
    metersets: dict[str, str] = {}
    groups = ds.get("FractionGroupSequence") or []
    if groups:
        lines.append("Fractions:")
    for group in groups:
        beams = group.get("ReferencedBeamSequence") or []
        for beam in beams:
            meterset = _number(beam.get("BeamMeterset"))
            if meterset:
                metersets[_text(beam, "ReferencedBeamNumber")] = meterset
        planned = _text(group, "NumberOfFractionsPlanned") or "?"
        lines.append(
            f"  Fraction group {_text(group, 'FractionGroupNumber') or '?'}: {planned} fractions "
            f"planned, {_text(group, 'NumberOfBeams') or len(beams)} beams"
        )
    beams = ds.get("BeamSequence") or ds.get("IonBeamSequence") or []
    lines.append(f"Beams: {len(beams)}")
    lines.extend(f"  {_beam_line(beam, metersets)}" for beam in beams)
    return "\n".join(lines)
