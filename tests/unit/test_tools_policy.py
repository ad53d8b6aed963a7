"""Who may run a tool without asking, and where the tools' settings are kept: tools.json,
the `mcpServers` import, the standing permissions and their revocation."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from desktop_app.config.settings import ToolLimits
from desktop_app.services.tools.builtin import CALCULATOR, READ_FILE
from desktop_app.services.tools.config import (
    ServerConfig,
    ToolsConfig,
    ToolsConfigError,
    load_tools_config,
    merge_servers,
    parse_mcp_servers,
    save_tools_config,
)
from desktop_app.services.tools.policy import ALWAYS, IN_CONVERSATION, SAFE, Grant, ToolPolicy
from desktop_app.services.tools.service import ToolService, UnknownTool, parse_tool_keys
from desktop_app.services.tools.specs import Decision, ToolSpec, function_name

WRITER = ToolSpec("mcp:fs/write_file", "fs__write_file", "Writes", {}, server="fs")


def test_safe_builtins_run_other_tools_ask() -> None:
    ask = [False]
    policy = ToolPolicy(ask_for_builtin=lambda: ask[0])
    assert policy.allowed_without_asking(CALCULATOR, 1) == SAFE
    assert policy.allowed_without_asking(WRITER, 1) is None  # may write: asks
    assert policy.allowed_without_asking(READ_FILE, 1) is None
    ask[0] = True  # the setting: ask before built-in tools too
    assert policy.allowed_without_asking(CALCULATOR, 1) is None


def test_allowances_and_their_revocation() -> None:
    saved: list[frozenset[str]] = []
    policy = ToolPolicy(on_change=saved.append)
    policy.remember(WRITER, Decision.ALLOW_ONCE, 1)
    assert policy.allowed_without_asking(WRITER, 1) is None  # once is once
    policy.remember(WRITER, Decision.ALLOW_CONVERSATION, 1)
    assert policy.allowed_without_asking(WRITER, 1) == IN_CONVERSATION
    assert policy.allowed_without_asking(WRITER, 2) is None  # that conversation only
    assert saved == []  # not written to disk
    policy.remember(WRITER, Decision.ALLOW_ALWAYS, 2)
    assert policy.allowed_without_asking(WRITER, 3) == ALWAYS
    assert saved == [frozenset({"mcp:fs/write_file"})]
    assert policy.grants() == [Grant("mcp:fs/write_file", None), Grant("mcp:fs/write_file", 1)]
    policy.revoke(Grant("mcp:fs/write_file", None))
    assert saved[-1] == frozenset()
    assert policy.allowed_without_asking(WRITER, 3) is None
    assert policy.allowed_without_asking(WRITER, 1) == IN_CONVERSATION
    policy.revoke(Grant("mcp:fs/write_file", 1))
    assert policy.grants() == []


def test_a_file_is_confirmed_every_time() -> None:
    policy = ToolPolicy()
    assert policy.choices(READ_FILE) == (Decision.ALLOW_ONCE, Decision.DENY)
    policy.remember(READ_FILE, Decision.ALLOW_ALWAYS, 1)
    assert policy.allowed_without_asking(READ_FILE, 1) is None
    assert len(policy.choices(WRITER)) == 4


def test_mcp_servers_json_of_other_clients_imports() -> None:
    text = json.dumps(
        {
            "mcpServers": {
                "filesystem": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
                },
                "github": {"command": "docker", "args": ["run"], "env": {"TOKEN": "x"}},
                "off": {"command": "uvx", "disabled": True},
            }
        }
    )
    servers = parse_mcp_servers(text)
    assert [s.name for s in servers] == ["filesystem", "github", "off"]
    assert servers[0].args == ("-y", "@modelcontextprotocol/server-filesystem", "/tmp")
    assert servers[1].env == {"TOKEN": "x"}
    assert servers[2].enabled is False
    merged = merge_servers(ToolsConfig(servers=(ServerConfig("github", "x"),)), servers)
    assert [s.name for s in merged.servers] == ["github", "filesystem", "github-2", "off"]
    for bad, why in [
        ("{", "Not valid JSON"),
        ("[]", "Expected an object"),
        ('{"mcpServers": {"x": {"url": "https://example.com/mcp"}}}', "local .stdio. servers only"),
        ('{"mcpServers": {"x": {"args": []}}}', "needs a .command."),
        ('{"mcpServers": {"bad name!": {"command": "x"}}}', "server name"),
        ('{"mcpServers": {"x": {"command": "x", "env": {"A": 1}}}}', "text values"),
    ]:
        with pytest.raises(ToolsConfigError, match=why):
            parse_mcp_servers(bad)


def test_tools_json_round_trips_privately(tmp_path: Path) -> None:
    path = tmp_path / "tools.json"
    config = ToolsConfig(
        disabled_builtin=frozenset({"read_file"}),
        servers=(ServerConfig("fs", "npx", ("-y", "x"), {"TOKEN": "secret"}, tools=("read",)),),
        always_allowed=frozenset({"mcp:fs/read"}),
    )
    save_tools_config(path, config)
    assert load_tools_config(path) == (config, None)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it may hold a server's token
    path.write_text("{nope", encoding="utf-8")
    loaded, problem = load_tools_config(path)
    assert loaded == ToolsConfig() and problem is not None and "not valid JSON" in problem
    assert load_tools_config(tmp_path / "missing.json") == (ToolsConfig(), None)


def test_removing_a_server_drops_its_permissions(tmp_path: Path) -> None:
    service = ToolService(tmp_path / "tools.json", ToolLimits)
    service.load()
    assert service.save(service.config.with_server(ServerConfig("fs", "npx"))) is None
    service.policy.remember(
        ToolSpec("mcp:fs/w", "fs__w", "", {}, server="fs"), Decision.ALLOW_ALWAYS, None
    )
    assert service.config.always_allowed == frozenset({"mcp:fs/w"})
    service.save(service.config.without_server("fs"))
    assert service.policy.always == frozenset()
    reloaded = ToolService(tmp_path / "tools.json", ToolLimits)
    reloaded.load()
    assert reloaded.config == ToolsConfig()


async def test_command_line_tool_names(tmp_path: Path) -> None:
    assert parse_tool_keys("calculator, datetime,,calculator,mcp:a/b") == [
        "calculator",
        "datetime",
        "mcp:a/b",
    ]
    service = ToolService(tmp_path / "tools.json", ToolLimits)
    service.load()
    specs = await service.specs_for_keys(["calculator", "read_file"])
    assert [s.key for s in specs] == ["calculator", "read_file"]
    with pytest.raises(UnknownTool, match="unknown tool 'sudo'"):
        await service.specs_for_keys(["sudo"])
    with pytest.raises(UnknownTool, match="no MCP server named 'nope'"):
        await service.specs_for_keys(["mcp:nope/x"])


def test_mcp_function_names_are_what_the_api_accepts() -> None:
    assert function_name("fs", "read_file") == "fs__read_file"
    assert function_name("my.server", "do it!") == "my_server__do_it_"
    assert len(function_name("s" * 40, "t" * 40)) == 64


def test_server_names_and_commands_are_checked() -> None:
    config = ToolsConfig(servers=(ServerConfig("fs", sys.executable),))
    with pytest.raises(ToolsConfigError, match="exists already"):
        config.with_server(ServerConfig("fs", "x"))
    with pytest.raises(ToolsConfigError, match="needs a command"):
        config.with_server(ServerConfig("other", "  "))
    renamed = config.with_server(ServerConfig("files", "x"), replacing="fs")
    assert [s.name for s in renamed.servers] == ["files"]
