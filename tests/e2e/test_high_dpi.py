"""The window at 125 % and 200 %: drawn at the screen's resolution, not scaled up from 100 %.

Qt 6 scales by the device pixel ratio itself; what could spoil that here is a bitmap scaled
up (the app has none: its icon is SVG, its controls text) or a fixed pixel size. The real app
starts with QT_SCALE_FACTOR set, and at its first paint the probe checks the ratio the window
paints with and that a grab of it has the device pixels, not the logical ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import at_first_frame

MEASURE = r"""
def measure(parts):
    window = parts.window
    shot = window.grab()
    return {
        "ratio": window.devicePixelRatioF(),
        "logical": [window.width(), window.height()],
        "grab": [shot.width(), shot.height()],
        "grab_ratio": shot.devicePixelRatio(),
    }
"""


@pytest.mark.parametrize("factor", [1.25, 2.0])
def test_the_window_paints_at_the_screen_resolution(tmp_path: Path, factor: float) -> None:
    seen = at_first_frame(tmp_path / "home", MEASURE, QT_SCALE_FACTOR=str(factor))
    assert seen["ratio"] == pytest.approx(factor)
    assert seen["grab_ratio"] == pytest.approx(factor)
    width, height = seen["logical"]
    assert seen["grab"] == [round(width * factor), round(height * factor)]
