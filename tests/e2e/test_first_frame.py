"""What the real app has built by its first frame: the start-up budget, checked without a clock.

Timing belongs in tests/benchmarks; this test guards the causes instead. It starts the real
entry point (`desktop_app.cli.main`) and, when the window first paints, lists which costly
things already exist: the Python enums of the `Qt` namespace (~27 ms) and of `QStyle` (~10 ms),
which PySide6 builds on first use, and modules that only later work needs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from desktop_app.api.events import TurnResult, TurnStatus, Usage
from desktop_app.config.paths import AppPaths
from desktop_app.store import HistoryStore, OpenTab
from tests.e2e.conftest import REPO, base_env

REPLY = """Here is how:

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

It returns the greeting; **print** it to see it.
"""

PROBE = r"""
import json, sys
import desktop_app.app as app_module
import desktop_app.cli as cli

HEAVY_MODULES = (
    "keyring", "aiohttp", "httpx", "markdown_it", "pygments", "desktop_app.api.cost",
    "desktop_app.services.chat", "desktop_app.store.export",
)
real_compose = app_module.compose

def compose(*args, **kwargs):
    parts = real_compose(*args, **kwargs)
    from PySide6 import QtCore, QtWidgets

    class FirstPaint(QtCore.QObject):
        def eventFilter(self, watched, event):
            if event.type() == QtCore.QEvent.Type.Paint:
                watched.removeEventFilter(self)
                built = {
                    "Qt": "Qt" in vars(QtCore),
                    "QStyle": "QStyle" in vars(QtWidgets),
                    "modules": [m for m in HEAVY_MODULES if m in sys.modules],
                    "page": parts.window.stack.currentWidget().objectName(),
                    "tabs": parts.window.tabs.count(),
                }
                print("@@FIRST-FRAME " + json.dumps(built), flush=True)
                QtCore.QTimer.singleShot(0, parts.window.quit_requested.emit)
            return False

    parts.window.installEventFilter(FirstPaint(parts.window))  # the window owns it
    return parts

app_module.compose = compose
sys.exit(cli.main([]))
"""


def first_frame(home: Path) -> dict[str, object]:
    env = base_env(home, key=None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
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
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@FIRST-FRAME ")]
    assert len(lines) == 1, proc.stdout + proc.stderr
    result: dict[str, object] = json.loads(lines[0].removeprefix("@@FIRST-FRAME "))
    return result


def test_the_first_run_window_paints_before_the_costly_parts_are_built(tmp_path: Path) -> None:
    built = first_frame(tmp_path / "home")
    assert built["page"] == "welcome_page"
    assert built["Qt"] is False
    assert built["QStyle"] is False
    assert built["modules"] == []


def leave_tabs_open(home: Path, tabs: int = 3, turns: int = 4) -> None:
    """A previous session: `tabs` open conversations of `turns` turns, replies with code."""
    root = home
    paths = AppPaths(root / "config", root / "data", root / "cache", root / "log").ensure()
    store = HistoryStore.open(paths.database_file)
    try:
        open_tabs = []
        for t in range(tabs):
            cid = store.create_conversation(f"Conversation {t + 1}", "balanced")
            for n in range(turns):
                user = store.add_user_message(cid, f"Question {n} of tab {t}?")
                reply = store.begin_reply(cid, parent_id=user, requested_tier_id="balanced")
                result = TurnResult(
                    text=f"Answer {n}. {REPLY}",
                    model="openai/gpt-4o-mini",
                    usage=Usage(120, 480, 600),
                    cost_usd=0.00042,
                    status=TurnStatus.COMPLETE,
                )
                store.finish_reply(reply, result)
            open_tabs.append(OpenTab(cid, "balanced"))
        store.save_open_tabs(open_tabs, 0)
    finally:
        store.close()


def test_restored_tabs_paint_before_markdown_is_loaded_once_rendered(tmp_path: Path) -> None:
    """The first start after an upgrade renders the restored messages (and keeps their HTML);
    every later start shows them from the render cache, before markdown-it and Pygments."""
    home = tmp_path / "home"
    leave_tabs_open(home)
    cold = first_frame(home)
    assert cold["page"] == "conversation_tabs"
    assert cold["tabs"] == 3
    assert "markdown_it" in cold["modules"]  # nothing was cached yet
    warm = first_frame(home)
    assert warm["page"] == "conversation_tabs"
    assert warm["tabs"] == 3
    assert warm["Qt"] is False
    assert warm["QStyle"] is False
    assert warm["modules"] == []
