"""The qasync event loop, made safe for work that finishes on other threads.

qasync delivers `call_soon_threadsafe` (how `run_in_executor` and `asyncio.wrap_future` hand
results back: DNS lookups, price estimates) by emitting a Qt signal from the worker thread to a
plain Python callable. PySide6 6.8+ can crash on such cross-thread emissions (PYSIDE-3124;
seen here as a segfault in the GUI tests). This loop uses asyncio's own self-pipe instead: the
worker only appends to a deque and writes one byte to a socket; the loop thread drains both
when the socket becomes readable. The default executor is a plain thread pool, not QThreads.

qasync runs asyncio's callbacks from Qt timer events, so whoever processes Qt events runs
them, also outside `run_forever` (pytest-qt does between a test and its teardown; Qt does
while the app quits). asyncio code there found no running loop: httpx's half-finished
streams failed with "no running event loop" and anyio's connection attempts were dropped
unawaited. The timer here makes the loop the running one for as long as such a callback runs.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import Context
from typing import Any

import qasync
from PySide6.QtCore import QTimerEvent
from PySide6.QtWidgets import QApplication


class _LoopTimer(qasync._SimpleTimer):  # type: ignore[misc]
    """qasync's callback timer, run as the running loop even outside `run_forever`."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop

    def timerEvent(self, event: QTimerEvent) -> None:
        if asyncio.events._get_running_loop() is not None:
            super().timerEvent(event)
            return
        asyncio.events._set_running_loop(self._loop)
        try:
            super().timerEvent(event)
        finally:
            asyncio.events._set_running_loop(None)


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._timer = _LoopTimer(self)  # nothing is scheduled on qasync's own one yet
        self._pending: collections.deque[tuple[Callable[..., Any], tuple[Any, ...], Any]] = (
            collections.deque()
        )
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.add_reader(self._wake_r.fileno(), self._drain)
        self.set_default_executor(ThreadPoolExecutor(max_workers=4, thread_name_prefix="routechat"))
        sys.set_asyncgen_hooks(  # qasync leaves these out; httpx streams need them
            firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook
        )

    def call_soon_threadsafe(
        self, callback: Callable[..., Any], *args: Any, context: Context | None = None
    ) -> None:
        self._pending.append((callback, args, context))
        with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
            self._wake_w.send(b"\0")

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
            while self._wake_r.recv(4096):
                pass
        while self._pending:
            callback, args, context = self._pending.popleft()
            self.call_soon(callback, *args, context=context)

    def close(self) -> None:
        if not self.is_closed():
            with contextlib.suppress(Exception):
                self.remove_reader(self._wake_r.fileno())
            self._wake_r.close()
            self._wake_w.close()
        super().close()


def new_event_loop(app: QApplication) -> AppEventLoop:
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    return loop
