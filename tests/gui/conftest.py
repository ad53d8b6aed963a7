"""GUI tests run the real window on a qasync loop against the emulator on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from desktop_app.app import Composition, compose
from desktop_app.config.paths import AppPaths
from desktop_app.config.settings import Settings
from desktop_app.emulator.server import EmulatorConfig, EmulatorThread
from desktop_app.ui.shell.event_loop import AppEventLoop
from desktop_app.ui.shell.gc_guard import MainThreadGarbageCollector
from desktop_app.ui.widgets.theme import application_arguments
from tests.support.gui import wait_until

__all__ = ["wait_until"]

APP_ARGUMENTS = application_arguments(["routechat-tests"])  # as the app: Fusion, chosen at creation


def pytest_configure(config: Any) -> None:
    """As the app does at start-up: nothing is first imported on a worker thread."""
    import encodings.idna  # noqa: F401

    from desktop_app.api.cost import preload_price_table

    preload_price_table()


_COLLECTOR: list[MainThreadGarbageCollector] = []


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    """pytest-qt's QApplication gets the app's own command line."""
    return APP_ARGUMENTS


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Callable[[], Any]]:
    def factory() -> asyncio.AbstractEventLoop:
        app = QApplication.instance() or QApplication(APP_ARGUMENTS)
        assert isinstance(app, QApplication)
        if not _COLLECTOR:  # as the app does: cycles are collected on the GUI thread only
            _COLLECTOR.append(MainThreadGarbageCollector(app))
        return AppEventLoop(app)

    return {"qasync": factory}


@pytest.fixture
def emulator() -> Iterator[EmulatorThread]:
    thread = EmulatorThread(EmulatorConfig(routing_delay=0.05, token_delay=0.004))
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    root = tmp_path / "home"
    return AppPaths(root / "config", root / "data", root / "cache", root / "log").ensure()


@pytest.fixture
async def make_app(
    qapp: QApplication, paths: AppPaths, emulator: EmulatorThread
) -> AsyncIterator[Callable[..., Composition]]:
    built: list[Composition] = []

    def make(*, server: str | None = None, **settings: Any) -> Composition:
        """The app with `settings`, talking to `server` (default: the test's emulator)."""
        parts = compose(qapp, paths, Settings(**settings), base_url=server or emulator.base_url)
        parts.window.show()
        built.append(parts)
        return parts

    yield make
    for parts in built:
        parts.controller.quit()  # the app's own shutdown: cancel turns, close HTTP, stop demo
        await parts.controller.wait_shutdown()
        parts.window.deleteLater()
