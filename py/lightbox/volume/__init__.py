"""Volumes from stacks of slices: the grid, MPR planes and slab projections (issue 14).

Pure over arrays and plain numbers: geometry in, a plan; frames through a callback,
a volume; a volume and a plane, an image. No Dataset, no session.
"""

from lightbox.volume.build import (
    MAX_VOLUME_BYTES,
    Volume,
    VolumeFill,
    VolumePlan,
    build_volume,
    plan_volume,
)
from lightbox.volume.project import full_mip, project, project_windowed, rotating_mip, slab
from lightbox.volume.records import NotAVolume, SliceGeometry, VolumeError, VolumeWarning
from lightbox.volume.render import render_plane, render_view
from lightbox.volume.reslice import (
    PlaneGeometry,
    Reslice,
    plane,
    plane_geometry,
    sample,
    standard_geometry,
    standard_planes,
)

__all__ = [
    "MAX_VOLUME_BYTES",
    "NotAVolume",
    "PlaneGeometry",
    "Reslice",
    "SliceGeometry",
    "Volume",
    "VolumeError",
    "VolumeFill",
    "VolumePlan",
    "VolumeWarning",
    "build_volume",
    "full_mip",
    "plan_volume",
    "plane",
    "plane_geometry",
    "project",
    "project_windowed",
    "render_plane",
    "render_view",
    "rotating_mip",
    "sample",
    "slab",
    "standard_geometry",
    "standard_planes",
]
