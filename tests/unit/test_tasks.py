"""StreamGroup: a view's streams end their turn however their task ends, even when it is
cancelled before its coroutine ever ran."""

from __future__ import annotations

import asyncio

from desktop_app.services.tasks import StreamGroup, TaskRunner


async def test_a_stream_cancelled_before_its_first_step_still_ends() -> None:
    ran: list[str] = []
    unstarted: list[str] = []

    async def body() -> None:
        try:
            ran.append("body")
            await asyncio.sleep(10)
        finally:
            ran.append("finally")

    group = StreamGroup(TaskRunner(), "view")
    task = group.start("reply", body(), lambda: unstarted.append("reply"))
    group.cancel_all()  # before the loop ever ran the task
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert ran == [] and unstarted == ["reply"]
    assert not group.running()


async def test_a_stream_that_ran_ends_through_its_own_finally_only() -> None:
    ran: list[str] = []
    unstarted: list[str] = []
    started = asyncio.Event()

    async def body() -> None:
        try:
            started.set()
            await asyncio.sleep(10)
        finally:
            ran.append("finally")

    group = StreamGroup(TaskRunner(), "view")
    task = group.start("reply", body(), lambda: unstarted.append("reply"))
    await started.wait()
    group.cancel("reply")
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)
    assert ran == ["finally"] and unstarted == []


async def test_a_replaced_stream_that_never_ran_ends_too() -> None:
    unstarted: list[str] = []
    group = StreamGroup(TaskRunner(), "view")
    first = group.start("col", asyncio.sleep(10), lambda: unstarted.append("first"))
    second = group.start("col", asyncio.sleep(0, "done"), lambda: unstarted.append("second"))
    assert await second == "done"
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.sleep(0)
    assert unstarted == ["first"] and not group.running()


async def test_shutdown_waits_for_cleanups_instead_of_cancelling_them() -> None:
    """Closing an old HTTP client, cancelled halfway, leaves its sockets to a stopped loop."""
    closed: list[str] = []

    async def close_client() -> None:
        await asyncio.sleep(0.01)
        closed.append("client")

    async def stream() -> None:
        await asyncio.sleep(10)

    runner = TaskRunner()
    cleanup = runner.start("close-client", close_client(), cleanup=True)
    reply = runner.start("reply", stream())
    await asyncio.sleep(0)
    await runner.cancel_all(timeout=5)
    assert closed == ["client"] and not cleanup.cancelled()
    assert reply.cancelled()
    assert runner.names() == []
