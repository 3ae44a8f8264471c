"""Factories for the de-identification tests: files with planted identifiers, studies, rows.

Nothing here comes from a patient: every identifying value is a marker string
(``MK...``), a made-up date or number, or a UID under a made-up root, so that
a test can search the exported bytes for each one. (These factories would sit
in ``conftest.py``; they live here because this work may only add
``test_deid*.py`` files. The tests at the end check the factories themselves.)
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import CTImageStorage

from tests.support.factories import image_dataset
from tools.synth import to_bytes

#: A made-up UID root: every original UID in the planted file starts with it.
UID_ROOT = "1.2.826.0.1.3680043.10.4242."
DEVICE_UID = "1.2.826.0.1.3680043.10.4343.1"

#: Marker key -> the bytes searched for in the export.
MARKERS: dict[str, str] = {
    "preamble": "MKPREAMBLE",
    "source_ae": "MKSRCAE",
    "sending_ae": "MKSENDAE",
    "receiving_ae": "MKRECVAE",
    "meta_address": "mkmetaaddr",
    "implementation": "MKIMPLVER",
    "private_info": "MKPRIVINFO",
    "family": "MKFAMILY",
    "given": "MKGIVEN",
    "middle": "MKMIDDLE",
    "prefix": "MKPREFIX",
    "suffix": "MKSUFFIX",
    "ideographic": "MKIDEOFAM",
    "phonetic": "MKPHONFAM",
    "patient_id": "MKPATID1234",
    "issuer": "MKISSUER",
    "other_id": "MKOTHERID",
    "other_issuer": "MKOTHERISSUER",
    "other_name": "MKOTHERNAME",
    "birth_name": "MKBIRTHNAME",
    "mother": "MKMOTHER",
    "birth_date": "19290412",
    "age": "095Y",
    "address": "MKADDRESS",
    "phone": "MKPHONE",
    "accession": "MKACCESSION",
    "study_id": "MKSTUDYID",
    "admission": "MKADMISSION",
    "referring": "MKREFPHYS",
    "performing": "MKPERFPHYS",
    "operator": "MKOPERATOR",
    "reviewer": "MKREVIEWER",
    "institution": "MKINSTITUTION",
    "institution_address": "MKINSTADDR",
    "department": "MKDEPT",
    "station": "MKSTATION",
    "serial": "MKSERIAL",
    "station_ae": "MKSTATAE",
    "ntp": "10.11.12.13",
    "retrieve_url": "mkretrieve",
    "retrieve_uri": "mkretrieveuri",
    "study_description": "MKSTUDYDESC",
    "series_description": "MKSERIESDESC",
    "image_comments": "MKIMGCOMMENT",
    "history": "MKHISTORY",
    "patient_comments": "MKPATCOMMENT",
    "protocol": "MKPROTOCOL",
    "sps_comment": "MKSPSCOMMENT",
    "study_date": "20190305",
    "study_time": "101112.654321",  # long enough never to occur in a random new UID
    "nested_date": "19870707",
    "size": "1.7321",
    "weight": "61.2345",
    "ethnic": "MKETHNIC",
    "allergy": "MKALLERGY",
    "uids": UID_ROOT[:-1],
    "device_uid": DEVICE_UID,
    "private": "MKPRIVVALUE",
    "private_creator": "MKCREATOR",
    "private_nested": "MKPRIVNESTED",
    "safe_private": "MKSAFEPRIV",
    "nested_name": "MKNEST2NAME",
    "nested_id": "MKNEST3ID",
    "nested_physician": "MKNEST3PHYS",
    "nested_accession": "MKNEST3ACC",
    "nested_url": "mknest3url",
    "nested_private": "MKNEST3PRIV",
    "nested_institution": "MKNEST3INST",
    "nested_station": "MKNEST3STATION",
    "overlay_description": "MKOVERLAYDESC",
    "overlay_comments": "MKOVERLAYCOMMENT",
    "overlay_label": "MKOVERLAYLABEL",
    "curve_description": "MKCURVEDESC",
    "graphic_text": "MKGRAPHICTEXT",
    "sr_text": "MKSRTEXT",
    "sr_person": "MKSRPERSON",
    "acquisition_context": "MKACQCONTEXT",
    "file_name": "MKFILENAME",
}

PLANTED_NAME = "MKFILENAME/MKFAMILY MKGIVEN/scan 1.dcm"
PLANTED_SOP = UID_ROOT + "3"


def _item(**values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def _code(value: str, meaning: str, **more: object) -> Dataset:
    return _item(CodeValue=value, CodingSchemeDesignator="99MK", CodeMeaning=meaning, **more)


def _patient(ds: Dataset) -> None:
    ds.PatientName = "MKFAMILY^MKGIVEN^MKMIDDLE^MKPREFIX^MKSUFFIX=MKIDEOFAM^X=MKPHONFAM"
    ds.PatientID = "MKPATID1234"
    ds.IssuerOfPatientID = "MKISSUER"
    ds.OtherPatientIDsSequence = [_item(PatientID="MKOTHERID", IssuerOfPatientID="MKOTHERISSUER")]
    ds.OtherPatientNames = "MKOTHERNAME^A"
    ds.PatientBirthName = "MKBIRTHNAME^B"
    ds.PatientMotherBirthName = "MKMOTHER^C"
    ds.PatientBirthDate = "19290412"
    ds.PatientAge = "095Y"
    ds.PatientSex = "F"
    ds.PatientSize = "1.7321"
    ds.PatientWeight = "61.2345"
    ds.EthnicGroup = "MKETHNIC"
    ds.Allergies = "MKALLERGY"
    ds.PatientAddress = "MKADDRESS"
    ds.PatientTelephoneNumbers = "MKPHONE"
    ds.AdditionalPatientHistory = "MKHISTORY"
    ds.PatientComments = "MKPATCOMMENT"
    ds.AdmissionID = "MKADMISSION"


def _study(ds: Dataset) -> None:
    ds.AccessionNumber = "MKACCESSION"
    ds.StudyID = "MKSTUDYID"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20190305"
    ds.StudyTime = ds.SeriesTime = "101112.654321"
    ds.AcquisitionDateTime = "20190305101112.654321"
    ds.ReferringPhysicianName = "MKREFPHYS^MKREFGIVEN"
    ds.PerformingPhysicianName = "MKPERFPHYS^D"
    ds.OperatorsName = "MKOPERATOR^E"
    ds.add_new(0x00140104, "PN", "MKREVIEWER^F")  # Secondary Reviewer Name: not in Table E.1-1
    ds.InstitutionName = "MKINSTITUTION"
    ds.InstitutionAddress = "MKINSTADDR"
    ds.InstitutionalDepartmentName = "MKDEPT"
    ds.StationName = "MKSTATION"
    ds.DeviceSerialNumber = "MKSERIAL"
    ds.DeviceUID = DEVICE_UID
    ds.StationAETitle = "MKSTATAE"
    ds.add_new(0x00181803, "LO", "10.11.12.13")  # NTP Source Address
    ds.RetrieveURL = "https://mkretrieve.example/wado"
    ds.RetrieveURI = "http://mkretrieveuri.example/x"
    ds.StudyDescription = "MKSTUDYDESC for MKFAMILY"
    ds.SeriesDescription = "MKSERIESDESC MKPATID1234"
    ds.ImageComments = "MKIMGCOMMENT MKGIVEN"
    ds.ProtocolName = "MKPROTOCOL"
    ds.CommentsOnTheScheduledProcedureStep = "MKSPSCOMMENT"  # free text not in Table E.1-1


def _nested(ds: Dataset) -> None:
    """Identifiers three sequences deep, in sequences Table E.1-1 does not list."""
    level3 = _code(
        "T-1",
        "structure",
        PatientID="MKNEST3ID",
        ReferringPhysicianName="MKNEST3PHYS",
        AccessionNumber="MKNEST3ACC",
        StudyDate="19870707",
        RetrieveURL="http://mknest3url.example/",
        InstitutionName="MKNEST3INST",
        StationName="MKNEST3STATION",
        ReferencedSOPInstanceUID=PLANTED_SOP,
    )
    block = level3.private_block(0x0029, "MKNEST3CREATOR", create=True)
    block.add_new(0x01, "LO", "MKNEST3PRIV")
    level2 = _code("M-1", "modifier", PatientName="MKNEST2NAME^G")
    level2.PrimaryAnatomicStructureModifierSequence = [level3]
    ds.AnatomicRegionSequence = [_code("R-1", "region", AnatomicRegionModifierSequence=[level2])]


def _private(ds: Dataset) -> None:
    block = ds.private_block(0x0009, "MKCREATOR", create=True)
    block.add_new(0x01, "LO", "MKPRIVVALUE")
    block.add_new(0x02, "SQ", [_item(PatientName="MKPRIVNESTED^H")])
    safe = ds.private_block(0x0011, "LIGHTBOX TEST SAFE", create=True)
    safe.add_new(0x01, "LO", "MKSAFEPRIV")
    declaration = _item(
        PrivateGroupReference=0x0011,
        PrivateCreatorReference="LIGHTBOX TEST SAFE",
        BlockIdentifyingInformationStatus="SAFE",
    )
    ds.PrivateDataElementCharacteristicsSequence = [declaration]


def _graphics_and_content(ds: Dataset) -> None:
    ds.add_new(0x60000010, "US", 4)
    ds.add_new(0x60000011, "US", 5)
    ds.add_new(0x60000022, "LO", "MKOVERLAYDESC")
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60001500, "LO", "MKOVERLAYLABEL")
    ds.add_new(0x60003000, "OW", b"\x00\x00\x00\x00")
    ds.add_new(0x60004000, "LT", "MKOVERLAYCOMMENT")
    ds.add_new(0x50000022, "LO", "MKCURVEDESC")
    text = _item(UnformattedTextValue="MKGRAPHICTEXT MKFAMILY", AnchorPointAnnotationUnits="PIXEL")
    ds.GraphicAnnotationSequence = [_item(GraphicLayer="LAYER", TextObjectSequence=[text])]
    concept = [_code("121071", "Finding")]
    finding = _item(
        RelationshipType="CONTAINS",
        ValueType="TEXT",
        ConceptNameCodeSequence=concept,
        TextValue="MKSRTEXT about MKFAMILY",
    )
    person = _item(
        RelationshipType="CONTAINS",
        ValueType="PNAME",
        ConceptNameCodeSequence=[_code("121008", "Person")],
        PersonName="MKSRPERSON^I",
    )
    ds.ContentSequence = [finding, person]
    ds.AcquisitionContextSequence = [_item(ValueType="TEXT", TextValue="MKACQCONTEXT")]


def planted_dataset(pixels: np.ndarray | None = None) -> Dataset:
    """A CT image with a marker in every identifying place this work knows of (and in its
    pixels when they are given with the markers drawn in)."""
    ds = image_dataset(
        pixels,
        modality="CT",
        sop_uid=PLANTED_SOP,
        series_uid=UID_ROOT + "2",
        series_number=1,
        instance=1,
    )
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.StudyInstanceUID = UID_ROOT + "1"
    ds.FrameOfReferenceUID = UID_ROOT + "4"
    ds.BurnedInAnnotation = "NO"
    meta = ds.file_meta
    meta.SourceApplicationEntityTitle = "MKSRCAE"
    meta.SendingApplicationEntityTitle = "MKSENDAE"
    meta.ReceivingApplicationEntityTitle = "MKRECVAE"
    meta.add_new(0x00020026, "UR", "http://mkmetaaddr.example/")
    meta.ImplementationVersionName = "MKIMPLVER"
    meta.PrivateInformationCreatorUID = UID_ROOT + "5"
    meta.PrivateInformation = b"MKPRIVINFO"
    _patient(ds)
    _study(ds)
    _nested(ds)
    _private(ds)
    _graphics_and_content(ds)
    return ds


def planted_bytes(pixels: np.ndarray | None = None) -> bytes:
    """:func:`planted_dataset` as a PS3.10 file whose preamble holds a marker too."""
    ds = planted_dataset(pixels)
    ds.preamble = b"MKPREAMBLE".ljust(128, b"\x00")
    return to_bytes(ds)


def study_items(series: int = 2, images: int = 3) -> list[tuple[str, bytes]]:
    """A CT study of ``series`` series sharing a frame of reference, and one derived image.

    The derived image (a Secondary Capture in its own series) references two
    images of the first series in (0008,1140) Referenced Image Sequence and
    (0008,2112) Source Image Sequence.
    """
    study, frame = UID_ROOT + "100", UID_ROOT + "101"
    items: list[tuple[str, bytes]] = []
    sops: list[str] = []
    for s in range(series):
        for i in range(images):
            sop = f"{UID_ROOT}{200 + 10 * s + i}"
            ds = image_dataset(
                modality="CT",
                sop_uid=sop,
                series_uid=f"{UID_ROOT}{110 + s}",
                series_number=s + 1,
                instance=i + 1,
                position=(0.0, 0.0, float(i)),
                orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
            )
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
            ds.StudyInstanceUID, ds.FrameOfReferenceUID = study, frame
            ds.PatientName, ds.PatientID, ds.BurnedInAnnotation = "MKFAMILY^J", "MKPATID1234", "NO"
            sops.append(sop)
            items.append((f"study/s{s}/i{i}.dcm", to_bytes(ds)))
    derived = image_dataset(modality="CT", sop_uid=UID_ROOT + "300", series_uid=UID_ROOT + "130")
    derived.StudyInstanceUID, derived.FrameOfReferenceUID = study, frame
    derived.PatientName, derived.PatientID, derived.BurnedInAnnotation = (
        "MKFAMILY^J",
        "MKPATID1234",
        "NO",
    )
    derived.SeriesNumber, derived.InstanceNumber = 9, 1
    refs = [
        _item(ReferencedSOPClassUID=CTImageStorage, ReferencedSOPInstanceUID=s) for s in sops[:2]
    ]
    derived.ReferencedImageSequence = refs
    derived.SourceImageSequence = [
        _item(ReferencedSOPClassUID=CTImageStorage, ReferencedSOPInstanceUID=sops[0])
    ]
    items.append(("study/derived.dcm", to_bytes(derived)))
    return items


def with_command_group(ds: Dataset) -> bytes:
    """A PS3.10 file whose dataset holds group 0000 elements (which dcmwrite refuses)."""
    buffer = io.BytesIO()
    buffer.write(bytes(128) + b"DICM")
    write_file_meta_info(buffer, ds.file_meta, enforce_standard=True)
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, ds)
    buffer.write(body.getvalue())
    return buffer.getvalue()


def zip_members(data: bytes) -> dict[str, bytes]:
    """Every member of a ZIP, decompressed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def markers_in(haystacks: list[bytes]) -> set[str]:
    """The keys of :data:`MARKERS` whose text occurs in any of ``haystacks``."""
    return {
        key for key, marker in MARKERS.items() if any(marker.encode() in hay for hay in haystacks)
    }


def markers_found(zip_bytes: bytes) -> set[str]:
    """The marker keys whose text occurs anywhere: member names, member bytes, the ZIP itself."""
    members = zip_members(zip_bytes)
    return markers_in([zip_bytes, *members.values(), "\n".join(members).encode()])


def markers_in_tree(root: Path) -> set[str]:
    """The marker keys whose text occurs in any file under ``root`` or in any path below it."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    names = "\n".join(p.relative_to(root).as_posix() for p in root.rglob("*")).encode()
    return markers_in([names, *(p.read_bytes() for p in files)])


def read_members(zip_bytes: bytes) -> dict[str, Dataset]:
    """The DICOM members of an export (everything but DICOMDIR and REPORT.TXT), parsed."""
    return {
        name: dcmread(io.BytesIO(data))
        for name, data in zip_members(zip_bytes).items()
        if name.startswith("DICOM/")
    }


# -- the factories themselves ------------------------------------------------------------
