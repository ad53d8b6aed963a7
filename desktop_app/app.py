"""Composition root: builds every object once, wires them, and owns start-up and shutdown order."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app import APP_NAME, __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from desktop_app.config.paths import AppPaths
    from desktop_app.config.settings import Settings
    from desktop_app.store import HistoryStore
    from desktop_app.ui.app_controller import AppController
    from desktop_app.ui.history_controller import HistoryController
    from desktop_app.ui.main_window import MainWindow

DEMO_ROUTING_DELAY = 0.35  # seconds: inside the 100-500 ms the real router adds
DEMO_TOKEN_DELAY = 0.015


def install_asyncgen_hooks(loop: asyncio.AbstractEventLoop) -> None:
    """qasync does not install asyncio's async-generator hooks; httpx streams need them."""
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )


@dataclass
class Composition:
    window: MainWindow
    controller: AppController
    history: HistoryController


def open_history(paths: AppPaths) -> tuple[HistoryStore, list[str]]:
    """The history database, and sentences for the user about anything that happened to it.

    A damaged file is moved aside by the store (never deleted). If the database cannot be
    used at all (newer schema, unreadable folder), this session keeps history in a temporary
    database and says so; the real file is left untouched.
    """
    import tempfile

    from desktop_app.store import HistoryStore, StoreError

    try:
        store = HistoryStore.open(paths.database_file)
    except StoreError as exc:
        fallback = Path(tempfile.mkdtemp(prefix="routechat-")) / "session.sqlite3"
        return HistoryStore.open(fallback), [
            f"Your history could not be opened ({exc}). It was left untouched; this session "
            "is kept in a temporary history."
        ]
    return store, store.report.notices()


def compose(
    app: QApplication,
    paths: AppPaths,
    settings: Settings,
    base_url: str | None = None,
    settings_warnings: tuple[str, ...] = (),
) -> Composition:
    """Build the window and its controller; tests call this with their own paths and URL."""
    from desktop_app.emulator.server import EmulatorConfig, EmulatorThread
    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.ui.app_controller import AppController
    from desktop_app.ui.history_controller import HistoryController
    from desktop_app.ui.history_panel import HistoryPanel
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.theme import apply_theme

    # The controller decides when the app ends (after streams are stopped and saved); Qt's
    # "quit on last window closed" would stop the qasync loop under the shutdown coroutine.
    app.setQuitOnLastWindowClosed(False)
    dark = apply_theme(app, settings.theme)
    store, notices = open_history(paths)
    notices = [*settings_warnings, *notices]
    window = MainWindow()
    controller = AppController(
        window,
        paths,
        TierCatalogue(),
        store,
        settings,
        dark,
        emulator_factory=lambda: EmulatorThread(
            EmulatorConfig(routing_delay=DEMO_ROUTING_DELAY, token_delay=DEMO_TOKEN_DELAY)
        ),
        base_url_override=base_url,
    )
    history = HistoryController(controller, HistoryPanel(window), store)
    if notices:
        controller.show_problem(" ".join(notices))
    return Composition(window, controller, history)


def run_gui(
    demo: bool = False,
    prompt: str | None = None,
    tier: str | None = None,
    base_url: str | None = None,
) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import load_settings

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("routechat")
    paths = default_paths().ensure()
    settings, warnings = load_settings(paths)

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    install_asyncgen_hooks(loop)

    parts = compose(app, paths, settings, base_url=base_url, settings_warnings=warnings)
    parts.window.show()
    parts.controller.start(demo=demo or settings.demo_mode, prompt=prompt, tier=tier)
    with loop:
        loop.run_until_complete(parts.controller.wait_shutdown())
        loop.run_until_complete(loop.shutdown_asyncgens())
    return 0
