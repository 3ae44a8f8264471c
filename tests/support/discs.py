"""Discs and archives as patients get them, built in memory for tests.

Plain functions (no pytest fixtures) so that unit tests and browser tests can
both import them. A dropped folder is a list of ``(relative path, bytes)``
pairs, which is what the browser gives for a folder; an archive is its bytes.

Nothing here comes from a patient: images are the phantom of
:mod:`tools.synth`, written with pydicom; the DICOMDIR is written by
``pydicom.fileset.FileSet`` into a temporary folder and read back, so its
layout is pydicom's (``PT000000/ST000000/SE000000/IM000000``: uppercase,
eight characters, no extension, as on a CD).
"""

from __future__ import annotations

import io
import random
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    EncapsulatedPDFStorage,
    ExplicitVRLittleEndian,
    generate_uid,
)

from tools.synth import UID_ROOT, ct_series, to_bytes

Tree = list[tuple[str, bytes]]

PATIENT = ("Doe^Jane", "LB-0001")
OTHER_PATIENT = ("Roe^Richard", "LB-0002")


# -- the files that are not images -----------------------------------------------------------------


def pdf_bytes(text: str = "Radiology report: no abnormality seen.") -> bytes:
    """A tiny valid one-page PDF (PDF 1.4, with a correct cross-reference table)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def viewer_exe() -> bytes:
    """A stub Windows executable (MZ header and DOS stub), like a bundled viewer."""
    stub = bytearray(1024)
    stub[0:2] = b"MZ"
    stub[0x3C:0x40] = (0x80).to_bytes(4, "little")  # e_lfanew: where the PE header is
    message = b"This program cannot be run in DOS mode.\r\r\n$"
    stub[0x4E : 0x4E + len(message)] = message
    stub[0x80:0x84] = b"PE\x00\x00"
    return bytes(stub)


def autorun_inf() -> bytes:
    return b"[autorun]\r\nopen=VIEWER.EXE\r\nicon=VIEWER.EXE,0\r\nlabel=IMAGES\r\n"


def readme_htm() -> bytes:
    return b"<html><body><h1>Your images</h1><p>Run VIEWER.EXE.</p></body></html>\r\n"


def encapsulated_pdf(pdf: bytes, *, study: Dataset, patient: tuple[str, str] = PATIENT) -> Dataset:
    """An Encapsulated PDF object (PS3.3 A.45.1) in the study of ``study``."""
    series_uid = generate_uid(UID_ROOT, entropy_srcs=[study.StudyInstanceUID, "pdf series"])
    sop_uid = generate_uid(UID_ROOT, entropy_srcs=[series_uid, "pdf"])
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = EncapsulatedPDFStorage
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = EncapsulatedPDFStorage
    ds.SOPInstanceUID = sop_uid
    ds.PatientName, ds.PatientID = patient
    for keyword in ("StudyInstanceUID", "StudyDate", "StudyTime", "StudyID", "AccessionNumber"):
        setattr(ds, keyword, study.get(keyword))
    ds.StudyDescription = study.get("StudyDescription", "")
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = 99
    ds.Modality = "DOC"
    ds.InstanceNumber = 1
    ds.ContentDate = study.StudyDate
    ds.ContentTime = study.StudyTime
    ds.AcquisitionDateTime = f"{study.StudyDate}{study.StudyTime}"
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = "Radiology report"
    ds.ConceptNameCodeSequence = []
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = pdf + (b"\x00" if len(pdf) % 2 else b"")
    ds.EncapsulatedDocumentLength = len(pdf)
    return ds


# -- image series ----------------------------------------------------------------------------------


def study_series(
    name: str,
    counts: Sequence[int],
    *,
    size: int = 64,
    patient: tuple[str, str] = PATIENT,
    date: str = "20250314",
) -> list[list[Dataset]]:
    """Series of one study (one list of datasets per series), ready for a File-set."""
    study_uid = generate_uid(UID_ROOT, entropy_srcs=[name, "disc study"])
    all_series = []
    for number, count in enumerate(counts, start=1):
        series = ct_series(count, size, size, name=f"{name}-{number}")
        for ds in series:
            ds.PatientName, ds.PatientID = patient
            ds.StudyInstanceUID = study_uid
            ds.StudyDate, ds.StudyTime = date, "101500"
            ds.StudyID, ds.AccessionNumber = "1", f"ACC{name[:8].upper()}"
            ds.StudyDescription = f"CT head ({name})"
            ds.SeriesNumber = number
            ds.SeriesDescription = f"Head {number}"
        all_series.append(series)
    return all_series


def shuffled_series(count: int = 200, size: int = 64, *, folder: str = "EXPORT") -> Tree:
    """One CT series in files named ``00000001``... in shuffled order.

    The files' Instance Numbers are a seeded random permutation: they
    disagree with the geometry, which alone gives the order (slice z grows
    with the index the phantom was made at).
    """
    series = ct_series(count, size, size, name="shuffled", window=None)
    rng = random.Random(20251126)
    numbers = list(range(1, count + 1))
    rng.shuffle(numbers)
    for ds, number in zip(series, numbers, strict=True):
        ds.InstanceNumber = number
    order = list(range(count))
    rng.shuffle(order)
    return [(f"{folder}/{i + 1:08d}", to_bytes(series[index])) for i, index in enumerate(order)]


def two_patients_folder() -> Tree:
    """A folder with two patients' studies, in numbered extensionless files."""
    first = study_series("anna", [4], patient=PATIENT)[0]
    second = study_series("richard", [3], patient=OTHER_PATIENT)[0]
    tree = [(f"Scans/A/IM{i + 1:04d}", to_bytes(ds)) for i, ds in enumerate(first)]
    tree += [(f"Scans/B/IM{i + 1:04d}", to_bytes(ds)) for i, ds in enumerate(second)]
    return tree


# -- a CD with a DICOMDIR --------------------------------------------------------------------------


def cd_tree(
    *,
    root: str = "CD",
    counts: Sequence[int] = (6, 4),
    size: int = 64,
    variant: str = "exact",
    extras: bool = True,
    pdf_object: bool = True,
) -> Tree:
    """A hospital CD: a DICOMDIR, extensionless 8.3 files, a viewer, autorun, a PDF.

    Parameters
    ----------
    root : str
        The folder the disc is in ('' for none).
    counts : sequence of int
        Images in each series of the one study.
    variant : str
        How the file system shows names: ``exact`` (as the DICOMDIR says),
        ``lower`` (all lowercase, as some copies make them) or ``iso9660``
        (ISO 9660 without extensions: ``IM000000.;1``, ``DICOMDIR.;1``).
    extras : bool
        Add ``VIEWER.EXE``, ``AUTORUN.INF``, ``README.HTM`` and ``REPORT.PDF``.
    pdf_object : bool
        Add the report as an Encapsulated PDF object referenced by the DICOMDIR.
    """
    series = study_series("cd", counts, size=size)
    fileset = FileSet()
    fileset.ID = "LIGHTBOX CD"
    for ds in (ds for one in series for ds in one):
        fileset.add(ds)
    if pdf_object:
        fileset.add(encapsulated_pdf(pdf_bytes(), study=series[0][0]))
    with tempfile.TemporaryDirectory() as tmp:
        fileset.write(tmp)
        files = [
            (path.relative_to(tmp).as_posix(), path.read_bytes())
            for path in sorted(Path(tmp).rglob("*"))
            if path.is_file()
        ]
    if extras:
        files += [
            ("VIEWER.EXE", viewer_exe()),
            ("AUTORUN.INF", autorun_inf()),
            ("README.HTM", readme_htm()),
            ("REPORT.PDF", pdf_bytes()),
        ]
    prefix = f"{root}/" if root else ""
    return [(prefix + _rename(path, variant), data) for path, data in files]


def _rename(path: str, variant: str) -> str:
    if variant == "exact":
        return path
    if variant == "lower":
        return path.lower()
    if variant == "iso9660":
        *folders, name = path.split("/")
        name = name if "." in name else f"{name}."
        return "/".join([*folders, f"{name};1"])
    raise ValueError(f"no such variant: {variant}")


def dicomdir_with_missing_files(drop: int = 2) -> tuple[Tree, list[str]]:
    """A CD whose DICOMDIR references files that are not there, and their paths."""
    tree = cd_tree()
    images = [path for path, _ in tree if path.rpartition("/")[2].startswith("IM")]
    removed = images[1 : 1 + drop]
    return [(p, d) for p, d in tree if p not in removed], removed


# -- archives --------------------------------------------------------------------------------------


@contextmanager
def _zip64_end_records() -> Iterator[None]:
    """Make zipfile write ZIP64 end records (APPNOTE 4.3.14) for any number of members."""
    saved = zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP_FILECOUNT_LIMIT = 0
    try:
        yield
    finally:
        zipfile.ZIP_FILECOUNT_LIMIT = saved


def zip_of(
    tree: Iterable[tuple[str, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
    zip64: bool = False,
    directories: bool = True,
) -> bytes:
    """The tree as a ZIP; with ``zip64``, ZIP64 extra fields and end records on everything."""
    items = list(tree)
    buffer = io.BytesIO()
    with (
        _zip64_end_records() if zip64 else _nothing(),
        zipfile.ZipFile(buffer, "w", compression=compression) as archive,
    ):
        if directories:
            folders = sorted({p.rpartition("/")[0] for p, _ in items} - {""})
            for folder in folders:
                archive.writestr(f"{folder}/", b"")
        for path, data in items:
            info = zipfile.ZipInfo(path, date_time=(2025, 3, 14, 10, 15, 0))
            info.compress_type = compression
            with archive.open(info, "w", force_zip64=zip64) as member:
                member.write(data)
    return buffer.getvalue()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def nested_zip(tree: Iterable[tuple[str, bytes]]) -> bytes:
    """A portal download: ``outer`` holds ``disc.zip`` (the tree, stored) and a note."""
    inner = zip_of(tree)
    return zip_of(
        [("download/disc.zip", inner), ("download/README.txt", b"Your images are inside.\n")],
        compression=zipfile.ZIP_STORED,
    )


def nested_zips(depth: int, leaf: tuple[str, bytes] = ("IM0001", b"not an image")) -> bytes:
    """A ZIP inside a ZIP ... ``depth`` deep, the innermost holding ``leaf``."""
    data = zip_of([leaf])
    for level in range(depth - 1):
        data = zip_of([(f"level{depth - 1 - level}.zip", data)])
    return data


class _RawName(zipfile.ZipInfo):
    """A ZipInfo whose name is written with a given encoding and no UTF-8 flag."""

    encoding = "cp437"

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode(self.encoding), self.flag_bits & ~0x800


def non_ascii_zip() -> tuple[bytes, dict[str, bytes]]:
    """A ZIP with non-ASCII names written four ways, and the names meant.

    ``Müller/Bild 1`` with the UTF-8 flag (APPNOTE 4.4.4 bit 11);
    ``Ärztebrief/IM1`` in CP437 without it; ``Ωmega/IM1`` in UTF-8 without the
    flag (as many tools write); ``Straße/IM1`` written as ``Stra?e/IM1`` with
    the Info-ZIP Unicode Path extra field (APPNOTE 4.6.9) holding the name.
    """
    meant = {
        "Müller/Bild 1": b"one",
        "Ärztebrief/IM1": b"two",
        "Ωmega/IM1": b"three",
        "Straße/IM1": b"four",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Müller/Bild 1", meant["Müller/Bild 1"])
        archive.writestr(_raw("Ärztebrief/IM1", "cp437"), meant["Ärztebrief/IM1"])
        archive.writestr(_raw("Ωmega/IM1", "utf-8"), meant["Ωmega/IM1"])
        lossy = _raw("Stra?e/IM1", "ascii")
        raw = lossy.filename.encode("ascii")
        unicode_name = "Straße/IM1".encode()
        body = b"\x01" + zlib.crc32(raw).to_bytes(4, "little") + unicode_name
        lossy.extra = (0x7075).to_bytes(2, "little") + len(body).to_bytes(2, "little") + body
        archive.writestr(lossy, meant["Straße/IM1"])
    return buffer.getvalue(), meant


def _raw(name: str, encoding: str) -> zipfile.ZipInfo:
    info = _RawName(name, date_time=(2025, 3, 14, 10, 15, 0))
    info.encoding = encoding
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
