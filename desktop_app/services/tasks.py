"""Owned, named, cancellable tasks (architecture rule 4), and the streams of one view.

`qasync.asyncSlot` returns no handle, so controllers start work here instead: the runner keeps
a strong reference until the task ends, reports failures, and cancels everything at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskRunner:
    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._cleanups: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def start(
        self,
        name: str,
        coro: Coroutine[Any, Any, Any],
        *,
        replace: bool = False,
        cleanup: bool = False,
    ) -> asyncio.Task[Any]:
        """Run `coro` as task `name`; with `replace`, a running task of that name is cancelled.

        A `cleanup` (closing an old HTTP client) is never cancelled at shutdown but waited
        for: cancelled halfway, it leaves sockets and the library's tasks to a loop that has
        stopped, where they fail with "no running event loop".
        """
        old = self._tasks.get(name)
        if old is not None and not old.done():
            if not replace:
                coro.close()
                raise RuntimeError(f"task {name!r} is already running")
            old.cancel()
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks[name] = task
        if cleanup:
            self._cleanups.add(task)
        task.add_done_callback(lambda t: self._done(name, t))
        return task

    def _done(self, name: str, task: asyncio.Task[Any]) -> None:
        self._cleanups.discard(task)
        if self._tasks.get(name) is task:
            del self._tasks[name]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("task %s failed", name, exc_info=exc)
            if self._on_error is not None:
                self._on_error(name, exc)

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def cancel(self, name: str) -> asyncio.Task[Any] | None:
        task = self._tasks.get(name)
        if task is not None and not task.done():
            task.cancel()
            return task
        return None

    def names(self) -> list[str]:
        return [n for n, t in self._tasks.items() if not t.done()]

    async def cancel_all(self, timeout: float = 5.0) -> None:
        """Cancel every task but the cleanups, and wait (at most `timeout`) for all of them."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        tasks += [t for t in self._cleanups if not t.done() and t not in tasks]
        for t in tasks:
            if t not in self._cleanups:
                t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)


class StreamGroup:
    """The live streams of one view: a named slot each (a conversation's reply, a comparison's
    columns, a tool loop's requests), latest-wins per slot, cancellable one by one or all.

    Tasks run on the app's `TaskRunner` (which owns them and cancels all at shutdown) under
    the name `owner/slot`.
    """

    def __init__(self, runner: TaskRunner, owner: str) -> None:
        self._runner = runner
        self._owner = owner
        self._slots: dict[str, asyncio.Task[Any]] = {}

    def _name(self, slot: str) -> str:
        return f"{self._owner}/{slot}"

    def start(
        self,
        slot: str,
        coro: Coroutine[Any, Any, Any],
        on_unstarted: Callable[[], None] | None = None,
    ) -> asyncio.Task[Any]:
        """Run `coro` in `slot`; a stream still running there is cancelled first.

        A task cancelled before its first step never runs its coroutine, so the coroutine's
        `finally` (where a view ends its turn) never runs either: `on_unstarted` is called
        instead, once the task is done.
        """
        started = False

        async def guarded() -> Any:
            nonlocal started
            started = True
            return await coro

        task = self._runner.start(self._name(slot), guarded(), replace=True)
        self._slots[slot] = task

        def done(t: asyncio.Task[Any]) -> None:
            self._done(slot, t)
            if not started:
                coro.close()  # never awaited: closed, so no "never awaited" warning
                if on_unstarted is not None:
                    on_unstarted()

        task.add_done_callback(done)
        return task

    def _done(self, slot: str, task: asyncio.Task[Any]) -> None:
        if self._slots.get(slot) is task:
            del self._slots[slot]

    def running(self, slot: str | None = None) -> bool:
        """Whether `slot` (or, with None, any slot) is streaming."""
        if slot is None:
            return any(not t.done() for t in self._slots.values())
        task = self._slots.get(slot)
        return task is not None and not task.done()

    def task(self, slot: str) -> asyncio.Task[Any] | None:
        """The task streaming in `slot` now, if any."""
        task = self._slots.get(slot)
        return task if task is not None and not task.done() else None

    def slots(self) -> list[str]:
        return [s for s, t in self._slots.items() if not t.done()]

    def cancel(self, slot: str) -> None:
        task = self._slots.get(slot)
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self) -> None:
        for task in list(self._slots.values()):
            if not task.done():
                task.cancel()
