"""RT Plan summaries (issue 16 item 5): the corpus' RT Ion Plan (Evil-DICOM MultpleFL)
and a generated photon plan, the expected lines written from their elements as pydicom
reads them."""

from __future__ import annotations

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from lightbox.ingest.documents import read_document
from tests.support.paths import CORPUS
from tools.synth import to_bytes

ION_PLAN = CORPUS / "rt" / "Evil-DICOM" / "MultpleFL.dcm"


def test_corpus_ion_plan_lists_prescription_fractions_and_beams() -> None:
    ds = pydicom.dcmread(ION_PLAN)
    document = read_document(ION_PLAN.name, ION_PLAN.read_bytes())
    text = document.text
    assert document.title == ds.RTPlanLabel
    assert text.startswith(f"RT Plan: {ds.RTPlanLabel}")
    for item in ds.DoseReferenceSequence:
        dose = f"{float(item.TargetPrescriptionDose):g} Gy"
        assert f"{item.DoseReferenceDescription}: {dose}" in text
    group = ds.FractionGroupSequence[0]
    assert f"{group.NumberOfFractionsPlanned} fractions planned" in text
    assert f"Beams: {len(ds.IonBeamSequence)}" in text
    beam = ds.IonBeamSequence[0]
    first = beam.IonControlPointSequence[0]
    assert f"Beam {beam.BeamNumber} {beam.BeamName!r}" in text
    assert f"gantry {float(first.GantryAngle):g}°" in text
    assert f"{float(first.NominalBeamEnergy):g} MeV" in text


def _photon_plan() -> Dataset:
    ds = Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.5"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.5"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Modality = "RTPLAN"
    ds.RTPlanLabel = "Prostate"
    ds.PlanIntent = "CURATIVE"
    ref = Dataset()
    ref.DoseReferenceNumber = 1
    ref.DoseReferenceDescription = "PTV"
    ref.DoseReferenceType = "TARGET"
    ref.TargetPrescriptionDose = "78"
    ds.DoseReferenceSequence = [ref]
    group = Dataset()
    group.FractionGroupNumber = 1
    group.NumberOfFractionsPlanned = 39
    group.NumberOfBeams = 2
    beams = []
    for n in (1, 2):
        b = Dataset()
        b.ReferencedBeamNumber = n
        b.BeamMeterset = "101.5"
        beams.append(b)
    group.ReferencedBeamSequence = beams
    ds.FractionGroupSequence = [group]
    ds.BeamSequence = []
    for n, angle in ((1, 0), (2, 180)):
        beam = Dataset()
        beam.BeamNumber = n
        beam.BeamName = f"F{n}"
        beam.BeamType = "STATIC"
        beam.RadiationType = "PHOTON"
        beam.NumberOfControlPoints = 2
        point = Dataset()
        point.GantryAngle = angle
        point.NominalBeamEnergy = 6
        beam.ControlPointSequence = [point, Dataset()]
        ds.BeamSequence.append(beam)
    return ds


def test_generated_photon_plan() -> None:
    document = read_document("plan.dcm", to_bytes(_photon_plan()))
    lines = document.text.splitlines()
    assert lines[0] == "RT Plan: Prostate"
    assert "Intent: CURATIVE" in lines
    assert "  PTV: 78 Gy (TARGET)" in lines
    assert "  Fraction group 1: 39 fractions planned, 2 beams" in lines
    assert (
        "  Beam 2 'F2', STATIC, PHOTON, gantry 180°, 6 MeV, 2 control points, meterset 101.5 MU"
        in lines
    )
