"""ChatService owns a turn: its history from the store, its timings from the user's send, and
the one TurnResult stored for it, whatever the outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import (
    Completed,
    CostReport,
    CostSource,
    Failed,
    RoutedModel,
    StreamEvent,
    TextDelta,
    ToolCall,
    TurnResult,
    TurnStatus,
    Usage,
)
from desktop_app.api.request import ChatRequest
from desktop_app.config.settings import RetryPolicy
from desktop_app.routing.plan import TurnPlan
from desktop_app.services.chat import ChatService, MemoryRecorder
from desktop_app.services.history import history_from_store, stored_result
from desktop_app.services.recorder import StoreRecorder
from desktop_app.store import HistoryStore

PLAN = TurnPlan("balanced", "Balanced", "@edenai", ("openai/gpt-4o", "google/gemini-2.0-flash"))


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class FakeClient:
    """Plays one script per request; each event takes `step` seconds of the fake clock."""

    def __init__(self, fake: FakeTime, *scripts: list[StreamEvent], step: float = 0.1) -> None:
        self.fake = fake
        self.scripts = list(scripts)
        self.requests: list[ChatRequest] = []
        self.step = step
        self.hang = asyncio.Event()

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        script = self.scripts.pop(0)
        return self._play(script)

    async def _play(self, script: list[StreamEvent]) -> AsyncIterator[StreamEvent]:
        for event in script:
            if event is HANG:
                await self.hang.wait()
                continue
            self.fake.now += self.step
            await asyncio.sleep(0)
            yield event


HANG: Any = object()


def ok(text: str = "Hello there") -> list[StreamEvent]:
    result = TurnResult(text=text, model="openai/gpt-4o", usage=Usage(3, 2, 5), cost_usd=0.001)
    result.cost_source = CostSource.REPORTED
    return [
        RoutedModel("openai/gpt-4o"),
        TextDelta(text),
        CostReport(0.001, CostSource.REPORTED),
        Completed(result),
    ]


def failed(error: ApiError) -> list[StreamEvent]:
    return [Failed(error), Completed(TurnResult(error=error, status=TurnStatus.FAILED))]


def service(client: FakeClient, recorder: Any, fake: FakeTime, **policy: Any) -> ChatService:
    return ChatService(
        lambda: client,  # type: ignore[arg-type, return-value]
        recorder,
        policy=lambda: RetryPolicy(jitter=0.0, **policy),
        clock=fake.clock,
        sleep=fake.sleep,
    )


async def test_timings_cover_the_whole_turn_from_the_send_across_retries() -> None:
    fake = FakeTime()
    client = FakeClient(fake, failed(ApiError(ErrorKind.RATE_LIMITED, "429", 429, 7.0)), ok())
    recorder = MemoryRecorder()
    chat = service(client, recorder, fake)
    turn = chat.start_turn(1, "Hi", PLAN)
    result = await chat.run(turn, lambda e: None)
    assert result.status is TurnStatus.COMPLETE and turn.retries == 1
    # 0.2 s for the failed attempt's two events, the 7 s wait, 0.2 s to the first text
    assert result.ttft_ms == pytest.approx(7400)
    assert result.total_ms == pytest.approx(7600)


async def test_a_stopped_turn_is_built_once_with_its_first_token_time() -> None:
    fake = FakeTime()
    client = FakeClient(fake, [RoutedModel("openai/gpt-4o"), TextDelta("Part"), HANG])
    recorder = MemoryRecorder()
    chat = service(client, recorder, fake)
    turn = chat.start_turn(1, "Tell me a story", PLAN)
    arrived = asyncio.Event()
    task = asyncio.create_task(
        chat.run(turn, lambda e: arrived.set() if isinstance(e, TextDelta) else None)
    )
    await arrived.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert turn.result is not None
    assert turn.result.status is TurnStatus.STOPPED
    assert turn.result.text == "Part" and turn.result.model == "openai/gpt-4o"
    assert turn.result.ttft_ms == pytest.approx(200)
    assert turn.result.total_ms == pytest.approx(200)


async def test_the_stored_stopped_reply_keeps_its_timings(tmp_path: Path) -> None:
    """What the window shows after a restart is what it showed before (issue: the stored copy
    of a stopped reply had no time to first token)."""
    fake = FakeTime()
    client = FakeClient(fake, [RoutedModel("openai/gpt-4o"), TextDelta("Part"), HANG])
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        cid = store.create_conversation()
        chat = service(client, StoreRecorder(store), fake)
        turn = chat.start_turn(cid, "Tell me a story", PLAN)
        arrived = asyncio.Event()
        task = asyncio.create_task(
            chat.run(turn, lambda e: arrived.set() if isinstance(e, TextDelta) else None)
        )
        await arrived.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        stored = stored_result(store.load_messages(cid)[-1])
    assert turn.result is not None
    assert stored.status is TurnStatus.STOPPED
    assert (stored.ttft_ms, stored.total_ms) == (turn.result.ttft_ms, turn.result.total_ms)


async def test_the_history_comes_from_the_store_with_tool_calls(tmp_path: Path) -> None:
    fake = FakeTime()
    client = FakeClient(fake, ok("The answer is 42."))
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        cid = store.create_conversation()
        first = store.add_user_message(cid, "What is 6 * 7?")
        reply = store.begin_reply(cid, parent_id=first)
        call = ToolCall(0, "call_1", "calculator", '{"expression": "6*7"}')
        store.finish_reply(reply, TurnResult(tool_calls=[call], status=TurnStatus.COMPLETE))
        store.add_message(cid, "tool", "42", tool_call_id="call_1")
        failed_prompt = store.add_user_message(cid, "This one failed")
        broken = store.begin_reply(cid, parent_id=failed_prompt)
        store.finish_reply(broken, TurnResult(status=TurnStatus.FAILED))
        chat = service(client, StoreRecorder(store), fake)
        turn = chat.start_turn(cid, "And 6 * 8?", PLAN)
        await chat.run(turn, lambda e: None)
    sent = client.requests[0].messages
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "user", "user"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "calculator"
    assert sent[2]["tool_call_id"] == "call_1"
    assert sent[-1]["content"] == "And 6 * 8?"


async def test_a_comparison_column_sees_only_its_own_answers(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        cid = store.create_conversation(kind="comparison")
        prompt = store.add_user_message(cid, "Name a colour")
        for column, text in enumerate(("Red", "Blue")):
            reply = store.begin_reply(cid, parent_id=prompt, column=column)
            store.finish_reply(reply, TurnResult(text=text))
        follow = store.add_user_message(cid, "Another one")
        messages = store.load_messages(cid)
    for column, text in enumerate(("Red", "Blue")):
        history = history_from_store(messages, follow, column)
        assert [m["content"] for m in history] == ["Name a colour", text, "Another one"]


async def test_a_failure_inside_the_service_still_ends_and_stores_the_turn() -> None:
    class Broken(MemoryRecorder):
        def __init__(self) -> None:
            super().__init__()
            self.finished: list[TurnResult] = []

        def finish_reply(
            self,
            reply_id: int,
            result: TurnResult,
            retries: int = 0,
            fallback: bool = False,
            requests: int = 1,
        ) -> None:
            self.finished.append(result)

        def history(
            self, conversation_id: int, upto_message_id: int, column: int | None = None
        ) -> list[dict[str, Any]]:
            raise RuntimeError("disk on fire")

    fake = FakeTime()
    recorder = Broken()
    chat = service(FakeClient(fake), recorder, fake)
    turn = chat.start_turn(1, "Hi", PLAN)
    result = await chat.run(turn, lambda e: None)
    assert result.status is TurnStatus.FAILED
    assert result.error is not None and "disk on fire" in result.error.message
    assert recorder.finished == [result]  # stored once, as failed


def test_memory_recorder_history_leaves_out_failed_replies() -> None:
    recorder = MemoryRecorder(system="Be brief.")
    first = recorder.record_user_message(1, "Hi")
    reply = recorder.begin_reply(1, first, PLAN)
    recorder.finish_reply(reply, TurnResult(status=TurnStatus.FAILED))
    again = recorder.record_user_message(1, "Hi again")
    history: Sequence[dict[str, Any]] = recorder.history(1, again)
    assert [m["role"] for m in history] == ["system", "user", "user"]


async def test_a_turn_that_never_ran_is_stored_as_stopped(tmp_path: Path) -> None:
    """Stopped before its first step (or while its tools got ready): the reply is closed on
    disk as stopped, never left open for the next start to call interrupted."""
    fake = FakeTime()
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        cid = store.create_conversation()
        chat = service(FakeClient(fake), StoreRecorder(store), fake)
        turn = chat.start_turn(cid, "Hello", PLAN)
        fake.now += 0.5
        result = chat.settle(turn)
        assert chat.settle(turn) is result  # once only
        stored = stored_result(store.load_messages(cid)[-1])
    assert result.status is TurnStatus.STOPPED and result.text == ""
    assert result.total_ms == pytest.approx(500) and result.ttft_ms is None
    assert stored.status is TurnStatus.STOPPED
