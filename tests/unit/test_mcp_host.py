"""A real stdio MCP server (tests/support/mcp_server.py, the official SDK) through `McpHost`:
its tools listed and called on the MCP thread, and every way a server can fail (a tool that
raises, the server exiting mid-call, a hang past the timeout, a command that does not exist,
a program that is not an MCP server) a sentence for the turn, after which it starts again.
Nothing is imported on the MCP thread."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app.config.settings import ToolLimits
from desktop_app.services.tools.builtin import ToolError
from desktop_app.services.tools.config import ServerConfig, ToolsConfig
from desktop_app.services.tools.executor import ToolProgress, approver_for_cli
from desktop_app.services.tools.mcp import McpHost, McpProblem
from desktop_app.services.tools.service import ToolService
from desktop_app.services.tools.specs import CallState, ToolOutcome

SERVER = Path(__file__).resolve().parents[1] / "support" / "mcp_server.py"
IMPORTED_ON_MCP_THREAD: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "import" and threading.current_thread().name == "routechat-mcp":
        IMPORTED_ON_MCP_THREAD.append(str(args[0]))


sys.addaudithook(_audit)


def server(tmp_path: Path, name: str = "test") -> ServerConfig:
    return ServerConfig(
        name, sys.executable, (str(SERVER),), {"NOTES_FILE": str(tmp_path / "notes.txt")}
    )


@pytest.fixture
async def host() -> AsyncIterator[McpHost]:
    made = McpHost(start_timeout=60)
    yield made
    await made.aclose()
    assert made.running() == []


async def test_tools_are_listed_and_called(host: McpHost, tmp_path: Path) -> None:
    cfg = server(tmp_path)
    tools = {t.name: t for t in await host.list_tools(cfg)}
    assert set(tools) == {
        "lookup_word",
        "add",
        "fail_loudly",
        "crash_now",
        "sleep_for",
        "write_note",
    }
    assert tools["add"].parameters["required"] == ["a", "b"]
    assert tools["lookup_word"].description.startswith("Looks up a word")
    assert await host.call(cfg, "add", {"a": 2, "b": 40}, 30) == ("42", False)
    text, is_error = await host.call(cfg, "fail_loudly", {}, 30)
    assert is_error and "fail_loudly" in text
    text, is_error = await host.call(cfg, "add", {"a": "two"}, 30)  # bad arguments
    assert is_error and "validation error" in text
    assert host.running() == ["test"]
    assert IMPORTED_ON_MCP_THREAD == []


async def test_a_server_that_exits_mid_call_restarts_when_needed(
    host: McpHost, tmp_path: Path
) -> None:
    cfg = server(tmp_path)
    with pytest.raises(McpProblem, match="failed while running crash_now: it exited"):
        await host.call(cfg, "crash_now", {}, 30)
    assert await host.call(cfg, "add", {"a": 1, "b": 1}, 30) == ("2", False)


async def test_a_hang_past_the_timeout_stops_the_server(host: McpHost, tmp_path: Path) -> None:
    cfg = server(tmp_path)
    await host.list_tools(cfg)
    with pytest.raises(McpProblem, match=r"did not answer within 1\.5 s; it was stopped"):
        await host.call(cfg, "sleep_for", {"seconds": 60}, 1.5)
    assert await host.call(cfg, "add", {"a": 3, "b": 4}, 30) == ("7", False)


async def test_stop_cancels_the_running_call(host: McpHost, tmp_path: Path) -> None:
    cfg = server(tmp_path)
    await host.list_tools(cfg)
    call = asyncio.ensure_future(host.call(cfg, "sleep_for", {"seconds": 60}, 120))
    await asyncio.sleep(0.5)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await host.call(cfg, "add", {"a": 5, "b": 5}, 30) == ("10", False)


async def test_servers_that_cannot_start_say_why(host: McpHost, tmp_path: Path) -> None:
    missing = ServerConfig("missing", str(tmp_path / "no-such-command"))
    with pytest.raises(McpProblem, match="could not start: its command was not found"):
        await host.list_tools(missing)
    exits = ServerConfig(
        "exits", sys.executable, ("-c", "import sys; print('no config', file=sys.stderr); exit(2)")
    )
    with pytest.raises(McpProblem, match=r"could not start: it exited \(it said: no config\)"):
        await host.list_tools(exits)
    quick = McpHost(start_timeout=2)
    try:
        garbage = ServerConfig(
            "garbage", sys.executable, ("-c", "import time; print('hello'); time.sleep(30)")
        )
        with pytest.raises(McpProblem, match="did not start within 2 s"):
            await quick.list_tools(garbage)
    finally:
        await quick.aclose()


async def test_a_writing_tool_never_runs_without_an_approval(tmp_path: Path) -> None:
    service = ToolService(tmp_path / "tools.json", ToolLimits)
    service.load()
    cfg = server(tmp_path, "notes")
    service.save(ToolsConfig(servers=(cfg,)))
    try:
        (write,) = await service.specs_for_keys(["mcp:notes/write_note"])
        assert write.name == "notes__write_note" and write.server == "notes"
        events: list[Any] = []
        denied = service.executor([write], approver_for_cli(False), None)
        outcomes = denied.start_round([_Call("c1", write.name, '{"text": "rm -rf"}')])
        await denied.run_round(outcomes, events.append)
        assert outcomes[0].state is CallState.DENIED
        assert not (tmp_path / "notes.txt").exists()
        allowed = service.executor([write], approver_for_cli(True), None)
        outcomes = allowed.start_round([_Call("c2", write.name, '{"text": "hello"}')])
        await allowed.run_round(outcomes, events.append)
        assert outcomes[0].state is CallState.DONE and outcomes[0].approval == "--approve-all"
        assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "hello\n"
        # An error the server reports is an error result, in words.
        (fail,) = await service.specs_for_keys(["mcp:notes/fail_loudly"])
        with pytest.raises(ToolError, match="fail_loudly"):
            await service.run(fail, {})
        assert [e.outcome.state for e in events if isinstance(e, ToolProgress)][-1] == "done"
    finally:
        await service.aclose()


class _Call:
    def __init__(self, id: str, name: str, arguments: str) -> None:
        self.id, self.name, self.arguments = id, name, arguments


def test_outcome_meta_is_what_the_history_keeps() -> None:
    outcome = ToolOutcome("c1", "calculator", '{"expression": "1+1"}')
    outcome.state, outcome.result, outcome.approved = CallState.DONE, "2", True
    assert outcome.meta() == {
        "tool": "calculator",
        "key": None,
        "server": None,
        "state": "done",
        "approved": True,
        "approval": "",
        "duration_ms": None,
    }
