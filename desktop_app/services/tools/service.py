"""The app's tools, kept: the built-in ones, the MCP servers (started when first needed,
stopped on quit), the approval policies, and a `ToolExecutor` for each tool turn. The window's
Settings → Tools and `routechat ask --tools` both go through here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_app.config.settings import ToolLimits
from desktop_app.services.tools.builtin import BUILTIN, BY_KEY, ToolError, run_builtin
from desktop_app.services.tools.config import (
    TOOLS_FILE,
    ServerConfig,
    ToolsConfig,
    load_tools_config,
    save_tools_config,
)
from desktop_app.services.tools.executor import Approver, ToolExecutor
from desktop_app.services.tools.mcp import McpHost, McpProblem, McpTool
from desktop_app.services.tools.policy import ToolPolicy
from desktop_app.services.tools.specs import ToolSpec, function_name

log = logging.getLogger(__name__)

__all__ = ["TOOLS_FILE", "ToolService", "UnknownTool", "mcp_key", "parse_tool_keys"]


class UnknownTool(ValueError):
    """A tool named on the command line that RouteChat does not have."""


def mcp_key(server: str, tool: str) -> str:
    return f"mcp:{server}/{tool}"


def parse_tool_keys(text: str) -> list[str]:
    """`calculator,datetime,mcp:SERVER/TOOL` → its keys, in order, without repeats."""
    out: list[str] = []
    for part in text.split(","):
        key = part.strip()
        if key and key not in out:
            out.append(key)
    return out


def mcp_spec(server: str, tool: McpTool) -> ToolSpec:
    schema = dict(tool.parameters) if tool.parameters else {}
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return ToolSpec(
        key=mcp_key(server, tool.name),
        name=function_name(server, tool.name),
        description=tool.description or f"The {tool.name} tool of the MCP server {server}.",
        parameters=schema,
        server=server,
        remote_name=tool.name,
    )


class ToolService:
    def __init__(
        self,
        path: Path,
        limits: Callable[[], ToolLimits] = ToolLimits,
        *,
        host: McpHost | None = None,
    ) -> None:
        self.path = path
        self._limits = limits
        self.host = host if host is not None else McpHost()
        self.config = ToolsConfig()
        self.policy = ToolPolicy(
            ask_for_builtin=lambda: self._limits().ask_for_builtin, on_change=self._policy_saved
        )
        self._listeners: list[Callable[[], None]] = []
        self.last_problem: str | None = None

    # --- the file ---------------------------------------------------------------------------
    def load(self) -> str | None:
        """Read tools.json; a sentence when it could not be used."""
        self.config, problem = load_tools_config(self.path)
        self.policy = ToolPolicy(
            self.config.always_allowed,
            ask_for_builtin=lambda: self._limits().ask_for_builtin,
            on_change=self._policy_saved,
        )
        return problem

    def save(self, config: ToolsConfig) -> str | None:
        """Keep `config` (and tell listeners); a sentence when the file could not be written."""
        removed = {s.name for s in self.config.servers} - {s.name for s in config.servers}
        for name in removed:
            self.policy.forget_server(name)
        config = replace(config, always_allowed=self.policy.always)
        self.config = config
        try:
            save_tools_config(self.path, config)
        except OSError as exc:
            self.last_problem = f"Could not save the tools settings to {self.path}: {exc}"
            return self.last_problem
        finally:
            for listener in list(self._listeners):
                listener()
        return None

    def _policy_saved(self, always: frozenset[str]) -> None:
        self.save(replace(self.config, always_allowed=always))

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- what a turn offers -----------------------------------------------------------------
    @property
    def builtin(self) -> tuple[ToolSpec, ...]:
        return BUILTIN

    def builtin_enabled(self, key: str) -> bool:
        return key not in self.config.disabled_builtin

    def set_builtin_enabled(self, key: str, enabled: bool) -> str | None:
        disabled = set(self.config.disabled_builtin)
        if enabled:
            disabled.discard(key)
        else:
            disabled.add(key)
        return self.save(replace(self.config, disabled_builtin=frozenset(disabled)))

    def has_enabled_tools(self) -> bool:
        if any(self.builtin_enabled(t.key) for t in BUILTIN):
            return True
        return any(s.enabled and s.tools for s in self.config.servers)

    def has_servers(self) -> bool:
        return any(s.enabled and s.tools for s in self.config.servers)

    async def server_tools(self, server: ServerConfig) -> list[McpTool]:
        """A server's tools (it starts if needed); `McpProblem` when it cannot."""
        return await self.host.list_tools(server)

    async def enabled_specs(self) -> tuple[list[ToolSpec], list[str]]:
        """What a window turn offers: the enabled built-in tools and the enabled tools of each
        enabled server (started if needed), and a sentence per server that failed."""
        specs = [t for t in BUILTIN if self.builtin_enabled(t.key)]
        problems: list[str] = []
        for server in self.config.servers:
            if not server.enabled or not server.tools:
                continue
            try:
                listed = await self.host.list_tools(server)
            except McpProblem as exc:
                problems.append(f"{exc} Its tools are not offered in this reply.")
                continue
            by_name = {t.name: t for t in listed}
            for name in server.tools:
                tool = by_name.get(name)
                if tool is None:
                    problems.append(f"The MCP server {server.name} no longer has a tool {name}.")
                else:
                    specs.append(mcp_spec(server.name, tool))
        return specs, problems

    async def specs_for_keys(self, keys: Sequence[str]) -> list[ToolSpec]:
        """Exactly the tools named (`routechat ask --tools`); `UnknownTool` or `McpProblem`
        says which one cannot be had."""
        specs: list[ToolSpec] = []
        listed: dict[str, dict[str, McpTool]] = {}
        for key in keys:
            if key in BY_KEY:
                specs.append(BY_KEY[key])
                continue
            if not key.startswith("mcp:") or "/" not in key:
                known = ", ".join(t.key for t in BUILTIN)
                raise UnknownTool(
                    f"unknown tool {key!r}; built-in tools: {known}; MCP tools: mcp:SERVER/TOOL"
                )
            server_name, _, tool_name = key.removeprefix("mcp:").partition("/")
            server = self.config.server(server_name)
            if server is None:
                names = ", ".join(s.name for s in self.config.servers) or "none configured"
                raise UnknownTool(f"no MCP server named {server_name!r} (servers: {names})")
            if server_name not in listed:
                listed[server_name] = {t.name: t for t in await self.host.list_tools(server)}
            tool = listed[server_name].get(tool_name)
            if tool is None:
                names = ", ".join(sorted(listed[server_name])) or "none"
                raise UnknownTool(
                    f"the MCP server {server_name} has no tool {tool_name!r} (it has: {names})"
                )
            specs.append(mcp_spec(server_name, tool))
        return specs

    # --- running ----------------------------------------------------------------------------
    async def run(self, spec: ToolSpec, arguments: dict[str, Any]) -> str:
        limits = self._limits()
        if spec.server is None:
            return run_builtin(spec, arguments, max_file_bytes=limits.max_file_kb * 1024)
        server = self.config.server(spec.server)
        if server is None:
            raise ToolError(f"the MCP server {spec.server} was removed from the settings")
        text, is_error = await self.host.call(
            server, spec.remote_name or spec.name, arguments, limits.call_timeout
        )
        if is_error:
            raise ToolError(text or "the tool reported an error without saying which")
        return text

    def executor(
        self, specs: Sequence[ToolSpec], approver: Approver, conversation_id: int | None
    ) -> ToolExecutor:
        limits = self._limits()
        return ToolExecutor(
            specs,
            self.run,
            self.policy,
            approver,
            conversation_id=conversation_id,
            # The tool's own deadline is enforced here; an MCP call gets a little more so that
            # the server's timeout message (which stops a hung server) wins the race.
            timeout=limits.call_timeout + (5.0 if any(s.server for s in specs) else 0.0),
            max_rounds=limits.max_rounds,
        )

    async def aclose(self) -> None:
        """At quit: stop every MCP server."""
        try:
            await self.host.aclose()
        except Exception:  # quitting goes on whatever a server does
            log.exception("stopping the MCP servers failed")
