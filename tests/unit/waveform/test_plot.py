"""Samples to plot pixels: worked by hand at the standard's 25 mm/s and 10 mm/mV."""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.waveform import plot as plotting
from lightbox.waveform import samples
from lightbox.waveform.read import read_waveform
from tests.support import waveforms as known


def _wave(data, rate: float, leads=None):
    leads = leads or [known.Lead("II", 0.0, 0.0, sensitivity=100.0)]  # 100 uV a unit
    ds = known.waveform_dataset(
        known.TWELVE_LEAD, [known.group(leads, np.asarray(data, dtype="<i2"), rate)]
    )
    return read_waveform("plot.dcm", ds).groups[0]


def test_the_default_scale_is_25_mm_per_s_and_10_mm_per_mv_at_4_px_per_mm() -> None:
    assert pytest.approx(25 * 4 / 1000) == plotting.DEFAULT_PX_PER_MS  # 0.1 px/ms
    assert pytest.approx(10 * 4) == plotting.DEFAULT_PX_PER_MV  # 40 px/mV


def test_points_worked_by_hand() -> None:
    """100 Hz, 1 px/ms: sample k at x = 48 + 10 k; stored 10 × 100 uV = 1 mV at 40 px/mV.

    One channel in a 400 × 232 plot: its row spans 24 to 224, baseline 124.
    """
    group = _wave([[0], [10], [-5], [20]], 100.0)
    made = plotting.plot(group, samples.values(group), plotting.View(400, 232, 0.0, 1.0, 40.0))
    row = made.rows[0]
    assert (row.left, row.baseline, row.top, row.bottom) == (48.0, 124.0, 24.0, 224.0)
    assert made.window == (0.0, 40.0)  # 4 samples, 40 ms (shorter than the plot's 344 px)
    assert row.right == 48.0 + 40.0
    expected = [[48, 124], [58, 124 - 40], [68, 124 + 20], [78, 124 - 80]]
    np.testing.assert_allclose(made.points, expected)


def test_rows_split_the_height_and_baselines_sit_in_their_middle() -> None:
    group = read_waveform("ecg.dcm", known.ecg(seconds=1.0)).groups[0]
    made = plotting.plot(group, samples.values(group), plotting.View(1048, 632))
    height = (632 - 24 - 8) / 12  # 50 px a row
    assert [r.baseline for r in made.rows] == pytest.approx(
        [24 + (i + 0.5) * height for i in range(12)]
    )
    assert [r.label for r in made.rows] == [lead.label for lead in known.LEADS]
    assert made.window == (0.0, 1000.0)


def test_the_window_holds_what_the_width_shows_and_stays_inside_the_samples() -> None:
    group = read_waveform("ecg.dcm", known.ecg(seconds=10.0)).groups[0]
    values = samples.values(group)
    wide = plotting.plot(group, values, plotting.View(1056, 400))
    assert wide.window == (0.0, (1056 - 56) / 0.1)  # 10 s exactly at 0.1 px/ms
    zoomed = plotting.plot(group, values, plotting.View(1056, 400, 2000.0, 0.5))
    assert zoomed.window == (2000.0, 4000.0)
    late = plotting.plot(group, values, plotting.View(1056, 400, 9500.0, 0.5))
    assert late.window == (8000.0, 10000.0)  # moved back so that the plot stays full


def test_many_samples_a_column_keep_the_peaks() -> None:
    """1000 Hz at 0.1 px/ms is 10 samples a pixel column: one spike of 2 mV still shows."""
    data = np.zeros((1000, 1), dtype="<i2")
    data[503] = 20  # 2 mV
    group = _wave(data, 1000.0)
    made = plotting.plot(group, samples.values(group), plotting.View(400, 232))
    ys = made.points[:, 1]
    assert ys.min() == pytest.approx(124 - 80)
    column = made.points[np.argmin(ys), 0]
    assert column == pytest.approx(48 + np.floor(503 * 0.1) + 0.5)
    assert len(made.points) == 2 * 100  # two points a column, 100 columns


def test_a_channel_without_a_voltage_fills_its_row() -> None:
    group = read_waveform("hd.dcm", known.hemodynamic()).groups[0]
    made = plotting.plot(group, samples.values(group), plotting.View(600, 432))
    pressure = made.rows[0]
    assert pressure.units == "mmHg"
    assert pressure.center == pytest.approx(90.0, abs=0.1)
    offset, count = made.spans[0]
    ys = made.points[offset : offset + count, 1]
    height = pressure.bottom - pressure.top
    assert ys.max() - ys.min() == pytest.approx(0.8 * height, rel=0.02)


@pytest.mark.parametrize("make", [known.ecg, known.hemodynamic], ids=["ecg", "pressure"])
def test_converting_only_the_samples_shown_gives_the_same_plot(make) -> None:
    group = read_waveform("w.dcm", make()).groups[0]
    view = plotting.View(700, 400, 1500.0, 0.5, 60.0)
    whole = plotting.plot(group, samples.values(group), view)
    first, stop = plotting.samples_shown(group, view)
    assert first > 0 and stop < group.samples
    part = plotting.plot(
        group, samples.values(group, first, stop), view, offset=first, ranges=samples.ranges(group)
    )
    assert part.window == whole.window and part.spans == whole.spans
    np.testing.assert_array_equal(part.points, whole.points)
