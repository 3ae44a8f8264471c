"""``study``: the open series as pydicom Datasets and numpy arrays, the active view, the
measurements, ``show()`` and ``save()``.

The same objects serve the browser's console (over the worker's session) and ``lightbox
script`` (over a session of a folder's files), so a script tried in the browser runs on a
folder natively to the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import numpy as np
import pydicom
from pydicom import dcmread
from pydicom.dataset import Dataset

from lightbox.console.docs import make_help
from lightbox.console.encode import encode
from lightbox.console.host import Host, Saved, Shown, ViewState
from lightbox.console.show import to_rgba
from lightbox.core.errors import LightboxError
from lightbox.display.modality import modality_values
from lightbox.session.session import Session
from lightbox.volume import NotAVolume


class StudyError(LightboxError):
    """What a script asked of the study cannot be done, with the reason."""


@dataclass(frozen=True)
class VolumeArray:
    """A series as a volume of modality values in patient space.

    Attributes
    ----------
    array : numpy.ndarray
        (slices, rows, columns), read-only: ``array[k]`` is the k-th slice along the
        normal, ascending.
    spacing : tuple of 3 float
        mm per step along (columns, rows, slices), i.e. (x, y, z).
    origin : tuple of 3 float
        Patient position (mm) of the centre of voxel (0, 0, 0).
    axes : tuple of 3 (x, y, z)
        Unit vectors in patient space along a row, down the columns, and slice to slice
        (the orientation: the first two are (0020,0037) Image Orientation (Patient)).
    warnings : tuple of str
        Tilt corrected, uneven spacing, missing slices, as the viewer says them.
    """

    array: np.ndarray[Any, Any]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    axes: tuple[tuple[float, float, float], ...]
    warnings: tuple[str, ...]


class Series:
    """One series of the open study, as the series browser lists it.

    Attributes: ``index`` (its place in ``study.series``), ``uid``, ``modality``,
    ``description``, ``number``, ``kind`` ("stack", "waveform", "video"), ``len(series)``
    its frames. ``frames(k)`` gives frame k as numbers; ``datasets`` the files as
    pydicom Datasets; ``volume()`` the stack as a volume.
    """

    def __init__(self, study: Study, position: int) -> None:
        self._study = study
        self._position = position  # its index in the session
        self.index = study._index_of(position)
        record = study._session().series[position]
        self.uid = record.uid
        self.modality = record.modality
        self.description = record.description
        self.number = record.number
        self.kind = record.kind

    def __len__(self) -> int:
        return len(self._study._session().series[self._position].frames)

    def __repr__(self) -> str:
        return (
            f"<Series {self.index}: {self.modality} {self.description!r}, "
            f"{len(self)} frame(s), {self.kind}>"
        )

    def frames(self, k: int, stored: bool = False) -> np.ndarray[Any, Any]:
        """Frame ``k`` (from 0, in the order the viewer scrolls) as a numpy array.

        Parameters
        ----------
        k : int
            The frame; negative counts from the end.
        stored : bool
            False (the default): modality values (Rescale Slope and Intercept or the
            Modality LUT applied, PS3.3 C.11.1: Hounsfield units on CT), float64.
            True: the stored values as decoded (PS3.5 8), masked to Bits Stored.

        Returns
        -------
        numpy.ndarray
            (rows, columns) greyscale, or (rows, columns, samples) colour; a new array.
        """
        session = self._study._session()
        count = len(self)
        if not -count <= k < count:
            raise StudyError(self.description or self.uid, f"no frame {k}: {count} frame(s)")
        ref = session.series[self._position].frames[k % count]
        values = session.stored(ref)
        if stored:
            return np.array(values)
        params = session.files[ref.file].parameters(ref.index)
        return np.asarray(modality_values(values, params.modality), dtype=np.float64).copy()

    @property
    def files(self) -> list[str]:
        """The names of the series' files, in frame order (each once)."""
        session = self._study._session()
        names: list[str] = []
        for ref in session.series[self._position].frames:
            name = session.files[ref.file].name
            if name not in names:
                names.append(name)
        return names

    @property
    def datasets(self) -> list[Dataset]:
        """The series' files as pydicom Datasets (read in full once, then kept), in frame
        order: a multi-frame object is one Dataset. Changing them changes no file."""
        return self._study._datasets(self._position)

    def volume(self) -> VolumeArray:
        """The series as a volume (:class:`VolumeArray`: array, spacing, orientation), as
        the viewer's MPR builds it; raises with the reason when it is not a volume."""
        found = self._study._session().volume(self._position)
        if isinstance(found, NotAVolume):
            raise StudyError(self.description or self.uid, found.reason)
        return VolumeArray(
            array=found.data,
            spacing=tuple(float(v) for v in found.spacing),  # type: ignore[arg-type]
            origin=tuple(float(v) for v in found.origin),  # type: ignore[arg-type]
            axes=tuple(tuple(float(v) for v in axis) for axis in found.axes),  # type: ignore[misc]
            warnings=tuple(w.message for w in found.warnings),
        )


class View:
    """The active viewport: ``series`` (index into ``study.series``), ``frame`` (from 0)
    and ``window`` ((center, width) or None for the file's own). Setting one changes the
    viewer when the run ends."""

    def __init__(self, study: Study) -> None:
        object.__setattr__(self, "_study", study)

    @property
    def _state(self) -> ViewState:
        study: Study = object.__getattribute__(self, "_study")
        return study.host.view

    def __getattr__(self, name: str) -> Any:
        if name in ("series", "frame", "window"):
            return getattr(self._state, name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        study: Study = object.__getattribute__(self, "_study")
        state = study.host.view
        if name == "series":
            count = len(study.series)
            if not isinstance(value, int) or not 0 <= value < count:
                raise StudyError("view", f"series must be 0 to {count - 1}, not {value!r}")
            state.series, state.frame = value, 0
        elif name == "frame":
            frames = len(study.series[state.series]) if study.series else 0
            if not isinstance(value, int) or not 0 <= value < max(frames, 1):
                raise StudyError("view", f"frame must be 0 to {frames - 1}, not {value!r}")
            state.frame = value
        elif name == "window":
            if value is not None:
                center, width = (float(v) for v in value)
                if width < 1:
                    raise StudyError("view", f"a window width of at least 1, not {width}")
                value = (center, width)
            state.window = value
        else:
            raise AttributeError(f"the view has series, frame and window, not {name}")
        study.host.view_set = True

    def __repr__(self) -> str:
        state = self._state
        return f"<View series={state.series} frame={state.frame} window={state.window}>"


class Study:
    """The open study. ``study.series`` lists its series (``study.series[0].frames(0)``),
    ``study.view`` is the active viewport (settable), ``study.measurements`` the
    measurements as a list of dicts. ``show(array)`` and ``save(name, data)`` put a result
    on screen or in a file."""

    def __init__(self, session: Callable[[], Session], host: Host | None = None) -> None:
        self._session = session
        self.host = host or Host()
        self._kept: dict[tuple[int, str], list[Dataset]] = {}

    def _order(self) -> list[int]:
        """The session's series indices in the page's order (by UID), else its own."""
        records = self._session().series
        if not self.host.order:
            return list(range(len(records)))
        by_uid = {s.uid: i for i, s in enumerate(records)}
        chosen = [by_uid[uid] for uid in self.host.order if uid in by_uid]
        return chosen + [i for i in range(len(records)) if i not in chosen]

    def _index_of(self, position: int) -> int:
        return self._order().index(position)

    @property
    def series(self) -> list[Series]:
        """Every series open, in the series browser's order."""
        return [Series(self, position) for position in self._order()]

    @property
    def view(self) -> View:
        """The active viewport (``series``, ``frame``, ``window``); set them to move it."""
        return View(self)

    @property
    def measurements(self) -> list[dict[str, Any]]:
        """The measurements drawn in the viewer, each a dict (kind, series, frame, points in
        image pixels, label, and the values: length in mm, area, mean, ...)."""
        return [dict(m) for m in self.host.measurements]

    def _datasets(self, position: int) -> list[Dataset]:
        session = self._session()
        record = session.series[position]
        key = (position, record.uid)
        if key not in self._kept:
            files: list[int] = []
            for ref in record.frames:
                if ref.file not in files:
                    files.append(ref.file)
            self._kept[key] = [dcmread(BytesIO(session.files[i].data), force=True) for i in files]
        return self._kept[key]

    def __repr__(self) -> str:
        lines = [f"<Study: {len(self._session().series)} series>"]
        lines += [f"  {s!r}" for s in self.series]
        return "\n".join(lines)


def make_show(host: Host) -> Callable[..., None]:
    """The ``show`` function of a namespace whose effects go to ``host``."""

    def show(array: Any, window: tuple[float, float] | None = None, title: str = "") -> None:
        """Show a 2-D array (or an RGB image) in the viewer, one array element a pixel.

        Parameters
        ----------
        array : array_like
            (rows, columns) numbers, or (rows, columns, 3) colour in 0-255.
        window : (center, width), optional
            The linear window (PS3.3 C.11.2.1.2.1) for greyscale; by default the array's
            minimum is black and its maximum white.
        title : str, optional
            Written above the image.
        """
        host.effects.append(Shown(title=str(title), rgba=to_rgba(array, window)))

    return show


def make_save(host: Host) -> Callable[..., None]:
    """The ``save`` function of a namespace whose effects go to ``host``."""

    def save(name: str, data: Any, window: tuple[float, float] | None = None) -> None:
        """Save ``data`` as file ``name``: downloaded in the browser, written to the
        output folder by ``lightbox script``.

        By the name's extension: ``.png`` an image of an array (windowed as ``show``),
        ``.csv`` a table (an array of up to two dimensions, or a list of dicts such as
        ``study.measurements``), ``.npy`` any array (NumPy's format), ``.dcm`` a pydicom
        Dataset (a DICOM file); bytes or text are written as they are under any name.
        """
        body, mime = encode(str(name), data, window)
        host.effects.append(Saved(name=str(name), data=body, mime=mime))

    return save


def namespace(study: Study) -> dict[str, Any]:
    """The globals a console or script starts with: ``study``, ``show``, ``save``, ``np``
    (numpy) and ``pydicom``."""
    return {
        "__name__": "__main__",
        "__doc__": None,
        "study": study,
        "show": make_show(study.host),
        "save": make_save(study.host),
        "np": np,
        "numpy": np,
        "pydicom": pydicom,
        "help": make_help(),
    }
