"""The app's event loop: asyncio work that Qt runs outside `run_forever` still has its loop."""

from __future__ import annotations

import asyncio
import time

from PySide6.QtWidgets import QApplication

from desktop_app.ui.shell.event_loop import AppEventLoop


def test_callbacks_run_by_qt_outside_run_forever_find_their_loop(qapp: QApplication) -> None:
    """pytest-qt (between a test and its teardown) and Qt (while quitting) process events
    with the loop stopped: a stream stepped then must still see its loop, or httpx fails
    with "no running event loop" and anyio drops its connection attempts unawaited."""
    loop = AppEventLoop(qapp)
    seen: list[object] = []

    async def step_twice() -> None:
        seen.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        seen.append(asyncio.current_task())

    try:
        task = loop.create_task(step_twice())
        deadline = time.monotonic() + 5
        while not task.done() and time.monotonic() < deadline:
            qapp.processEvents()  # not inside run_forever: nothing else runs the loop
        assert task.done()
        task.result()  # no RuntimeError raised inside the task
        assert seen == [loop, task]
        assert asyncio.events._get_running_loop() is None  # and it is not left running
    finally:
        loop.close()
