"""Fixtures of the unit tests: the factories of :mod:`tests.support.factories`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from tests.support.factories import enhanced_dataset, image_bytes, image_dataset, pydicom_test_file


@pytest.fixture(scope="session")
def make_dataset() -> Callable[..., Dataset]:
    """Factory: ``make_dataset(pixels=None, **attributes) -> Dataset``."""
    return image_dataset


@pytest.fixture(scope="session")
def make_image() -> Callable[..., bytes]:
    """Factory: ``make_image(pixels=None, **attributes) -> bytes`` of a PS3.10 file."""
    return image_bytes


@pytest.fixture(scope="session")
def pydicom_file() -> Callable[[str], Path]:
    """Factory: the path of a pydicom bundled test file (see the module docstring)."""
    return pydicom_test_file


@pytest.fixture(scope="session")
def make_enhanced() -> Callable[..., Dataset]:
    """Factory: ``make_enhanced(pixels, **functional groups) -> Dataset`` (Enhanced CT-like)."""
    return enhanced_dataset
