"""Presentation states (PS3.3 A.33: Grayscale, Color, Pseudo-Color and Blending Softcopy
Presentation State) read into a record: what they apply to, and each step of PS3.4 Annex N
in order.

Modality LUT (C.11.1), Softcopy VOI LUT (C.11.8, per referenced image), Presentation LUT
(C.11.6: IDENTITY, INVERSE or a table), spatial transformation (C.10.6: Image Horizontal
Flip, then Image Rotation clockwise), Displayed Area (C.10.4, per referenced image),
shutters (C.7.6.11 Display Shutter, C.7.6.15 Bitmap Display Shutter), graphic layers
(C.10.7), graphic annotations (C.10.5, per referenced image) and the overlay planes the
state activates (C.11.7, 60xx Overlay Activation Layer).

A Blending Softcopy Presentation State (A.33.4) names two sets of grey images in its
Blending Sequence (C.11.14): the UNDERLYING set, whose Modality LUT and Softcopy VOI LUT
become the state's own steps (the state applies to those images), and the SUPERIMPOSED
set, with its own Modality LUT and VOI, shown through the state's Palette Color Lookup
Table (C.7.9) at Relative Opacity (0070,0403) over the underlying grey (PS3.4 N.2.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from lightbox.core.messages import say
from lightbox.core.values import numbers, strings
from lightbox.display import readers
from lightbox.display.luts import Lut, Modality, Palette, Voi
from lightbox.display.overlays import OverlayPlane, read_overlays
from lightbox.segment.color import lab_to_srgb

#: The SOP classes of the presentation states (PS3.4 B.5).
PRESENTATION_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.11.1": "GSPS",
    "1.2.840.10008.5.1.4.1.1.11.2": "CSPS",
    "1.2.840.10008.5.1.4.1.1.11.3": "Pseudo-Color PS",
    "1.2.840.10008.5.1.4.1.1.11.4": "Blending PS",
}

#: The SOP class of the Blending Softcopy Presentation State.
BLENDING_CLASS = "1.2.840.10008.5.1.4.1.1.11.4"

#: The colour of a graphic layer without a recommended one.
DEFAULT_COLOR = (255, 255, 0)

#: (SOP Instance UID, frame numbers from 1, () for every frame)
Reference = tuple[str, tuple[int, ...]]


@dataclass(frozen=True)
class Applies:
    """The images an item applies to: every image of the state when ``references`` is empty."""

    references: tuple[Reference, ...] = ()

    def covers(self, uid: str, frame: int) -> bool:
        """Whether image ``uid``, frame ``frame`` (0-based), is one of them."""
        if not self.references:
            return True
        return any(u == uid and (not n or frame + 1 in n) for u, n in self.references)


@dataclass(frozen=True)
class Graphic:
    """One graphic object (C.10.5.1.2): its type, units, points (column, row) and fill."""

    kind: str
    units: str
    points: tuple[tuple[float, float], ...]
    filled: bool


@dataclass(frozen=True)
class Text:
    """One text object (C.10.5.1.1): the text, its bounding box and anchor point."""

    text: str
    box_units: str
    box: tuple[tuple[float, float], tuple[float, float]] | None
    anchor_units: str
    anchor: tuple[float, float] | None
    anchor_visible: bool
    justification: str


@dataclass(frozen=True)
class Annotation:
    """A Graphic Annotation Sequence item: its layer, the images, its graphics and texts."""

    layer: str
    applies: Applies
    graphics: tuple[Graphic, ...]
    texts: tuple[Text, ...]


@dataclass(frozen=True)
class Layer:
    """A graphic layer (C.10.7): its order and recommended display colour (sRGB)."""

    name: str
    order: int
    color: tuple[int, int, int]


@dataclass(frozen=True)
class DisplayedArea:
    """A Displayed Area Selection item (C.10.4); corners 1-based (column, row)."""

    applies: Applies
    top_left: tuple[int, int]
    bottom_right: tuple[int, int]
    mode: str
    spacing: tuple[float, float] | None
    aspect: tuple[float, float] | None
    magnification: float | None


@dataclass(frozen=True)
class VoiItem:
    """A Softcopy VOI LUT item (C.11.8): a window or a VOI LUT for its images."""

    applies: Applies
    voi: Voi


@dataclass(frozen=True)
class Shutters:
    """The display shutters (C.7.6.11, C.7.6.15) and the value shown where they close."""

    shapes: tuple[str, ...] = ()
    #: left, right, upper, lower (1-based columns and rows, inclusive)
    rectangle: tuple[int, int, int, int] | None = None
    #: centre (row, column), radius
    circle: tuple[tuple[float, float], float] | None = None
    #: vertices (row, column)
    polygon: tuple[tuple[float, float], ...] = ()
    #: the overlay group of a bitmap shutter
    bitmap_group: int | None = None
    color: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class BlendInput:
    """One item of the Blending Sequence (C.11.14): its position, the series and images it
    names (Referenced Series Sequence, Referenced Image Sequence), and its own Modality LUT
    and Softcopy VOI LUT steps."""

    position: str
    series_uids: tuple[str, ...]
    references: tuple[Reference, ...]
    modality: Modality | None
    vois: tuple[VoiItem, ...]

    def voi(self) -> Voi | None:
        """The VOI of the set: the first item's (a set resampled onto another grid takes
        one VOI; C.11.14 lets each item name its images)."""
        return self.vois[0].voi if self.vois else None


@dataclass(frozen=True)
class Blending:
    """What a Blending Softcopy Presentation State blends (PS3.4 N.2.4): the underlying and
    superimposed sets, the palette the superimposed goes through, the relative opacity."""

    underlying: BlendInput
    superimposed: BlendInput
    palette: Palette | None
    opacity: float


@dataclass(frozen=True)
class PresentationState:
    """A presentation state: what it applies to and every step it sets."""

    uid: str
    series_uid: str
    kind: str
    label: str
    description: str
    references: tuple[Reference, ...]
    modality: Modality | None
    vois: tuple[VoiItem, ...]
    #: "IDENTITY", "INVERSE", or "LUT" (then ``lut``)
    shape: str
    lut: Lut | None
    rotation: int
    flip: bool
    areas: tuple[DisplayedArea, ...]
    shutters: Shutters
    layers: tuple[Layer, ...]
    annotations: tuple[Annotation, ...]
    overlays: tuple[OverlayPlane, ...]
    #: overlay group → the layer that activates it
    activation: dict[int, str] = field(default_factory=dict)
    palette: Palette | None = None
    #: A Color or Pseudo-Color state's ICC Profile (C.11.15): the colour space the image
    #: is shown in while the state applies, in place of the image's own.
    icc_profile: bytes | None = None
    #: A Blending Softcopy Presentation State's two sets (its own steps are the underlying's)
    blending: Blending | None = None
    warnings: tuple[str, ...] = ()

    def voi_for(self, uid: str, frame: int) -> Voi | None:
        """The VOI step for an image: the first item that applies to it, or None."""
        return next((v.voi for v in self.vois if v.applies.covers(uid, frame)), None)

    def area_for(self, uid: str, frame: int) -> DisplayedArea | None:
        """The displayed area of an image, or None."""
        return next((a for a in self.areas if a.applies.covers(uid, frame)), None)

    def applies_to(self, uid: str, frame: int) -> bool:
        """Whether the state references this image frame."""
        return Applies(self.references).covers(uid, frame) if self.references else False

    def layer(self, name: str) -> Layer:
        """A layer by name (an unknown one: last, in the default colour)."""
        found = next((x for x in self.layers if x.name == name), None)
        return found or Layer(name, 1 << 30, DEFAULT_COLOR)


def is_presentation_state(ds: Dataset) -> bool:
    """Whether a data set is a presentation state."""
    return str(ds.get("SOPClassUID", "")) in PRESENTATION_CLASSES


def _frames(item: Dataset) -> tuple[int, ...]:
    return tuple(int(n) for n in numbers(item.get("ReferencedFrameNumber")))


def _image_refs(items: Sequence[Dataset] | None) -> tuple[Reference, ...]:
    found = []
    for ref in items or []:
        uid = str(ref.get("ReferencedSOPInstanceUID", "") or "")
        if uid:
            found.append((uid, _frames(ref)))
    return tuple(found)


def _applies(item: Dataset) -> Applies:
    return Applies(_image_refs(item.get("ReferencedImageSequence")))


def _pairs(values: object) -> tuple[tuple[float, float], ...]:
    flat = numbers(values)
    return tuple((flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2))


def _gray_color(value: object) -> tuple[int, int, int] | None:
    found = numbers(value)
    if not found:
        return None
    g = round(min(max(found[0], 0.0), 65535.0) / 65535.0 * 255.0)
    return (g, g, g)


def _lab_color(value: object) -> tuple[int, int, int] | None:
    found = numbers(value)
    return lab_to_srgb(found[:3]) if len(found) >= 3 else None


def _layers(ds: Dataset) -> tuple[Layer, ...]:
    out = []
    for item in ds.get("GraphicLayerSequence") or []:
        name = str(item.get("GraphicLayer", "") or "")
        order = numbers(item.get("GraphicLayerOrder"))
        color = (
            _lab_color(item.get("GraphicLayerRecommendedDisplayCIELabValue"))
            or _rgb(item.get((0x0070, 0x0067)))
            or _gray_color(item.get("GraphicLayerRecommendedDisplayGrayscaleValue"))
            or DEFAULT_COLOR
        )
        out.append(Layer(name, int(order[0]) if order else 0, color))
    return tuple(sorted(out, key=lambda x: x.order))


def _rgb(element: object) -> tuple[int, int, int] | None:
    """The retired Graphic Layer Recommended Display RGB Value (0070,0067), 16 bits each."""
    value = getattr(element, "value", None)
    found = numbers(value) if value is not None else []
    if len(found) < 3:
        return None
    r, g, b = (round(min(max(v, 0), 65535) / 65535 * 255) for v in found[:3])
    return (r, g, b)


def _annotations(ds: Dataset) -> tuple[Annotation, ...]:
    out = []
    for item in ds.get("GraphicAnnotationSequence") or []:
        graphics = []
        for g in item.get("GraphicObjectSequence") or []:
            graphics.append(
                Graphic(
                    kind=str(g.get("GraphicType", "") or "").strip().upper(),
                    units=str(g.get("GraphicAnnotationUnits", "PIXEL") or "PIXEL").upper(),
                    points=_pairs(g.get("GraphicData")),
                    filled=str(g.get("GraphicFilled", "N") or "N").upper() == "Y",
                )
            )
        texts = []
        for t in item.get("TextObjectSequence") or []:
            tl = _pairs(t.get("BoundingBoxTopLeftHandCorner"))
            br = _pairs(t.get("BoundingBoxBottomRightHandCorner"))
            anchor = _pairs(t.get("AnchorPoint"))
            texts.append(
                Text(
                    text=str(t.get("UnformattedTextValue", "") or ""),
                    box_units=str(t.get("BoundingBoxAnnotationUnits", "PIXEL") or "PIXEL").upper(),
                    box=(tl[0], br[0]) if tl and br else None,
                    anchor_units=str(t.get("AnchorPointAnnotationUnits", "PIXEL") or "PIXEL"),
                    anchor=anchor[0] if anchor else None,
                    anchor_visible=str(t.get("AnchorPointVisibility", "N") or "N") == "Y",
                    justification=str(
                        t.get("BoundingBoxTextHorizontalJustification", "LEFT") or "LEFT"
                    ).upper(),
                )
            )
        out.append(
            Annotation(
                layer=str(item.get("GraphicLayer", "") or ""),
                applies=_applies(item),
                graphics=tuple(graphics),
                texts=tuple(texts),
            )
        )
    return tuple(out)


def _areas(ds: Dataset) -> tuple[DisplayedArea, ...]:
    out = []
    for item in ds.get("DisplayedAreaSelectionSequence") or []:
        tl = numbers(item.get("DisplayedAreaTopLeftHandCorner"))
        br = numbers(item.get("DisplayedAreaBottomRightHandCorner"))
        if len(tl) < 2 or len(br) < 2:
            continue
        spacing = numbers(item.get("PresentationPixelSpacing"))
        aspect = numbers(item.get("PresentationPixelAspectRatio"))
        magnification = numbers(item.get("PresentationPixelMagnificationRatio"))
        out.append(
            DisplayedArea(
                applies=_applies(item),
                top_left=(int(tl[0]), int(tl[1])),
                bottom_right=(int(br[0]), int(br[1])),
                mode=str(item.get("PresentationSizeMode", "SCALE TO FIT") or "SCALE TO FIT"),
                spacing=(spacing[0], spacing[1]) if len(spacing) >= 2 else None,
                aspect=(aspect[0], aspect[1]) if len(aspect) >= 2 and aspect[1] else None,
                magnification=magnification[0] if magnification else None,
            )
        )
    return tuple(out)


def _vois(ds: Dataset, signed: bool, little: bool | None = None) -> tuple[VoiItem, ...]:
    out = []
    little = readers.little_endian(ds) if little is None else little
    for item in ds.get("SoftcopyVOILUTSequence") or []:
        tables = readers.read_voi_luts(item, signed, little)
        windows = readers.read_windows(item)
        chosen: Voi | None = tables[0] if tables else (windows[0] if windows else None)
        if chosen is not None:
            out.append(VoiItem(_applies(item), chosen))
    return tuple(out)


def _shutters(ds: Dataset) -> Shutters:
    shapes = tuple(s.strip().upper() for s in strings(ds.get("ShutterShape")) if s.strip())
    rectangle = None
    edges = [
        numbers(ds.get(k))
        for k in (
            "ShutterLeftVerticalEdge",
            "ShutterRightVerticalEdge",
            "ShutterUpperHorizontalEdge",
            "ShutterLowerHorizontalEdge",
        )
    ]
    if "RECTANGULAR" in shapes and all(edges):
        left, right, upper, lower = (int(e[0]) for e in edges)
        rectangle = (left, right, upper, lower)
    circle = None
    centre = numbers(ds.get("CenterOfCircularShutter"))
    radius = numbers(ds.get("RadiusOfCircularShutter"))
    if "CIRCULAR" in shapes and len(centre) >= 2 and radius:
        circle = ((centre[0], centre[1]), radius[0])
    polygon = _pairs(ds.get("VerticesOfThePolygonalShutter")) if "POLYGONAL" in shapes else ()
    group = numbers(ds.get("ShutterOverlayGroup"))
    color = (
        _lab_color(ds.get("ShutterPresentationColorCIELabValue"))
        or _gray_color(ds.get("ShutterPresentationValue"))
        or (0, 0, 0)
    )
    return Shutters(
        shapes=shapes,
        rectangle=rectangle,
        circle=circle,
        polygon=polygon,
        bitmap_group=int(group[0]) if "BITMAP" in shapes and group else None,
        color=color,
    )


def _activation(ds: Dataset) -> dict[int, str]:
    out = {}
    for group in range(0x6000, 0x6020, 2):
        element = ds.get((group, 0x1001))
        if element is not None and element.value:
            out[group] = str(element.value).strip()
    return out


def _label(ds: Dataset) -> tuple[str, str]:
    label = str(ds.get("ContentLabel", "") or "").strip()
    description = str(ds.get("ContentDescription", "") or "").strip()
    return label or description or "Presentation state", description


def _series_refs(holder: Dataset) -> tuple[tuple[str, ...], tuple[Reference, ...]]:
    """The Series Instance UIDs and images of a Referenced Series Sequence."""
    uids: list[str] = []
    references: list[Reference] = []
    for series in holder.get("ReferencedSeriesSequence") or []:
        uid = str(series.get("SeriesInstanceUID", "") or "")
        if uid:
            uids.append(uid)
        references += _image_refs(series.get("ReferencedImageSequence"))
    return tuple(uids), tuple(references)


def _modality(holder: Dataset, warnings: list[str]) -> Modality | None:
    """The Modality LUT or rescale a state (or a Blending Sequence item) sets, or None."""
    if "ModalityLUTSequence" in holder:
        found = readers.read_modality_lut(holder)
        if found is None:
            warnings.append(say("engine.pstate_modality_lut"))
        return found
    if "RescaleSlope" in holder or "RescaleIntercept" in holder:
        return readers.read_rescale(holder)
    return None


def _blend_input(item: Dataset, little: bool, warnings: list[str]) -> BlendInput:
    uids, references = _series_refs(item)
    modality = _modality(item, warnings)
    signed = modality is not None and readers.modality_output_signed(item, modality)
    return BlendInput(
        position=str(item.get("BlendingPosition", "") or "").strip().upper(),
        series_uids=uids,
        references=references,
        modality=modality,
        vois=_vois(item, signed, little),
    )


def _relative_opacity(ds: Dataset) -> float | None:
    """Relative Opacity (0070,0403): the state's, else a Blending Display Sequence item's."""
    found = numbers(ds.get("RelativeOpacity"))
    if not found:
        element = ds.get((0x0070, 0x1B04))
        items = element.value if element is not None else []
        for item in items if isinstance(items, Sequence) else []:
            found = numbers(item.get("RelativeOpacity")) if isinstance(item, Dataset) else []
            if found:
                break
    return min(max(found[0], 0.0), 1.0) if found else None


def read_blending(ds: Dataset, warnings: list[str]) -> Blending | None:
    """The Blending Sequence's two sets (by Blending Position, C.11.14), the palette of the
    superimposed (the state's own Palette Color Lookup Table, C.7.9; PS3.4 N.2.4.2: the
    images' palettes are ignored) and the relative opacity; None (said in ``warnings``)
    without an UNDERLYING and a SUPERIMPOSED item."""
    little = readers.little_endian(ds)
    items = [
        _blend_input(item, little, warnings)
        for item in ds.get("BlendingSequence") or []
        if isinstance(item, Dataset)
    ]
    under = next((i for i in items if i.position == "UNDERLYING"), None)
    over = next((i for i in items if i.position == "SUPERIMPOSED"), None)
    if under is None or over is None:
        warnings.append(say("engine.blend_sequence"))
        return None
    palette = readers.read_palette(ds)
    if palette is None:
        warnings.append(say("engine.blend_palette"))
    opacity = _relative_opacity(ds)
    if opacity is None:
        warnings.append(say("engine.blend_opacity"))
        opacity = 0.5
    return Blending(under, over, palette, opacity)


def read_presentation_state(ds: Dataset) -> PresentationState:
    """The record of a presentation state data set (read tolerantly: a step that cannot be
    read is left out and said in ``warnings``)."""
    warnings: list[str] = []
    _, references_found = _series_refs(ds)
    references = list(references_found)
    modality = _modality(ds, warnings)
    signed = modality is not None and readers.modality_output_signed(ds, modality)
    vois = _vois(ds, signed)
    blending = None
    if str(ds.get("SOPClassUID", "") or "") == BLENDING_CLASS:
        blending = read_blending(ds, warnings)
        if blending is not None:  # the state's own steps are the underlying set's
            references = list(blending.underlying.references)
            modality = blending.underlying.modality
            vois = blending.underlying.vois
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    lut = None
    if ds.get("PresentationLUTSequence"):
        found = _presentation_lut(ds)
        if found is None:
            warnings.append(say("engine.pstate_presentation_lut"))
        else:
            lut, shape = found, "LUT"
    label, description = _label(ds)
    sop = str(ds.get("SOPClassUID", "") or "")
    rotation = numbers(ds.get("ImageRotation"))
    palette = readers.read_palette(ds) if sop.endswith(".11.3") else None
    return PresentationState(
        uid=str(ds.get("SOPInstanceUID", "") or ""),
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        kind=PRESENTATION_CLASSES.get(sop, "PS"),
        label=label,
        description=description,
        references=tuple(references),
        modality=modality,
        vois=vois,
        shape=shape if shape in ("IDENTITY", "INVERSE", "LUT") else "IDENTITY",
        lut=lut,
        rotation=int(rotation[0]) % 360 if rotation else 0,
        flip=str(ds.get("ImageHorizontalFlip", "N") or "N").strip().upper() == "Y",
        areas=_areas(ds),
        shutters=_shutters(ds),
        layers=_layers(ds),
        annotations=_annotations(ds),
        overlays=read_overlays(ds, 16, readers.little_endian(ds)),
        activation=_activation(ds),
        palette=palette,
        icc_profile=bytes(ds.ICCProfile) if ds.get("ICCProfile") else None,
        blending=blending,
        warnings=tuple(warnings),
    )


def _presentation_lut(ds: Dataset) -> Lut | None:
    """The Presentation LUT Sequence's table (C.11.6.1: the first value mapped is 0)."""
    item = ds["PresentationLUTSequence"].value[0]
    holder = Dataset()
    holder.VOILUTSequence = [item]
    tables = readers.read_voi_luts(holder, False, readers.little_endian(ds))
    return tables[0] if tables else None
