"""What is open, and frames rendered from it: the one object the bridge drives.

A session holds each opened file's bytes once, its parsed header, the series
built from all headers, and a bounded least-recently-used cache of decoded
frames (stored values), so that changing the window never re-decodes.

Why about 890 lines: the Session is the one object the bridge drives, and what it
keeps per file (bytes, header, frame source, decode failures, the automatic window)
is read by each of its methods. What does not need that state lives beside it: the
frame cache (cache.py), the Inspector (inspector.py), volumes (volumes.py). The next
step is a per-file record that owns its frame source and failures.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterable
from dataclasses import astuple, dataclass, replace
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian

from lightbox.annotate import pstate
from lightbox.catalog import facts, report
from lightbox.catalog.series import (
    Ordering,
    Series,
    SeriesEntry,
    build_series,
    entry_from_header,
)
from lightbox.core.errors import (
    DecodeError,
    InvalidDicomError,
    LightboxError,
    NoPixelDataError,
    NotDicomError,
)
from lightbox.core.messages import said, say, with_said
from lightbox.core.records import FrameRef, Photometric, Skipped, VoiFunction, Window
from lightbox.display import frames, luts, pipeline, readers
from lightbox.display import overlays as planes
from lightbox.display.modality import modality_values
from lightbox.display.palette import apply_palette, grey_range, supplemental_to_rgba
from lightbox.display.voi import auto_window
from lightbox.ingest import archive, dicomdir, documents, keyobjects, reconcile, structure, video
from lightbox.ingest import headers as ingest
from lightbox.ingest.source import ByteSource
from lightbox.inspect import describe
from lightbox.pixels import checks, codecs, locate, samples
from lightbox.pixels import decode as pixels
from lightbox.pixels.format import PixelFormat, pixel_format
from lightbox.segment.layer import Drawn, compose
from lightbox.segment.nearest import plane_points, slice_step
from lightbox.segment.read import is_segmentation, read_segmentation
from lightbox.session import (
    enface,
    presented,
    rtstructs,
    segments,
    slides,
    volumes,
    washes,
    waveforms,
)
from lightbox.session.cache import DEFAULT_CACHE_BYTES, FrameCache, Rendered
from lightbox.session.planes import Planes
from lightbox.session.volumes import ViewImage
from lightbox.slide.image import SlideImage
from lightbox.slide.read import is_slide, slide_key
from lightbox.volume import (
    MAX_VOLUME_BYTES,
    NotAVolume,
    PlaneGeometry,
    SliceGeometry,
    Volume,
    VolumeFill,
    plan_volume,
)
from lightbox.volume import texture as volume_texture
from lightbox.volume.stack import Phases, split_phases
from lightbox.waveform import plot as waveform_plot
from lightbox.waveform import read as waveform_read
from lightbox.waveform.records import Waveform

#: The most bytes of missing pixel data filled in to show a frame that is cut short.
#: Showing it pads the pixel data to its declared size, so a file that declares far more
#: than it holds (gigabytes, say) would allocate all of it: past this cap the cut frame
#: is not shown (and the file is skipped when no frame is complete). Memory used for a
#: short file stays within its own size plus this.
MAX_FILL_BYTES = 64 * 1024 * 1024
#: A file whose header declares more pixel data than it holds by more than this (a
#: header that claims gigabytes it does not have) is refused with the two sizes, before
#: anything is allocated for it; one that lacks less opens with the frames it holds.
MAX_MISSING_BYTES = 1 << 30

#: A file given as a byte source (the browser's ``File``: from 64 MiB, and every file once
#: the page has handed the engine its budget of files read whole) whose pixel data is its
#: stored values is never held whole: its first bytes are read (from FIRST_READ_BYTES,
#: four times more each time the header needs more, up to MAX_HEADER_READ_BYTES) and its
#: header kept, then each frame is read when it is shown (issue 19 item 3). Any other
#: such file is read whole, up to MAX_WHOLE_FILE_BYTES; a larger one is refused with its
#: size and this limit.
FIRST_READ_BYTES = 1024 * 1024
MAX_HEADER_READ_BYTES = 64 * 1024 * 1024
MAX_WHOLE_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class OpenedFile:
    """One file that opened: its bytes (held once) and what its header says."""

    name: str
    data: bytes
    header: ingest.Header
    fmt: PixelFormat
    rescale: luts.Rescale
    windows: tuple[Window, ...]
    inverts: bool
    padding: tuple[float, float] | None
    # -- display pipeline: per-frame parameters, palettes, overlays, short pixel data --
    #: Per-frame rescale, windows, VOI LUTs and geometry (Enhanced objects), read once.
    frame_params: tuple[frames.FrameParameters, ...] = ()
    #: PALETTE COLOR's palette, or the Supplemental Palette Color LUTs of a grey image.
    palette: luts.Palette | None = None
    supplemental: bool = False
    overlay_planes: tuple[planes.OverlayPlane, ...] = ()
    #: Where the native pixel data lies and how much of it is present (None: encapsulated).
    extent: locate.PixelExtent | None = None
    #: Frames listed: those present in whole or (when it can be shown) in part.
    shown_frames: int = 1
    #: What is wrong with the file that still let it open, in words (the catalog's warnings).
    warnings: tuple[str, ...] = ()
    #: A video's coding (MPEG-2, H.264, HEVC): its stream is decoded by the page, not here.
    video: video.VideoCodec | None = None
    #: A waveform object's groups and annotations (it has no pixels: ``fmt`` is empty).
    waveform: Waveform | None = None
    #: A whole-slide image's pyramid level and tile index (issue 15 item 2).
    slide: SlideImage | None = None
    #: The file, when only its first bytes are held (``data``) and each frame is read
    #: from it when shown (issue 19 item 3).
    ranged: ByteSource | None = None

    @property
    def kind(self) -> str:
        """The catalog's word for what the file is: "video", "waveform", "slide", else "stack"."""
        if self.video is not None:
            return "video"
        if self.slide is not None:
            return "slide"
        return "waveform" if self.waveform is not None else "stack"

    def parameters(self, index: int) -> frames.FrameParameters:
        """Display parameters of frame ``index`` (per frame for Enhanced objects)."""
        if 0 <= index < len(self.frame_params):
            return self.frame_params[index]
        return frames.FrameParameters(self.rescale, self.windows, (), frames.FrameGeometry())

    @property
    def embedded_bits(self) -> tuple[int, ...]:
        """Bit positions of overlays held in the pixel cells' unused high bits."""
        return tuple(p.bit_position for p in self.overlay_planes if p.embedded)


def _icc_of(opened: OpenedFile, path: str | None = None) -> bytes | None:
    """An image's ICC Profile (0028,2000): its own, else that of its optical path ``path``
    (the first when None; whole-slide images keep theirs there, PS3.3 C.8.12.5)."""
    ds = opened.header.dataset
    paths = list(ds.get("OpticalPathSequence") or [])
    chosen = [p for p in paths if str(p.get("OpticalPathIdentifier", "")) == path] or paths[:1]
    found = ds.get("ICCProfile") or (chosen[0].get("ICCProfile") if chosen else None)
    return bytes(found) if found else None


class _WiderThanInt16(Exception):
    """Integral modality values past int16: the volume is built as float32 instead."""


#: A volume's key in the session: the series' UID and the phase (None: it holds one).
VolumeKey = tuple[str, int | None]


class VolumeBuild:
    """One series' volume being built, in steps (issue 18 item 8): the browser builds it a
    tenth of a second at a time and hears a Cancel between steps; dropping the build
    (:meth:`Session.cancel_volume`) releases the partly filled array.

    Attributes
    ----------
    key : VolumeKey
    refs : tuple of FrameRef
        The series' frames when the build began (a volume is kept with them).
    result : Volume or NotAVolume or None
        Once decided: the volume, or why the frames are none.
    """

    def __init__(
        self,
        session: Session,
        key: VolumeKey,
        refs: tuple[FrameRef, ...],
        members: tuple[FrameRef, ...],
    ) -> None:
        self.key, self.refs = key, refs
        self._session, self._members = session, members
        self.result: Volume | NotAVolume | None = None
        self._fill: VolumeFill | None = None
        opened = [session.files[ref.file] for ref in members]
        colour = next((o for o in opened if o.fmt.samples != 1 or o.palette), None)
        if colour is not None:
            self.result = NotAVolume(f"{colour.name} is a colour image: MPR needs greyscale values")
            return
        self._params, self._geometries = session._slice_geometries(members)
        float_pixels = opened[0].fmt.is_float
        self._start(
            "float32" if float_pixels else volumes.volume_dtype([p.modality for p in self._params])
        )

    def _start(self, dtype: str) -> None:
        plan = plan_volume(self._geometries, dtype, self._session.volume_budget)
        if isinstance(plan, NotAVolume):
            self.result, self._fill = plan, None
            return
        refs, params, session = self._members, self._params, self._session

        def values(index: int) -> np.ndarray[Any, Any]:
            result = modality_values(
                session.stored(refs[index], keep=False), params[index].modality
            )
            if dtype == "float32":
                return result.astype(np.float32)
            if not volumes.fits_int16(result):
                raise _WiderThanInt16
            return result.astype(np.int16)

        self._fill = VolumeFill(plan, values)

    @property
    def done(self) -> int:
        """Slices filled so far (all of them once decided)."""
        if self._fill is not None:
            return self._fill.done
        return self.total

    @property
    def total(self) -> int:
        """The slices of the volume (0 for frames that are none)."""
        if self._fill is not None:
            return self._fill.total
        return self.result.data.shape[0] if isinstance(self.result, Volume) else 0

    @property
    def nbytes(self) -> int:
        """Bytes of the volume's array, filled or not."""
        if self._fill is not None:
            return int(self._fill.data.nbytes)
        return int(self.result.data.nbytes) if isinstance(self.result, Volume) else 0

    def step(self, seconds: float | None = None) -> bool:
        """Fill slices for about ``seconds`` (None: to the end); True once decided.

        Raises
        ------
        VolumeError
            A frame's shape or values do not match the others.
        """
        deadline = None if seconds is None else time.perf_counter() + seconds
        while self._fill is not None:
            fill = self._fill
            try:
                fill.step(1)
            except _WiderThanInt16:  # integral values past int16 (rare): the float32 volume
                self._start("float32")
                continue
            if fill.done == fill.total:
                self.result, self._fill = fill.finish(), None
            elif deadline is not None and time.perf_counter() >= deadline:
                break
        return self.result is not None


class NotAVolumeError(LightboxError):
    """A view of a volume was asked of a series that is not one (the reason says why)."""


class NotAWaveformError(LightboxError):
    """A waveform plot was asked of a series of images."""


class NotAnImageError(LightboxError):
    """A frame was asked of a waveform (it is plotted, not rendered)."""


class DuplicateError(LightboxError):
    """The file is an instance already open (same SOP Instance UID): it is not opened twice.

    ``original`` is the index, in the session's files, of the file open with it.
    """

    def __init__(self, name: str, reason: str, original: int) -> None:
        super().__init__(name, reason)
        self.original = original


class Session:
    """Everything the user has opened, and the rendering of its frames."""

    def __init__(self, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.files: list[OpenedFile] = []
        self.series: list[Series] = []
        self.skipped: list[Skipped] = []
        self.cache = FrameCache(cache_bytes)
        self._entries: list[SeriesEntry] = []
        #: The file open with each SOP Instance UID (its index in ``files``).
        self._sop_uids: dict[str, int] = {}
        #: Automatic windows by series and the frame they were taken from (its middle one).
        self._auto_windows: dict[tuple[str, FrameRef], Window] = {}
        self._batches = 0
        #: Non-image objects (reports, SR, ...) and their bytes, by position.
        self.documents: list[tuple[documents.Document, bytes]] = []
        #: The ICC profiles colour frames were shown through, by key (``info["icc"]``).
        self.icc_profiles: dict[str, bytes] = {}
        #: Each (file, applied state's UID) frame's profile key, worked out once.
        self._icc_keys: dict[tuple[int, str | None], str | None] = {}
        self._present: list[str] = []
        self._dicomdirs: list[dicomdir.DicomDir] = []
        self._facts: list[facts.ImageFacts] = []
        self._patients: dict[str, str] = {}
        self._descriptions: dict[FrameRef, dict[str, Any]] = {}
        #: Each file's frame source (where its pixel data begins, its codec decision), made
        #: once: what the worker loads is what decodes.
        self._sources: dict[int, pixels.FrameSource] = {}
        #: Whole-type RGBA tables of this session's renders, kept for reuse.
        self.tables = pipeline.TableCache()
        #: Frames whose decode failed when they were shown, and why (the report lists them).
        self._failures: dict[FrameRef, DecodeError] = {}
        #: Each series' volume (or why it is none), by series UID, with the frames it was
        #: built from: built once, on first need; dropped when an open changes the frames.
        self._volumes: dict[
            tuple[str, int | None], tuple[tuple[FrameRef, ...], Volume | NotAVolume]
        ] = {}
        self._phases: dict[str, tuple[tuple[FrameRef, ...], Phases | None]] = {}
        #: The volume being built in steps (issue 18 item 8), if any.
        self._building: VolumeBuild | None = None
        #: The most bytes a volume takes (over it, neighbouring slices are averaged:
        #: :func:`lightbox.volume.build.plan_volume`).
        self.volume_budget = MAX_VOLUME_BYTES
        #: The segmentations open (SEG objects, issue 16 item 4), in opening order.
        self._segs: list[segments.Seg] = []
        #: The RT Structure Sets among the documents (issue 16 item 5).
        self._rt = rtstructs.RtStructures(self)
        #: RT Dose grids and fused series resampled onto a frame (issue 16 items 5, 7).
        self.washes = washes.Washes(self)
        #: SEG and RT structure layers resliced onto reformatted views (issue 16 items 4, 5).
        self.plane_layers = Planes(self)
        #: Each document's Key Object Selection content (None: not a KOS), by position.
        self._key_objects: dict[int, keyobjects.KeyObject | None] = {}
        #: Presentation states and SR measurements (issue 16 items 1 and 3), read once.
        self._found = presented.Found()
        #: Slide tiles decoded last (issue 15 item 2).
        self._tile_cache = slides.TileCache()

    # -- opening -----------------------------------------------------------------

    def open(
        self, items: Iterable[tuple[str, bytes | ByteSource]], report: bool = True
    ) -> dict[str, Any]:
        """Open files given as (name, bytes); return the catalog and this open's result.

        Bad files never stop the others: each is listed in ``skipped`` with the
        reason. The result's ``first`` is the index of the first series that
        this open added to (None when nothing opened). Files that are already
        open (same SOP Instance UID) are skipped as duplicates; ``reopened``
        says where they are: ``{series, frame, file, count}``, the first series
        (in catalog order) holding one of them, the first frame of theirs in it
        and its file, and how many there were (None when there were none).
        With ``report`` False the completeness report is left out: a page reading a large
        drop in batches asks for it once, with :meth:`catalog`, when the drop is read.
        """
        batch = self._batches
        self._batches += 1
        skipped: list[Skipped] = []
        touched: set[str] = set()
        again: set[int] = set()
        for name, given in items:
            if isinstance(given, bytes):
                data = given
            else:  # a file read a range at a time: a slide opens so, anything else is read
                uid = self._open_slide_source(name, given, batch, skipped)
                if uid is not None:
                    touched.add(uid)
                    continue
                if name in self._present:
                    continue
                try:
                    ranged = self._open_ranged(name, given)
                except LightboxError as exc:
                    self._present.append(name)
                    skipped.append(Skipped(name, exc.reason))
                    continue
                if ranged is not None:
                    self._present.append(name)
                    touched.add(self._add(ranged, batch))
                    continue
                if given.size > MAX_WHOLE_FILE_BYTES:
                    self._present.append(name)
                    skipped.append(Skipped(name, _too_large(given.size)))
                    continue
                data = given.read(0, given.size)
            for item in archive.expand(name, data):  # a ZIP (nested too) gives its members
                if isinstance(item, Skipped):
                    skipped.append(item)
                    continue
                uid = self._open_member(item.path, item.data, batch, skipped, again)
                if uid is not None:
                    touched.add(uid)
        for entry in skipped:
            self.skipped.append(entry)
        self.series = build_series(self._entries)
        self._drop_changed_volumes()
        first = next((i for i, s in enumerate(self.series) if s.series_uid in touched), None)
        result = self.catalog(report=report)
        result["opened"] = [s.uid for s in self.series if s.series_uid in touched]
        result["first"] = first
        result["skipped"] = [_skipped_json(s) for s in skipped]
        result["reopened"] = self._where(again)
        return result

    def _open_slide_source(
        self, name: str, source: ByteSource, batch: int, skipped: list[Skipped]
    ) -> str | None:
        """Open a slide from a byte source (its header and tile index only); None when the
        file is not a slide (then it is read whole), or when it is skipped with its reason."""
        try:
            image = slides.open_from_source(name, source)
        except LightboxError as exc:
            self._present.append(name)
            skipped.append(Skipped(name, exc.reason))
            return None
        except Exception as exc:  # a defect of ours must not take the rest of the drop down
            self._present.append(name)
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            skipped.append(Skipped(name, say("engine.slide_unopenable", detail=reason)))
            return None
        if image is None:
            return None
        self._present.append(name)
        try:
            self._refuse_duplicate(name, image.dataset)
        except DuplicateError as exc:
            skipped.append(Skipped(name, exc.reason))
            return None
        return self._add(self._slide_file(name, image), batch)

    def _open_ranged(self, name: str, source: ByteSource) -> OpenedFile | None:
        """A file whose frames are read one at a time from ``source``: None when its pixel
        data is not its stored values as they are (it is read whole, then).

        Its first bytes are read, four times more while the header needs more, until the
        first frame is there; the frames present are counted from the file's size.
        """
        length = FIRST_READ_BYTES
        while True:
            prefix = source.read(0, min(length, source.size))
            try:
                opened = self._open_one(name, prefix, prefix=True)
            except (NotDicomError, NoPixelDataError):
                return None  # a ZIP, a document: read whole
            except InvalidDicomError:
                if len(prefix) >= source.size:
                    raise
                if length >= MAX_HEADER_READ_BYTES:
                    return None
                length *= 4
                continue
            break
        extent = opened.extent if opened is not None else None
        if opened is None or extent is None or opened.slide is not None:
            return None
        if not locate.viewable(opened.fmt, extent):
            return None
        declared = int.from_bytes(prefix[extent.offset - 4 : extent.offset], "little")
        # What the header read said of the pixel data was said of the first bytes only:
        # the checks say it again of the whole file.
        header = replace(
            opened.header,
            warnings=tuple(w for w in opened.header.warnings if "(7FE0,0010)" not in w),
        )
        whole = replace(
            opened,
            data=prefix[: extent.offset],  # the header: every frame is read when shown
            header=header,
            extent=replace(extent, present=min(declared, source.size - extent.offset)),
            warnings=(),
            ranged=source,
        )
        return _checked(whole)

    def _slide_file(self, name: str, image: SlideImage, data: bytes | None = None) -> OpenedFile:
        """An opened file of a slide level: its header held, its tiles read when shown."""
        header = ingest.Header(image.dataset, UID(image.fmt.transfer_syntax), 1)
        return OpenedFile(
            name=name,
            data=data if data is not None else image.source.read(0, image.pixel_at),
            header=header,
            fmt=image.fmt,
            rescale=luts.Rescale(),
            windows=(),
            inverts=False,
            padding=None,
            slide=image,
        )

    def _where(self, files: set[int]) -> dict[str, Any] | None:
        """Where the first of these files is shown: ``{series, frame, file, count}``, or None."""
        for index, series in enumerate(self.series):
            for position, ref in enumerate(series.frames):
                if ref.file in files:
                    name = self.files[ref.file].name
                    return {"series": index, "frame": position, "file": name, "count": len(files)}
        return None

    def _open_member(
        self, name: str, data: bytes, batch: int, skipped: list[Skipped], again: set[int]
    ) -> str | None:
        """Open one file of a drop; return its series UID, or None (skipped, DICOMDIR, document).

        A file already open is skipped and the index of the one open is added to ``again``.
        """
        self._present.append(name)
        data = ingest.framed(data)  # a bare data set with DICM at offset 128 is read as one
        if dicomdir.is_dicomdir(data):  # used to organise and report, not listed as skipped
            try:
                self._dicomdirs.append(dicomdir.read_dicomdir(name, data))
            except LightboxError as exc:
                skipped.append(Skipped(name, exc.reason))
            return None
        try:
            opened = self._open_one(name, data)
        except DuplicateError as exc:
            skipped.append(Skipped(name, exc.reason))
            again.add(exc.original)
            return None
        except NoPixelDataError as exc:
            try:
                opened = self._open_waveform(name, data)
            except DuplicateError as error:
                skipped.append(Skipped(name, error.reason))
                again.add(error.original)
                return None
            except LightboxError as error:
                skipped.append(Skipped(name, error.reason))
                return None
            except Exception as error:  # a defect of ours must not take the drop down
                reason = " ".join(f"{type(error).__name__}: {error}".split())
                skipped.append(Skipped(name, say("engine.waveform_unreadable", detail=reason)))
                return None
            if opened is not None:
                return self._add(opened, batch)
            try:
                self.documents.append((documents.read_document(name, data), data))
            except Exception:  # an unreadable non-image object is skipped with the first reason
                skipped.append(Skipped(name, exc.reason))
            return None
        except LightboxError as exc:
            skipped.append(Skipped(name, exc.reason))
            return None
        except Exception as exc:  # a defect of ours must not take the rest of the drop down
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            skipped.append(Skipped(name, say("engine.file_unopenable", detail=reason)))
            return None
        if opened is None:
            return None
        return self._add(opened, batch)

    def completeness(self) -> report.Completeness:
        """What was found, in plain words (patients, studies, series, gaps, missing files...)."""
        # Files chosen one by one lose their folders: match those by SOP Instance UID.
        uids = {f.name: str(f.header.dataset.get("SOPInstanceUID", "") or "") for f in self.files}
        results = [reconcile.reconcile(d, self._present, uids) for d in self._dicomdirs]
        images = {f.name for f in self.files}
        return report.build_report(
            [f for f, o in zip(self._facts, self.files, strict=True) if o.waveform is None],
            self.skipped,
            missing=[p for r in results for p in r.missing_paths],
            unreferenced=[p for p in reconcile.unreferenced_by_all(results) if p in images],
            notes=[n for d in self._dicomdirs for n in d.problems]
            + [n for r in results for n in r.notes()]
            + [waveforms.note(f.waveform) for f in self.files if f.waveform is not None],
            warnings=self.warnings(),
            # The catalog's stacks, so the report's gaps are those of the series shown.
            stacks=[
                [self._facts[ref.file] for ref in s.frames]
                for s in self.series
                if s.ordering is Ordering.POSITION
            ],
            undecodable=self.decode_failures(),
            dicomdirs=[
                report.DirectoryFacts(r.dicomdir, len(r.matches) + len(r.missing), len(r.matches))
                for r in results
            ],
        )

    def decode_failures(self) -> list[facts.FrameFailure]:
        """Frames whose decode failed when they were shown, by file and frame."""
        return [
            facts.FrameFailure(self.files[ref.file].name, ref.index + 1, error.reason)
            for ref, error in sorted(self._failures.items(), key=lambda item: astuple(item[0]))
        ]

    def unshowable(self) -> list[Skipped]:
        """Files that opened but none of whose frames can be shown (each one's decode failed).

        Single-frame files: their one frame failed. The reason is the decode
        error's (that of the first frame, when there are more).
        """
        failed: dict[int, list[FrameRef]] = {}
        for ref in self._failures:
            failed.setdefault(ref.file, []).append(ref)
        found = []
        for file, refs in sorted(failed.items()):
            shown = self.files[file].shown_frames
            if len(refs) < shown:
                continue
            reason = self._failures[min(refs, key=lambda ref: ref.index)].reason
            if shown > 1:
                reason = f"none of its {shown} frames can be decoded; {reason}"
            found.append(Skipped(self.files[file].name, reason))
        return found

    def warnings(self) -> list[facts.FileWarning]:
        """What is wrong with every file that opened (images, then documents), in words."""
        found = [facts.FileWarning(f.name, w) for f in self.files for w in f.warnings]
        found += [facts.FileWarning(d.name, w) for d, _ in self.documents for w in d.warnings]
        return found

    def files_of(self, series: Iterable[int] | None = None) -> list[tuple[str, bytes]]:
        """(name, bytes) of every file behind the given series (all series when None)."""
        chosen = range(len(self.series)) if series is None else series
        indices = sorted({ref.file for s in chosen for ref in self.series[s].frames})
        return [(self.files[i].name, self.whole(self.files[i])) for i in indices]

    @staticmethod
    def whole(opened: OpenedFile) -> bytes:
        """A file's bytes: a slide or a file read by range holds its first bytes only, so
        read it all."""
        source = opened.slide.source if opened.slide is not None else opened.ranged
        if source is not None and source.size > len(opened.data):
            return source.read(0, source.size)
        return opened.data

    def document(self, index: int) -> tuple[bytes, str]:
        """The bytes and MIME type of an encapsulated document (the PDF report)."""
        document, data = self.documents[index]
        return documents.encapsulated_bytes(document.name, data)

    def _open_one(self, name: str, data: bytes, *, prefix: bool = False) -> OpenedFile | None:
        header = ingest.read_header(name, data)
        ds = header.dataset
        self._refuse_duplicate(name, ds)
        if is_slide(ds):  # a pyramid level: viewed by its tiles (judged by the header read)
            image = slides.open_from_bytes(name, data)
            if image is not None:
                return self._slide_file(name, image, data)
        fmt = pixel_format(ds, header.transfer_syntax)
        params = frames.read_frames(ds, header.frames)
        modality = params[0].modality
        rescale = modality if isinstance(modality, luts.Rescale) else readers.read_rescale(ds)
        supplemental = readers.has_supplemental_palette(ds, fmt.photometric)
        palette = None
        if supplemental or fmt.photometric is Photometric.PALETTE_COLOR:
            palette = readers.read_palette(ds)
            if palette is None and not supplemental:
                raise InvalidDicomError(
                    name, "PALETTE COLOR without a readable Palette Color Lookup Table (0028,1201)"
                )
        opened = OpenedFile(
            name=name,
            data=data,
            header=header,
            fmt=fmt,
            rescale=rescale,
            windows=params[0].windows,
            inverts=readers.presentation_inverts(fmt.photometric, ds),
            padding=readers.read_padding(ds, modality),
            frame_params=params,
            palette=palette,
            supplemental=supplemental and palette is not None,
            overlay_planes=planes.read_overlays(ds, fmt.bits_allocated, readers.little_endian(ds)),
            extent=locate.pixel_extent(data, fmt),
            video=video.codec_of(header.transfer_syntax),
        )
        return _checked(opened, whole=not prefix)

    def _refuse_duplicate(self, name: str, ds: Dataset) -> None:
        """Raise DuplicateError when an instance of the same SOP Instance UID is open."""
        sop = str(ds.get("SOPInstanceUID", "") or "")
        if sop and sop in self._sop_uids:
            original = self._sop_uids[sop]
            other = self.files[original].name
            why = (
                say("engine.already_open")
                if other == name
                else say("engine.duplicate_of", other=other)
            )
            raise DuplicateError(name, why, original)

    def _open_waveform(self, name: str, data: bytes) -> OpenedFile | None:
        """A waveform object (an ECG, a pressure, a voice), or None when the file is not one.

        Read in full (its samples are in its header's sequence); a duplicate is refused as
        an image is.
        """
        try:
            ds = dcmread(io.BytesIO(data), force=True)
        except Exception:  # the header read; the rest did not: the document reader says why
            return None
        if not waveform_read.is_waveform(ds):
            return None
        wave = waveform_read.read_waveform(name, ds)
        self._refuse_duplicate(name, ds)
        meta = getattr(ds, "file_meta", None)
        syntax = str((meta.get("TransferSyntaxUID") if meta else None) or ExplicitVRLittleEndian)
        return OpenedFile(
            name=name,
            data=data,
            header=ingest.Header(ds, UID(syntax), 1),
            fmt=PixelFormat(0, 0, 1, 0, 0, 0, Photometric.MONOCHROME2, False, syntax, False),
            rescale=luts.Rescale(),
            windows=(),
            inverts=False,
            padding=None,
            warnings=wave.warnings,
            waveform=wave,
        )

    def _add(self, opened: OpenedFile, batch: int) -> str:
        index = len(self.files)
        if is_segmentation(opened.header.dataset):
            try:
                record = read_segmentation(opened.name, opened.header.dataset)
                self._segs.append(segments.Seg(index, record, opened.data))
            except LightboxError as error:  # shown as an image still, with the reason
                opened = replace(opened, warnings=(*opened.warnings, error.reason))
        self.files.append(opened)
        sop = str(opened.header.dataset.get("SOPInstanceUID", "") or "")
        if sop:
            self._sop_uids[sop] = index
        entry = entry_from_header(
            index,
            batch,
            opened.header.dataset,
            opened.shown_frames,
            f"lightbox-file-{index}",
            name=opened.name,
            kind=opened.kind,
        )
        if opened.slide is not None:  # the files of one slide are one entry
            entry = replace(entry, group=slide_key(opened.header.dataset))
        self._entries.append(entry)
        self._facts.append(
            facts.image_facts(opened.name, opened.header.dataset, opened.shown_frames)
        )
        return entry.series_uid

    def catalog(self, report: bool = True) -> dict[str, Any]:
        """Everything open, JSON-ready: ``{series: [...], skipped: [...]}``.

        Each series and each document carries ``warnings``: what is wrong with
        its files that still let them open, as ``{"file": name, "reason": text}``
        (the report's ``warnings`` lists them all). ``skipped`` also lists the
        files that opened but none of whose frames could be decoded when shown. The
        completeness report (``report``) is built on request, from the catalog's series.
        """
        self.washes.doses()  # a dose grid that cannot be read says so in its warnings
        links = enface.links(self.series, lambda file: self.files[file].header.dataset)
        out: dict[str, Any] = {
            "series": [
                {**self._series_json(s), **links.get(i, {})} for i, s in enumerate(self.series)
            ],
            "skipped": [_skipped_json(s) for s in [*self.skipped, *self.unshowable()]],
            "documents": [_document_json(i, d) for i, (d, _) in enumerate(self.documents)],
        }
        if report:
            out["report"] = self.completeness().to_json()
        return out

    def series_codecs(self, series: Series) -> list[str]:
        """The browser codecs a series' files need: decided once per file, kept, sent with
        the catalog so that the worker loads them without asking before every render."""
        needed = set()
        for file in {f.file for f in series.frames}:
            if not self.files[file].fmt.is_native:
                needed.add(self.decoder_for(FrameRef(file, 0)))
        return sorted(needed - {codecs.PYDICOM})

    def _patient_key(self, patient: str) -> str:
        """An opaque key per patient, numbered by first appearance (never the name or ID)."""
        return self._patients.setdefault(patient, f"patient-{len(self._patients) + 1}")

    def _series_json(self, series: Series) -> dict[str, Any]:
        first = self.files[series.frames[0].file]
        return {
            "kind": series.kind,
            **self._video_json(first),
            "uid": series.uid,
            "modality": series.modality,
            "description": series.description,
            "number": series.number,
            "frames": len(series.frames),
            "rows": first.fmt.rows,
            "columns": first.fmt.columns,
            "photometric": first.fmt.photometric.value,
            "studyUid": series.study_uid,
            "patientKey": self._patient_key(series.patient),
            "date": series.date,
            "files": sorted({self.files[f.file].name for f in series.frames}),
            "codecs": self.series_codecs(series),
            "ordering": series.ordering.value,
            "mixedOrientation": series.mixed_orientation,
            "overlays": any(self.files[i].overlay_planes for i in {f.file for f in series.frames}),
            "warnings": [
                {"file": self.files[i].name, "reason": reason}
                for i in sorted({f.file for f in series.frames})
                for reason in self.files[i].warnings
            ],
            **({"waveform": waveforms.summary(first.waveform)} if first.waveform else {}),
            **self._slide_json(series),
            **self._drawn_objects_json(series),
        }

    def _video_json(self, opened: OpenedFile) -> dict[str, Any]:
        """What the page needs to choose a video's view: its coding, whether it plays, why not."""
        if opened.video is None:
            return {}
        can = video.playability(opened.video)
        out: dict[str, Any] = {"codec": opened.video.value, "playable": can.playable}
        if not can.playable:
            out["reason"] = can.reason
            out["reasonSaid"] = said(can.reason)
        return out

    def video(self, series: int) -> tuple[dict[str, Any], bytes]:
        """A video series' stream and what plays it: (info, the stream's bytes).

        ``info`` has the file, its coding, whether the browser plays it (and why
        not), Number of Frames, Frame Time (ms), Columns and Rows, and the
        on-image information (``view``: calibration included) as a render's has.

        Raises
        ------
        DecodeError
            The series is not a video.
        """
        ref = self.frame_ref(series, 0)
        opened = self.files[ref.file]
        fragments = opened.header.fragments
        if opened.video is None or fragments is None:
            raise DecodeError(opened.name, "this series is not a video")
        info = {
            "series": series,
            "file": opened.name,
            **self._video_json(opened),
            "frames": opened.shown_frames,
            "frameTime": video.frame_time_ms(opened.header.dataset),
            "width": opened.fmt.columns,
            "height": opened.fmt.rows,
            "transferSyntax": opened.fmt.transfer_syntax,
            "view": self.description(ref),
            "warnings": list(opened.warnings),
            "warningsSaid": [said(w) for w in opened.warnings],
        }
        return info, video.stream_bytes(opened.data, fragments)

    # -- key images (issue 16 item 2) ---------------------------------------------

    def key_objects(self) -> list[keyobjects.KeyObject]:
        """The Key Object Selection documents open (read from their bytes once)."""
        for index, (_, data) in enumerate(self.documents):
            if index in self._key_objects:
                continue
            found = None
            try:
                ds = dcmread(io.BytesIO(data), force=True)
                if keyobjects.is_key_object(ds):
                    found = keyobjects.read_key_object(ds)
            except Exception:  # listed as a document still; its marks are what could be read
                found = None
            self._key_objects[index] = found
        return [k for k in self._key_objects.values() if k is not None]

    def _drawn_objects_json(self, series: Series) -> dict[str, Any]:
        """What is drawn over or marks a series (issue 16): ``segmentations``, ``keyImages``,
        ``keyObjects``, and ``objects``, each such object as ``{kind: "SEG" | "KO", uid,
        seriesUid, label}``."""
        segmentations = self.segmentations_of(series)
        keys = self._key_images_json(series)
        objects = [
            {"kind": "SEG", "uid": s["uid"], "seriesUid": s["seriesUid"], "label": s["label"]}
            for s in segmentations
        ] + [
            {"kind": "KO", "uid": k["uid"], "seriesUid": k["seriesUid"], "label": k["title"]}
            for k in keys["keyObjects"]
        ]
        objects += self._presented_objects(series)
        structures = self._rt.catalog(series)
        resampled = self.washes.catalog(series)
        objects += [
            {"kind": r["kind"], "uid": r["uid"], "seriesUid": r["seriesUid"], "label": r["label"]}
            for r in [*structures, *resampled["rtDoses"]]
        ]
        return {
            "segmentations": segmentations,
            **keys,
            "objects": objects,
            "rtStructures": structures,
            **resampled,
        }

    def _key_images_json(self, series: Series) -> dict[str, Any]:
        """``keyImages`` (the series' frames, from 0, that a KOS flags) and ``keyObjects``
        (each KOS flagging some: its UID, title and those frames)."""
        kos = self.key_objects()
        if not kos:
            return {"keyImages": [], "keyObjects": []}
        uids = [
            str(self.files[ref.file].header.dataset.get("SOPInstanceUID", "") or "")
            for ref in series.frames
        ]
        objects = []
        every: set[int] = set()
        for key in kos:
            flagged = {
                i
                for uid, numbers in key.references
                for i, (ref, mine) in enumerate(zip(series.frames, uids, strict=True))
                if mine == uid and (not numbers or ref.index + 1 in numbers)
            }
            if flagged:
                objects.append(
                    {
                        "uid": key.uid,
                        "seriesUid": key.series_uid,
                        "title": key.title,
                        "frames": sorted(flagged),
                    }
                )
                every |= flagged
        return {"keyImages": sorted(every), "keyObjects": objects}

    # -- presentation states and SR measurements (issue 16 items 1 and 3) ----------

    def _found_objects(self) -> presented.Found:
        self._found.update(self.documents)
        return self._found

    def _image(self, ref: FrameRef) -> presented.Image:
        opened = self.files[ref.file]
        ds = opened.header.dataset
        return presented.Image(
            ref=ref,
            uid=str(ds.get("SOPInstanceUID", "") or ""),
            rows=opened.fmt.rows,
            columns=opened.fmt.columns,
            frame_of_reference=str(ds.get("FrameOfReferenceUID", "") or ""),
            geometry=opened.parameters(ref.index).geometry,
        )

    def _presented_objects(self, series: Series) -> list[dict[str, Any]]:
        """The ``objects`` entries of the presentation states (kind "PR") and the SRs with
        measurements (kind "SR") on a series."""
        found = self._found_objects()
        if not found.states and not found.measurements:
            return []
        images = [self._image(ref) for ref in series.frames]
        out = [
            {"kind": "PR", "uid": s.uid, "seriesUid": s.series_uid, "label": s.label}
            for s in presented.states_on(found, images)
        ]
        seen: set[str] = set()
        for image in images:
            for m, _ in presented.measurements_on(found, image, self._segment_frames):
                if m.uid not in seen:
                    seen.add(m.uid)
                    label, series_uid = found.reports.get(m.uid, ("SR", ""))
                    out.append(
                        {"kind": "SR", "uid": m.uid, "seriesUid": series_uid, "label": label}
                    )
        return out

    def _segment_frames(self, seg_uid: str, segment: int) -> set[FrameRef]:
        """The image frames segment ``segment`` of SEG ``seg_uid`` lies on (the SEG's own
        frames when it is shown as a series of its own)."""
        out: set[FrameRef] = set()
        for seg in self._resolved_segs():
            if seg.record.uid != seg_uid:
                continue
            for ref, indices in seg.targets.items():
                if any(seg.record.frames[i].segment == segment for i in indices):
                    out.add(ref)
            if any(seg.record.frames[i].segment == segment for i in seg.loose):
                out |= seg.reach
            if not out:
                out |= {
                    FrameRef(seg.file, f.pixels)
                    for f in seg.record.frames
                    if f.segment == segment and seg.file < len(self.files)
                }
        return out

    def _icc_key(self, ref: FrameRef, presentation: str | None) -> str | None:
        """The ICC profile a colour frame is shown through (PS3.3 C.11.15): an applied
        colour presentation state's, else the image's own (:func:`_icc_of`); kept in
        :attr:`icc_profiles` under the key returned; None when there is none (the values
        are then taken as sRGB, C.11.15.1.1)."""
        state = self._state_for(presentation, ref)
        asked = (ref.file, getattr(state, "uid", None))
        if asked not in self._icc_keys:  # hashed once per file and state, not every frame
            profile = getattr(state, "icc_profile", None) or _icc_of(self.files[ref.file])
            self._icc_keys[asked] = self._keep_icc(profile)
        return self._icc_keys[asked]

    def _keep_icc(self, profile: bytes | None) -> str | None:
        if not profile:
            return None
        key = hashlib.sha256(profile).hexdigest()[:16]
        self.icc_profiles[key] = profile
        return key

    def _state_for(self, uid: str | None, ref: FrameRef) -> Any:
        """The presentation state ``uid`` when it applies to this frame, else None."""
        if not uid:
            return None
        state = self._found_objects().state(uid)
        if state is None:
            raise LightboxError(uid, "no such presentation state is open")
        image = self._image(ref)
        return state if state.applies_to(image.uid, ref.index) else None

    def _presented(
        self,
        state: Any,
        ref: FrameRef,
        arr: np.ndarray[Any, Any],
        window: tuple[float, float] | None,
        invert: bool,
    ) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
        """A grey frame under a presentation state's Modality LUT, VOI and Presentation LUT."""
        opened = self.files[ref.file]
        fmt = opened.fmt
        low = -(1 << (fmt.bits_stored - 1)) if fmt.pixel_representation == 1 else 0
        high = (
            (1 << (fmt.bits_stored - 1)) - 1
            if fmt.pixel_representation == 1
            else (1 << fmt.bits_stored) - 1
        )
        image = self._image(ref)
        modality, voi, lut, inverse = presented.steps(state, image, (low, high))
        source = "presentation state"
        if window is not None:
            voi, source = Window(float(window[0]), float(window[1]), explanation="User"), "user"
        rgba = presented.render_gray(
            arr,
            modality,
            voi,
            lut,
            inverse != invert,
            lambda a, m, v, i: pipeline.gray_rgba(a, m, v, i, self.tables),
        )
        if state.palette is not None:  # a Pseudo-Color Softcopy Presentation State
            rgba = presented.pseudo_color(rgba, state.palette)
        view = presented.view_json(state, image)
        if state.blending is not None:  # a Blending state: the superimposed set in the layer
            view["blend"] = self._blend_json(state)
        shown = {
            **_voi_info(voi),
            "windowSource": source,
            "voiIndex": None,
            "modality": luts.modality_json(modality),
            "presentation": view,
        }
        return rgba, shown

    def annotation_layer(
        self, series: int, frame: int, presentation: str | None
    ) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
        """The annotation layer of a frame: the presentation state's shutters, overlays,
        graphics and texts when one is applied, and the SR measurements on the frame (shown
        by default). (info JSON, uint8 RGBA of the frame's size)."""
        ref = self.frame_ref(series, frame)
        image = self._image(ref)
        found = self._found_objects()
        state = found.state(presentation) if presentation else None
        if presentation and state is None:
            raise LightboxError(presentation, "no such presentation state is open")
        measured = presented.measurements_on(found, image, self._segment_frames)
        planes = self.files[ref.file].overlay_planes
        return presented.layer(state, image, planes, measured)

    # -- segmentations (issue 16 item 4) -------------------------------------------

    def _resolved_segs(self) -> list[segments.Seg]:
        """The open SEGs, each knowing which open image frames its frames lie on."""
        if not self._segs:
            return []
        seg_files = {seg.file for seg in self._segs}
        images: list[segments.Target] | None = None
        for seg in self._segs:
            if seg.resolved_for == len(self.files):
                continue
            if images is None:
                images = []
                for s in self.series:
                    for ref in s.frames:
                        if ref.file in seg_files:
                            continue
                        opened = self.files[ref.file]
                        ds = opened.header.dataset
                        geometry = opened.parameters(ref.index).geometry
                        images.append(
                            segments.Target(
                                ref,
                                str(ds.get("SOPInstanceUID", "") or ""),
                                opened.fmt.frames,
                                str(ds.get("FrameOfReferenceUID", "") or ""),
                                geometry.orientation,
                                geometry.position,
                                opened.fmt.rows,
                                opened.fmt.columns,
                                geometry.pixel_spacing,
                            )
                        )
            spacing = seg.record.slice_spacing or 1.0
            seg.targets = segments.resolve(seg, images, spacing)
            seg.loose, seg.reach = segments.reach(seg, images)
            seg.resolved_for = len(self.files)
        return self._segs

    def _segs_over(self, series: Series) -> list[segments.Seg]:
        frames = set(series.frames)
        return [seg for seg in self._resolved_segs() if frames & seg.covers()]

    def segmentations_of(self, series: Series) -> list[dict[str, Any]]:
        """The catalog's record of the SEGs drawn over a series: each one's SOP Instance
        UID, series, label and segments (number, label, sRGB colour), the frames it covers."""
        index = {ref: i for i, ref in enumerate(series.frames)}
        return [
            {
                "uid": seg.record.uid,
                "seriesUid": seg.record.series_uid,
                "label": seg.record.label,
                "file": seg.record.name,
                "fractional": seg.record.fractional,
                "segments": [
                    {"number": s.number, "label": s.label, "color": list(s.color)}
                    for s in seg.record.segments
                ],
                "frames": sorted(index[ref] for ref in seg.covers() if ref in index),
            }
            for seg in self._segs_over(series)
        ]

    def segment_layer(
        self,
        series: int,
        frame: int,
        settings: list[dict[str, Any]],
        resampled: bool = True,
        presentation: str | None = None,
    ) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
        """The mask layer over frame ``frame`` of series ``series``: (info, RGBA uint8 of the
        frame's size), ``settings`` being the page's ``[{uid, visible, opacity, hidden}]``;
        with ``presentation`` a Blending Softcopy Presentation State applied to the frame,
        its superimposed set at the bottom of the layer (PS3.4 N.2.4)."""
        ref = self.frame_ref(series, frame)
        fmt = self.files[ref.file].fmt
        segs = self._segs_over(self.series[series])
        frame = min(max(frame, 0), len(self.series[series].frames) - 1)
        extra = self._rt.drawing(self.series[series], frame, settings)
        under = self.washes.drawing(self.series[series], frame, settings) if resampled else ([], [])
        state = self._state_for(presentation, ref)
        points = self.frame_points(ref) if state is not None and state.blending else None
        profiled = state is not None and points is not None and bool(state.icc_profile)
        if state is not None and points is not None and not profiled:
            blended = self.washes.blend_drawing(state, points)
            under = (blended[0] + under[0], blended[1] + under[1])
        info, rgba = segments.frame_layer(
            segs, ref, fmt.rows, fmt.columns, settings, extra, under, self.frame_points
        )
        if profiled:  # the blend is the frame's own colour image, under this layer
            info["blendIcc"] = self._keep_icc(state.icc_profile)
            info["segments"] = [*self.washes.blend_listed(state), *info["segments"]]
        return info, rgba

    def _blend_json(self, state: pstate.PresentationState) -> dict[str, Any] | None:
        """``presentation.blend`` of a render (``blend`` of a reformatted view's): what
        :meth:`Washes.blend_info` says, its warning as text and said, and ``icc``, the
        key of the state's ICC Profile (C.11.15: the whole blend is converted through
        it, PS3.4 N.2.4), or None."""
        blend = self.washes.blend_info(state)
        if blend is None:
            return None
        warning = blend["warning"]
        blend["warning"] = str(warning) if warning else None
        blend["warningSaid"] = said(warning) if warning else None
        blend["icc"] = self._keep_icc(state.icc_profile)
        return blend

    def blending_over(
        self, series: int, presentation: str | None
    ) -> pstate.PresentationState | None:
        """The Blending Softcopy Presentation State ``presentation`` when its UNDERLYING set
        is series ``series`` (its Series Instance UID named, or one of its images), else
        None: what a reformatted view of that series blends."""
        if not presentation:
            return None
        state = self._found_objects().state(presentation)
        if state is None or state.blending is None:
            return None
        entry = self.series[series]
        if entry.series_uid in state.blending.underlying.series_uids:
            return state
        for ref in entry.frames:
            if state.applies_to(self._image(ref).uid, ref.index):
                return state
        return None

    def blend_frame(
        self,
        series: int,
        frame: int,
        presentation: str,
        window: tuple[float, float] | None = None,
        invert: bool = False,
    ) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
        """The whole blend of a Blending Softcopy Presentation State over one frame, opaque
        (PS3.4 N.2.4.3: Rs·A + Yu·(1 − A) where the superimposed set reaches, the
        underlying grey Yu alone elsewhere), before its ICC Profile: (info with ``icc``,
        the profile's key, or None; RGBA uint8 of the frame's size). Yu is the frame as
        :meth:`render` shows it under the state (a user ``window`` and ``invert`` as
        there). What a profile converts is the blend, not its two parts apart (a profile
        is not linear), so with a profile the page converts this image in the worker and
        draws the segment layer (:meth:`segment_layer`, without the blend) over it."""
        ref = self.frame_ref(series, frame)
        state = self._state_for(presentation, ref)
        if state is None or state.blending is None:
            raise LightboxError(presentation, "it is not a blending state applied to this frame")
        grey = self.render(series, frame, window, invert, presentation=presentation).rgba
        rows, columns = grey.shape[:2]
        points = self.frame_points(ref)
        drawn = self.washes.blend_drawing(state, points)[0] if points is not None else []
        bottom = Drawn(np.ones((rows, columns), np.float32), grey[..., :3], 1.0)
        rgba = compose([bottom, *drawn], rows, columns)
        return {"width": columns, "height": rows, "icc": self._keep_icc(state.icc_profile)}, rgba

    def frame_plane(
        self, ref: FrameRef
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], tuple[float, float]] | None:
        """Where a frame lies: (Image Position, Image Orientation (row, column cosines),
        Pixel Spacing (row, column mm)), None where one of them is missing."""
        g = self.files[ref.file].parameters(ref.index).geometry
        if g.position is None or g.orientation is None or not g.pixel_spacing:
            return None
        if len(g.pixel_spacing) != 2:
            return None
        spacing = (float(g.pixel_spacing[0]), float(g.pixel_spacing[1]))
        return np.asarray(g.position, np.float64), np.asarray(g.orientation, np.float64), spacing

    def frame_points(self, ref: FrameRef) -> np.ndarray[Any, Any] | None:
        """Patient mm (rows, columns, 3) of a frame's pixel centres, None without its
        position, orientation or pixel spacing."""
        plane = self.frame_plane(ref)
        if plane is None:
            return None
        position, o, spacing = plane
        fmt = self.files[ref.file].fmt
        return plane_points(position, o[:3], o[3:6], spacing, (fmt.rows, fmt.columns))

    def state_graphics(self, series: int, frame: int, presentation: str) -> np.ndarray[Any, Any]:
        """A presentation state's graphics, texts' boxes aside, and activated overlays over
        one frame, without its shutters (RGBA of the frame's size, transparent where it
        draws nothing): what a reformatted view through the frame shows of it."""
        ref = self.frame_ref(series, frame)
        image = self._image(ref)
        state = self._found_objects().state(presentation)
        if state is None:
            raise LightboxError(presentation, "no such presentation state is open")
        return presented.state_graphics(state, image, self.files[ref.file].overlay_planes)

    def state_frames(self, series: int, presentation: str | None) -> set[int]:
        """The frames of a series a presentation state applies to (none without one)."""
        if not presentation:
            return set()
        state = self._found_objects().state(presentation)
        if state is None:
            return set()
        return {
            i
            for i, ref in enumerate(self.series[series].frames)
            if state.applies_to(self._image(ref).uid, ref.index)
        }

    def frames_with_layers(self, series: int) -> set[int]:
        """The frames of a series a SEG or an RT structure set draws on."""
        entry = self.series[series]
        index = {ref: i for i, ref in enumerate(entry.frames)}
        found = {
            index[ref] for seg in self._segs_over(entry) for ref in seg.covers() if ref in index
        }
        for structures in self._rt.over(entry):
            found |= set(self._rt.frames_of(structures, entry))
        return found

    def plane_layer(
        self,
        series: int,
        reslice: dict[str, Any],
        settings: list[dict[str, Any]],
        presentation: str | None = None,
    ) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
        """The SEG, RT structure, RT dose and fusion layer of a reformatted plane
        (``reslice``, as a view's ``state().reslice``), with the graphics of presentation
        state ``presentation`` on the frames it applies to: (info, RGBA uint8 of the
        plane's rows × columns)."""
        self.frame_ref(series, 0)
        return self.plane_layers.layer(series, reslice, settings, presentation)

    def segment_statistics(self, series: int, uid: str) -> list[dict[str, Any]]:
        """Each segment of SEG ``uid`` over series ``series``: voxels, volume in ml (voxel
        count × pixel spacing × slice spacing) and the mean modality value under it."""
        self.frame_ref(series, 0)
        seg = next((s for s in self._segs_over(self.series[series]) if s.record.uid == uid), None)
        if seg is None:
            raise LightboxError(uid, f"no such segmentation lies on series {series + 1}")
        values: dict[FrameRef, np.ndarray[Any, Any]] = {}

        def values_of(ref: FrameRef) -> np.ndarray[Any, Any]:
            if ref not in values:
                params = self.files[ref.file].parameters(ref.index)
                values[ref] = modality_values(self.stored(ref), params.modality)
            return values[ref]

        first = min(seg.covers(), key=segments.astuple_key)
        geometry = self.files[first.file].parameters(first.index).geometry
        image_pixel = (
            (geometry.pixel_spacing[0], geometry.pixel_spacing[1])
            if geometry.pixel_spacing and len(geometry.pixel_spacing) == 2
            else None
        )
        if not seg.targets:  # resampled onto the images: their voxels
            refs = self.series[series].frames
            found = [self.files[r.file].parameters(r.index).geometry for r in refs]
            at = [g.position for g in found if g.position is not None]
            step = (
                slice_step(np.asarray(at), geometry.orientation) if geometry.orientation else None
            )
            return segments.statistics(seg, values_of, image_pixel, step, self.frame_points)
        pixel = seg.record.pixel_spacing or image_pixel
        return segments.statistics(seg, values_of, pixel, seg.record.slice_spacing)

    # -- rendering ---------------------------------------------------------------

    def frame_ref(self, series: int, frame: int) -> FrameRef:
        """The file and frame behind a (series, frame) position; clamped frame."""
        if not 0 <= series < len(self.series):
            raise IndexError(f"no series {series}: {len(self.series)} open")
        frames = self.series[series].frames
        return frames[min(max(frame, 0), len(frames) - 1)]

    def description(self, ref: FrameRef) -> dict[str, Any]:
        """On-image information of a frame, read from its header once (headers never change)."""
        found = self._descriptions.get(ref)
        if found is None:
            found = describe.describe(self.files[ref.file].header.dataset, ref.index)
            self._descriptions[ref] = found
        return found

    def decoder_for(self, ref: FrameRef) -> str:
        """Which decoder serves a frame: a browser codec's name, or "pydicom"."""
        choice = self._codec(ref.file)
        serves = codecs.serves(choice, self.files[ref.file].fmt.transfer_syntax)
        return choice.codec if serves else codecs.PYDICOM

    def decode_times(self, series: int, frame: int, runs: int) -> list[float]:
        """Milliseconds to decode one frame through Python, uncached, ``runs`` times.

        The whole path a compressed frame takes (pydicom finding the frame, the
        codec plugin, the codec, the array), after one warm-up decode; `npm run
        bench` sets it beside the same codec called from JavaScript.
        """
        ref = self.frame_ref(series, frame)
        source = self._source(ref.file)
        pixels.frame(source, ref.index)  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            pixels.frame(source, ref.index)
            times.append((time.perf_counter() - started) * 1000)
        return times

    def _codec(self, file: int) -> codecs.Choice:
        """A file's codec decision, made with its frame source on first need and kept."""
        return self._source(file).codec

    def _source(self, file: int) -> pixels.FrameSource:
        """A file's frames as pixels decodes them (its start and codec found), made once."""
        if file not in self._sources:
            opened = self.files[file]
            self._sources[file] = pixels.FrameSource.of(
                opened.name, opened.data, opened.fmt, opened.extent, opened.ranged
            )
        return self._sources[file]

    def stored(self, ref: FrameRef, *, keep: bool = True) -> np.ndarray[Any, Any]:
        """Decoded stored values of one frame, from the cache when there.

        PALETTE COLOR frames are their palette indices (the palette is a display
        step). A frame cut short is decoded as far as it goes. A file with
        overlays in its pixel cells keeps the raw cells in the cache and masks
        them here, so the overlay bits need no second decode. With ``keep`` False a
        frame decoded now is not put in the cache (a volume's build reads every frame
        once: the cache would fill with them beside the volume).
        """
        opened = self.files[ref.file]
        if opened.video is not None:
            raise DecodeError(
                opened.name, "a video's pictures are decoded by the browser, not the engine"
            )
        cached = self.cache.get(ref)
        if cached is None:
            found = self._decode(ref)
            if found.in_place:  # native frames are the file's own bytes: a view, not a copy
                return found.values
            cached = found.values
            cached.setflags(write=False)
            if keep:
                self.cache.put(ref, cached)
        if not opened.embedded_bits:
            return cached
        values = samples.stored_values(cached, opened.fmt)
        values.setflags(write=False)
        return values

    def _decode(self, ref: FrameRef) -> pixels.Frame:
        """Decode one frame; a failure is kept (the report and ``skipped`` say it) and raised."""
        opened = self.files[ref.file]
        try:
            decoded = pixels.frame(
                self._source(ref.file), ref.index, raw=bool(opened.embedded_bits)
            )
        except DecodeError as exc:
            self._failures[ref] = exc
            raise
        self._failures.pop(ref, None)  # a codec that could not load at first may load later
        return decoded

    def render(
        self,
        series: int,
        frame: int,
        window: tuple[float, float] | None = None,
        invert: bool = False,
        voi_index: int | None = None,
        overlays: bool = False,
        step: int = 1,
        presentation: str | None = None,
    ) -> Rendered:
        """Render one frame of one series to RGBA.

        Parameters
        ----------
        window : tuple of float, optional
            (center, width) chosen by the user, in modality units; None uses
            the file's first window, or an automatic one for the series.
        invert : bool
            The user's invert toggle; it composes with MONOCHROME1.
        voi_index : int, optional
            Which of the frame's VOI transforms to use: an index into
            ``info["windows"]`` (its windows, then its VOI LUTs); None or out
            of range means the first. A user ``window`` wins over it.
        overlays : bool
            Burn the frame's overlay planes (60xx) into the pixels.
        step : int
            Keep every ``step``-th row and column: a coarse preview while the
            user drags a large image shown smaller than its pixels (the viewer
            follows it with the full frame). ``info`` keeps the full size and
            says the step.
        presentation : str, optional
            The SOP Instance UID of a presentation state to apply (issue 16 item 1): its
            Modality LUT, VOI and Presentation LUT replace the file's (a user ``window``
            still wins); ``info["presentation"]`` then says its spatial steps.
        """
        ref = self.frame_ref(series, frame)
        opened = self.files[ref.file]
        if opened.waveform is not None:
            raise NotAnImageError(opened.name, "a waveform has no image: it is plotted")
        if opened.slide is not None:
            raise NotAnImageError(opened.name, "a slide is shown by its tiles (slide view)")
        step = max(1, int(step))
        arr = self.stored(ref)
        burn = overlays and bool(opened.overlay_planes)
        if not burn:  # overlay planes are placed on the full grid: thin after burning them
            arr = arr[::step, ::step]
        params = opened.parameters(ref.index)
        short = locate.frame_truncation(opened.extent, opened.fmt, ref.index)
        info: dict[str, Any] = {
            "series": series,
            "frame": min(max(frame, 0), len(self.series[series].frames) - 1),
            "frames": len(self.series[series].frames),
            "width": opened.fmt.columns,
            "height": opened.fmt.rows,
            "step": step,
            "file": opened.name,
            "photometric": opened.fmt.photometric.value,
            "windows": luts.voi_json(params.windows, params.voi_luts),
            "transferSyntax": opened.fmt.transfer_syntax,
            "decoder": self.decoder_for(ref),
            "view": self.description(ref),
        }
        info.update(
            modality=luts.modality_json(params.modality),
            overlays=[planes.plane_json(p, ref.index) for p in opened.overlay_planes],
            overlaysShown=overlays and bool(opened.overlay_planes),
            warning=f"{opened.name}: {short.message}" if short else None,
        )
        if arr.ndim == 3 or (opened.palette is not None and not opened.supplemental):
            rgb, bits = arr, opened.fmt.bits_stored
            if arr.ndim == 2 and opened.palette is not None:
                rgb, bits = apply_palette(arr, opened.palette), 8
            rgba = pipeline.color_to_rgba(rgb, bits, invert)
            info.update(
                windowCenter=None, windowWidth=None, windowSource="none (colour)", voiIndex=None
            )
            info["icc"] = self._icc_key(ref, presentation)
        elif (state := self._state_for(presentation, ref)) is not None:
            rgba, shown = self._presented(state, ref, arr, window, invert)
            info.update(shown)
            if state.palette is not None:  # a pseudo-colour state's colours: its profile's
                info["icc"] = self._keep_icc(state.icc_profile)
        else:
            chosen, source, index = self._window_for(series, opened, ref, window, voi_index)
            rgba = pipeline.gray_rgba(
                arr, params.modality, chosen, invert != opened.inverts, self.tables
            )
            if opened.supplemental and opened.palette is not None:
                rgba = supplemental_to_rgba(arr, rgba, opened.palette)
            info.update(_voi_info(chosen), windowSource=source, voiIndex=index)
        if presentation and "presentation" not in info:  # a colour image: no VOI, the view
            colour_state = self._state_for(presentation, ref)
            if colour_state is not None:
                info["presentation"] = presented.view_json(colour_state, self._image(ref))
        if burn:
            raw = self.cache.get(ref) if opened.embedded_bits else None
            if raw is None and opened.embedded_bits:
                raw = pixels.frame(self._source(ref.file), ref.index, raw=True).values
            bits_planes = (
                None if raw is None else samples.embedded_overlay_bits(raw, opened.embedded_bits)
            )
            rgba = planes.burn_planes(rgba, opened.overlay_planes, ref.index, bits_planes)
            rgba = rgba[::step, ::step]
        return Rendered(rgba, info)

    # -- waveforms (issue 15 item 3) ------------------------------------------------

    def waveform_of(self, series: int) -> Waveform:
        """The waveform object behind a series.

        Raises
        ------
        NotAWaveformError
            The series is a stack of images.
        """
        opened = self.files[self.frame_ref(series, 0).file]
        if opened.waveform is None:
            raise NotAWaveformError(opened.name, "not a waveform: it is an image")
        return opened.waveform

    def waveform(
        self, series: int, group: int, view: waveform_plot.View
    ) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
        """Plot multiplex group ``group`` of a waveform series in ``view``.

        Returns
        -------
        tuple
            The plot's JSON (window in ms, pxPerMs, pxPerMv, one row per channel with
            its label, left, right and baseline in plot pixels, the annotations in the
            window) and its points, (n, 2) float32 x, y in plot pixels, row ``i``'s at
            ``plot[i]["points"]`` = [offset, count].
        """
        return waveforms.plot(self.waveform_of(series), group, view)

    def waveform_audio(self, series: int, group: int) -> tuple[float, np.ndarray[Any, Any]]:
        """A waveform's group as sound: (sample rate, float32 samples in [-1, 1])."""
        return waveforms.audio(self.waveform_of(series), group)

    # -- whole-slide images (issue 15 item 2) ------------------------------------------

    def slide_images(self, series: int) -> list[SlideImage]:
        """The slide images (levels, optical paths) of a slide series.

        Raises
        ------
        DecodeError
            The series is not a slide.
        """
        found = [self.files[r.file].slide for r in self.series[series].frames]
        images = [s for s in found if s is not None]
        if not images:
            raise DecodeError(self.files[self.series[series].frames[0].file].name, "not a slide")
        return images

    def _slide_json(self, series: Series) -> dict[str, Any]:
        """``slide``: a slide's levels, size and spacing (none for other series)."""
        if series.kind != "slide":
            return {}
        images = [self.files[r.file].slide for r in series.frames]
        return {"slide": slides.summary([s for s in images if s is not None])}

    def slide(self, series: int, path: str | None = None, plane: int = 0) -> dict[str, Any]:
        """A slide's pyramid: every level (finest first) of optical path ``path`` (the
        first when None) at focal plane ``plane``, with its tile grid and spacing."""
        out = slides.info(self.slide_images(series), path, plane)
        out["series"] = series
        finest = next(f for f in self.files if f.name == out["files"][0])
        out["icc"] = self._keep_icc(_icc_of(finest, out["opticalPath"]))
        return out

    def slide_routes(
        self, series: int, path: str | None = None
    ) -> tuple[list[dict[str, Any] | None], np.ndarray[Any, Any]]:
        """Where each level's tiles lie in their files, for the levels the browser decodes
        itself (:func:`lightbox.session.slides.routes`)."""
        return slides.routes(self.slide_images(series), path)

    def slide_tile(
        self, series: int, level: int, frame: int, path: str | None = None
    ) -> tuple[dict[str, Any], Any]:
        """Frame ``frame`` of level ``level`` (0 finest) of optical path ``path`` of a
        slide, as (info, RGBA)."""
        images = self.slide_images(series)
        files = [r.file for r in self.series[series].frames if self.files[r.file].slide]
        return slides.tile(images, files, self._tile_cache, level, frame, path)

    def thumbnail(self, series: int, size: int = 64) -> Rendered:
        """The middle frame rendered with its default window, shrunk to fit ``size`` pixels."""
        if self.series[series].kind == "slide":
            small = slides.thumbnail(self.slide_images(series), size)
            return Rendered(small, {"width": small.shape[1], "height": small.shape[0]})
        frames = self.series[series].frames
        rendered = self.render(series, len(frames) // 2)
        rgba = rendered.rgba
        rows, cols = rgba.shape[:2]
        step = max(1, int(np.ceil(max(rows, cols) / max(size, 1))))
        small = np.ascontiguousarray(rgba[::step, ::step])
        shown = {"width": small.shape[1], "height": small.shape[0]}
        return Rendered(small, {**shown, "icc": rendered.info.get("icc")})

    def _window_for(
        self,
        series: int,
        opened: OpenedFile,
        ref: FrameRef,
        window: tuple[float, float] | None,
        voi_index: int | None = None,
    ) -> tuple[luts.Voi, str, int | None]:
        """The VOI step for a frame: the user's window, the file's choice, or automatic.

        Returns the transform, its source, and its index in ``info["windows"]``.
        """
        params = opened.parameters(ref.index)
        choices: list[luts.Voi] = [*params.windows, *params.voi_luts]
        function = params.windows[0].function if params.windows else VoiFunction.LINEAR
        if window is not None:
            return Window(float(window[0]), float(window[1]), function, "User"), "user", None
        if choices:
            index = voi_index if voi_index is not None and 0 <= voi_index < len(choices) else 0
            return choices[index], "file", index
        # One automatic window per series, from its middle frame, so it does not
        # jump while scrolling and does not depend on which frame was shown first. Kept
        # by that frame: while a large drop is still being read, the middle moves, and the
        # window follows it to the one the whole series gives.
        ordered = self.series[series].frames
        reference = ordered[len(ordered) // 2]
        key = (self.series[series].uid, reference)
        auto = self._auto_windows.get(key)
        if auto is None:
            try:
                auto = self._auto_window(reference)
            except DecodeError:
                if reference == ref:
                    raise
                # The middle frame cannot be decoded (the report lists it): the frame shown
                # gives the series' window, so one broken file keeps no frame off the screen.
                auto = self._auto_window(ref)
            self._auto_windows[key] = auto
        return auto, "automatic", None

    def _auto_window(self, ref: FrameRef) -> Window:
        """A window from one frame's modality values, padding and palette part left out."""
        source = self.files[ref.file]
        stored = self.stored(ref)
        if source.supplemental and source.palette is not None:
            grey = grey_range(stored, source.palette)  # the palette part is not windowed
            stored = grey if grey.size else stored
        values = modality_values(stored, source.parameters(ref.index).modality)
        return auto_window(values, source.padding)

    # -- volumes (issue 14) --------------------------------------------------------

    def _drop_changed_volumes(self) -> None:
        """Forget the volumes of series whose frames an open changed (or removed)."""
        now = {s.uid: tuple(s.frames) for s in self.series}
        self._volumes = {
            key: kept for key, kept in self._volumes.items() if now.get(key[0]) == kept[0]
        }
        self._phases = {uid: kept for uid, kept in self._phases.items() if now.get(uid) == kept[0]}
        if self._building is not None and now.get(self._building.key[0]) != self._building.refs:
            self._building = None

    def phases(self, series: int) -> Phases | None:
        """The volumes a series holds at the same positions (temporal positions,
        b-values, echoes) and what tells them apart, or None for one volume."""
        entry = self.series[series]
        refs = tuple(entry.frames)
        kept = self._phases.get(entry.uid)
        if kept is None or kept[0] != refs:
            kept = (refs, split_phases(self._slice_geometries(refs)[1]))
            self._phases[entry.uid] = kept
        return kept[1]

    def volume(self, series: int, phase: int | None = None) -> Volume | NotAVolume:
        """The series as a volume of modality values, built on first need and kept.

        Parameters
        ----------
        phase : int, optional
            For a series of several volumes (:meth:`phases`), which one (default the
            first).

        Returns
        -------
        Volume or NotAVolume
            The volume (:mod:`lightbox.volume`: the true slice positions, tilt, gaps
            and uneven spacing handled and warned of), or why the series is none.

        Raises
        ------
        ValueError
            ``phase`` names no volume of the series.
        """
        build = self._volume_build(series, phase)
        if build is not None:
            self._finish(build, None)
        entry = self.series[series]
        key = (entry.uid, volumes.chosen_phase(self.phases(series), phase))
        return self._volumes[key][1]

    def _volume_build(self, series: int, phase: int | None) -> VolumeBuild | None:
        """The build of a series' volume: None when it is kept; the build under way when it
        is this one; else a new one (in place of any other)."""
        entry = self.series[series]
        refs = tuple(entry.frames)
        split = self.phases(series)
        chosen = volumes.chosen_phase(split, phase)
        key = (entry.uid, chosen)
        kept = self._volumes.get(key)
        if kept is not None and kept[0] == refs:
            return None
        build = self._building
        if build is None or build.key != key or build.refs != refs:
            build = self._building = None  # the one under way released before the next fills
            members = split.members[chosen] if split and chosen is not None else range(len(refs))
            build = VolumeBuild(self, key, refs, tuple(refs[i] for i in members))
            self._building = build
        return build

    def _finish(self, build: VolumeBuild, seconds: float | None) -> bool:
        """Step ``build``; keep its result once decided (True then)."""
        try:
            decided = build.step(seconds)
        except Exception:
            self._building = None
            raise
        if decided and build.result is not None:
            self._volumes[build.key] = (build.refs, build.result)
            if self._building is build:
                self._building = None
        return decided

    def volume_step(self, series: int, phase: int | None, seconds: float) -> dict[str, Any]:
        """Build the series' volume for about ``seconds`` more (the browser's steps, issue 18
        item 8): ``{done, total, finished}``, slices filled of all; ``finished`` once it is
        kept (at once when it already was, or when the frames are no volume).

        Raises
        ------
        ValueError
            ``phase`` names no volume of the series.
        VolumeError
            A frame does not match the others (nothing is kept).
        """
        build = self._volume_build(series, phase)
        if build is None:
            return {"done": 0, "total": 0, "finished": True}
        finished = self._finish(build, seconds)
        return {"done": build.done, "total": build.total, "finished": finished}

    def cancel_volume(self) -> bool:
        """Drop the volume being built, releasing its array; False when none was."""
        cancelled = self._building is not None
        self._building = None
        return cancelled

    def volume_memory(self) -> dict[str, Any]:
        """Bytes of the volumes kept and of the one being built; what is being built."""
        kept = sum(int(v.data.nbytes) for _, v in self._volumes.values() if isinstance(v, Volume))
        build = self._building
        return {
            "volumeBytes": kept + (build.nbytes if build else 0),
            "volumes": sum(isinstance(v, Volume) for _, v in self._volumes.values()),
            "building": None if build is None else {"done": build.done, "total": build.total},
        }

    def _slice_geometries(
        self, refs: tuple[FrameRef, ...]
    ) -> tuple[list[frames.FrameParameters], list[SliceGeometry]]:
        opened = [self.files[ref.file] for ref in refs]
        params = [o.parameters(ref.index) for o, ref in zip(opened, refs, strict=True)]
        geometries = [
            volumes.slice_geometry(
                o.header.dataset,
                p.geometry,
                o.fmt.rows,
                o.fmt.columns,
                o.name if o.fmt.frames <= 1 else f"{o.name}, frame {ref.index + 1}",
                ref.index,
            )
            for o, p, ref in zip(opened, params, refs, strict=True)
        ]
        return params, geometries

    def render_view(
        self,
        series: int,
        view: dict[str, Any],
        window: tuple[float, float] | None = None,
        invert: bool = False,
        presentation: str | None = None,
    ) -> Rendered:
        """Render a reformatted plane or slab of a series' volume to RGBA.

        Parameters
        ----------
        view : dict
            ``{plane, normal?, position?, slab?, projection?}`` (issue 14 item 6; see
            :func:`lightbox.session.volumes.view_geometry`).
        window, invert
            As :meth:`render`: the user's (center, width), else the series' window
            (its middle frame's first, or the automatic one).
        presentation
            An applied presentation state: a Blending state whose underlying set is this
            series gives the plane its window (:meth:`_blend_window`) unless the user's
            wins.

        Returns
        -------
        Rendered
            RGBA of the plane and ``info`` with ``view`` (as shown: plane, normal,
            position, slab, projection), ``reslice`` (pixel (r, c) at ``origin + c *
            columnSpacing * rowDirection + r * rowSpacing * columnDirection``),
            ``volume`` (dims, spacing, warnings), the window used and ``description``
            (the on-image text, its geometry that of the plane).

        Raises
        ------
        NotAVolumeError
            The series is not a volume (the reason says why).
        """
        volume, split, picked, geometry, shown = self._view_place(series, view)
        frames_of = self.series[series].frames
        ref = frames_of[len(frames_of) // 2]
        opened = self.files[ref.file]
        chosen, source, index = self._window_for(series, opened, ref, window, None)
        params = opened.parameters(ref.index)
        state_window = self._blend_window(series, ref, presentation) if window is None else None
        if state_window is not None:  # the underlying of an applied blending state
            chosen, source, index = state_window, "presentation state", None
        inverts = invert != opened.inverts
        # The common case in one pass (the browser's kernel: samples windowed to RGBA),
        # else the samples and the display pipeline.
        rgba = volumes.view_rgba(volume, geometry, shown, chosen, inverts)
        sampler = "windowed-kernel"
        if rgba is None:
            image = volumes.view_values(volume, geometry, shown)
            display = pipeline.gray_to_display(image, luts.Rescale(), chosen, inverts)
            rgba = pipeline.gray_to_rgba(display)
            sampler = "samples"
        description = dict(self.description(ref))
        description.update(
            orientation=geometry.labels,
            orientationCosines=[*geometry.row_direction, *geometry.column_direction],
            position=list(geometry.origin),
            sliceLocation=geometry.position,
            sliceThickness=shown["slab"] or None,
            calibration={
                "kind": "Pixel Spacing",
                "row_mm": geometry.row_spacing,
                "column_mm": geometry.column_spacing,
            },
        )
        info: dict[str, Any] = {
            "series": series,
            "frame": len(frames_of) // 2,
            "frames": len(frames_of),
            "width": geometry.columns,
            "height": geometry.rows,
            "step": 1,
            "file": opened.name,
            "photometric": "MONOCHROME2",
            "windows": luts.voi_json(params.windows, params.voi_luts),
            "warning": "; ".join(w.message for w in volume.warnings) or None,
            "view": shown,
            "reslice": volumes.reslice_json(geometry),
            "volume": volumes.volume_json(volume, split, picked),
            "description": description,
            "windowSource": source,
            "voiIndex": index,
            "sampler": sampler,
        }
        info.update(_voi_info(chosen))
        blending = self.blending_over(series, presentation)
        if blending is not None:  # the plane's layer blends it: said as on a frame
            info["blend"] = self._blend_json(blending)
        return Rendered(np.ascontiguousarray(rgba), info)

    def _blend_window(self, series: int, ref: FrameRef, presentation: str | None) -> Window | None:
        """The window of a reformatted view under an applied Blending state over the series:
        the state's VOI for the underlying's middle image when it is a window and the
        state's Modality LUT is the images' own (the volume holds the images' modality
        values), else None (the series' window serves)."""
        state = self.blending_over(series, presentation)
        if state is None:
            return None
        voi = state.voi_for(self._image(ref).uid, ref.index)
        if not isinstance(voi, Window):
            return None
        own = self.files[ref.file].parameters(ref.index).modality
        theirs = state.modality
        if isinstance(theirs, luts.Rescale) and isinstance(own, luts.Rescale):
            same = (theirs.slope, theirs.intercept) == (own.slope, own.intercept)
        else:
            same = theirs is None or theirs == own
        return voi if same else None

    def view_image(self, series: int, view: dict[str, Any]) -> ViewImage:
        """The modality values of a reformatted view (its plane, or its slab projected)
        and where its pixels lie: what :meth:`render_view` draws, and what the probe and
        region statistics of a reformatted view read.

        Raises
        ------
        NotAVolumeError
            The series is not a volume (the reason says why).
        """
        volume, split, picked, geometry, shown = self._view_place(series, view)
        image = volumes.view_values(volume, geometry, shown)
        return ViewImage(volume, split, picked, geometry, shown, image)

    def _view_place(
        self, series: int, view: dict[str, Any]
    ) -> tuple[Volume, Phases | None, int | None, PlaneGeometry, dict[str, Any]]:
        """A view's volume (its phases, the one picked), plane and the view as shown,
        before any sampling."""
        split = self.phases(series)
        picked = volumes.chosen_phase(split, view.get("phase"))
        volume = self.volume(series, picked)
        if isinstance(volume, NotAVolume):
            frames_of = self.series[series].frames
            name = self.files[frames_of[len(frames_of) // 2].file].name
            raise NotAVolumeError(name, say("engine.not_a_volume", reason=volume.reason))
        geometry, shown = volumes.view_geometry(volume, view)
        if picked is not None:
            shown["phase"] = picked
        return volume, split, picked, geometry, shown

    def volume_info(self, series: int, phase: int | None = None) -> dict[str, Any]:
        """The series' ``volume`` record (dims, spacing, warnings; ``not-a-volume``;
        ``phases`` when it holds several volumes)."""
        split = self.phases(series)
        chosen = volumes.chosen_phase(split, phase)
        return volumes.volume_json(self.volume(series, phase), split, chosen)

    def volume_data(
        self,
        series: int,
        max_voxels: int = volume_texture.DEFAULT_MAX_VOXELS,
        max_dim: int = volume_texture.DEFAULT_MAX_DIM,
    ) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
        """The series' volume for the page's 3D view: its grid, reduced in numpy to at most
        ``max_voxels`` voxels and ``max_dim`` along an axis (see
        :mod:`lightbox.volume.texture`), as (JSON-ready record, the voxels). The voxels are
        the volume's own array when it fits (no copy); the record says ``dims``,
        ``spacing``, ``origin``, ``axes``, ``dtype``, ``range``, ``factors``, ``volume``
        and the series' window (as a render's info says it).

        Raises
        ------
        NotAVolumeError
            The series is not a volume (the reason says why).
        """
        volume = self.volume(series)
        frames_of = self.series[series].frames
        ref = frames_of[len(frames_of) // 2]
        opened = self.files[ref.file]
        if isinstance(volume, NotAVolume):
            raise NotAVolumeError(opened.name, say("engine.not_a_volume", reason=volume.reason))
        texture = volume_texture.volume_texture(volume, int(max_voxels), int(max_dim))
        chosen, _, _ = self._window_for(series, opened, ref, None, None)
        info = volumes.texture_json(texture, volume)
        info.update(_voi_info(chosen), modality=str(opened.header.dataset.get("Modality", "")))
        return info, texture.data

    def volume_slices(self, series: int, volume: Volume) -> tuple[tuple[FrameRef, ...], ...]:
        """The frames of each slice (z) of a series' (first) volume, as its build planned
        them: one frame a slice, or the frames averaged into it where the volume is over
        its budget (:func:`lightbox.volume.build.plan_volume`)."""
        entry = self.series[series]
        refs = tuple(entry.frames)
        split = self.phases(series)
        chosen = volumes.chosen_phase(split, None)
        members = split.members[chosen] if split and chosen is not None else range(len(refs))
        picked = tuple(refs[i] for i in members)
        geometries = self._slice_geometries(picked)[1]
        plan = plan_volume(geometries, str(volume.data.dtype), self.volume_budget)
        if isinstance(plan, NotAVolume) or plan.shape != volume.data.shape:
            reason = plan.reason if isinstance(plan, NotAVolume) else "its plan changed"
            raise NotAVolumeError(self.files[picked[0].file].name, reason)
        m = plan.merged
        return tuple(
            tuple(picked[plan.order[k * m + j]] for j in range(m)) for k in range(plan.shape[0])
        )

    def segment_volume(
        self,
        series: int,
        uid: str,
        max_voxels: int = volume_texture.DEFAULT_MAX_VOXELS,
        max_dim: int = volume_texture.DEFAULT_MAX_DIM,
    ) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
        """SEG ``uid``'s segments as a label volume on the grid :meth:`volume_data` sends
        with the same limits (issue 16 item 4, the 3D view): (record, (z, y, x) uint8, or
        uint16 past 255 segments). A voxel's label is 1 + its segment's place in the
        record's ``segments`` (0: none), from the masks placed on (or resampled onto) each
        frame (:func:`lightbox.session.segments.frame_labels`), reduced as the texture is
        (:func:`lightbox.volume.texture.label_texture`: the label most of a block's voxels
        hold, any set one marking it; so too the slices a volume over its budget averages
        into one). The record: ``uid``, ``dims`` ([x, y, z]),
        ``factors``, ``dtype`` and ``segments`` (``[{index, number, label, color, voxels}]``,
        ``voxels`` those of the grid sent that hold the segment).

        Raises
        ------
        LightboxError
            No such SEG lies on the series.
        NotAVolumeError
            The series is not a volume.
        """
        self.frame_ref(series, 0)
        seg = next((s for s in self._segs_over(self.series[series]) if s.record.uid == uid), None)
        if seg is None:
            raise LightboxError(uid, f"no such segmentation lies on series {series + 1}")
        volume = self.volume(series)
        if isinstance(volume, NotAVolume):
            name = self.files[self.series[series].frames[0].file].name
            raise NotAVolumeError(name, say("engine.not_a_volume", reason=volume.reason))
        groups = self.volume_slices(series, volume)
        _, rows, columns = volume.data.shape
        covered = seg.covers()
        dtype = np.uint8 if len(seg.record.segments) < 256 else np.uint16

        def slice_labels(k: int) -> np.ndarray[Any, Any] | None:
            found = [
                segments.frame_labels(seg, ref, rows, columns, self.frame_points)
                if ref in covered
                else None
                for ref in groups[k]
            ]
            if all(labels is None for labels in found):
                return None
            if len(found) == 1:
                return found[0]
            # slices averaged into one: the label most of the group's voxels hold
            stack = np.zeros((len(found), rows, columns), dtype)
            for i, labels in enumerate(found):
                if labels is not None:
                    stack[i] = labels
            merged = volume_texture.block_label(stack, (1, 1, len(found)))
            one: np.ndarray[Any, Any] = merged[0]
            return one

        labels = volume_texture.label_texture(
            volume, slice_labels, int(max_voxels), int(max_dim), dtype
        )
        nz, ny, nx = labels.data.shape
        counts = np.bincount(labels.data.ravel(), minlength=len(seg.record.segments) + 1)
        info = {
            "uid": uid,
            "dims": [nx, ny, nz],
            "factors": list(labels.factors),
            "dtype": str(labels.data.dtype),
            "segments": [
                {
                    "index": i + 1,
                    "number": s.number,
                    "label": s.label,
                    "color": list(s.color),
                    "voxels": int(counts[i + 1]),
                }
                for i, s in enumerate(seg.record.segments)
            ],
        }
        return info, labels.data


def _voi_info(chosen: luts.Voi) -> dict[str, Any]:
    """What a render's info says of its VOI step: a window's center, width and function, or
    that a VOI LUT was used."""
    if isinstance(chosen, luts.Lut):
        return {"windowCenter": None, "windowWidth": None, "windowFunction": None, "voiKind": "lut"}
    return {
        "windowCenter": chosen.center,
        "windowWidth": chosen.width,
        "windowFunction": chosen.function.value,
        "voiKind": "window",
    }


def _document_json(index: int, document: documents.Document) -> dict[str, Any]:
    return {
        "index": index,
        "name": document.name,
        "kind": document.kind,
        "subtype": document.subtype,
        "pages": document.pages,
        "modality": document.modality,
        "uid": document.uid,
        "title": document.title,
        "type": document.sop_class,
        "date": document.date,
        "text": document.text,
        "warnings": [{"file": document.name, "reason": reason} for reason in document.warnings],
    }


def _too_large(size: int) -> str:
    """Why a file too large to read whole, whose frames cannot be read one by one, is refused."""
    return say(
        "engine.too_large",
        size=structure.size_text(size),
        limit=structure.size_text(MAX_WHOLE_FILE_BYTES),
    )


def _checked(opened: OpenedFile, *, whole: bool = True) -> OpenedFile:
    """The file with what its pixel data holds checked against its header, said as warnings.

    Frames the bytes do not hold are not listed; a frame cut short is listed
    (shown padded) unless filling it in would take more than
    :data:`MAX_FILL_BYTES`. Stored values above Bits Stored are shown masked
    (PS3.5 8.1.1) and said. A file (``whole``: not its first bytes only) that lacks more
    than :data:`MAX_MISSING_BYTES` of its declared native pixel data is refused.

    Raises
    ------
    InvalidDicomError
        No frame can be shown.
    """
    fmt, header = opened.fmt, opened.header
    warnings = list(header.warnings)
    if opened.video is not None:  # one stream of all the pictures (PS3.5 8.2.5-8.2.8)
        return replace(opened, shown_frames=header.frames, warnings=tuple(warnings))
    if opened.extent is not None:
        present = checks.native_frames_present(opened.extent, fmt)
        missing = opened.extent.expected - opened.extent.present
        if whole and missing > MAX_MISSING_BYTES:  # not of a file's first bytes only
            raise InvalidDicomError(
                opened.name,
                say(
                    "engine.claims_missing",
                    declared=structure.size_text(opened.extent.expected),
                    present=structure.size_text(max(0, opened.extent.present)),
                    limit=structure.size_text(MAX_MISSING_BYTES),
                ),
            )
        fill = present.partial and missing <= MAX_FILL_BYTES
        shown = present.complete + int(fill)
        note = present.message
        if present.partial and not fill:
            note += f", not shown: {structure.size_text(missing)} of pixel data are missing"
        excess = checks.stored_excess(opened.data, opened.extent, fmt, opened.embedded_bits)
    elif header.fragments is not None:
        extended = _extended_offsets(header.dataset)
        starts = checks.frame_offsets(opened.data, header.fragments, extended)
        present = checks.encapsulated_frames_present(
            header.fragments, len(opened.data), fmt.frames, starts
        )
        shown, note, excess = present.complete + int(present.partial), present.message, None
        if shown < fmt.frames:  # the decoder maps fragments to the frames that are there
            fmt = replace(fmt, frames=shown)
    else:
        return replace(opened, shown_frames=header.frames, warnings=tuple(warnings))
    if note:
        warnings.append(note)
    if shown == 0:
        raise InvalidDicomError(opened.name, "; ".join(warnings) + "; no frame can be shown")
    if excess is not None:
        warnings.append(excess.message)
    return replace(opened, fmt=fmt, shown_frames=shown, warnings=tuple(warnings))


def _extended_offsets(ds: Dataset) -> list[int] | None:
    """(7FE0,0001) Extended Offset Table: 64-bit little endian offsets (PS3.3 C.7.6.3.1.8)."""
    table = ds.get("ExtendedOffsetTable")
    if not table or len(table) % 8:
        return None
    return [int(v) for v in np.frombuffer(bytes(table), dtype="<u8")]


def _skipped_json(item: Skipped) -> dict[str, Any]:
    return with_said({"name": item.name, "reason": item.reason}, item.reason)
