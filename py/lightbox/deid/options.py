"""The choices a de-identification is made with: PS3.15 E.3 options and Lightbox's own.

The option names follow PS3.15 Annex E.3 in snake_case; :meth:`DeidOptions.from_camel`
reads the camelCase names the browser sends (``{}`` is the Basic Profile alone).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: (x, y, width, height) in pixels: column and row of the top-left corner, then the size.
Rect = tuple[int, int, int, int]


class Longitudinal(enum.StrEnum):
    """Retain Longitudinal Temporal Information Option (PS3.15 E.3.6)."""

    OFF = "off"  #: not retained: the Basic Profile's action
    FULL = "full"  #: with Full Dates: dates and times kept as they are
    MODIFIED = "modified"  #: with Modified Dates: shifted per patient (or reduced to the year)


class BurnedIn(enum.StrEnum):
    """What to do with images that may carry burned-in text (PS3.15 E.3.1)."""

    FLAG = "flag"  #: export them, listed in the preview and the report
    EXCLUDE = "exclude"  #: leave them out of the export
    BLANK = "blank"  #: blank the drawn rectangles; flagged images without one are left out


#: camelCase name (as the browser sends it) -> field name.
_CAMEL = {
    "retainSafePrivate": "retain_safe_private",
    "retainUIDs": "retain_uids",
    "retainDeviceIdentity": "retain_device_identity",
    "retainInstitutionIdentity": "retain_institution_identity",
    "retainPatientCharacteristics": "retain_patient_characteristics",
    "retainLongitudinalTemporalInformation": "retain_longitudinal",
    "datesToYear": "dates_to_year",
    "retainDescriptors": "retain_descriptors",
    "cleanDescriptors": "clean_descriptors",
    "cleanStructuredContent": "clean_structured_content",
    "cleanGraphics": "clean_graphics",
    "burnedIn": "burned_in",
    "blankRects": "blank_rects",
    "findText": "find_text",
    "blankDetected": "blank_detected",
}

#: PS3.16 CID 7050 De-identification Method codes (scheme DCM) for the options used.
METHOD_CODES = {
    "basic": ("113100", "Basic Application Confidentiality Profile"),
    "clean_pixel_data": ("113101", "Clean Pixel Data Option"),
    "clean_graphics": ("113103", "Clean Graphics Option"),
    "clean_structured_content": ("113104", "Clean Structured Content Option"),
    "clean_descriptors": ("113105", "Clean Descriptors Option"),
    "full_dates": ("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    "modified_dates": ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    "retain_patient_characteristics": ("113108", "Retain Patient Characteristics Option"),
    "retain_device_identity": ("113109", "Retain Device Identity Option"),
    "retain_uids": ("113110", "Retain UIDs Option"),
    "retain_safe_private": ("113111", "Retain Safe Private Option"),
    "retain_institution_identity": ("113112", "Retain Institution Identity Option"),
}


@dataclass(frozen=True)
class DeidOptions:
    """The options of one de-identification; the defaults are the Basic Profile alone.

    Attributes
    ----------
    retain_safe_private, retain_uids, retain_device_identity,
    retain_institution_identity, retain_patient_characteristics,
    clean_descriptors, clean_structured_content, clean_graphics : bool
        The PS3.15 E.3 options of the same names.
    retain_longitudinal : str
        ``"off"``, ``"full"`` or ``"modified"`` (E.3.6). Modified dates are
        shifted by one random offset per patient.
    dates_to_year : bool
        Modify dates by reducing them to the year (DA ``YYYY0101``, DT ``YYYY``)
        instead of shifting them; implies ``retain_longitudinal="modified"``.
    retain_descriptors : bool
        Not a PS3.15 option: keep the free-text descriptors that Clean
        Descriptors would clean exactly as they are. They may name people; the
        report says so. Cannot be combined with ``clean_descriptors``.
    burned_in : str
        ``"flag"``, ``"exclude"`` or ``"blank"`` (see :class:`BurnedIn`).
    blank_rects : dict
        Rectangles to blank, keyed by the original SOP Instance UID (or a
        Series Instance UID, for every image of the series), each
        ``(x, y, width, height)`` in pixels, applied to every frame.
    find_text : bool
        Search every image's pixels for burned-in text (:mod:`lightbox.deid.text`);
        an image with text found is flagged, with its boxes.
    blank_detected : bool
        Blank the boxes found as if drawn (implies ``find_text``).

    Raises
    ------
    ValueError
        A value outside its set, or options that contradict each other.
    """

    retain_safe_private: bool = False
    retain_uids: bool = False
    retain_device_identity: bool = False
    retain_institution_identity: bool = False
    retain_patient_characteristics: bool = False
    retain_longitudinal: str = Longitudinal.OFF.value
    dates_to_year: bool = False
    retain_descriptors: bool = False
    clean_descriptors: bool = False
    clean_structured_content: bool = False
    clean_graphics: bool = False
    burned_in: str = BurnedIn.FLAG.value
    blank_rects: dict[str, list[Rect]] = field(default_factory=dict)
    find_text: bool = False
    blank_detected: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "bool" and not isinstance(value, bool):
                raise ValueError(f"de-identification option {f.name} must be true or false")
        try:
            longitudinal = Longitudinal(self.retain_longitudinal)
            BurnedIn(self.burned_in)
        except ValueError as exc:
            raise ValueError(f"de-identification options: {exc}") from exc
        if self.dates_to_year and longitudinal is Longitudinal.FULL:
            raise ValueError("dates_to_year contradicts retain_longitudinal='full'")
        if self.retain_descriptors and self.clean_descriptors:
            raise ValueError("retain_descriptors and clean_descriptors contradict each other")
        if self.dates_to_year and longitudinal is Longitudinal.OFF:
            object.__setattr__(self, "retain_longitudinal", Longitudinal.MODIFIED.value)
        object.__setattr__(self, "blank_rects", _rects(self.blank_rects))
        if self.blank_detected:  # what is blanked must first be found
            object.__setattr__(self, "find_text", True)

    @property
    def longitudinal(self) -> Longitudinal:
        return Longitudinal(self.retain_longitudinal)

    @classmethod
    def from_camel(cls, values: Mapping[str, Any]) -> DeidOptions:
        """Read the camelCase option names the browser sends.

        ``retainLongitudinalTemporalInformation`` takes ``"off"``, ``"full"``,
        ``"modified"`` (or true for full, false for off); ``{}`` is the Basic
        Profile alone. Unknown names are refused, so a typo never silently
        weakens the de-identification.
        """
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in _CAMEL:
                raise ValueError(f"unknown de-identification option {key!r}")
            name = _CAMEL[key]
            if name == "retain_longitudinal" and isinstance(value, bool):
                kwargs[name] = Longitudinal.FULL.value if value else Longitudinal.OFF.value
            else:
                kwargs[name] = value
        return cls(**kwargs)

    def to_camel(self) -> dict[str, Any]:
        """The options as camelCase JSON values (the inverse of :meth:`from_camel`)."""
        out: dict[str, Any] = {camel: getattr(self, name) for camel, name in _CAMEL.items()}
        out["blankRects"] = {
            uid: [list(r) for r in rects] for uid, rects in self.blank_rects.items()
        }
        return out

    def method_codes(self, blanked: bool = False) -> list[tuple[str, str]]:
        """CID 7050 codes for (0012,0064) De-identification Method Code Sequence."""
        keys = ["basic"]
        keys += ["clean_pixel_data"] if blanked else []
        keys += [k for k in ("clean_graphics", "clean_structured_content") if getattr(self, k)]
        keys += ["clean_descriptors"] if self.clean_descriptors else []
        if self.longitudinal is Longitudinal.FULL:
            keys.append("full_dates")
        elif self.longitudinal is Longitudinal.MODIFIED:
            keys.append("modified_dates")
        keys += [
            k
            for k in (
                "retain_patient_characteristics",
                "retain_device_identity",
                "retain_uids",
                "retain_safe_private",
                "retain_institution_identity",
            )
            if getattr(self, k)
        ]
        return [METHOD_CODES[k] for k in keys]

    def summary(self) -> list[str]:
        """One line per option in force, in the standard's words (for the report)."""
        lines = [f"{meaning} ({code})" for code, meaning in self.method_codes()]
        if self.dates_to_year:
            lines.append("Modified dates are reduced to the year (not a PS3.15 option)")
        if self.retain_descriptors:
            lines.append("Retain Descriptors (not a PS3.15 option): descriptors kept verbatim")
        lines.append(f"Images that may carry burned-in text: {self.burned_in}")
        if self.find_text:
            found = "blanked" if self.blank_detected else "reported"
            lines.append(f"Text searched for in the pixels of every image; boxes found {found}")
        return lines


def _rects(value: Mapping[str, Any]) -> dict[str, list[Rect]]:
    if not isinstance(value, Mapping):
        raise ValueError("blank_rects must map a UID to a list of (x, y, width, height)")
    out: dict[str, list[Rect]] = {}
    for uid, rects in value.items():
        checked: list[Rect] = []
        for rect in rects:
            numbers = tuple(rect)
            if len(numbers) != 4 or not all(isinstance(n, int) for n in numbers):
                raise ValueError(f"blank rectangle {rect!r} for {uid} is not 4 integers")
            x, y, w, h = numbers
            if w <= 0 or h <= 0:
                raise ValueError(f"blank rectangle {rect!r} for {uid} has no area")
            checked.append((x, y, w, h))
        out[str(uid)] = checked
    return out
