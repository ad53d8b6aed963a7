"""The window at 125 % and 200 %: drawn at the screen's resolution, not scaled up from 100 %.

Qt 6 scales by the device pixel ratio itself; what could spoil that here is a bitmap scaled
up (the app has none: its icon is SVG, its controls text) or a fixed pixel size. The real app
starts with QT_SCALE_FACTOR set, and at its first paint the probe checks the ratio the window
paints with and that a grab of it has the device pixels, not the logical ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, base_env

PROBE = r"""
import json, sys
import desktop_app.app as app_module
import desktop_app.cli as cli

real_compose = app_module.compose

def compose(*args, **kwargs):
    parts = real_compose(*args, **kwargs)
    from PySide6 import QtCore

    class FirstPaint(QtCore.QObject):
        def eventFilter(self, watched, event):
            if event.type() == QtCore.QEvent.Type.Paint:
                watched.removeEventFilter(self)
                shot = watched.grab()
                print("@@DPI " + json.dumps({
                    "ratio": watched.devicePixelRatioF(),
                    "logical": [watched.width(), watched.height()],
                    "grab": [shot.width(), shot.height()],
                    "grab_ratio": shot.devicePixelRatio(),
                }), flush=True)
                QtCore.QTimer.singleShot(0, parts.window.quit_requested.emit)
            return False

    parts.window.installEventFilter(FirstPaint(parts.window))
    return parts

app_module.compose = compose
sys.exit(cli.main([]))
"""


@pytest.mark.parametrize("factor", [1.25, 2.0])
def test_the_window_paints_at_the_screen_resolution(tmp_path: Path, factor: float) -> None:
    env = base_env(tmp_path / "home", key=None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env["QT_SCALE_FACTOR"] = str(factor)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("@@DPI "))
    seen = json.loads(line.removeprefix("@@DPI "))
    assert seen["ratio"] == pytest.approx(factor)
    assert seen["grab_ratio"] == pytest.approx(factor)
    width, height = seen["logical"]
    assert seen["grab"] == [round(width * factor), round(height * factor)]
