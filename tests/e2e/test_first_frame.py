"""What the real app has built by its first frame: the start-up budget, checked without a clock.

Timing belongs in tests/benchmarks; this test guards the causes instead. It starts the real
entry point (`desktop_app.cli.main`) and, when the window first paints, lists which costly
things already exist: the Python enums of the `Qt` namespace (~27 ms) and of `QStyle` (~10 ms),
which PySide6 builds on first use, and modules that only later work needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.api.events import TurnResult, TurnStatus, Usage
from desktop_app.config.paths import AppPaths
from desktop_app.store import HistoryStore, OpenTab
from desktop_app.ui.chat.transcript import FIRST_SCREEN
from tests.e2e.conftest import at_first_frame

REPLY = """Here is how:

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

It returns the greeting; **print** it to see it.
"""

# Qt-free modules that only restored tabs need: imported after PySide6 rather than making a
# first run import them too.
RESTORE_ONLY = {
    "desktop_app.api.events",
    "desktop_app.api.metadata",
    "desktop_app.routing.plan",
    "desktop_app.render",
    "desktop_app.render.markdown",
    "desktop_app.render.cache",
    "desktop_app.services.history",
    "desktop_app.ui.chat.badge_routing",
    "hashlib",
}

MEASURE = r"""
HEAVY_MODULES = (
    "keyring", "aiohttp", "httpx", "markdown_it", "pygments", "desktop_app.api.cost",
    "desktop_app.services.chat", "desktop_app.store.export",
)

def uses_qt(name):
    path = getattr(sys.modules.get(name), "__file__", None) or ""
    if not path.endswith(".py"):
        return True  # nothing for the hook to read
    with open(path, encoding="utf-8") as f:
        return "PySide6" in f.read()

def read_by_pyside(name):
    # Imported after PySide6 and Qt-free: PySide6's import hook read its whole source. A
    # module of a package that uses Qt (qasync's) cannot come before PySide6.
    top = name.partition(".")[0]
    return not (name.startswith(("PySide6", "shiboken")) or uses_qt(name) or uses_qt(top))

def first_tab(parts):
    if not parts.tabs.controllers:
        return None
    chat = parts.tabs.controllers[0].page.chat
    bar = chat.verticalScrollBar()
    return {
        "fills_the_view": sum(m.height() for m in chat.messages()) >= chat.visible_height(),
        "laid_out": all(m.height() == m.sizeHint().height() for m in chat.messages()),
        "at_the_latest": bar.value() == bar.maximum() > 0,
    }

def measure(parts):
    from PySide6 import QtCore, QtWidgets

    names = list(sys.modules)  # in import order
    after = names[names.index("PySide6") + 1 :]
    return {
        "Qt": "Qt" in vars(QtCore),
        "QStyle": "QStyle" in vars(QtWidgets),
        "modules": [m for m in HEAVY_MODULES if m in sys.modules],
        "read_by_pyside": [m for m in after if read_by_pyside(m)],
        "page": parts.window.stack.currentWidget().objectName(),
        "welcome_built": parts.window.findChild(QtWidgets.QWidget, "welcome_page") is not None,
        "messages_built": [
            len(c.page.chat.messages()) for c in parts.tabs.controllers
        ],
        "first_tab": first_tab(parts),
        "tabs": parts.window.tabs.count(),
    }
"""


def first_frame(home: Path) -> dict[str, Any]:
    return at_first_frame(home, MEASURE)


def test_the_first_run_window_paints_before_the_costly_parts_are_built(tmp_path: Path) -> None:
    built = first_frame(tmp_path / "home")
    assert built["page"] == "welcome_page"
    assert built["Qt"] is False
    assert built["QStyle"] is False
    assert built["modules"] == []
    # The Qt-free modules the window needs come before PySide6 (app.QT_FREE_CORE).
    assert built["read_by_pyside"] == []


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
    assert warm["welcome_built"] is False  # built only if the keyring turns out to be empty
    # The tab on screen builds the last messages that fill the view; the rest, and the other
    # tabs, wait.
    on_screen, *others = warm["messages_built"]
    assert 2 <= on_screen < FIRST_SCREEN
    # ... laid out at their final size, and scrolled to the latest.
    assert warm["first_tab"] == {"fills_the_view": True, "laid_out": True, "at_the_latest": True}
    assert others == [0, 0]
    assert warm["Qt"] is False
    assert warm["QStyle"] is False
    assert warm["modules"] == []
    # Only what restored tabs need on top of the first run's modules (app.QT_FREE_CORE).
    assert set(warm["read_by_pyside"]) <= RESTORE_ONLY, warm["read_by_pyside"]
