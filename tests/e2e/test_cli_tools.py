"""`routechat ask --tools` against `routechat emulator` and a real stdio MCP server, each in its
own process: the JSON contract, the routed model pinned on every follow-up (checked in the
requests the emulator recorded), tool results sent back, approvals on the command line, and
bad tool input (unknown tool, invalid JSON arguments, a tool raising, a server exiting
mid-call) that never loses the turn."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from desktop_app import cli
from desktop_app.services.tools.config import ServerConfig, ToolsConfig, save_tools_config
from tests.e2e.conftest import EmulatorProcess, run_cli
from tests.e2e.test_cli_ask import FIELDS

MCP_SERVER = Path(__file__).resolve().parents[1] / "support" / "mcp_server.py"
CALL_KEYS = {"name", "arguments", "result", "approved", "duration_ms"}


def requests_of(emu: EmulatorProcess) -> list[dict[str, Any]]:
    root = emu.base_url.removesuffix("/v3")
    with urllib.request.urlopen(root + "/_emulator/requests", timeout=5) as resp:
        data = json.load(resp)
    rows: list[dict[str, Any]] = data["requests"] if isinstance(data, dict) else data
    return [r for r in rows if str(r.get("_path", "")).endswith("/chat/completions")]


def ask(emu: EmulatorProcess, home: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_cli(["ask", "--json", "--base-url", emu.base_url, *args], home, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    summary = json.loads(lines[-1])
    return done.returncode, summary, done.stderr


def test_a_tool_loop_pins_the_routed_model_and_adds_up(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    before = len(requests_of(emulator_proc))
    code, s, _ = ask(
        emulator_proc,
        tmp_path,
        "--tools",
        "calculator,datetime",
        "What is 17 * 23, and what time is it in Tokyo?",
    )
    assert code == cli.EXIT_OK
    assert set(s) == FIELDS | {"tool_calls", "requests"}
    assert s["error"] is None and s["requests"] == 3
    assert [c["name"] for c in s["tool_calls"]] == ["calculator", "datetime"]
    for call in s["tool_calls"]:
        assert set(call) == CALL_KEYS
        assert call["approved"] is True and isinstance(call["duration_ms"], float)
        assert isinstance(call["arguments"], dict)
    assert s["tool_calls"][0]["arguments"] == {"expression": "17 * 23"}
    assert s["tool_calls"][0]["result"] == "391"
    assert "Asia/Tokyo" in s["tool_calls"][1]["result"]
    assert "391" in s["text"]
    assert 0 < s["ttft_ms"] < s["total_ms"]
    assert s["cost_source"] == "reported" and s["cost_usd"] > 0

    sent = requests_of(emulator_proc)[before:]
    assert len(sent) == 3
    assert sent[0]["model"] == "@edenai"
    assert sent[0]["router_candidates"] == s["candidates"]
    assert s["model"] == s["routing"]["chosen"]
    for follow_up in sent[1:]:  # the router never reads tool results: pinned
        assert follow_up["model"] == s["model"]
        assert "router_candidates" not in follow_up
        assert {t["function"]["name"] for t in follow_up["tools"]} == {"calculator", "datetime"}
    last = sent[2]["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "tool", "assistant", "tool"]
    assert last[2] == {
        "role": "tool",
        "tool_call_id": last[1]["tool_calls"][0]["id"],
        "content": "391",
    }
    assert last[4]["content"] == s["tool_calls"][1]["result"]
    # Tokens add up every request: more than the first request alone reported.
    assert s["prompt_tokens"] > 3 * 100


def test_without_tools_the_summary_keeps_its_keys(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    code, s, _ = ask(emulator_proc, tmp_path, "What is 2 + 2?")
    assert code == 0 and set(s) == FIELDS
    assert "tools" not in requests_of(emulator_proc)[-1]


def test_a_file_is_read_only_with_approve_all(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("buy milk\n", encoding="utf-8")
    prompt = f"Please read the file {notes} and summarise it"
    code, s, _ = ask(emulator_proc, tmp_path, "--tools", "read_file", prompt)
    assert code == 0
    (call,) = s["tool_calls"]
    assert call["approved"] is False
    assert call["result"] == "The user declined to run this tool."
    assert requests_of(emulator_proc)[-1]["messages"][-1]["content"] == call["result"]
    code, s, _ = ask(emulator_proc, tmp_path, "--tools", "read_file", "--approve-all", prompt)
    (call,) = s["tool_calls"]
    assert call["approved"] is True and call["result"] == "buy milk\n"
    assert call["arguments"] == {"path": str(notes)}


def test_bad_tool_calls_from_the_model_never_lose_the_turn(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    emulator_proc.queue_faults("tool_unknown")
    code, s, _ = ask(emulator_proc, tmp_path, "--tools", "calculator", "What is 6 * 7?")
    assert code == 0 and s["error"] is None and s["text"]
    assert s["tool_calls"][0]["name"] == "no_such_tool"
    assert s["tool_calls"][0]["result"].startswith("Error: there is no tool named")
    assert s["tool_calls"][0]["approved"] is False
    emulator_proc.queue_faults("tool_bad_json")
    code, s, _ = ask(emulator_proc, tmp_path, "--tools", "calculator", "What is 6 * 7?")
    assert code == 0 and s["error"] is None and s["text"]
    first = s["tool_calls"][0]
    assert first["result"].startswith("Error: the arguments are not valid JSON")
    assert first["arguments"] == {"_raw": first["arguments"]["_raw"]}
    assert s["requests"] >= 2


def test_unknown_tools_and_tool_less_pools_are_refused_before_sending(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    before = len(requests_of(emulator_proc))
    done = run_cli(
        ["ask", "--json", "--base-url", emulator_proc.base_url, "--tools", "sudo", "hi"], tmp_path
    )
    assert done.returncode == cli.EXIT_USAGE and "unknown tool 'sudo'" in done.stderr
    url = emulator_proc.base_url
    args = ["--tools", "calculator", "--candidates", "perplexity/sonar", "What is 1 + 1?"]
    done = run_cli(["ask", "--base-url", url, *args], tmp_path)
    assert done.returncode == cli.EXIT_USAGE
    assert "None of the candidates can call tools (perplexity/sonar)" in done.stderr
    assert len(requests_of(emulator_proc)) == before
    # A mixed pool: the one without tool support is left out, and the turn says so.
    code, s, err = ask(
        emulator_proc,
        tmp_path,
        "--tools",
        "calculator",
        "--candidates",
        "perplexity/sonar,openai/gpt-4o-mini",
        "What is 1 + 1?",
    )
    assert code == 0 and s["candidates"] == ["openai/gpt-4o-mini"]
    assert "no tool support): perplexity/sonar" in err
    routed = [r for r in requests_of(emulator_proc) if r["model"] == "@edenai"][-1]
    assert routed["router_candidates"] == ["openai/gpt-4o-mini"]


def _with_mcp_server(home: Path, marker: str) -> None:
    config_dir = home / "config"  # ROUTECHAT_HOME's (tests.e2e.conftest.base_env)
    server = ServerConfig(
        "dict",
        sys.executable,
        (str(MCP_SERVER), marker),
        {"NOTES_FILE": str(home / "notes.txt")},
    )
    save_tools_config(config_dir / "tools.json", ToolsConfig(servers=(server,)))


def _running(marker: str) -> bool:
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            return True
    return False


def test_a_real_mcp_server_through_the_command_line(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    marker = f"routechat-test-{uuid.uuid4().hex}"
    _with_mcp_server(tmp_path, marker)
    word = "Look up the word serendipity in the dictionary"
    code, s, _ = ask(emulator_proc, tmp_path, "--tools", "mcp:dict/lookup_word", word)
    (call,) = s["tool_calls"]
    assert code == 0 and call["name"] == "mcp:dict/lookup_word"
    assert call["approved"] is False  # an MCP tool may do anything: it needs approval
    code, s, _ = ask(
        emulator_proc, tmp_path, "--tools", "mcp:dict/lookup_word", "--approve-all", word
    )
    (call,) = s["tool_calls"]
    assert call["approved"] is True
    assert "a word defined by the test dictionary" in call["result"]
    sent = requests_of(emulator_proc)[-1]
    assert sent["model"] == s["model"]
    assert sent["tools"][0]["function"]["name"] == "dict__lookup_word"
    assert sent["messages"][-1]["content"] == call["result"]
    assert not _running(marker)  # stopped when the command ended

    # A tool that raises, and a server that exits mid-call: errors in words, the turn goes on.
    code, s, _ = ask(
        emulator_proc, tmp_path, "--tools", "mcp:dict/fail_loudly", "--approve-all",
        "Make the tool fail loudly",
    )  # fmt: skip
    assert code == 0 and s["error"] is None and s["text"]
    assert s["tool_calls"][0]["result"].startswith("Error:")
    assert "fail_loudly" in s["tool_calls"][0]["result"]
    code, s, _ = ask(
        emulator_proc, tmp_path, "--tools", "mcp:dict/crash_now", "--approve-all",
        "Please crash the server now",
    )  # fmt: skip
    assert code == 0 and s["error"] is None and s["text"]
    assert "failed while running crash_now: it exited" in s["tool_calls"][0]["result"]
    assert not _running(marker)


def test_an_mcp_server_that_cannot_start_is_said_plainly(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    broken = ServerConfig("broken", str(tmp_path / "no-such-server"))
    save_tools_config(tmp_path / "config" / "tools.json", ToolsConfig(servers=(broken,)))
    args = ["--tools", "mcp:broken/anything", "hello"]
    done = run_cli(["ask", "--json", "--base-url", emulator_proc.base_url, *args], tmp_path)
    assert done.returncode == cli.EXIT_USAGE
    assert "The MCP server broken could not start: its command was not found" in done.stderr
