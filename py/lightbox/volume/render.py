"""One call from a volume to a reformatted image: what ``lightbox render`` needs.

``lightbox render SERIES_DIR --plane coronal --position MM --slab MM --projection mip``
maps onto :func:`render_plane`; the caller builds the volume and windows the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.volume.build import Volume
from lightbox.volume.project import project
from lightbox.volume.reslice import Reslice, standard_geometry


def render_view(
    volume: Volume,
    plane_name: str,
    position_mm: float | None = None,
    slab_mm: float = 0.0,
    projection: str = "mip",
    pixel_mm: float | None = None,
) -> Reslice:
    """The standard plane ``plane_name`` at ``position_mm``, as a slab if ``slab_mm > 0``.

    Parameters
    ----------
    volume : Volume
    plane_name : {"axial", "coronal", "sagittal"}
    position_mm : float, optional
        Signed distance (mm) of the plane from the patient origin along its normal
        (``origin · (row direction × column direction)``): axial +z (towards the
        head), coronal +y (towards the back), sagittal -x (towards the patient's
        right). Default: through the volume's centre.
    slab_mm : float
        Total slab thickness centred on the plane; 0 is the plane itself.
    projection : {"mip", "minip", "average"}
        How the slab is reduced (unused when ``slab_mm`` is 0).
    pixel_mm : float, optional
        Square pixel size (default the volume's finer in-plane spacing).

    Returns
    -------
    Reslice
        The float32 image of modality values (the whole volume framed; outside it,
        ``volume.background``) and its geometry: pixel spacing and pixel → patient mm.
    """
    geometry = standard_geometry(volume, plane_name, position_mm, pixel_mm)
    return Reslice(project(volume, geometry, slab_mm, projection), geometry)


def render_plane(
    volume: Volume,
    plane_name: str,
    position_mm: float | None = None,
    slab_mm: float = 0.0,
    projection: str = "mip",
) -> np.ndarray[Any, Any]:
    """The image of :func:`render_view`: float32 (rows, columns) modality values, 2-D.

    Raises
    ------
    ValueError
        An unknown plane or projection, or a negative slab.
    """
    return render_view(volume, plane_name, position_mm, slab_mm, projection).image
