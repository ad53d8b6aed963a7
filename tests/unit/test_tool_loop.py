"""The tool loop in ChatService with a fake client: the routed model pinned on follow-ups,
tool results sent back, cost and tokens added up, the round limit, Stop, and bad tool input
(unknown tool, arguments that are not JSON, a tool that raises) that never loses the turn."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from desktop_app.api.events import (
    Completed,
    CostSource,
    RoutedModel,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    TurnResult,
    TurnStatus,
    Usage,
)
from desktop_app.api.request import SMART_ROUTER
from desktop_app.routing.plan import TurnPlan, restrict_to_tools
from desktop_app.services.chat import ChatService, MemoryRecorder, loop_result
from desktop_app.services.history import history_from_store
from desktop_app.services.recorder import StoreRecorder
from desktop_app.services.tools.builtin import CALCULATOR, DATETIME, READ_FILE, ToolError
from desktop_app.services.tools.executor import (
    FollowUp,
    ToolExecutor,
    ToolNote,
    ToolProgress,
    ToolRound,
    approver_for_cli,
)
from desktop_app.services.tools.policy import ToolPolicy
from desktop_app.services.tools.specs import (
    DECLINED,
    Approval,
    CallState,
    Decision,
    ToolOutcome,
    ToolSpec,
)
from desktop_app.store import HistoryStore
from tests.unit.test_chat_service import FakeClient, FakeTime

PLAN = TurnPlan(
    "functions", "Function calling", SMART_ROUTER, ("openai/gpt-4o", "google/gemini-2.0-flash")
)
ROUTED = "google/gemini-2.0-flash"


def asks(*calls: tuple[str, str], text: str = "", cost: float | None = 0.001) -> list[Any]:
    """A response that asks for tools: (name, arguments JSON) each."""
    tool_calls = [ToolCall(i, f"call_{i}_{n}", n, a) for i, (n, a) in enumerate(calls)]
    result = TurnResult(
        text=text,
        model=ROUTED,
        tool_calls=tool_calls,
        usage=Usage(100, 10, 110),
        cost_usd=cost,
        cost_source=CostSource.REPORTED if cost is not None else CostSource.UNKNOWN,
        finish_reason="tool_calls",
    )
    events: list[Any] = [RoutedModel(ROUTED)]
    if text:
        events.append(TextDelta(text))
    events += [ToolCallDelta(c.index, c.id, c.name, c.arguments) for c in tool_calls]
    return [*events, Completed(result)]


def answers(text: str = "The answer is 391.") -> list[Any]:
    result = TurnResult(
        text=text,
        model=ROUTED,
        usage=Usage(150, 20, 170),
        cost_usd=0.002,
        cost_source=CostSource.REPORTED,
        finish_reason="stop",
    )
    return [RoutedModel(ROUTED), TextDelta(text), Completed(result)]


async def run_builtin(spec: ToolSpec, args: dict[str, Any]) -> str:
    from desktop_app.services.tools.builtin import run_builtin as run

    if spec.key == "broken":
        raise RuntimeError("a bug in the tool")
    if spec.key == "refuses":
        raise ToolError("the tool says no")
    if spec.key == "slow":
        await asyncio.Event().wait()
    return run(spec, args)


def executor(
    specs: Sequence[ToolSpec] = (CALCULATOR, DATETIME),
    approver: Any = None,
    *,
    max_rounds: int = 8,
    timeout: float = 5.0,
) -> ToolExecutor:
    return ToolExecutor(
        specs,
        run_builtin,
        ToolPolicy(),
        approver or approver_for_cli(False),
        conversation_id=1,
        timeout=timeout,
        max_rounds=max_rounds,
    )


def service(fake: FakeTime, *scripts: list[StreamEvent], recorder: Any = None) -> ChatService:
    client = FakeClient(fake, *scripts)
    svc = ChatService(
        lambda: client, recorder or MemoryRecorder(), clock=fake.clock, sleep=fake.sleep
    )
    svc.fake_client = client  # type: ignore[attr-defined]
    return svc


async def test_follow_ups_go_to_the_routed_model_with_the_results() -> None:
    fake = FakeTime()
    svc = service(
        fake,
        asks(("calculator", '{"expression": "17*23"}')),
        asks(("datetime", '{"timezone": "Asia/Tokyo"}')),
        answers(),
    )
    events: list[Any] = []
    turn = svc.start_turn(1, "What is 17*23 and the time in Tokyo?", PLAN)
    result = await svc.run(turn, events.append, tools=executor())
    sent = svc.fake_client.requests  # type: ignore[attr-defined]
    assert [r.model for r in sent] == [SMART_ROUTER, ROUTED, ROUTED]
    assert sent[0].candidates == PLAN.candidates
    assert [r.candidates for r in sent[1:]] == [None, None]
    assert all(r.tools and {t["function"]["name"] for t in r.tools} == {"calculator", "datetime"}
               for r in sent)  # fmt: skip
    # The first follow-up carries the call and its result, in the order the API wants.
    second = list(sent[1].messages)
    assert second[-2]["role"] == "assistant"
    assert second[-2]["tool_calls"][0]["function"] == {
        "name": "calculator",
        "arguments": '{"expression": "17*23"}',
    }
    assert second[-1] == {"role": "tool", "tool_call_id": "call_0_calculator", "content": "391"}
    assert [m["role"] for m in sent[2].messages] == ["user", "assistant", "tool"] * 1 + [
        "assistant",
        "tool",
    ]
    assert result.status is TurnStatus.COMPLETE
    assert result.text == "The answer is 391."
    assert result.model == ROUTED
    assert result.tool_calls == []
    assert result.usage == Usage(350, 40, 390)
    assert result.cost_usd == pytest.approx(0.004)
    assert result.cost_source is CostSource.REPORTED
    assert turn.requests == 3
    assert [e.number for e in events if isinstance(e, FollowUp)] == [2, 3]
    assert [e.number for e in events if isinstance(e, ToolRound)] == [1, 2]
    # Time to first token is the first request's; the total is the whole loop's.
    assert result.ttft_ms is not None and result.total_ms is not None
    assert result.ttft_ms < result.total_ms


async def test_rounds_are_stored_and_sent_back_in_later_turns(tmp_path: Path) -> None:
    fake = FakeTime()
    with HistoryStore.open(tmp_path / "h.db") as store:
        cid = store.create_conversation()
        svc = service(
            fake,
            asks(("calculator", '{"expression": "2+2"}'), text="Let me compute."),
            answers("It is 4."),
            answers("You are welcome."),
            recorder=StoreRecorder(store),
        )
        turn = svc.start_turn(cid, "What is 2+2?", PLAN)
        await svc.run(turn, lambda e: None, tools=executor())
        messages = store.load_messages(cid)
        reply = next(m for m in messages if m.reply is not None)
        assert reply.content == "It is 4." and reply.reply is not None
        assert reply.reply.requests == 2
        assert reply.tool_calls is None  # the calls are in the round, not on the reply
        tool = next(m for m in messages if m.role == "tool")
        assert tool.content == "4" and tool.parent_id == reply.id
        assert tool.meta is not None
        assert tool.meta["tool"] == "calculator" and tool.meta["approved"] is True
        assert tool.meta["approval"].startswith("built in, safe")
        assert tool.meta["duration_ms"] is not None
        # The next turn sends the loop back, before the reply's text.
        turn = svc.start_turn(cid, "Thanks", PLAN)
        await svc.run(turn, lambda e: None)
        sent = svc.fake_client.requests[-1]  # type: ignore[attr-defined]
        assert [(m["role"], m["content"]) for m in sent.messages] == [
            ("user", "What is 2+2?"),
            ("assistant", "Let me compute."),
            ("tool", "4"),
            ("assistant", "It is 4."),
            ("user", "Thanks"),
        ]
        assert sent.messages[1]["tool_calls"][0]["id"] == "call_0_calculator"
        # Searchable: the round and its result are messages of their own.
        said = next(m for m in messages if m.role == "assistant" and m.tool_calls)
        assert [h.message_id for h in store.search("Let me compute")] == [said.id]
        assert tool.id in [h.message_id for h in store.search("4")]
        # Deleting the prompt takes the whole turn, loop included.
        store.delete_message(turn.user_message_id)
        store.delete_message(reply.parent_id)  # type: ignore[arg-type]
        assert [m.role for m in store.load_messages(cid)] == []


async def test_bad_tool_input_never_loses_the_turn() -> None:
    fake = FakeTime()
    broken = ToolSpec("broken", "broken", "Raises", {"type": "object"}, safe=True)
    refuses = ToolSpec("refuses", "refuses", "Refuses", {"type": "object"}, safe=True)
    svc = service(
        fake,
        asks(
            ("no_such_tool", "{}"),
            ("calculator", "{not json"),
            ("calculator", "[1, 2]"),
            ("broken", "{}"),
            ("refuses", "{}"),
            ("calculator", '{"expression": "1/0"}'),
        ),
        answers("Sorry, those failed."),
    )
    turn = svc.start_turn(1, "Break things", PLAN)
    result = await svc.run(turn, lambda e: None, tools=executor((CALCULATOR, broken, refuses)))
    assert result.status is TurnStatus.COMPLETE and result.text == "Sorry, those failed."
    results = [
        m["content"]
        for m in svc.fake_client.requests[1].messages  # type: ignore[attr-defined]
        if m["role"] == "tool"
    ]
    assert results[0].startswith("Error: there is no tool named 'no_such_tool'")
    assert results[1].startswith("Error: the arguments are not valid JSON")
    assert results[2] == "Error: the arguments must be a JSON object; nothing was run."
    assert results[3].startswith("Error: the tool failed unexpectedly (RuntimeError")
    assert results[4] == "Error: the tool says no"
    assert results[5] == "Error: division by zero is undefined"


async def test_the_round_limit_asks_for_text_then_stops() -> None:
    fake = FakeTime()
    svc = service(
        fake,
        asks(("calculator", '{"expression": "1+1"}')),
        asks(("calculator", '{"expression": "2+2"}')),
        asks(("calculator", '{"expression": "3+3"}')),  # ignores tool_choice "none"
    )
    events: list[Any] = []
    turn = svc.start_turn(1, "Loop forever", PLAN)
    result = await svc.run(turn, events.append, tools=executor(max_rounds=2))
    sent = svc.fake_client.requests  # type: ignore[attr-defined]
    assert [r.tool_choice for r in sent] == [None, None, "none"]
    assert turn.requests == 3
    assert result.tool_calls == []  # never stored as calls without results
    notes = [e.text for e in events if isinstance(e, ToolNote)]
    assert notes and "after 2 rounds" in notes[0]


async def test_stop_while_a_tool_runs_keeps_the_round_and_the_cost() -> None:
    fake = FakeTime()
    slow = ToolSpec("slow", "slow", "Never ends", {"type": "object"}, safe=True)
    recorder = MemoryRecorder()
    svc = service(
        fake, asks(("calculator", '{"expression": "6*7"}'), ("slow", "{}")), recorder=recorder
    )
    running = asyncio.Event()

    def seen(e: Any) -> None:
        if (
            isinstance(e, ToolProgress)
            and e.outcome.name == "slow"
            and e.outcome.state == "running"
        ):
            running.set()

    turn = svc.start_turn(1, "Go", PLAN)
    task = asyncio.ensure_future(svc.run(turn, seen, tools=executor((CALCULATOR, slow))))
    await running.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    result = turn.result
    assert result is not None and result.status is TurnStatus.STOPPED
    assert result.cost_usd == pytest.approx(0.001)  # the request that asked was billed
    assert result.usage == Usage(100, 10, 110)
    kept = recorder._messages[turn.reply_id].rounds
    assert [m["role"] for m in kept] == ["assistant", "tool", "tool"]
    assert kept[1]["content"] == "42"
    assert kept[2]["content"] == "Stopped by the user before the tool finished."


async def test_stop_while_waiting_for_approval() -> None:
    fake = FakeTime()
    waiting = asyncio.Event()

    async def approver(outcome: ToolOutcome, choices: tuple[Decision, ...]) -> Approval:
        assert choices == (Decision.ALLOW_ONCE, Decision.DENY)  # a file: never "always"
        waiting.set()
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    svc = service(fake, asks(("read_file", '{"path": "/etc/hostname"}')))
    turn = svc.start_turn(1, "Read it", PLAN)
    task = asyncio.ensure_future(
        svc.run(turn, lambda e: None, tools=executor((READ_FILE,), approver))
    )
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert turn.result is not None and turn.result.status is TurnStatus.STOPPED


async def test_deny_sends_the_model_a_declined_result() -> None:
    fake = FakeTime()
    svc = service(fake, asks(("read_file", '{"path": "/etc/hostname"}')), answers("OK."))
    events: list[Any] = []
    turn = svc.start_turn(1, "Read it", PLAN)
    await svc.run(turn, events.append, tools=executor((READ_FILE,)))  # the CLI without -a
    last = svc.fake_client.requests[-1].messages[-1]  # type: ignore[attr-defined]
    assert last["content"] == DECLINED
    outcome = next(e.outcome for e in events if isinstance(e, ToolProgress))
    assert outcome.state is CallState.DENIED and outcome.approved is False
    assert "needs --approve-all" in outcome.approval


def test_loop_result_never_counts_an_unknown_cost_as_free() -> None:
    done = [TurnResult(cost_usd=0.001, cost_source=CostSource.REPORTED, usage=Usage(1, 1, 2))]
    unknown = TurnResult(text="x", cost_usd=None, usage=Usage(1, 1, 2))
    combined = loop_result(done, unknown)
    assert combined.cost_usd is None and combined.cost_source is CostSource.UNKNOWN
    estimated = TurnResult(text="x", cost_usd=0.002, cost_source=CostSource.ESTIMATED)
    assert loop_result(done, estimated).cost_source is CostSource.ESTIMATED
    # A last request stopped before any usage arrived adds nothing.
    stopped = TurnResult(text="", status=TurnStatus.STOPPED)
    assert loop_result(done, stopped).cost_usd == pytest.approx(0.001)


def test_tool_turns_route_among_tool_capable_candidates_only() -> None:
    capable = {"openai/gpt-4o", "google/gemini-2.0-flash"}
    plan = TurnPlan(
        "mine", "Mine", SMART_ROUTER, ("perplexity/sonar", "openai/gpt-4o"), "perplexity/sonar"
    )
    routing = restrict_to_tools(plan, capable.__contains__)
    assert routing.plan is not None
    assert routing.plan.candidates == ("openai/gpt-4o",)
    assert routing.plan.fallback_model == "openai/gpt-4o"
    assert routing.left_out == ("perplexity/sonar",)
    assert routing.note is not None and "perplexity/sonar" in routing.note
    none_left = restrict_to_tools(
        TurnPlan("x", "X", SMART_ROUTER, ("perplexity/sonar",)), capable.__contains__
    )
    assert none_left.plan is None and none_left.problem is not None
    fixed = restrict_to_tools(TurnPlan("m", "M", "perplexity/sonar", None), capable.__contains__)
    assert fixed.plan is None and "cannot call tools" in (fixed.problem or "")
    whole_pool = TurnPlan("auto", "Auto", SMART_ROUTER, None)
    assert restrict_to_tools(whole_pool, capable.__contains__).plan == whole_pool


def test_history_leaves_out_a_reply_without_text_and_its_rounds(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.db") as store:
        cid = store.create_conversation()
        uid = store.add_user_message(cid, "Go")
        rid = store.begin_reply(cid, parent_id=uid)
        call = {"id": "c1", "type": "function", "function": {"name": "x", "arguments": "{}"}}
        store.add_tool_round(rid, "", [call], [("c1", "Stopped", {"state": "stopped"})])
        store.finish_reply(rid, TurnResult(text="", status=TurnStatus.STOPPED))
        u2 = store.add_user_message(cid, "Again")
        history = history_from_store(store.load_messages(cid), u2)
        assert [m["role"] for m in history] == ["user", "user"]


async def test_a_tool_turn_exports_and_imports_with_its_calls(tmp_path: Path) -> None:
    import json

    fake = FakeTime()
    with HistoryStore.open(tmp_path / "h.db") as store:
        cid = store.create_conversation()
        svc = service(
            fake,
            asks(("calculator", '{"expression": "17*23"}')),
            answers(),
            recorder=StoreRecorder(store),
        )
        turn = svc.start_turn(cid, "What is 17*23?", PLAN)
        await svc.run(turn, lambda e: None, tools=executor())
        md = store.export_markdown(cid)
        assert "Tool call: calculator" in md and '"expression": "17*23"' in md
        assert "Tool result:" in md and "approved by built in, safe" in md
        assert md.index("Tool call: calculator") < md.index("The answer is 391.")
        assert "2 requests (tool loop)" in md
        data = store.export_json(cid)
        tool = next(m for m in data["messages"] if m["role"] == "tool")
        assert tool["content"] == "391" and tool["meta"]["tool"] == "calculator"
        reply = next(m for m in data["messages"] if m["reply"])
        assert reply["reply"]["requests"] == 2
        copy = store.import_json(json.dumps(data))
        again = store.load_messages(copy)
        assert [m.role for m in again] == [m.role for m in store.load_messages(cid)]
        assert next(m for m in again if m.role == "tool").meta == tool["meta"]
        u2 = store.add_user_message(copy, "Thanks")
        sent = history_from_store(store.load_messages(copy), u2)
        assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "user"]
