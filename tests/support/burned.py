"""Images with burned-in text at known places, for the text search's tests and figures.

Backgrounds of three kinds (a CT-like slice with bone, an ultrasound-like speckle fan, a
smooth gradient with noise), text drawn with Pillow's own font at several sizes and
places and brightnesses; the truth is Pillow's bounding box of each line drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LINES = ("DOE^JANE 1961-07-04", "ID 4711-0815", "ST MARY HOSP 2026-11-30 14:02", "Acc 99812")
SIZES = (10, 13, 16, 22, 30)
KINDS = ("ct", "us", "gradient")


def background(kind: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    rows, columns = size
    y, x = np.mgrid[0:rows, 0:columns].astype(np.float64)
    if kind == "ct":  # a body, bone ring, organs, noise (0..4095 as 12-bit CT)
        body = ((x - columns / 2) / (columns * 0.42)) ** 2 + ((y - rows / 2) / (rows * 0.36)) ** 2
        image = np.where(body <= 1, 1040.0, 24.0)
        ring = np.abs(np.sqrt(body) - 0.8) < 0.025
        image[ring] = 2400.0
        for _ in range(6):
            cx, cy = rng.uniform(0.3, 0.7) * columns, rng.uniform(0.3, 0.7) * rows
            r = rng.uniform(8, 30)
            image[(x - cx) ** 2 + (y - cy) ** 2 <= r * r] = rng.uniform(900, 1300)
        spine = (x - columns / 2) ** 2 + (y - rows * 0.72) ** 2 <= (rows * 0.05) ** 2
        image[spine] = 2200.0
        image += rng.normal(0, 18, size)
        return np.clip(image, 0, 4095)
    if kind == "us":  # a fan of speckle on black
        angle = np.arctan2(x - columns / 2, y + rows * 0.1)
        radius = np.hypot(x - columns / 2, y + rows * 0.1)
        fan = (np.abs(angle) < 0.6) & (radius > rows * 0.2) & (radius < rows * 1.0)
        speckle = rng.rayleigh(50, size) * (1.0 - radius / (rows * 1.3))
        return np.where(fan, np.clip(speckle, 0, 200), 0.0)
    return 60 + 90 * x / columns + 40 * y / rows + rng.normal(0, 6, size)


def with_text(
    kind: str,
    seed: int,
    size: tuple[int, int] = (512, 512),
    count: int = 3,
    brightness: tuple[float, float] = (0.85, 1.0),
    texts: Sequence[str] = (),
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A uint16 image (or uint8 for ultrasound) and the truth boxes (x, y, w, h); each
    line's grey a random fraction in ``brightness`` of the background's brightest. The
    lines are ``texts`` when given (one each), else ``count`` drawn from :data:`LINES`."""
    rng = np.random.default_rng(seed)
    image = background(kind, size, rng)
    top = float(image.max())
    canvas = Image.new("F", (size[1], size[0]), 0.0)
    draw = ImageDraw.Draw(canvas)
    truth = []
    rows, columns = size
    for text in texts or [LINES[int(rng.integers(len(LINES)))] for _ in range(count)]:
        font = ImageFont.load_default(size=int(rng.choice(SIZES)))
        left, upper, right, lower = draw.textbbox((0, 0), text, font=font)
        width, height = right - left, lower - upper
        for _attempt in range(20):  # a place in a margin or corner, clear of the others
            band = rng.integers(4)
            x = int(rng.integers(2, max(3, columns - width - 2)))
            y = int(rng.integers(2, max(3, rows // 6)))
            if band == 1:
                y = rows - height - y
            elif band == 2:
                x = int(rng.integers(2, max(3, columns // 5)))
                y = int(rng.integers(2, max(3, rows - height - 2)))
            box = (x, y, width, height)
            clear = all(
                x + width + 4 < b[0]
                or b[0] + b[2] + 4 < x
                or y + height + 4 < b[1]
                or b[1] + b[3] + 4 < y
                for b in truth
            )
            if clear and x + width < columns and y + height < rows:
                break
        grey = top * float(rng.uniform(*brightness))
        draw.text((x - left, y - upper), text, fill=grey, font=font)
        truth.append(box)
    text_layer = np.asarray(canvas, dtype=np.float64)
    image = np.maximum(image, text_layer)
    dtype = np.uint8 if kind == "us" else np.uint16
    return image.astype(dtype), truth
